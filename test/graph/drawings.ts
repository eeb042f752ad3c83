// Shared by the graph tests: every example, optimized once, drawn in the four modes; and a model whose
// parameter and input names are hostile to both output formats (quotes, brackets, entity codes,
// comment openers, backslash escapes, newlines, Unicode).
import { basename } from "node:path";
import * as d from "../../compiler/dsl/core.js";
import { createContext } from "../../compiler/ir/context.js";
import { model, trace } from "../../compiler/dsl/model.js";
import { loadModel } from "../../compiler/frontend/load.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { drawing, type Drawing } from "../../compiler/graph/model.js";
import { optimize } from "../../compiler/pipeline.js";
import { exampleModel, exampleNames } from "../examples/util.js";
import { differentiateBody } from "../../compiler/autodiff/scanBody.js";

export const EXAMPLES = exampleNames();
export const MODES = [
  { backward: false, fused: false },
  { backward: false, fused: true },
  { backward: true, fused: false },
  { backward: true, fused: true },
] as const;
export type Mode = (typeof MODES)[number];
export const modeName = (m: Mode) => `${m.backward ? "backward" : "forward"}${m.fused ? " --fused" : ""}`;

const optimizedExamples = new Map<string, Promise<Graph>>();
/** The example's graph after the compiler's pipeline (loaded once per test file). */
export function optimizedExample(name: string): Promise<Graph> {
  let g = optimizedExamples.get(name);
  if (!g) {
    g = loadModel(exampleModel(name)).then((traced) => optimize(traced).graph);
    optimizedExamples.set(name, g);
  }
  return g;
}

export async function exampleDrawing(name: string, mode: Mode): Promise<Drawing> {
  return drawing(await optimizedExample(name), { source: basename(exampleModel(name)), ...mode });
}

export const HOSTILE_WEIGHT = 'W"] --> x; end %% #quot; <br> `md` \\l \\N ∂L/∂W ⊙ Wᵀ';
export const HOSTILE_INPUT = 'x\n"}]; digraph { evil }\u2028#35; & <b>';

/** A 2-1 linear model with names chosen to break unescaped Mermaid or DOT. */
export const hostileGraph = (): Graph =>
  optimize(
    trace(
      model("hostile", () => {
        const x = d.input(HOSTILE_INPUT, ["batch", 2]);
        const y = d.input("y", ["batch", 1]);
        const W = d.param(HOSTILE_WEIGHT, [2, 1], { init: "xavier" });
        const b = d.param("b", [1], { init: "zeros" });
        const out = d.sigmoid(d.add(d.matmul(x, W), b));
        return { loss: d.mse(out, y), outputs: { "out\"[]": out } };
      }),
      createContext({ differentiateBody }),
    ),
  ).graph;
