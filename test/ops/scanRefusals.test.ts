// scan's and part's shape rules reached through the ops themselves: the DSL's scan checks carries and
// sequences before it builds the node (test/ops/scan.test.ts), so the op's own rule was reached only by
// the derivative (vjpParts), which builds the reverse scan with matching shapes. Found untested by
// reading ops-core for the mutation run (test/MUTATION.md).
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { scan } from "../../compiler/dsl/scan.js";
import { make } from "../../compiler/ir/context.js";
import type { Node } from "../../compiler/ir/node.js";
import { part, scanOp } from "../../compiler/ops/scan.js";
import { refusal } from "../helpers/refusal.js";
import { inFreshContext } from "../passes/util.js";

const B = "batch";

/** A tanh RNN over xs [batch, 4, 2] with a [batch, 3] state: the scan node and its inputs. */
function rnn(): Node {
  const xs = d.input("xs", [B, 4, 2]);
  const W = d.param("W", [2, 3]), U = d.param("U", [3, 3]);
  const r = scan((h: Node, x: Node) => ({ carry: d.tanh(d.add(d.matmul(x, W), d.matmul(h, U))) }), d.zeros([B, 3]), xs as Node);
  const carry = r.carry as Node;
  expect(carry.op).toBe("part");
  return carry.inputs[0]!;
}

describe("scan's shape rule", () => {
  it("accepts the inputs it was traced with (carry, sequence, captured weights)", () => {
    inFreshContext(() => {
      const node = rnn();
      expect(make(scanOp, node.inputs, node.attrs).shape).toEqual([]);
      expect(part(node, 0).shape).toEqual([B, 3]);
    });
  });
  it("refuses another number of inputs than the body has", () => {
    expect(refusal(() => { const node = rnn(); return make(scanOp, node.inputs.slice(1), node.attrs); })).toMatch(/^GC2001 scan: 3 inputs for a body of 4$/);
  });
  it("refuses a sequence of another length, a carry of another width, a weight of another shape", () => {
    const swap = (k: number, shape: (number | string)[]) => () => {
      const node = rnn();
      const inputs = [...node.inputs];
      inputs[k] = d.input("other", shape) as Node;
      return make(scanOp, inputs, node.attrs);
    };
    expect(refusal(swap(1, [B, 5, 2]))).toBe("GC2001 scan: input 1 has shape [batch, 5, 2], the body needs [batch, 4, 2]");
    expect(refusal(swap(0, [B, 4]))).toBe("GC2001 scan: input 0 has shape [batch, 4], the body needs [batch, 3]");
    expect(refusal(swap(2, [3, 3]))).toMatch(/^GC2001 scan: input 2 has shape \[3, 3\], the body needs \[(2, 3|3, 3)\]$/);
  });
  it("part refuses a result the scan does not have", () => {
    expect(refusal(() => part(rnn(), 5))).toBe("GC2001 part: scan has no result 5");
  });
});
