// `param(name, shape, { init })` → the runtime's InitSpec. Names follow PyTorch's torch.nn.init.
import type { InitSpec } from "../../runtime/init.js";
import { codes } from "../diagnostics.js";
import { fail } from "../ir/context.js";

export type InitName =
  | "default" | "zeros" | "ones" | "constant" | "uniform" | "normal"
  | "xavier" | "xavierUniform" | "xavierNormal" | "glorot"
  | "he" | "heUniform" | "heNormal" | "kaiming" | "kaimingUniform" | "kaimingNormal";

/** An init name, a number (constant), or explicit values (nested arrays, row-major). */
export type InitOption = InitName | number | readonly unknown[];

const RELU_GAIN = Math.SQRT2;

export function resolveInit(name: string, shape: readonly number[], options: Record<string, unknown>): InitSpec {
  const init = options.init ?? "default";
  const num = (key: string, dflt: number): number => {
    const v = options[key] ?? dflt;
    if (typeof v !== "number" || !Number.isFinite(v)) fail(codes.badArgument, `param "${name}": ${key} must be a finite number`);
    return v;
  };
  if (typeof init === "number") return { kind: "constant", value: init };
  if (Array.isArray(init) || ArrayBuffer.isView(init)) {
    const values = [...flat(init as readonly unknown[])];
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) fail(codes.badArgument, `param "${name}": init has ${values.length} values, shape [${shape.join(", ")}] needs ${size}`);
    if (!values.every((v) => typeof v === "number" && Number.isFinite(v))) fail(codes.badArgument, `param "${name}": init values must be finite numbers`);
    return { kind: "values", values: values as number[] };
  }
  switch (init) {
    case "zeros": return { kind: "zeros" };
    case "ones": return { kind: "ones" };
    case "constant": return { kind: "constant", value: num("value", 0) };
    case "uniform": return { kind: "uniform", low: num("low", 0), high: num("high", 1) };
    case "normal": return { kind: "normal", mean: num("mean", 0), std: num("std", 1) };
    case "xavier": case "xavierUniform": case "glorot": return { kind: "xavierUniform", gain: num("gain", 1) };
    case "xavierNormal": return { kind: "xavierNormal", gain: num("gain", 1) };
    case "he": case "heUniform": case "kaiming": case "kaimingUniform": return { kind: "heUniform", gain: num("gain", RELU_GAIN) };
    case "heNormal": case "kaimingNormal": return { kind: "heNormal", gain: num("gain", RELU_GAIN) };
    // torch.nn.Linear's default: kaiming_uniform_(a=√5), i.e. U(−1/√fan_in, 1/√fan_in); gain 1/√3 gives that bound.
    case "default": return { kind: "heUniform", gain: 1 / Math.sqrt(3) };
    default:
      return fail(codes.unknownInit, `param "${name}": unknown init ${JSON.stringify(init)}; expected one of default, zeros, ones, constant, uniform, normal, xavier, xavierUniform, xavierNormal, he, heUniform, heNormal, or an array of values`);
  }
}

function* flat(v: readonly unknown[]): Generator<unknown> {
  for (const x of v) if (Array.isArray(x) || ArrayBuffer.isView(x)) yield* flat(x as readonly unknown[]); else yield x;
}
