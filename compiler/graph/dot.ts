// A Drawing as a Graphviz DOT digraph. Labels are DOT double-quoted strings: `\` and `"` are escaped
// and line breaks are written as `\n` (DOT's own escapes, like \l or \N, therefore cannot arise from a
// model name). Node shapes and colours follow the same roles as the Mermaid output; each kernel is a
// `subgraph cluster_k…`. Rendered by Graphviz (WebAssembly build) in test/graph/dot.test.ts.
import type { DrawnNode, Drawing, Role } from "./model.js";
import { BACKWARD_EDGE_COLOR, CLUSTER_STYLE, ROLE_STYLES, TEXT_COLOR } from "./style.js";

/** A DOT double-quoted string holding `s`. */
export function dotString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r\n|[\n\r\u2028\u2029]/g, "\\n").replace(/[\u0000-\u001f\u007f]/g, " ")}"`;
}

/** A multi-line label: the lines joined by DOT's centred line break. */
const dotLines = (lines: readonly string[]): string => dotString(lines.join("\n"));

const SHAPES: Readonly<Record<Role, string>> = {
  input: "parallelogram",
  param: "cylinder",
  constant: "circle",
  value: "box",
  output: "box",
  loss: "doubleoctagon",
  gradient: "box",
  paramGradient: "box",
};

function nodeStatement(n: DrawnNode): string {
  const s = ROLE_STYLES[n.role];
  const style = ["filled", ...(n.role === "gradient" || n.role === "paramGradient" || n.role === "output" ? ["rounded"] : []), ...(s.dashed ? ["dashed"] : []), ...(s.bold ? ["bold"] : [])];
  const attrs = [
    `label=${dotString(n.label)}`,
    `shape=${SHAPES[n.role]}`,
    `style=${dotString(style.join(","))}`,
    `fillcolor=${dotString(s.fill)}`,
    `color=${dotString(s.stroke)}`,
    ...(n.role === "constant" ? ["width=0.3", "fontsize=9"] : []),
    ...(n.where ? [`tooltip=${dotString(n.where)}`] : []),
  ];
  return `${n.key} [${attrs.join(", ")}];`;
}

export function toDot(d: Drawing): string {
  const out: string[] = [
    `// ${d.title.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, " ")}`,
    "digraph gradc {",
    `  graph [label=${dotString(d.title)}, labelloc=t, fontname="Helvetica", fontsize=12, rankdir=TB, newrank=true];`,
    `  node [fontname="Helvetica", fontsize=11, fontcolor=${dotString(TEXT_COLOR)}];`,
    `  edge [color="#4b5563", arrowsize=0.7];`,
  ];
  const byKey = new Map(d.nodes.map((n) => [n.key, n]));
  const clustered = new Set(d.clusters.flatMap((c) => c.members));
  for (const c of d.clusters) {
    out.push(`  subgraph cluster_${c.key} {`);
    out.push(`    graph [label=${dotLines(c.label)}, style="rounded,filled", fillcolor=${dotString(CLUSTER_STYLE.fill)}, color=${dotString(CLUSTER_STYLE.stroke)}, fontsize=10];`);
    for (const m of c.members) out.push(`    ${nodeStatement(byKey.get(m)!)}`);
    out.push("  }");
  }
  for (const n of d.nodes) if (!clustered.has(n.key)) out.push(`  ${nodeStatement(n)}`);
  for (const e of d.edges) out.push(`  ${e.from} -> ${e.to}${e.backward ? ` [style=dashed, color=${dotString(BACKWARD_EDGE_COLOR)}]` : ""};`);
  out.push("}");
  return `${out.join("\n")}\n`;
}
