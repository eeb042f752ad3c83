// The Mermaid output, read back by Mermaid itself (the `mermaid` package's flowchart parser and its
// graph database, as a browser runs them). Every example in every mode must parse into exactly the
// drawn nodes, edges and kernel subgraphs, with the labels intact; hostile names must survive; and
// broken text must be refused (the parser is really running).
//
// Mermaid sanitizes labels with DOMPurify, which needs a `window` when it is imported: the test gives
// it a jsdom window and then imports Mermaid. (Not vitest's jsdom environment: that would also swap
// Node's URL and friends under the compiler, which loads model.ts with Node APIs.)
import { JSDOM } from "jsdom";
import type { Mermaid } from "mermaid";
import { beforeAll, describe, expect, test } from "vitest";
import { drawing, type Drawing } from "../../compiler/graph/model.js";
import { mermaidText, toMermaid } from "../../compiler/graph/mermaid.js";
import { EXAMPLES, exampleDrawing, HOSTILE_INPUT, HOSTILE_WEIGHT, hostileGraph, MODES, modeName } from "./drawings.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

interface FlowVertex {
  readonly id: string;
  readonly text: string;
  readonly type?: string;
  readonly classes: readonly string[];
}
interface FlowEdge {
  readonly start: string;
  readonly end: string;
  readonly stroke: string;
}
interface FlowSubGraph {
  readonly id: string;
  readonly title: string;
  readonly nodes: readonly string[];
}
interface FlowDb {
  getVertices(): Map<string, FlowVertex>;
  getEdges(): FlowEdge[];
  getSubGraphs(): FlowSubGraph[];
}

let mermaid: Mermaid;
beforeAll(async () => {
  const { window } = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
  Object.assign(globalThis, { window, document: window.document });
  mermaid = (await import("mermaid")).default;
  mermaid.initialize({ startOnLoad: false });
});

/** Parses with Mermaid (throws on a syntax error) and returns its flowchart database. */
async function parseFlowchart(text: string): Promise<FlowDb> {
  const result = await mermaid.parse(text);
  expect(result).toMatchObject({ diagramType: "flowchart-v2" });
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  return diagram.db as unknown as FlowDb;
}

/** Mermaid keeps entity codes as placeholders until it renders; this is its own decoding, then HTML's. */
const decode = (s: string): string =>
  s
    .replace(/ﬂ°°(\d+)¶ß/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/ﬂ°(\w+)¶ß/g, (_, name: string) => ({ quot: '"', amp: "&", lt: "<", gt: ">" })[name] ?? `&${name};`);

/** The drawing and Mermaid's reading of its text agree: same nodes and labels, edges, clusters. */
async function expectSameGraph(d: Drawing): Promise<void> {
  const db = await parseFlowchart(toMermaid(d));
  const clusterKeys = new Set(d.clusters.map((c) => c.key));
  const vertices = [...db.getVertices().values()].filter((v) => !clusterKeys.has(v.id)); // Mermaid lists subgraphs as vertices too
  expect(vertices.map((v) => v.id).sort()).toEqual(d.nodes.map((n) => n.key).sort());
  const byId = new Map(vertices.map((v) => [v.id, v]));
  for (const n of nonEmpty(d.nodes, "nodes")) {
    const v = byId.get(n.key)!;
    expect(decode(v.text)).toBe(n.label);
    expect(v.classes).toEqual([n.role]);
  }
  const edges = db.getEdges();
  expect(edges.map((e) => [e.start, e.end])).toEqual(d.edges.map((e) => [e.from, e.to]));
  expect(edges.map((e) => e.stroke === "dotted")).toEqual(d.edges.map((e) => e.backward));
  const subgraphs = db.getSubGraphs();
  expect(subgraphs.map((s) => s.id).sort()).toEqual(d.clusters.map((c) => c.key).sort());
  for (const c of d.clusters) {
    const s = subgraphs.find((x) => x.id === c.key)!;
    expect([...s.nodes].sort()).toEqual([...c.members].sort());
    expect(decode(s.title)).toBe(c.label.join("<br>"));
  }
}

describe.each(EXAMPLES)("examples/%s parses with Mermaid", (name) => {
  test.each(MODES.map((m) => [modeName(m), m] as const))("%s", async (_, mode) => {
    const d = await exampleDrawing(name, mode);
    await expectSameGraph(d);
    if (mode.fused) expect(d.clusters.length).toBeGreaterThan(0);
  });
});

test("hostile names: quotes, brackets, entity codes, comment openers, newlines and Unicode survive", async () => {
  for (const mode of MODES) {
    const d = drawing(hostileGraph(), { source: "model.ts", ...mode });
    expect(d.nodes.some((n) => n.label.includes(HOSTILE_WEIGHT))).toBe(true);
    await expectSameGraph(d);
    const text = toMermaid(d);
    // Newlines in names cannot start a statement of their own.
    expect(text.split("\n").every((l) => !/^\s*digraph/.test(l))).toBe(true);
  }
  const input = drawing(hostileGraph(), { source: "model.ts" }).nodes.find((n) => n.role === "input" && n.label.startsWith("x"))!;
  expect(input.label).toBe(`${HOSTILE_INPUT.replace(/[\n\u2028]/g, " ")} = input · [N,2]`); // labels are one line
});

test("escaping: entity codes for Mermaid's syntax characters, Unicode math kept", () => {
  expect(mermaidText('a "b" #1 <c> & `d` 50%')).toBe("a #quot;b#quot; #35;1 #lt;c#gt; #amp; #96;d#96; 50#37;");
  expect(mermaidText("∂L/∂W ⊙ Wᵀ · Σ_axis0")).toBe("∂L/∂W ⊙ Wᵀ · Σ_axis0");
  expect(mermaidText("two\nlines\u2028")).toBe("two lines ");
});

describe("negative controls: the parser refuses broken output", () => {
  test("an unescaped quote in a label", async () => {
    const text = toMermaid(await exampleDrawing("simple", MODES[3]));
    await parseFlowchart(text); // the real output parses …
    const broken = text.replace('n8["h1 = relu · [N,2]"]', 'n8["h1 = "relu" · [N,2]"]');
    expect(broken).not.toBe(text);
    await expect(mermaid.parse(broken)).rejects.toThrow(/Parse error/);
  });

  test("an unterminated subgraph", async () => {
    const text = toMermaid(await exampleDrawing("xor", MODES[1]));
    const broken = text.replace(/\n {2}end\n/, "\n");
    expect(broken).not.toBe(text);
    await expect(mermaid.parse(broken)).rejects.toThrow();
  });

  test("an unclosed node shape", async () => {
    const text = toMermaid(await exampleDrawing("worked", MODES[0]));
    const broken = text.replace('"/]', '"/');
    expect(broken).not.toBe(text);
    await expect(mermaid.parse(broken)).rejects.toThrow(/Parse error/);
  });
});
