// Runs consecutive kernels inside one loop over the batch, so a small network's whole training step
// is one pass over the rows: every value of row i is computed, used and differentiated while it
// is hot, and sums over the batch (loss, bias and weight gradients) accumulate as the loop goes.
//
// A kernel joins the open loop when everything it reads from the loop's kernels it reads at row i,
// and none of it is a sum over the batch (complete only after the loop). A kernel without a batch
// loop (a scalar such as 1/N) that reads nothing from the open loop is hoisted in front of it;
// one that does read from it goes after the loop, and then nothing reading it may join.
import type { Node } from "../ir/node.js";
import type { KernelCode } from "./kernelCode.js";
import { append } from "./lines.js";

/** `section(k)` may return a heading to print where k is placed in a loop or in sequence (not hoisted). */
export function fuseBatchLoops(
  codes: readonly KernelCode[],
  section?: (k: KernelCode) => string | null,
): { lines: string[]; loopOf: Map<Node, number>; segmentOf: Map<Node, number> } {
  const out: string[] = [];
  /** Kernel node → which batch loop its body runs in. */
  const loopOf = new Map<Node, number>();
  /**
   * Kernel node → the stretch of code it runs in, counted in order: a fused batch loop with what is
   * hoisted before it is one stretch, each kernel placed after the loop or on its own another. Values
   * of one stretch are all alive at once (rows interleave); the memory plan (../lower/memory.ts) lets
   * buffers whose stretches do not overlap share an array. A kernel that joins the loop after kernels
   * were placed after it keeps the loop's (earlier) stretch: its values only live longer for it.
   */
  const segmentOf = new Map<Node, number>();
  let segments = 0;
  let groupSegment = 0;
  let loops = 0;
  let group: { pre: string[]; body: string[]; post: string[]; rows: Set<Node>; after: Set<Node> } | null = null;
  let hoisted: string[] = [];

  const flush = () => {
    if (!group) return;
    append(out, hoisted, group.pre, ["for (let i = 0; i < n; i++) {"], group.body, ["}"], group.post);
    group = null;
    hoisted = [];
  };
  const readsFrom = (k: KernelCode, nodes: Set<Node>) => [...k.reads.keys()].some((r) => nodes.has(r));
  const rowLocal = (k: KernelCode, g: NonNullable<typeof group>) =>
    [...k.reads].every(([r, idx]) => !g.after.has(r) && (!g.rows.has(r) || (idx.size === 1 && idx.has("i"))));

  for (const k of codes) {
    const heading = () => section?.(k) ?? null;
    if (k.loop) {
      if (group && !rowLocal(k, group)) flush();
      if (!group) {
        loops++;
        groupSegment = ++segments;
      }
      segmentOf.set(k.node, groupSegment);
      group ??= { pre: [], body: [], post: [], rows: new Set(), after: new Set() };
      loopOf.set(k.node, loops);
      const h = heading();
      if (h) group.body.push(h);
      append(group.pre, k.pre);
      append(group.body, [k.comment], k.loop);
      append(group.post, k.post);
      for (const w of [k.node, ...k.writes]) {
        (k.accumulates ? group.after : group.rows).add(w);
        if (k.post.length) group.after.add(w);
      }
    } else if (group && !readsFrom(k, group.rows) && !readsFrom(k, group.after)) {
      segmentOf.set(k.node, groupSegment);
      append(hoisted, [k.comment], k.pre, k.post);
    } else if (group) {
      // After the loop, in order: a stretch of its own, so what it writes may reuse an array that the
      // loop's values or an earlier kernel after the loop no longer need.
      segmentOf.set(k.node, ++segments);
      const h = heading();
      append(group.post, h ? [h] : [], [k.comment], k.pre, k.post);
      for (const w of [k.node, ...k.writes]) group.after.add(w);
    } else {
      segmentOf.set(k.node, ++segments);
      const h = heading();
      append(out, h ? [h] : [], [k.comment], k.pre, k.post);
    }
  }
  flush();
  return { lines: out, loopOf, segmentOf };
}
