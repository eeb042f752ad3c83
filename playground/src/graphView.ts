// The Graph tab: the compiled model's forward graph, or after a Step the training pass with that step's
// values, drawn by Mermaid (loaded the first time the tab is shown).
import { last } from "./compiling.js";
import { $ } from "./page.js";

/**
 * Mermaid (a large library) is loaded when the graph is first shown; each graph is drawn once: the
 * compiled model's forward graph, or after a Step the training pass with that step's values.
 */
let mermaid: Promise<typeof import("mermaid").default> | null = null;
let drawn = "";
/** The last Step's graph, until the next compile. */
let stepGraph: { readonly key: string; readonly text: string } | null = null;
export async function showGraph(): Promise<void> {
  const r = last;
  if (!r) return;
  const shown = stepGraph ?? { key: String(r.id), text: r.mermaid };
  if (drawn === shown.key) return;
  drawn = shown.key;
  mermaid ??= import("mermaid").then((m) => {
    m.default.initialize({ startOnLoad: false, securityLevel: "strict", maxTextSize: 1_000_000, maxEdges: 5000 });
    return m.default;
  });
  try {
    const { svg } = await (await mermaid).render(`graph-${shown.key.replace(":", "-")}`, shown.text);
    if (r === last) $("graph").innerHTML = svg;
  } catch (e) {
    if (r === last) $("graph").textContent = `Mermaid could not draw the graph: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** After a Step, its graph in place of the forward graph; null (on a new compile) returns to the forward graph. */
export function setStepGraph(graph: { readonly key: string; readonly text: string } | null): void {
  stepGraph = graph;
}
