// The checks the checkpoint encoder and decoder (./checkpointFormat.ts) share on the values a
// checkpoint holds: counts, shapes, number arrays, and extra data that JSON keeps exactly as given,
// with the formatting their messages use, and the error they throw.
import { codes, GradcError } from "./errors.js";

/** A checkpoint file that is corrupt, of another model, or does not fit the trainer (GC3004). */
export function checkpointError(message: string): GradcError {
  return new GradcError(codes.checkpoint, message);
}

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export const fmtShape = (shape: readonly number[]) => `[${shape.join(", ")}]`;

export const hex32 = (x: number) => `0x${x.toString(16).padStart(8, "0")}`;

export function isCount(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

export function checkCount(what: string, x: unknown): number {
  if (!isCount(x)) throw new Error(`${what} must be a non-negative integer, got ${String(x)}`);
  return x;
}

export function isNumberArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => typeof v === "number");
}

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

export function typeName(x: unknown): string {
  if (x === null) return "null";
  if (typeof x !== "object") return typeof x;
  return (x as object).constructor?.name ?? "object";
}

/** Refuses anything JSON.stringify would change or drop (other than undefined object properties). */
export function checkJson(x: unknown, at: string, seen: Set<unknown> = new Set()): void {
  switch (typeof x) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(x)) throw new Error(`${at} is ${x}, which JSON cannot hold (store null or a string)`);
      return;
    case "object": {
      if (x === null) return;
      if (seen.has(x)) throw new Error(`${at} refers back to itself`);
      seen.add(x);
      if (Array.isArray(x)) {
        for (let i = 0; i < x.length; i++) {
          if (x[i] === undefined) throw new Error(`${at}[${i}] is undefined, which JSON cannot hold`);
          checkJson(x[i], `${at}[${i}]`, seen);
        }
      } else if (isPlainObject(x)) {
        for (const [k, v] of Object.entries(x)) {
          if (v !== undefined) checkJson(v, `${at}.${k}`, seen);
        }
      } else {
        throw new Error(`${at} is a ${typeName(x)}, not JSON data (convert it, e.g. Array.from for a typed array)`);
      }
      seen.delete(x);
      return;
    }
    default:
      throw new Error(`${at} is a ${typeof x}, not JSON data`);
  }
}
