// Checks that a params object has every parameter the model declares, as the right typed array of
// the right length, before generated code reads it without bounds checks.
import type { Dtype } from "./init.js";

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

export function checkParams(specs: readonly ParamSpec[], params: unknown, dtype: Dtype): void {
  if (!params || typeof params !== "object") throw new Error(`params must be an object of ${arrayName(dtype)}s, got ${params === null ? "null" : typeof params}`);
  const p = params as Record<string, unknown>;
  for (const s of specs) {
    const v = p[s.name];
    const size = s.shape.reduce((a, b) => a * b, 1);
    const shape = `[${s.shape.join(", ")}]`;
    if (v === undefined) throw new Error(`missing param ${JSON.stringify(s.name)}: expected a ${arrayName(dtype)} of ${size} values (shape ${shape})`);
    const tag = Object.prototype.toString.call(v).slice(8, -1);
    if (tag !== arrayName(dtype)) throw new Error(`param ${JSON.stringify(s.name)}: expected a ${arrayName(dtype)} of ${size} values (shape ${shape}), got ${tag}`);
    const len = (v as ArrayLike<number>).length;
    if (len !== size) throw new Error(`param ${JSON.stringify(s.name)}: expected ${size} values (shape ${shape}), got ${len}`);
  }
}

const arrayName = (dtype: Dtype) => (dtype === "f32" ? "Float32Array" : "Float64Array");
