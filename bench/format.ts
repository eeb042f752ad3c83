// How the bench's report writes numbers and the machine: medians, rates, ratios, ranges, and the lines
// naming the date, machine and node. Shared by every section of the report (report*.ts) and the f32 vs
// f64 file of `--dtype-compare`, so the same number always reads the same.

import { readFileSync } from "node:fs";
import os from "node:os";
import { args } from "./options.js";

/** The median of the repetitions (the report's one summary of a set of rates). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A rate or size with 2–3 significant digits, grouped thousands from 100,000 on. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e5) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** A speed ratio: `1.23×`, `1,234×`. */
export function ratio(x: number): string {
  return x >= 100 ? `${Math.round(x).toLocaleString("en-US")}×` : `${x.toPrecision(3)}×`;
}

/** A set of rates as `[min–max]`. */
export function range(xs: readonly number[]): string {
  return `[${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}]`;
}

/** Which of f32 and f64 is faster, given their rates, and by how much. */
export const faster = (a: number, b: number) => (a >= b ? `f32, ${ratio(a / b)}` : `f64, ${ratio(b / a)}`);

/** The report's first lines: the date, the machine, node and V8. */
export function machine(date: string): string[] {
  let cpu = os.cpus()[0]?.model ?? "?";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpu = m[1]!.trim();
  } catch {
    /* not Linux */
  }
  return [
    `- date: ${date}`,
    `- machine: ${os.type()} ${os.release()} ${os.arch()}, ${cpu}, ${os.cpus().length} logical CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- node ${process.version} (V8 ${process.versions.v8})${args["relaxed-simd"] ? ", workload processes with --experimental-wasm-relaxed-simd (gradc f32 fastMath's fused kernel; jax-js's relaxed madd)" : ""}`,
  ];
}
