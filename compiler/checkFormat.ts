// `gradc check`'s report as the CLI prints it: a table per parameter, the worst entries of a failing one,
// and the last line `N parameters checked: worst relative error X (param)`. Apart from ./check.ts so
// the CLI can print a result from gradc's box without loading the compiler.
import type { CheckResult } from "./check.js";

const sci = (x: number): string => (Number.isFinite(x) ? x.toExponential(1) : String(x));
const value = (x: number): string => (Number.isFinite(x) ? String(+x.toPrecision(10)) : String(x));

/** The report as `gradc check` prints it; its last line is `N parameters checked: worst relative error X (param)`. */
export function formatCheck(r: CheckResult): string {
  const where = r.rows !== null ? `${r.rows} row${r.rows === 1 ? "" : "s"} of inputs` : r.inputs.length ? `${r.draws} draw${r.draws === 1 ? "" : "s"} of the inputs` : "no inputs";
  const lines = [
    `gradient check of model "${r.model}" (${r.source}), float64: initParams(${r.seed}), ${where}; loss ${value(r.loss)}`,
    ...r.inputs.map((i) => `  input ${i.name} [${i.shape.join(", ")}]: ${i.drawn}`),
  ];
  if (r.problem) return [...lines, `error: ${r.problem}`, ""].join("\n");
  const table = [
    ["parameter", "entries", "kinks skipped", "max abs error", "max rel error", "result"],
    ...r.params.map((p) => [
      p.name,
      p.checked + p.kinks === p.size * r.draws ? String(p.checked) : `${p.checked} of ${p.size * r.draws}`,
      String(p.kinks),
      p.checked ? sci(p.maxAbsError) : "-",
      p.checked ? sci(p.maxRelError) : "-",
      !p.ok ? "FAIL" : p.checked ? "ok" : "unchecked",
    ]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  lines.push("", ...table.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ")));
  const unchecked = r.params.filter((p) => p.checked === 0);
  if (unchecked.length) lines.push("", `note: every entry of ${unchecked.map((p) => p.name).join(", ")} sits on a kink of the loss (relu at 0, a max, |x|), so nothing of ${unchecked.length === 1 ? "it" : "them"} could be compared; another --seed may move the point off it`);
  const failed = r.params.filter((p) => !p.ok);
  for (const p of failed) {
    lines.push("", `${p.name}: the worst entries (index, analytic, numeric, relative error):`);
    for (const e of p.worst) lines.push(`  ${p.name}[${e.coords.join(", ")}]  ${value(e.analytic)}  ${value(e.numeric)}  ${sci(e.relError)}`);
  }
  if (failed.length) {
    lines.push("", `error: the gradient${failed.length === 1 ? "" : "s"} of ${failed.map((p) => p.name).join(", ")} disagree${failed.length === 1 ? "s" : ""} with central finite differences (relative error above --tol ${Math.abs(r.tol) < 1e-3 ? r.tol.toExponential() : r.tol})`);
  }
  const n = r.params.length;
  lines.push(`${n} parameter${n === 1 ? "" : "s"} checked: worst relative error ${r.worst ? `${sci(r.worst.relError)} (${r.worst.param})` : "- (no entry off a kink)"}`);
  return `${lines.join("\n")}\n`;
}
