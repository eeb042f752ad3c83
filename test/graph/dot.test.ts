// The DOT output, read back by Graphviz itself: the WebAssembly build of Graphviz in
// @hpcc-js/wasm-graphviz parses it with Graphviz's own grammar and lays it out (no system Graphviz
// needed). Its JSON output lists every node, cluster and edge with the attributes it understood, so
// the test compares them with the drawing; broken text must be refused.
import { Graphviz } from "@hpcc-js/wasm-graphviz";
import { beforeAll, describe, expect, test } from "vitest";
import { dotString, toDot } from "../../compiler/graph/dot.js";
import { drawing, type Drawing } from "../../compiler/graph/model.js";
import { EXAMPLES, exampleDrawing, HOSTILE_WEIGHT, hostileGraph, MODES, modeName } from "./drawings.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

/** The parts of Graphviz's `-Tjson` output the test reads. */
interface GvJson {
  readonly _subgraph_cnt: number;
  readonly objects: readonly { readonly _gvid: number; readonly name: string; readonly label?: string; readonly shape?: string; readonly nodes?: readonly number[] }[];
  readonly edges?: readonly { readonly tail: number; readonly head: number; readonly style?: string }[];
}

let graphviz: Graphviz;
beforeAll(async () => {
  graphviz = await Graphviz.load();
});

/** Graphviz's reading of DOT text (throws on a syntax error). */
const read = (dot: string): GvJson => JSON.parse(graphviz.layout(dot, "json", "dot")) as GvJson;

/** DOT's own escapes in a label as Graphviz reports it: \" is a quote, \\ a backslash, \n a centred line break. */
const unescapeDot = (s: string): string => s.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));

function expectSameGraph(d: Drawing): void {
  const json = read(toDot(d));
  const clusters = json.objects.slice(0, json._subgraph_cnt);
  const nodes = json.objects.slice(json._subgraph_cnt);
  expect(nodes.map((n) => n.name).sort()).toEqual(d.nodes.map((n) => n.key).sort()); // clustered nodes are written first
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const n of nonEmpty(d.nodes, "nodes")) expect(unescapeDot(byName.get(n.key)!.label!)).toBe(n.label);

  const nameOf = new Map(json.objects.map((o) => [o._gvid, o.name]));
  const edges = json.edges ?? [];
  expect(edges.map((e) => [nameOf.get(e.tail), nameOf.get(e.head)])).toEqual(d.edges.map((e) => [e.from, e.to]));
  expect(edges.map((e) => e.style === "dashed")).toEqual(d.edges.map((e) => e.backward));

  expect(clusters.map((c) => c.name)).toEqual(d.clusters.map((c) => `cluster_${c.key}`));
  for (const c of d.clusters) {
    const gv = clusters.find((x) => x.name === `cluster_${c.key}`)!;
    expect((gv.nodes ?? []).map((id) => nameOf.get(id)).sort()).toEqual([...c.members].sort());
    expect(unescapeDot(gv.label!)).toBe(c.label.join("\n"));
  }
}

describe.each(EXAMPLES)("examples/%s is read back by Graphviz", (name) => {
  test.each(MODES.map((m) => [modeName(m), m] as const))("%s", async (_, mode) => {
    const d = await exampleDrawing(name, mode);
    expectSameGraph(d);
  });
});

test("the picture: SVG with one group per node, cluster and edge", async () => {
  const d = await exampleDrawing("simple", { backward: true, fused: true });
  const svg = graphviz.layout(toDot(d), "svg", "dot");
  expect(svg).toMatch(/^<\?xml[^]*<svg /);
  expect(svg.match(/<g id="node\d+" class="node">/g)!.length).toBe(d.nodes.length);
  expect(svg.match(/<g id="clust\d+" class="cluster">/g)!.length).toBe(d.clusters.length);
  expect(svg.match(/<g id="edge\d+" class="edge">/g)!.length).toBe(d.edges.length);
  expect(svg).toContain("∂L/∂W1 = matmul aᵀ·b · [1,2] · matmul&#39;");
});

test("shapes tell inputs, parameters, constants, the loss and gradients apart", async () => {
  const d = await exampleDrawing("simple", { backward: true, fused: false });
  const json = read(toDot(d));
  const shapeOf = new Map(json.objects.map((o) => [o.name, o.shape]));
  const shapes = (role: string) => new Set(d.nodes.filter((n) => n.role === role).map((n) => shapeOf.get(n.key)));
  expect(shapes("input")).toEqual(new Set(["parallelogram"]));
  expect(shapes("param")).toEqual(new Set(["cylinder"]));
  expect(shapes("constant")).toEqual(new Set(["circle"]));
  expect(shapes("loss")).toEqual(new Set(["doubleoctagon"]));
  expect(toDot(d)).toMatch(/n\d+ \[label="dh1 = matmul a·bᵀ · \[N,2\] · matmul'", shape=box, style="filled,rounded,dashed"/);
});

test("hostile names survive Graphviz's parser unchanged", () => {
  for (const mode of MODES) {
    const d = drawing(hostileGraph(), { source: "model.ts", ...mode });
    expect(d.nodes.some((n) => n.label.includes(HOSTILE_WEIGHT))).toBe(true);
    expectSameGraph(d);
  }
});

test("escaping: backslashes and quotes, line breaks as \\n", () => {
  expect(dotString('a "b" \\l c')).toBe('"a \\"b\\" \\\\l c"');
  expect(dotString("two\nlines")).toBe('"two\\nlines"');
  expect(dotString("∂L/∂W ⊙ Wᵀ")).toBe('"∂L/∂W ⊙ Wᵀ"');
});

describe("negative controls: Graphviz refuses broken output", () => {
  test("an unescaped quote in a label", async () => {
    const text = toDot(await exampleDrawing("simple", MODES[3]));
    read(text); // the real output parses …
    const broken = text.replace('label="h1 = relu · [N,2]"', 'label="h1 = "relu" · [N,2]"');
    expect(broken).not.toBe(text);
    expect(() => read(broken)).toThrow(/syntax error/);
  });

  test("an unclosed cluster", async () => {
    const text = toDot(await exampleDrawing("xor", MODES[1]));
    const broken = text.replace(/\n {2}\}\n/, "\n");
    expect(broken).not.toBe(text);
    expect(() => read(broken)).toThrow(/syntax error/);
  });
});
