// Gradient markers become their values: stopGradient(x) → x, customGradient(y, …) → y. They say how
// to differentiate (../ops/stopGradient.ts, ../ops/customGradient.ts) and have nothing left to say
// once the gradients exist, so each generated pass is lowered from a graph without them (see
// ../emit/passGraphs.ts and ./scanBodies.ts): they cost no copy and no loop in emitted code. The
// optimized joint graph keeps them, so `gradc explain` shows where a gradient was stopped or given.
// Test: test/passes/eraseGradientMarkers.test.ts
import { rebuild } from "./rewrite.js";
import type { Pass } from "./pass.js";

const MARKERS: ReadonlySet<string> = new Set(["stopGradient", "customGradient"]);

export const eraseGradientMarkers: Pass = (g) => {
  let changes = 0;
  const { graph } = rebuild(g, (n) => {
    if (!MARKERS.has(n.op)) return undefined;
    changes++;
    return n.inputs[0];
  });
  return { graph, changes };
};
