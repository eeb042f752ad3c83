// Prettier's output for the plain statements kernel code is made of, computed without prettier.
//
// A deep model's module is megabytes of lines such as `const h1_0 = add_0 > 0 ? add_0 : 0;`, and
// prettier (parse, then print) costs about 3 µs per byte of it: most of the compile time. These lines
// use a small part of the language — declarations, assignments, for and if headers, calls, members,
// indexing, the non-null assertion of every element read (`x[i]!`), unary, binary and conditional
// operators on names and numbers — and for that part
// prettier's output is simple: one statement per line at its block's indentation, single spaces
// around operators, the parentheses its rules keep (needs-parens.js, shouldFlatten), numbers as
// written when already in its normal form. `plainLine` parses one emitted line of that kind and
// prints it so; anything else (strings, types, object literals, arrow functions, bitwise operators,
// a number prettier would rewrite, a comment after code) is refused with null and left to prettier.
// Line width is the caller's business (a line longer than printWidth would be broken by prettier).
// ./format.ts decides which lines take this path; test/emit/format.test.ts checks it against prettier.
// The tokenizer and parser are ./plainParse.ts; here the printing of what they accept.
import { EQUALITY, LOGICAL, MULTIPLICATIVE, Parser, PRECEDENCE, refuse, Refused, tokenize, type Expr } from "./plainParse.js";

/** One emitted line, as prettier prints it (without indentation), and what it does to the nesting. */
export type PlainLine =
  | { readonly kind: "comment"; readonly text: string }
  /** `for (…) {`, `if (…) {` or `{`: the lines after it are one level deeper, up to its `}`. */
  | { readonly kind: "open"; readonly text: string }
  | { readonly kind: "close"; readonly text: "}" }
  /**
   * A statement, in each layout prettier may give it, in the order it tries them: on one line; for
   * `x = a + b…` also broken after the `=`, then one operand per line. Lines are indented relative
   * to the statement. Which one prettier prints depends on the width left: see `linesAt`.
   */
  | { readonly kind: "statement"; readonly layouts: readonly (readonly string[])[] };

/** Prettier's print width (compiler/emit/format.ts formats with it) and its indentation step. */
export const PRINT_WIDTH = 120;
export const INDENT = "  ";

/** The lines prettier prints for `p` at `depth` levels of indentation (without it), or null when none fits the width. */
export function linesAt(p: PlainLine, depth: number): readonly string[] | null {
  if (p.kind === "comment") return [p.text]; // prettier never breaks a comment
  const width = PRINT_WIDTH - depth * INDENT.length;
  if (p.kind !== "statement") return p.text.length <= width ? [p.text] : null;
  return p.layouts.find((lines) => lines.every((l) => l.length <= width)) ?? null;
}

// ── printing ────────────────────────────────────────────────────────────────────────────────────────

/** Where a child sits in its parent, for the parenthesis rules. */
type Slot = "left" | "right" | "argument" | "object" | "callee" | "test" | "then" | "else" | "free";

/** Prettier's shouldFlatten: operators of one precedence printed without parentheses between them. */
function shouldFlatten(parentOp: string, op: string): boolean {
  if (PRECEDENCE.get(op) !== PRECEDENCE.get(parentOp)) return false;
  if (EQUALITY.has(parentOp) && EQUALITY.has(op)) return false;
  if ((op === "%" && MULTIPLICATIVE.has(parentOp)) || (parentOp === "%" && MULTIPLICATIVE.has(op))) return false;
  if (op !== parentOp && MULTIPLICATIVE.has(op) && MULTIPLICATIVE.has(parentOp)) return false;
  if (parentOp === ">" && op === "<") return false;
  return true;
}

/** Prettier's needsParens, for the expressions accepted here. */
function needsParens(e: Expr, parent: Expr | null, slot: Slot): boolean {
  if (!parent) return false;
  switch (e.type) {
    case "binary": {
      if (parent.type === "unary" || parent.type === "update") return true;
      if (parent.type === "member" || parent.type === "index") return slot === "object";
      if (parent.type === "call") return slot === "callee";
      if (parent.type !== "binary") return false;
      // a logical operator in another: parentheses exactly when the operators differ ((a && b) || c)
      if (LOGICAL.has(parent.op) && LOGICAL.has(e.op)) return parent.op !== e.op;
      const pp = PRECEDENCE.get(parent.op)!, np = PRECEDENCE.get(e.op)!;
      if (pp > np) return true;
      if (slot === "right" && pp === np) return true;
      if (pp === np && !shouldFlatten(parent.op, e.op)) return true;
      if (pp < np && e.op === "%") return parent.op === "+" || parent.op === "-";
      return false;
    }
    case "conditional":
      if (parent.type === "unary" || parent.type === "binary" || parent.type === "update") return true;
      if (parent.type === "member" || parent.type === "index") return slot === "object";
      if (parent.type === "call") return slot === "callee";
      // prettier 3 parenthesizes a conditional in the test or the consequent, not in the alternate (a chain)
      if (parent.type === "conditional") return slot === "test" || slot === "then";
      return false;
    case "unary":
      if (parent.type === "unary") return e.op === parent.op && (e.op === "+" || e.op === "-");
      if (parent.type === "member" || parent.type === "index") return slot === "object";
      if (parent.type === "call") return slot === "callee";
      return false;
    case "update":
      if (parent.type === "member" || parent.type === "index") return slot === "object";
      if (parent.type === "call") return slot === "callee";
      return false;
    case "number":
      // 1.5.toFixed needs parentheses; no emitted line reads a member of a number
      return (parent.type === "member" || parent.type === "index" || parent.type === "call") && slot !== "free";
    default:
      return false;
  }
}

function print(e: Expr, parent: Expr | null = null, slot: Slot = "free"): string {
  const text = printBare(e);
  if (e.type === "number" && needsParens(e, parent, slot)) refuse();
  return needsParens(e, parent, slot) ? `(${text})` : text;
}

function printBare(e: Expr): string {
  switch (e.type) {
    case "name":
      return e.name;
    case "number":
    case "string":
      return e.raw;
    case "member":
      return `${print(e.object, e, "object")}.${e.property}`;
    case "index":
      return `${print(e.object, e, "object")}[${print(e.index, e, "free")}]`;
    case "call":
      return `${print(e.callee, e, "callee")}(${e.args.map((a) => print(a, e, "free")).join(", ")})`;
    case "unary":
      return `${e.op}${print(e.arg, e, "argument")}`;
    case "update":
      return `${print(e.arg, e, "argument")}${e.op}`;
    case "nonNull":
      return `${print(e.arg, e, "object")}!`;
    case "binary":
      return `${print(e.left, e, "left")} ${e.op} ${print(e.right, e, "right")}`;
    case "conditional":
      return `${print(e.test, e, "test")} ? ${print(e.then, e, "then")} : ${print(e.else, e, "else")}`;
  }
}

// ── statements ──────────────────────────────────────────────────────────────────────────────────────

/** One emitted line (without its indentation) as prettier prints it, or null when it is not plain. */
export function plainLine(line: string): PlainLine | null {
  const t = line.trim();
  if (t.startsWith("//")) return { kind: "comment", text: t };
  if (t === "}") return { kind: "close", text: "}" };
  const tokens = tokenize(t);
  if (!tokens || !tokens.length) return null;
  try {
    return statement(new Parser(tokens));
  } catch (e) {
    if (e instanceof Refused) return null;
    throw e;
  }
}

function statement(p: Parser): PlainLine {
  const first = p.peek();
  if (first === "{") {
    p.next();
    if (!p.done) refuse();
    return { kind: "open", text: "{" };
  }
  if (first === "for" || first === "if") {
    p.next();
    p.expect("(");
    let head: string;
    if (first === "for") {
      // prettier prints `for (init; test; update)`, or `for (;;)`; other partial headers are not emitted
      const init = p.eat("let") ? `let ${declaration(p.declarator())}` : "";
      p.expect(";");
      const test = p.peek() === ";" ? "" : print(p.expression());
      p.expect(";");
      const update = p.peek() === ")" ? "" : printEffect(p.effect());
      p.expect(")");
      if (!init && !test && !update) head = "for (;;)";
      else if (test && update) head = `for (${init}; ${test}; ${update})`;
      else return refuse();
    } else {
      head = `if (${print(p.expression())})`;
      p.expect(")");
    }
    if (p.eat("{")) {
      if (!p.done) refuse();
      return { kind: "open", text: `${head} {` };
    }
    // A one-statement body on the same line (`if (v > acc) acc = v;`); broken by prettier when too long.
    return { kind: "statement", layouts: [[`${head} ${flat(simpleStatement(p))}`]] };
  }
  if (first === "const" || first === "let") {
    p.next();
    const decls = [p.declarator()];
    while (p.eat(",")) decls.push(p.declarator());
    p.expect(";");
    if (!p.done) refuse();
    if (decls.length === 1) return { kind: "statement", layouts: assignmentLayouts(`${first} ${decls[0]!.name} =`, decls[0]!.value) };
    // prettier breaks a declaration of several initialized variables into one line per variable
    const all = decls.map(declaration);
    return { kind: "statement", layouts: [[`${first} ${all[0]},`, ...all.slice(1).map((d, k) => `${INDENT}${d}${k === all.length - 2 ? ";" : ","}`)]] };
  }
  const s = simpleStatement(p);
  return { kind: "statement", layouts: s.assigned ? assignmentLayouts(`${s.target} ${s.op}`, s.assigned) : [[flat(s)]] };
}

const declaration = (d: { name: string; value: Expr }) => `${d.name} = ${print(d.value)}`;

/** What a statement line says: `return e;`, `break;`, an expression, or `target op= value`. */
type Simple = { readonly text: string; readonly assigned?: undefined } | { readonly target: string; readonly op: string; readonly assigned: Expr };

const flat = (s: Simple): string => (s.assigned ? `${s.target} ${s.op} ${print(s.assigned)};` : s.text);
const printEffect = (e: ReturnType<Parser["effect"]>): string => (e.assigned ? `${print(e.target)} ${e.op} ${print(e.assigned)}` : print(e.expr));

/** `return e;`, `break;`, `continue;` or an expression/assignment statement, ending the line. */
function simpleStatement(p: Parser): Simple {
  let s: Simple;
  if (p.eat("return")) s = { text: p.peek() === ";" ? "return;" : `return ${print(p.expression())};` };
  else if (p.peek() === "break" || p.peek() === "continue") s = { text: `${p.next()};` };
  else {
    const e = p.effect();
    s = e.assigned ? { target: print(e.target), op: e.op, assigned: e.assigned } : { text: `${print(e.expr)};` };
  }
  p.expect(";");
  if (!p.done) refuse();
  return s;
}

/**
 * `head value;` (head: `const x =`, `a[i] =`, `acc +=`) in prettier's layouts: on one line; when the
 * value is an operator expression (or a conditional testing one), broken after the `=` with the value
 * on the next line; an operator chain then one operand per line, each followed by its operator.
 */
function assignmentLayouts(head: string, value: Expr): string[][] {
  const text = print(value);
  const layouts = [[`${head} ${text};`]];
  if (value.type === "binary" || (value.type === "conditional" && value.test.type === "binary")) {
    layouts.push([head, `${INDENT}${text};`]);
    if (value.type === "binary") {
      // The operands of a flattened chain (a * b + c * d - e: same precedence, as prettier flattens).
      const rest: { op: string; text: string }[] = [];
      let n: Expr = value;
      while (n.type === "binary" && n.left.type === "binary" && shouldFlatten(n.op, n.left.op)) {
        rest.push({ op: n.op, text: print(n.right, n, "right") });
        n = n.left;
      }
      if (n.type !== "binary") return refuse();
      rest.push({ op: n.op, text: print(n.right, n, "right") });
      rest.reverse();
      const lines = [`${INDENT}${print(n.left, n, "left")} ${rest[0]!.op}`];
      rest.forEach((r, k) => lines.push(`${INDENT}${r.text}${k + 1 < rest.length ? ` ${rest[k + 1]!.op}` : ";"}`));
      layouts.push([head, ...lines]);
    }
  }
  return layouts;
}
