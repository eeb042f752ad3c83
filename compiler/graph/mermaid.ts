// A Drawing as a Mermaid flowchart. Every label is a quoted string with Mermaid's entity codes for the
// characters that would end or reinterpret it (`"` → #quot;, `#` → #35;, `<` → #lt; …); Unicode such
// as ∂, ⊙, ᵀ stays as it is. Node shapes tell leaves apart (inputs are parallelograms, parameters
// cylinders, constants circles, the loss a hexagon, outputs stadiums, parameter gradients
// subroutines); classes colour them (compiler/graph/style.ts). Parsed by the real Mermaid parser in
// test/graph/mermaid.test.ts.
import type { DrawnNode, Drawing, Role } from "./model.js";
import { BACKWARD_EDGE_COLOR, CLUSTER_STYLE, ROLE_STYLES, ROLES, TEXT_COLOR } from "./style.js";

/** Text inside a Mermaid `"…"` label: entity codes for the characters Mermaid would read as syntax or HTML. */
export function mermaidText(s: string): string {
  return s
    .replace(/#/g, "#35;") // first: the codes below start with #
    .replace(/"/g, "#quot;")
    .replace(/&/g, "#amp;")
    .replace(/</g, "#lt;")
    .replace(/>/g, "#gt;")
    .replace(/`/g, "#96;") // a label opening with ` is Markdown to Mermaid
    .replace(/%/g, "#37;") // %% opens a comment
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, " ");
}

/** A label of one or more lines, quoted. */
const quoted = (lines: readonly string[]): string => `"${lines.map(mermaidText).join("<br>")}"`;

const SHAPES: Readonly<Record<Role, readonly [string, string]>> = {
  input: ["[/", "/]"],
  param: ["[(", ")]"],
  constant: ["((", "))"],
  value: ["[", "]"],
  output: ["([", "])"],
  loss: ["{{", "}}"],
  gradient: ["(", ")"],
  paramGradient: ["[[", "]]"],
};

const nodeLine = (n: DrawnNode): string => `${n.key}${SHAPES[n.role][0]}${quoted(n.note === undefined ? [n.label] : [n.label, n.note])}${SHAPES[n.role][1]}`;

export function toMermaid(d: Drawing): string {
  const out: string[] = ["---", `title: ${JSON.stringify(d.title)}`, "---", "flowchart TB"];
  for (const role of ROLES) {
    const s = ROLE_STYLES[role];
    out.push(`  classDef ${role} fill:${s.fill},stroke:${s.stroke},color:${TEXT_COLOR}${s.bold ? ",stroke-width:2px" : ""}${s.dashed ? ",stroke-dasharray:5 3" : ""}`);
  }
  // A node belongs to the subgraph it is first written in, so clustered nodes are defined inside theirs.
  const byKey = new Map(d.nodes.map((n) => [n.key, n]));
  const clustered = new Set(d.clusters.flatMap((c) => c.members));
  for (const c of d.clusters) {
    out.push(`  subgraph ${c.key}[${quoted(c.label)}]`);
    for (const m of c.members) out.push(`    ${nodeLine(byKey.get(m)!)}`);
    out.push("  end");
    out.push(`  style ${c.key} fill:${CLUSTER_STYLE.fill},stroke:${CLUSTER_STYLE.stroke}`);
  }
  for (const n of d.nodes) if (!clustered.has(n.key)) out.push(`  ${nodeLine(n)}`);
  d.edges.forEach((e) => out.push(`  ${e.from} ${e.backward ? "-.->" : "-->"} ${e.to}`));
  for (const role of ROLES) {
    const keys = d.nodes.filter((n) => n.role === role).map((n) => n.key);
    if (keys.length) out.push(`  class ${keys.join(",")} ${role}`);
  }
  const backward = d.edges.flatMap((e, i) => (e.backward ? [i] : []));
  if (backward.length) out.push(`  linkStyle ${backward.join(",")} stroke:${BACKWARD_EDGE_COLOR}`);
  return `${out.join("\n")}\n`;
}
