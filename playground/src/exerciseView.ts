// The exercise, "write one backward line yourself": the menu of values to hide, the hidden line masked in
// the Generated tab, Reveal, and Check, which the compile worker grades (exercise.ts) against the
// compiler's own value.
import { compiler, sent } from "./compiling.js";
import { goToCode, linesOf } from "./generatedView.js";
import { $ } from "./page.js";
import type { CompileRequest, ExerciseTarget, GradeReply } from "./protocol.js";

let exercises: readonly ExerciseTarget[] = [];
/** The hidden line's name; null when none is hidden (or it was revealed). */
let hidden: string | null = null;
const targetMenu = $<HTMLSelectElement>("exercise-target");

export function showExercises(targets: readonly ExerciseTarget[]): void {
  exercises = targets;
  const chosen = targetMenu.value;
  targetMenu.textContent = "";
  targetMenu.add(new Option("— nothing hidden —", ""));
  for (const t of targets) targetMenu.add(new Option(`${t.name}: ${t.meaning}`, t.name));
  targetMenu.value = targets.some((t) => t.name === chosen) ? chosen : "";
  if (hidden !== null && !targets.some((t) => t.name === hidden)) hidden = null;
  describeExercise();
}

function describeExercise(): void {
  const t = exercises.find((e) => e.name === targetMenu.value);
  $("exercise-about").textContent = t
    ? `${t.name} is ${t.meaning}, shape [${t.shape.join(", ")}]${t.origin ? `, from the rule ${t.origin}` : ""} at ${t.loc}. You may use: ${t.uses.join(", ")}.`
    : "";
}

/** Masks the hidden line's comment and statements in #generated (their text stays; only the view hides it). */
export function maskExercise(): void {
  for (const l of $("generated").querySelectorAll(".exercise-hidden")) l.classList.remove("exercise-hidden");
  if (hidden) for (const l of linesOf(hidden)) l.classList.add("exercise-hidden");
}

targetMenu.addEventListener("change", () => {
  hidden = targetMenu.value || null;
  $("exercise-result").textContent = "";
  describeExercise();
  maskExercise();
});
$("exercise-reveal").addEventListener("click", () => {
  const name = hidden ?? targetMenu.value;
  hidden = null;
  maskExercise();
  if (name) goToCode(name);
});
$("exercise-check").addEventListener("click", () => {
  if (!targetMenu.value) return;
  const request: CompileRequest = { kind: "grade", id: sent, target: targetMenu.value, answer: $<HTMLTextAreaElement>("exercise-answer").value };
  $("exercise-result").textContent = "checking…";
  compiler.postMessage(request);
});

export function showGrade(r: GradeReply): void {
  const out = $("exercise-result");
  if (r.id !== sent || r.target !== targetMenu.value) return;
  if (!r.ok) {
    out.className = "error";
    out.textContent = r.diagnostic;
    return;
  }
  const n = (x: number) => String(Number(x.toPrecision(6)));
  const list = (v: readonly number[] | null) => (v ? `[${v.map(n).join(", ")}]` : "(too many to list)");
  const lines = [
    r.verdict === "exact"
      ? `✓ exact: all ${r.elements} elements equal the compiler's ${r.target}.`
      : r.verdict === "approximate"
        ? `✓ right up to rounding: all ${r.elements} elements within a relative 1e-9 of the compiler's ${r.target} (largest difference ${n(r.maxDifference)} at element ${r.worst}; the same math in another order).`
        : `✗ different: the largest difference from the compiler's ${r.target} is ${n(r.maxDifference)} at element ${r.worst} (relative ${n(r.maxRelative)}).`,
  ];
  if (r.shapeNote) lines.push(r.shapeNote);
  if (r.verdict === "different") lines.push(`yours:      ${list(r.yours)}`, `compiler's: ${list(r.compilers)}`);
  out.className = r.verdict;
  out.textContent = lines.join("\n");
}
