// `gradc compile --report`: what each pass changed (nodes and flops before and after), which
// stabilizing rewrites fired and where in model.ts, the memory plan of each generated pass (buffers,
// their sizes, which hold forward values the backward pass reads), and the size of the emitted code.
import type { Graph } from "./ir/graph.js";
import type { MemoryPlan } from "./emit/module.js";
import type { Optimized } from "./pipeline.js";
import { flops } from "./ir/flops.js";

export interface CompileReport {
  readonly model: string;
  readonly passes: readonly { pass: string; nodesBefore: number; nodesAfter: number; flopsBefore: number; flopsAfter: number; changes: number; notes: readonly string[] }[];
  readonly stabilized: readonly string[];
  readonly memory: readonly {
    pass: string;
    buffers: readonly ({ name: string; elements: string; holds?: readonly string[] } & Bytes)[];
    /**
     * Training pass: the forward values its backward part reads again, where they are kept and their
     * size. Values in "row locals" live in the fused batch loop's locals and take no workspace memory;
     * their bytes say what they would cost as a buffer.
     */
    savedForBackward?: readonly ({ name: string; math: string; storage: string; elements: string } & Bytes)[];
    /** Training pass: inputs and parameters the backward part reads where they are (nothing is saved). */
    readInPlace?: readonly string[];
  }[];
  readonly emitted: { readonly lines: number; readonly bytes: number };
  /** Flops per batch row and static flops of the training step (forward + backward), after optimization. */
  readonly flops: number;
}

/**
 * A buffer's size in bytes: `staticBytes` when it has no batch dimension, `bytesPerRow` per batch row
 * when it has one, and, for a value with the batch dimension more than once (a [batch, batch]
 * similarity matrix holds n² elements), `bytesPerBatchPower`: bytes × n^power, the other two then 0.
 */
export interface Bytes {
  readonly bytesPerRow: number;
  readonly staticBytes: number;
  readonly bytesPerBatchPower?: { readonly power: number; readonly bytes: number };
}

/** The bytes of an element count as the emitter writes it: "12", "n * 4", "n * n * 3". */
export function bytesOf(elements: string, bytesPerElement: number): Bytes {
  const factors = elements.split(" * ");
  const power = factors.filter((f) => f === "n").length;
  const bytes = factors.filter((f) => f !== "n").reduce((a, f) => a * Number(f), 1) * bytesPerElement;
  if (power === 0) return { bytesPerRow: 0, staticBytes: bytes };
  if (power === 1) return { bytesPerRow: bytes, staticBytes: 0 };
  return { bytesPerRow: 0, staticBytes: 0, bytesPerBatchPower: { power, bytes } };
}

export function buildReport(optimized: Optimized, traced: Graph, memory: readonly MemoryPlan[], code: string, dtype: "f32" | "f64", batch = 64): CompileReport {
  const bytes = dtype === "f32" ? 4 : 8;
  let flopsBefore = flops(traced, batch);
  const passes = optimized.report.map((r) => {
    const entry = { pass: r.pass, nodesBefore: r.nodesBefore, nodesAfter: r.nodesAfter, flopsBefore, flopsAfter: r.flops ?? flopsBefore, changes: r.changes, notes: r.notes };
    flopsBefore = entry.flopsAfter;
    return entry;
  });
  const sizeOf = (elements: string) => bytesOf(elements, bytes);
  return {
    model: optimized.graph.name,
    passes,
    stabilized: optimized.report.filter((r) => r.pass === "stabilize").flatMap((r) => r.notes),
    memory: memory.map((m) => ({
      pass: m.pass,
      buffers: m.buffers.map((b) => ({ ...b, ...sizeOf(b.elements) })),
      ...(m.savedForBackward ? { savedForBackward: m.savedForBackward.map((s) => ({ ...s, ...sizeOf(s.elements) })) } : {}),
      ...(m.readInPlace ? { readInPlace: m.readInPlace } : {}),
    })),
    emitted: { lines: code.split("\n").length, bytes: Buffer.byteLength(code) },
    flops: flops(optimized.graph, batch),
  };
}

export function formatReport(r: CompileReport, batch = 64): string {
  const out: string[] = [`gradc report for model "${r.model}" (flops counted at batch ${batch})`, "", "passes:"];
  const w = Math.max(...r.passes.map((p) => p.pass.length));
  for (const p of r.passes) {
    out.push(`  ${p.pass.padEnd(w)}  nodes ${String(p.nodesBefore).padStart(4)} → ${String(p.nodesAfter).padEnd(4)}  flops ${fmt(p.flopsBefore)} → ${fmt(p.flopsAfter).padEnd(8)}  ${p.changes} change${p.changes === 1 ? "" : "s"}`);
    for (const note of p.notes) out.push(`      ${note}`);
  }
  out.push("", r.stabilized.length ? "stabilizing rewrites:" : "stabilizing rewrites: none needed");
  for (const s of r.stabilized) out.push(`  ${s}`);
  out.push("", "memory plan (workspace buffers per generated pass):");
  for (const m of r.memory) {
    out.push(`  ${m.pass}: ${m.buffers.length} buffers, ${total(m.buffers)}`);
    for (const b of m.buffers) {
      const size = sizeText(b);
      out.push(`    ${b.name.padEnd(16)} ${b.elements.padEnd(10)} ${b.holds ? `${size.padEnd(10)} holds ${b.holds.join(" → ")} (their lifetimes do not overlap)` : size}`);
    }
    if (m.savedForBackward) {
      const inBuffers = m.savedForBackward.filter((s) => s.storage === "buffer");
      out.push(`    saved for backward (forward values the backward part reads again): ${m.savedForBackward.length ? `${total(inBuffers)} in buffers` : "none"}`);
      for (const s of m.savedForBackward) {
        const size = sizeText(s);
        const where = s.storage === "buffer" ? size : `${size} if stored; kept in ${s.storage}, no buffer`;
        out.push(`      ${s.name.padEnd(14)} ${s.elements.padEnd(10)} ${where}   ${s.math}`);
      }
      if (m.readInPlace?.length) out.push(`    read in place by the backward part (inputs and parameters, nothing saved): ${m.readInPlace.join(", ")}`);
    }
  }
  out.push("", `emitted: ${r.emitted.lines} lines, ${r.emitted.bytes} bytes; training step ≈ ${fmt(r.flops)} flops at batch ${batch}`);
  return out.join("\n") + "\n";
}

const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";
/** n², n³: the batch size to a power. */
const nPower = (p: number) => `n${[...String(p)].map((d) => SUPERSCRIPT[Number(d)]).join("")}`;

/** "32 B/row", "96 B", or "8 B × n²" for a value with the batch dimension twice. */
const sizeText = (b: Bytes): string =>
  b.bytesPerBatchPower ? `${b.bytesPerBatchPower.bytes} B × ${nPower(b.bytesPerBatchPower.power)}` : b.bytesPerRow ? `${b.bytesPerRow} B/row` : `${b.staticBytes} B`;

/** "552 bytes per batch row + 96 bytes", with "+ 8 bytes × n²" when values have the batch dimension twice. */
function total(bs: readonly Bytes[]): string {
  const sum = (f: (b: Bytes) => number) => bs.reduce((a, b) => a + f(b), 0);
  const powers = [...new Set(bs.flatMap((b) => (b.bytesPerBatchPower ? [b.bytesPerBatchPower.power] : [])))].sort();
  const higher = powers.map((p) => ` + ${sum((b) => (b.bytesPerBatchPower?.power === p ? b.bytesPerBatchPower.bytes : 0))} bytes × ${nPower(p)}`);
  return `${sum((b) => b.bytesPerRow)} bytes per batch row + ${sum((b) => b.staticBytes)} bytes${higher.join("")}`;
}

const fmt = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));
