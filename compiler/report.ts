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
    buffers: readonly { name: string; elements: string; holds?: readonly string[]; bytesPerRow: number; staticBytes: number }[];
    /**
     * Training pass: the forward values its backward part reads again, where they are kept and their
     * size. Values in "row locals" live in the fused batch loop's locals and take no workspace memory;
     * their bytes say what they would cost as a buffer.
     */
    savedForBackward?: readonly { name: string; math: string; storage: string; elements: string; bytesPerRow: number; staticBytes: number }[];
    /** Training pass: inputs and parameters the backward part reads where they are (nothing is saved). */
    readInPlace?: readonly string[];
  }[];
  readonly emitted: { readonly lines: number; readonly bytes: number };
  /** Flops per batch row and static flops of the training step (forward + backward), after optimization. */
  readonly flops: number;
}

export function buildReport(optimized: Optimized, traced: Graph, memory: readonly MemoryPlan[], code: string, dtype: "f32" | "f64", batch = 64): CompileReport {
  const bytes = dtype === "f32" ? 4 : 8;
  let flopsBefore = flops(traced, batch);
  const passes = optimized.report.map((r) => {
    const entry = { pass: r.pass, nodesBefore: r.nodesBefore, nodesAfter: r.nodesAfter, flopsBefore, flopsAfter: r.flops ?? flopsBefore, changes: r.changes, notes: r.notes };
    flopsBefore = entry.flopsAfter;
    return entry;
  });
  const sizeOf = (elements: string) => {
    const m = /^(?:n \* )?(\d+)$|^n$/.exec(elements);
    const perRow = elements.startsWith("n") ? (elements === "n" ? 1 : Number(m?.[1] ?? 0)) : 0;
    return { bytesPerRow: perRow * bytes, staticBytes: elements.startsWith("n") ? 0 : Number(elements) * bytes };
  };
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
    const perRow = m.buffers.reduce((a, b) => a + b.bytesPerRow, 0);
    const fixed = m.buffers.reduce((a, b) => a + b.staticBytes, 0);
    out.push(`  ${m.pass}: ${m.buffers.length} buffers, ${perRow} bytes per batch row + ${fixed} bytes`);
    for (const b of m.buffers) {
      const size = b.bytesPerRow ? `${b.bytesPerRow} B/row` : `${b.staticBytes} B`;
      out.push(`    ${b.name.padEnd(16)} ${b.elements.padEnd(10)} ${b.holds ? `${size.padEnd(10)} holds ${b.holds.join(" → ")} (their lifetimes do not overlap)` : size}`);
    }
    if (m.savedForBackward) {
      const inBuffers = m.savedForBackward.filter((s) => s.storage === "buffer");
      const total = (f: "bytesPerRow" | "staticBytes") => inBuffers.reduce((a, s) => a + s[f], 0);
      out.push(`    saved for backward (forward values the backward part reads again): ${m.savedForBackward.length ? `${total("bytesPerRow")} bytes per batch row + ${total("staticBytes")} bytes in buffers` : "none"}`);
      for (const s of m.savedForBackward) {
        const size = s.bytesPerRow ? `${s.bytesPerRow} B/row` : `${s.staticBytes} B`;
        const where = s.storage === "buffer" ? size : `${size} if stored; kept in ${s.storage}, no buffer`;
        out.push(`      ${s.name.padEnd(14)} ${s.elements.padEnd(10)} ${where}   ${s.math}`);
      }
      if (m.readInPlace?.length) out.push(`    read in place by the backward part (inputs and parameters, nothing saved): ${m.readInPlace.join(", ")}`);
    }
  }
  out.push("", `emitted: ${r.emitted.lines} lines, ${r.emitted.bytes} bytes; training step ≈ ${fmt(r.flops)} flops at batch ${batch}`);
  return out.join("\n") + "\n";
}

const fmt = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));
