// The shape rules of the convolution's and pooling's gradient ops (conv2dBackwardInput,
// conv2dBackwardFilter, maxPool2dBackward, maxPool2dSelect, avgPool2dBackward), reached through the ops
// themselves: only derivative rules build them, always with matching shapes, so a wrong rule would go
// unseen until a pass or a new derivative built one wrongly. Found untested by mutation testing
// (test/MUTATION.md, ops-conv). The forward ops' refusals, reached through the DSL, are in conv.test.ts.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import type { Node } from "../../compiler/ir/node.js";
import {
  conv2dBackwardFilter,
  conv2dBackwardInput,
} from "../../compiler/ops/conv.js";
import type { ConvAttrs } from "../../compiler/ops/convGeometry.js";
import {
  avgPool2dBackward,
  maxPool2dBackward,
  maxPool2dSelect,
  type PoolAttrs,
} from "../../compiler/ops/pool.js";
import { inFreshContext } from "../passes/util.js";
import { refusal } from "../helpers/refusal.js";

let count = 0;
const F = (shape: (number | string)[]) => d.input(`x${++count}`, shape) as Node;
const B = "batch";
/** A 3×3 filter, stride 2, padding 1: a 5×5 input gives a 3×3 output. */
const conv: ConvAttrs = {
  stride: [2, 2],
  padding: [1, 1, 1, 1],
  dilation: [1, 1],
};
/** 2×2 windows, stride 2: a 4×4 input gives 2×2. */
const pool: PoolAttrs = { size: [2, 2], stride: [2, 2], padding: [0, 0] };

describe("conv2dBackwardInput", () => {
  it("gives the input's shape from a gradient and filters that fit", () => {
    expect(
      inFreshContext(() =>
        conv2dBackwardInput(F([B, 3, 3, 4]), F([3, 3, 2, 4]), conv, [5, 5]),
      ).shape,
    ).toEqual([B, 5, 5, 2]);
  });
  it.each([
    [
      "filters with another number of output channels",
      () => conv2dBackwardInput(F([B, 3, 3, 4]), F([3, 3, 2, 5]), conv, [5, 5]),
      "GC2001 conv2dBackwardInput: the filters [3, 3, 2, 5] have 5 output channels, the gradient [batch, 3, 3, 4] has 4",
    ],
    [
      "a gradient of another size than the input gives",
      () => conv2dBackwardInput(F([B, 3, 3, 4]), F([3, 3, 2, 4]), conv, [7, 7]),
      "GC2001 conv2dBackwardInput: a 7×7 input gives a 4×4 output, the gradient is 3×3",
    ],
    [
      "a gradient of the right width but not height",
      () => conv2dBackwardInput(F([B, 4, 3, 4]), F([3, 3, 2, 4]), conv, [5, 5]),
      "GC2001 conv2dBackwardInput: a 5×5 input gives a 3×3 output, the gradient is 4×3",
    ],
    [
      "a gradient of the right height but not width",
      () => conv2dBackwardInput(F([B, 3, 4, 4]), F([3, 3, 2, 4]), conv, [5, 5]),
      "GC2001 conv2dBackwardInput: a 5×5 input gives a 3×3 output, the gradient is 3×4",
    ],
    [
      "a gradient that is not NHWC",
      () => conv2dBackwardInput(F([B, 9, 4]), F([3, 3, 2, 4]), conv, [5, 5]),
      "GC2001 conv2dBackwardInput: the output gradient must be a rank-4 NHWC tensor with static height, width and channels, got [batch, 9, 4]",
    ],
    [
      "filters of rank 3",
      () => conv2dBackwardInput(F([B, 3, 3, 4]), F([3, 3, 4]), conv, [5, 5]),
      "GC2001 conv2dBackwardInput: the filters must be a rank-4 NHWC tensor with static dimensions, got [3, 3, 4]",
    ],
  ])("refuses %s", (_, build, message) => {
    expect(refusal(build)).toBe(message);
  });
});

describe("conv2dBackwardFilter", () => {
  it("gives the filters' shape from an input and a gradient that fit", () => {
    expect(
      inFreshContext(() =>
        conv2dBackwardFilter(F([B, 5, 5, 2]), F([B, 3, 3, 4]), conv, [3, 3]),
      ).shape,
    ).toEqual([3, 3, 2, 4]);
  });
  it.each([
    [
      "an input and a gradient of different batch sizes",
      () =>
        conv2dBackwardFilter(F([B, 5, 5, 2]), F([8, 3, 3, 4]), conv, [3, 3]),
      "GC2001 conv2dBackwardFilter: the input [batch, 5, 5, 2] and the gradient [8, 3, 3, 4] differ in batch size",
    ],
    [
      "a gradient of another size than the input gives",
      () =>
        conv2dBackwardFilter(F([B, 5, 5, 2]), F([B, 2, 2, 4]), conv, [3, 3]),
      "GC2001 conv2dBackwardFilter: a 5×5 input gives a 3×3 output, the gradient is 2×2",
    ],
    [
      "a gradient wrong in its height only",
      () => conv2dBackwardFilter(F([B, 5, 5, 2]), F([B, 2, 3, 4]), conv, [3, 3]),
      "GC2001 conv2dBackwardFilter: a 5×5 input gives a 3×3 output, the gradient is 2×3",
    ],
    [
      "a gradient wrong in its width only",
      () => conv2dBackwardFilter(F([B, 5, 5, 2]), F([B, 3, 2, 4]), conv, [3, 3]),
      "GC2001 conv2dBackwardFilter: a 5×5 input gives a 3×3 output, the gradient is 3×2",
    ],
    [
      "a gradient that is not NHWC",
      () => conv2dBackwardFilter(F([B, 5, 5, 2]), F([B, 9, 4]), conv, [3, 3]),
      "GC2001 conv2dBackwardFilter: the output gradient must be a rank-4 NHWC tensor with static height, width and channels, got [batch, 9, 4]",
    ],
    [
      "an input that is not NHWC",
      () => conv2dBackwardFilter(F([B, 25, 2]), F([B, 3, 3, 4]), conv, [3, 3]),
      "GC2001 conv2dBackwardFilter: the input must be a rank-4 NHWC tensor with static height, width and channels, got [batch, 25, 2]",
    ],
  ])("refuses %s", (_, build, message) => {
    expect(refusal(build)).toBe(message);
  });
});

describe("the pooling gradients", () => {
  it("give the input's shape, and the selection the pooled one", () => {
    inFreshContext(() => {
      expect(
        maxPool2dBackward(F([B, 4, 4, 3]), F([B, 2, 2, 3]), pool).shape,
      ).toEqual([B, 4, 4, 3]);
      expect(
        maxPool2dSelect(F([B, 4, 4, 3]), F([B, 4, 4, 3]), pool).shape,
      ).toEqual([B, 2, 2, 3]);
      expect(avgPool2dBackward(F([B, 2, 2, 3]), pool, [4, 4]).shape).toEqual([
        B,
        4,
        4,
        3,
      ]);
    });
  });
  it.each([
    [
      "maxPool2dBackward: a gradient of another shape than the pooled input",
      () => maxPool2dBackward(F([B, 4, 4, 3]), F([B, 3, 3, 3]), pool),
      "GC2001 maxPool2dBackward: pooling [batch, 4, 4, 3] gives [batch, 2, 2, 3], the gradient is [batch, 3, 3, 3]",
    ],
    [
      "maxPool2dBackward: an input that is not NHWC",
      () => maxPool2dBackward(F([B, 16, 3]), F([B, 2, 2, 3]), pool),
      "GC2001 maxPool2dBackward: the input must be an NHWC tensor [batch, height, width, channels] with static height, width and channels, got [batch, 16, 3]",
    ],
    [
      "maxPool2dSelect: values of another shape than the input",
      () => maxPool2dSelect(F([B, 4, 4, 3]), F([B, 4, 4, 2]), pool),
      "GC2001 maxPool2dSelect: the values [batch, 4, 4, 2] must have the shape of the pooled input [batch, 4, 4, 3]",
    ],
    [
      "avgPool2dBackward: a gradient of another size than the input gives",
      () => avgPool2dBackward(F([B, 3, 3, 3]), pool, [4, 4]),
      "GC2001 avgPool2dBackward: pooling a 4×4 input gives 2×2, the gradient is 3×3",
    ],
    [
      "avgPool2dBackward: a gradient wrong in its height only",
      () => avgPool2dBackward(F([B, 3, 2, 3]), pool, [4, 4]),
      "GC2001 avgPool2dBackward: pooling a 4×4 input gives 2×2, the gradient is 3×2",
    ],
    [
      "avgPool2dBackward: a gradient wrong in its width only",
      () => avgPool2dBackward(F([B, 2, 3, 3]), pool, [4, 4]),
      "GC2001 avgPool2dBackward: pooling a 4×4 input gives 2×2, the gradient is 2×3",
    ],
    [
      "avgPool2dBackward: a gradient that is not NHWC",
      () => avgPool2dBackward(F([B, 4, 3]), pool, [4, 4]),
      "GC2001 avgPool2dBackward: the gradient must be an NHWC tensor [batch, height, width, channels] with static height, width and channels, got [batch, 4, 3]",
    ],
  ])("%s is refused", (_, build, message) => {
    expect(refusal(build)).toBe(message);
  });
});
