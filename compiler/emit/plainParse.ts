// The parser of ./plainLines.ts: one emitted line of kernel code as tokens, then as an expression tree
// (names, numbers, members, indexing, calls, non-null assertions, unary, binary and conditional
// operators), with prettier's operator precedence. Anything outside that small part of the language
// is refused (Refused), and the line is left to prettier: the output is the same either way, only
// slower, so test/emit/format.test.ts checks that the lines kernels are made of are accepted.

export type Expr =
  | { readonly type: "name"; readonly name: string }
  | { readonly type: "number"; readonly raw: string }
  /** A double-quoted string without escapes or quotes in it, which prettier prints as it is. */
  | { readonly type: "string"; readonly raw: string }
  | { readonly type: "member"; readonly object: Expr; readonly property: string }
  | { readonly type: "index"; readonly object: Expr; readonly index: Expr }
  | { readonly type: "call"; readonly callee: Expr; readonly args: readonly Expr[] }
  /** TypeScript's non-null assertion `x[i]!`: every element read of a kernel has one (ops/op.ts element). */
  | { readonly type: "nonNull"; readonly arg: Expr }
  | { readonly type: "unary"; readonly op: string; readonly arg: Expr }
  | { readonly type: "update"; readonly op: "++" | "--"; readonly arg: Expr }
  | { readonly type: "binary"; readonly op: string; readonly left: Expr; readonly right: Expr }
  | { readonly type: "conditional"; readonly test: Expr; readonly then: Expr; readonly else: Expr };

/** Prettier's operator precedence (its utils/get-precedence.js), restricted to the operators accepted here. */
export const PRECEDENCE = new Map<string, number>([
  ["||", 2],
  ["&&", 3],
  ["==", 7], ["===", 7], ["!=", 7], ["!==", 7],
  ["<", 8], [">", 8], ["<=", 8], [">=", 8],
  ["+", 10], ["-", 10],
  ["*", 11], ["/", 11], ["%", 11],
]);
export const EQUALITY = new Set(["==", "===", "!=", "!=="]);
export const LOGICAL = new Set(["&&", "||"]);
export const MULTIPLICATIVE = new Set(["*", "/", "%"]);
const ASSIGNMENT = new Set(["=", "+=", "-=", "*=", "/="]);
const KEYWORDS = new Set([
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum", "export", "extends",
  "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null", "return", "super", "switch", "this",
  "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield", "let", "static", "implements", "interface", "package",
  "private", "protected", "public", "await", "as", "satisfies", "of", "async", "declare", "type", "keyof", "readonly",
]);
/** Numbers prettier prints as they are (its printNumber changes case, exponent signs, leading and trailing zeros). */
const NORMAL_NUMBER = /^(?:0|[1-9]\d*)(?:\.\d*[1-9])?(?:e-?[1-9]\d*)?$/;

// ── tokens ──────────────────────────────────────────────────────────────────────────────────────────

/** A name, a number (with anything glued to it, for NORMAL_NUMBER to judge) or an operator, at a given position. */
const TOKEN = /([A-Za-z_$][\w$]*)|("[^"\\\n]*")|((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[\w$.]*)|(===|!==|\+\+|--|\+=|-=|\*=|\/=|==|!=|<=|>=|&&|\|\||[()[\]{},;.?:=<>+\-*/%!])/y;

/** The tokens of a line, or null when it holds anything else (strings, comments, other operators). */
export function tokenize(line: string): string[] | null {
  const out: string[] = [];
  let at = 0;
  for (;;) {
    while (at < line.length && (line.charCodeAt(at) === 32 || line.charCodeAt(at) === 9)) at++;
    if (at === line.length) return out;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(line);
    if (!m) return null;
    out.push(m[0]);
    at = TOKEN.lastIndex;
  }
}

// ── parsing ─────────────────────────────────────────────────────────────────────────────────────────

export class Refused extends Error {}
export const refuse = (): never => {
  throw new Refused();
};

export class Parser {
  private at = 0;
  constructor(private readonly tokens: readonly string[]) {}

  get done(): boolean {
    return this.at === this.tokens.length;
  }
  peek(k = 0): string | undefined {
    return this.tokens[this.at + k];
  }
  next(): string {
    return this.tokens[this.at++] ?? refuse();
  }
  eat(t: string): boolean {
    if (this.tokens[this.at] !== t) return false;
    this.at++;
    return true;
  }
  expect(t: string): void {
    if (!this.eat(t)) refuse();
  }
  name(): string {
    const t = this.next();
    if (!/^[A-Za-z_$]/.test(t) || KEYWORDS.has(t)) refuse();
    return t;
  }

  expression(): Expr {
    const test = this.binary(0);
    if (!this.eat("?")) return test;
    const then = this.expression();
    this.expect(":");
    return { type: "conditional", test, then, else: this.expression() };
  }

  /** Precedence climbing over the binary operators (all left-associative here). */
  binary(min: number): Expr {
    let left = this.unary();
    for (;;) {
      const op = this.peek();
      const p = op === undefined ? undefined : PRECEDENCE.get(op);
      if (p === undefined || p < min) return left;
      this.at++;
      left = { type: "binary", op: op!, left, right: this.binary(p + 1) };
    }
  }

  unary(): Expr {
    const t = this.peek();
    if (t === "-" || t === "+" || t === "!") {
      this.at++;
      return { type: "unary", op: t, arg: this.unary() };
    }
    if (t === "++" || t === "--") refuse(); // prefix updates: not emitted
    return this.postfix();
  }

  postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.eat(".")) e = { type: "member", object: e, property: this.name() };
      else if (this.eat("[")) {
        e = { type: "index", object: e, index: this.expression() };
        this.expect("]");
      } else if (this.eat("(")) {
        // Only a name or a chain of members and indexes (`f(…)`, `grads["W1"].set(…)`): prettier lays
        // out chains of calls by rules of their own.
        if (!isPath(e)) refuse();
        const args: Expr[] = [];
        if (!this.eat(")")) {
          do args.push(this.expression());
          while (this.eat(","));
          this.expect(")");
        }
        e = { type: "call", callee: e, args };
      } else if (this.peek() === "!") {
        // After an operand, `!` can only be the non-null assertion (a prefix `!` starts an operand);
        // taken on a name, member, element or call only, which need no parentheses before it.
        if (e.type !== "name" && e.type !== "member" && e.type !== "index" && e.type !== "call") refuse();
        this.at++;
        e = { type: "nonNull", arg: e };
      } else if (this.peek() === "++" || this.peek() === "--") {
        if (e.type !== "name") refuse();
        e = { type: "update", op: this.next() as "++" | "--", arg: e };
      } else return e;
    }
  }

  primary(): Expr {
    const t = this.next();
    if (t === "(") {
      const e = this.expression();
      this.expect(")");
      return e;
    }
    if (/^[\d.]/.test(t)) return NORMAL_NUMBER.test(t) ? { type: "number", raw: t } : refuse();
    if (t.startsWith('"')) return { type: "string", raw: t };
    if (!/^[A-Za-z_$]/.test(t) || KEYWORDS.has(t)) refuse();
    return { type: "name", name: t };
  }

  /** `target op= value`, or an expression: what may stand as a statement or a for-loop update. */
  effect(): { readonly target: Expr; readonly op: string; readonly assigned: Expr } | { readonly expr: Expr; readonly assigned?: undefined } {
    const target = this.expression();
    const op = this.peek();
    if (op !== undefined && ASSIGNMENT.has(op)) {
      if (target.type !== "name" && target.type !== "member" && target.type !== "index" && target.type !== "nonNull") refuse();
      this.at++;
      return { target, op, assigned: this.expression() };
    }
    return { expr: target };
  }

  /** `name = value` (after const/let). */
  declarator(): { name: string; value: Expr } {
    const name = this.name();
    this.expect("=");
    return { name, value: this.expression() };
  }
}

/** A name, or members and indexes of one (`a.b`, `a["x"].set`), with no call in it. */
function isPath(e: Expr): boolean {
  while (e.type === "member" || e.type === "index") e = e.object;
  return e.type === "name";
}
