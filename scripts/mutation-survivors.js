// node scripts/mutation-survivors.js TARGET [--all] [--timeouts] [--log]: the score of a mutation report
// (reports/mutation/TARGET.json, written by `npm run mutation -- TARGET`) and its surviving mutants, one
// line each: file:line:column, mutator, the code as written and its replacement, so that a survivor can be read without
// the HTML report. --all also lists mutants no test reached (NoCoverage), which the score counts as
// survivors too; --timeouts lists the mutants that timed out, which the score counts as detected (an
// endless loop), so that one can check they are loops and not a busy machine. A survivor in code that runs once when a module loads (a module-level constant) may be
// false: Stryker's vitest runner does not re-evaluate modules per mutant.
import { readFileSync } from "node:fs";

const [target, ...flags] = process.argv.slice(2);
if (!target) {
  console.error("usage: node scripts/mutation-survivors.js TARGET [--all] [--timeouts] [--log]");
  process.exit(2);
}
// --log: the results a run logged so far (reports/mutation/TARGET.mutants.ndjson, written by the
// mutant-log reporter as each mutant is tested), for a run that is still going or was stopped.
const fromLog = flags.includes("--log");
const file = fromLog ? `reports/mutation/${target}.mutants.ndjson` : `reports/mutation/${target}.json`;
let report;
try {
  report = fromLog ? reportOfLog(readFileSync(file, "utf8")) : JSON.parse(readFileSync(file, "utf8"));
} catch (e) {
  console.error(`mutation-survivors: cannot read ${file}: ${e.message}`);
  process.exit(1);
}

/** The log's mutants in the JSON report's shape, with the sources as they are on disk now. */
function reportOfLog(text) {
  const files = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const m = JSON.parse(line);
    files[m.file] ??= { source: readFileSync(m.file, "utf8"), mutants: [] };
    files[m.file].mutants.push(m);
  }
  return { files };
}
// Stryker's own score: detected (killed, timed out) ÷ valid (detected + survived + no coverage); compile
// and runtime errors of the mutant itself and ignored mutants do not count.
const counts = {};
const shown = [];
for (const [path, { source, mutants }] of Object.entries(report.files)) {
  const lines = source.split("\n");
  for (const m of mutants) {
    counts[m.status] = (counts[m.status] ?? 0) + 1;
    if (m.status === "Survived" || (m.status === "NoCoverage" && flags.includes("--all")) || (m.status === "Timeout" && flags.includes("--timeouts")))
      shown.push({ path, m, original: original(lines, m.location) });
  }
}

/** The mutated code as written (Stryker's locations: 1-based lines and columns, end exclusive). */
function original(lines, { start, end }) {
  // With --log the source is today's file, which may have changed since the run began.
  if (end.line > lines.length) return "(the file has changed since: line gone)";
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  return [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)].join(" ");
}
const short = (code) => {
  const s = code.replace(/\s+/g, " ").trim();
  return s.length > 90 ? `${s.slice(0, 87)}...` : s;
};
const detected = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
const valid = detected + (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
shown.sort((a, b) => a.path.localeCompare(b.path) || a.m.location.start.line - b.m.location.start.line);
for (const { path, m, original: code } of shown) {
  const at = `${path}:${m.location.start.line}:${m.location.start.column}`;
  const note = m.status === "NoCoverage" ? " (no coverage)" : m.status === "Timeout" ? " (timed out)" : "";
  console.log(`${at}  ${m.mutatorName}${note}: ${short(code)}  →  ${short(m.replacement ?? "")}`);
}
const parts = Object.entries(counts).sort().map(([s, n]) => `${s} ${n}`).join(", ");
console.log(`\n${target}${fromLog ? " (logged so far)" : ""}: ${detected} of ${valid} detected = ${((100 * detected) / Math.max(valid, 1)).toFixed(1)}% (${parts})`);
