// Random whole models as model.ts source text, for the compiler's property test
// (test/property/models.property.test.ts): valid ones over most of the DSL, and ones with exactly one
// deliberate mistake whose line and acceptable error codes are known.
//
// A model is drawn from a *choice stream*, a list of non-negative integers that the generator reads
// one by one to decide every shape, op and operand (a list that runs out reads as zeros). fast-check
// shrinks the list toward fewer and smaller choices, so a failing model shrinks toward a short one with
// the first alternative of every choice: a minimal counterexample, printed as model.ts text.
//
// What a model holds: inputs x [batch, F] (always), an NHWC image, integer ids and a [batch, T, F]
// sequence (each sometimes); 2–8 steps, each one line `const tK = …;` (with the params it declares on
// the lines before it): elementwise math and activations, broadcasting with biases and with other
// values, matmul in every transpose form (also contracting the batch dimension), reductions with axes
// and keepdims, reshape / transpose / flatten, softmax / logSoftmax, concat / slice / gather /
// embedding, conv2d / max and average pooling, layerNorm / variance, RNN / LSTM / GRU layers and cells;
// then a loss head (mse, softmaxCrossEntropy, crossEntropy, binaryCrossEntropy, or a mean) plus a small
// term for every value nothing else used, so that every parameter reaches the loss.
//
// `batchTwice` adds one value with the batch dimension twice, matmul(h, h, { transB: true }) of shape
// [batch, batch] (a similarity matrix), and follows it with an op over it.
//
// Values are kept away from overflow by construction (log and sqrt of shifted squares, pow of shifted
// sigmoids, division by 1 + b²); the property test also rejects a draw whose loss is not finite.

/** A dimension as the generator tracks it: a size, or the symbolic batch dimension. */
export type Dim = number | "B";
type Shape = readonly Dim[];

export interface InputSpec {
  readonly name: string;
  readonly shape: Shape;
  /** float: uniform in [−1.5, 1.5]; unit: in [0, 1] (binary cross-entropy targets); int: 0 … bound − 1. */
  readonly kind: "float" | "unit" | "int";
  readonly bound?: number;
}

export const MISTAKES = [
  "matmulInner", "addShape", "axisRange", "reshapeSize", "transposePerm", "sliceEmpty", "sliceBatch", "concatShape",
  "convChannels", "poolTooBig", "poolPadding", "gatherFloat", "duplicateName", "unknownOp", "typeError",
  "lossNotScalar", "leakyAlpha", "secondBatchName", "paramShape", "layerNormGamma", "modelThrows", "constantNaN",
  "mseBroadcast", "matmulRank3",
] as const;
export type MistakeKind = (typeof MISTAKES)[number];

export interface Mistake {
  readonly kind: MistakeKind;
  /** The 1-based line of model.ts the error must point at. */
  readonly line: number;
  /** The error codes that are right for it. */
  readonly codes: readonly string[];
  /** The compiler may accept it (it is a model with a questionable meaning, not an invalid one). */
  readonly mayCompile?: boolean;
  /** A mistake only while the batch dimension is symbolic (compiled without --batch). */
  readonly symbolicBatch?: boolean;
}

export interface RandomModel {
  readonly source: string;
  readonly inputs: readonly InputSpec[];
  /** DSL functions the source calls (for coverage statistics). */
  readonly uses: ReadonlySet<string>;
  readonly mistake: Mistake | null;
  /** A value of shape [batch, batch] is in the model. */
  readonly batchTwice: boolean;
}

export interface GenerateOptions {
  readonly mistake?: MistakeKind | null;
  readonly batchTwice?: boolean;
}

// ── the choice stream ─────────────────────────────────────────────────────────────────────────────

class Choices {
  private i = 0;
  constructor(private readonly xs: readonly number[]) {}
  /** 0 … n − 1 (0 when the stream has run out). */
  int(n: number): number {
    if (n <= 1) return 0;
    const v = this.xs[this.i++];
    return v === undefined ? 0 : v % n;
  }
  /** lo … hi inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  /** True with probability about 1/n (the stream's default, 0, reads as false). */
  oneIn(n: number): boolean {
    return this.int(n) === n - 1;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

// ── values in the model ───────────────────────────────────────────────────────────────────────────

interface Value {
  readonly name: string;
  readonly shape: Shape;
  /** Some other value or the loss uses it. */
  used: boolean;
}

const isStatic = (d: Dim): d is number => typeof d === "number";
const allStatic = (s: Shape): s is readonly number[] => s.every(isStatic);
const dims = (s: Shape) => `[${s.map((d) => (d === "B" ? '"batch"' : String(d))).join(", ")}]`;
const sameShape = (a: Shape, b: Shape) => a.length === b.length && a.every((d, i) => d === b[i]);
const batchFirst = (s: Shape) => s[0] === "B" && s.slice(1).every(isStatic);

/** Python's len(range(start, end, step)) after clamping, as the DSL's slice computes it. */
function sliceLength(size: number, start: number, end: number, step: number): number {
  const bound = (v: number) => Math.min(size, Math.max(0, v < 0 ? v + size : v));
  return Math.max(0, Math.ceil((bound(end) - bound(start)) / step));
}

const FACTORS: Record<number, [number, number][]> = {};
for (let n = 4; n <= 36; n++) {
  for (let p = 2; p * 2 <= n; p++) if (n % p === 0) (FACTORS[n] ??= []).push([p, n / p]);
}

/** Output size of a convolution / pooling window along one axis. */
const windowOut = (size: number, k: number, stride: number, padBefore: number, padAfter: number, dilation = 1) =>
  Math.floor((size + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1;

// ── the generator ─────────────────────────────────────────────────────────────────────────────────

class Generator {
  readonly body: string[] = [];
  readonly uses = new Set<string>(["model", "input", "param"]);
  readonly inputs: InputSpec[] = [];
  readonly pool: Value[] = [];
  private counter = 0;
  private params = 0;
  mistake: Mistake | null = null;
  batchTwice = false;

  constructor(
    readonly c: Choices,
    readonly wantMistake: MistakeKind | null,
  ) {}

  /** The 1-based model.ts line the next body line will have (three lines come before the body). */
  get nextLine(): number {
    return 4 + this.body.length;
  }

  use(...names: string[]): void {
    for (const n of names) this.uses.add(n);
  }

  input(name: string, shape: Shape, kind: InputSpec["kind"], bound?: number): Value {
    const int = kind === "int";
    this.body.push(`  const ${name} = input(${JSON.stringify(name)}, ${dims(shape)}${int ? `, { dtype: "int" }` : ""});`);
    this.inputs.push({ name, shape, kind, ...(bound !== undefined ? { bound } : {}) });
    return { name, shape, used: false };
  }

  param(shape: readonly number[], prefix = "p"): string {
    const name = `${prefix}${++this.params}`;
    this.body.push(`  const ${name} = param(${JSON.stringify(name)}, ${dims(shape)});`);
    return name;
  }

  /** Emits `const tK = expr;` and adds the value to the pool. */
  emit(expr: string, shape: Shape, ...from: Value[]): Value {
    for (const f of from) f.used = true;
    const v: Value = { name: `t${++this.counter}`, shape, used: false };
    this.body.push(`  const ${v.name} = ${expr};`);
    this.pool.push(v);
    return v;
  }

  /** Records the deliberate mistake on the line about to be written. */
  wrong(kind: MistakeKind, codes: readonly string[], extra: Partial<Mistake> = {}): void {
    this.mistake = { kind, line: this.nextLine, codes, ...extra };
  }

  /** A value of the pool, usually a recent one; `ok` filters. */
  operand(ok: (v: Value) => boolean = () => true): Value | null {
    const candidates = this.pool.filter(ok);
    if (candidates.length === 0) return null;
    // Recent values first: chains get deep, older values still get picked.
    const back = this.c.oneIn(2) ? this.c.int(Math.min(candidates.length, 4)) : 0;
    return candidates[candidates.length - 1 - back]!;
  }
}

type Step = (g: Generator, mistake: boolean) => Value | null | "mistake";

const float = (v: Value) => !v.name.startsWith("ids");

// Each step returns its new value, null when no operand fits (the generator tries another), or
// "mistake" when it wrote the deliberate mistake. With `mistake` false a step only writes valid code.
const STEPS: Record<string, Step> = {
  unary(g) {
    const a = g.operand(float);
    if (!a) return null;
    const forms: [string, string[]][] = [
      [`tanh(${a.name})`, ["tanh"]],
      [`sigmoid(${a.name})`, ["sigmoid"]],
      [`relu(${a.name})`, ["relu"]],
      [`leakyRelu(${a.name}, 0.2)`, ["leakyRelu"]],
      [`softplus(${a.name})`, ["softplus"]],
      [`square(${a.name})`, ["square"]],
      [`abs(${a.name})`, ["abs"]],
      [`neg(${a.name})`, ["neg"]],
      [`exp(tanh(${a.name}))`, ["exp", "tanh"]],
      [`log(add(square(${a.name}), 1))`, ["log", "add", "square"]],
      [`sqrt(add(square(${a.name}), 0.5))`, ["sqrt", "add", "square"]],
      [`pow(add(sigmoid(${a.name}), 0.5), 1.5)`, ["pow", "add", "sigmoid"]],
    ];
    const [expr, uses] = g.c.pick(forms);
    g.use(...uses);
    return g.emit(expr, a.shape, a);
  },

  bias(g, mistake) {
    const a = g.operand((v) => float(v) && v.shape.length > 0 && isStatic(v.shape[v.shape.length - 1]!) && (!mistake || (v.shape[v.shape.length - 1] as number) >= 2));
    if (!a) return null;
    const last = a.shape[a.shape.length - 1] as number;
    const op = g.c.pick(["add", "sub", "mul"]);
    g.use(op);
    if (mistake) {
      // [.., n] with [n + 1] (n ≥ 2: a last axis of 1 would broadcast)
      const p = g.param([last + 1]);
      g.wrong("addShape", ["GC2001"]);
      g.emit(`${op}(${a.name}, ${p})`, a.shape, a);
      return "mistake";
    }
    const p = g.param([last]);
    return g.emit(g.c.oneIn(2) ? `${op}(${p}, ${a.name})` : `${op}(${a.name}, ${p})`, a.shape, a);
  },

  scalar(g) {
    const a = g.operand(float);
    if (!a) return null;
    const [expr, op] = g.c.pick([
      [`mul(${a.name}, 0.5)`, "mul"],
      [`sub(1, ${a.name})`, "sub"],
      [`div(${a.name}, 4)`, "div"],
      [`add(${a.name}, -0.25)`, "add"],
    ] as const);
    g.use(op);
    return g.emit(expr, a.shape, a);
  },

  binary(g) {
    const a = g.operand(float);
    if (!a) return null;
    // Another value of the same shape, or one whose shape is a suffix of a's (broadcasting).
    const b = g.operand((v) => float(v) && (sameShape(v.shape, a.shape) || (v.shape.length < a.shape.length && v.shape.length > 0 && sameShape(v.shape, a.shape.slice(a.shape.length - v.shape.length))))) ?? a;
    const [expr, uses] = g.c.pick([
      [`add(${a.name}, ${b.name})`, ["add"]],
      [`sub(${b.name}, ${a.name})`, ["sub"]],
      [`mul(${a.name}, ${b.name})`, ["mul"]],
      [`div(${a.name}, add(square(${b.name}), 1))`, ["div", "add", "square"]],
      [`pow(add(sigmoid(${a.name}), 0.5), tanh(${b.name}))`, ["pow", "add", "sigmoid", "tanh"]],
    ] as [string, string[]][]);
    g.use(...uses);
    return g.emit(expr, a.shape, a, b);
  },

  dense(g, mistake) {
    const a = g.operand((v) => float(v) && v.shape.length === 2 && isStatic(v.shape[1]!));
    if (!a) return null;
    const n = a.shape[1] as number;
    const k = g.c.range(1, 6);
    g.use("matmul");
    if (mistake) {
      const W = g.param([n + 1, k], "W");
      g.wrong("matmulInner", ["GC2001"]);
      g.emit(`matmul(${a.name}, ${W})`, [a.shape[0]!, k], a);
      return "mistake";
    }
    if (g.c.oneIn(3)) {
      const W = g.param([k, n], "W");
      return g.emit(`matmul(${a.name}, ${W}, { transB: true })`, [a.shape[0]!, k], a);
    }
    if (g.c.oneIn(5)) {
      const w = g.param([n], "w");
      return g.emit(`matmul(${a.name}, ${w})`, [a.shape[0]!], a);
    }
    const W = g.param([n, k], "W");
    return g.emit(`matmul(${a.name}, ${W})`, [a.shape[0]!, k], a);
  },

  /** W·a for a value whose first dimension is static ([F, batch] after a transpose, or [F, G]). */
  leftMatmul(g) {
    const a = g.operand((v) => float(v) && v.shape.length === 2 && isStatic(v.shape[0]!));
    if (!a) return null;
    const k = g.c.range(1, 5);
    g.use("matmul");
    if (g.c.oneIn(2)) {
      const Wt = g.param([a.shape[0] as number, k], "W");
      return g.emit(`matmul(${Wt}, ${a.name}, { transA: true })`, [k, a.shape[1]!], a);
    }
    const W = g.param([k, a.shape[0] as number], "W");
    return g.emit(`matmul(${W}, ${a.name})`, [k, a.shape[1]!], a);
  },

  /** aᵀ·b over the batch: [batch, F]ᵀ·[batch, G] → [F, G] (a Gram matrix when b is a). */
  batchContract(g) {
    const a = g.operand((v) => float(v) && v.shape.length === 2 && batchFirst(v.shape));
    if (!a) return null;
    const b = g.operand((v) => float(v) && v.shape.length === 2 && batchFirst(v.shape)) ?? a;
    g.use("matmul");
    return g.emit(`matmul(${a.name}, ${b.name}, { transA: true })`, [a.shape[1]!, b.shape[1]!], a, b);
  },

  reduce(g, mistake) {
    const a = g.operand((v) => float(v) && v.shape.length > 0);
    if (!a) return null;
    const op = g.c.pick(["sum", "mean", "max"]);
    g.use(op);
    const r = a.shape.length;
    if (mistake) {
      g.wrong("axisRange", ["GC2007", "GC2001"]);
      g.emit(`${op}(${a.name}, ${r})`, [], a);
      return "mistake";
    }
    if (g.c.oneIn(6)) return g.emit(`${op}(${a.name})`, [], a);
    const axis = g.c.int(r);
    const keep = g.c.oneIn(3);
    const written = g.c.oneIn(2) ? axis - r : axis; // negative axes count from the end
    const shape = keep ? a.shape.map((d, i) => (i === axis ? 1 : d)) : a.shape.filter((_, i) => i !== axis);
    return g.emit(`${op}(${a.name}, ${written}${keep ? ", true" : ""})`, shape, a);
  },

  reshape(g, mistake) {
    const a = g.operand((v) => float(v) && ((batchFirst(v.shape) && v.shape.length >= 2) || (allStatic(v.shape) && v.shape.length >= 1)));
    if (!a) return null;
    g.use("reshape");
    const rest = a.shape.slice(1) as number[];
    const size = rest.reduce((x, y) => x * y, 1);
    if (a.shape[0] === "B") {
      if (mistake) {
        g.wrong("reshapeSize", ["GC2001", "GC2007"]);
        g.emit(`reshape(${a.name}, ["batch", ${size + 1}])`, ["B", size + 1], a);
        return "mistake";
      }
      if (a.shape.length >= 3) return g.emit(`reshape(${a.name}, ["batch", ${size}])`, ["B", size], a);
      const f = FACTORS[size];
      if (!f) return null;
      const [p, q] = g.c.pick(f);
      return g.emit(`reshape(${a.name}, ["batch", ${p}, ${q}])`, ["B", p, q], a);
    }
    const all = (a.shape as number[]).reduce((x, y) => x * y, 1);
    const f = FACTORS[all];
    const shape = f && g.c.oneIn(2) ? g.c.pick(f) : [all];
    return g.emit(`reshape(${a.name}, ${dims(shape)})`, shape, a);
  },

  transpose(g, mistake) {
    const a = g.operand((v) => float(v) && v.shape.length >= 2 && v.shape.length <= 4);
    if (!a) return null;
    g.use("transpose");
    const r = a.shape.length;
    if (mistake) {
      g.wrong("transposePerm", ["GC2001", "GC2007"]);
      g.emit(`transpose(${a.name}, ${JSON.stringify(Array.from({ length: r }, () => 0))})`, a.shape, a);
      return "mistake";
    }
    if (r === 2) return g.emit(`transpose(${a.name})`, [a.shape[1]!, a.shape[0]!], a);
    const perms = r === 3 ? [[0, 2, 1], [1, 0, 2], [2, 1, 0]] : [[0, 2, 1, 3], [0, 3, 1, 2], [0, 1, 3, 2]];
    const perm = g.c.pick(perms);
    return g.emit(`transpose(${a.name}, ${JSON.stringify(perm)})`, perm.map((p) => a.shape[p]!), a);
  },

  softmax(g) {
    // over the last axis, which must be static (a row of the batch dimension is refused: GC2001)
    const a = g.operand((v) => float(v) && v.shape.length > 0 && isStatic(v.shape[v.shape.length - 1]!));
    if (!a) return null;
    const op = g.c.pick(["softmax", "logSoftmax"]);
    g.use(op);
    return g.emit(`${op}(${a.name})`, a.shape, a);
  },

  concat(g, mistake) {
    const a = g.operand((v) => float(v) && v.shape.length > 0 && isStatic(v.shape[v.shape.length - 1]!));
    if (!a) return null;
    const r = a.shape.length;
    const fits = (v: Value) => float(v) && v.shape.length === r && isStatic(v.shape[r - 1]!) && sameShape(v.shape.slice(0, r - 1), a.shape.slice(0, r - 1));
    g.use("concat");
    if (mistake) {
      const wrong = r >= 2 && isStatic(a.shape[r - 2]!);
      if (!wrong) return null;
      const p = g.param(a.shape.map((d, i) => (i === r - 2 ? (d as number) + 1 : d === "B" ? 2 : (d as number))));
      g.wrong("concatShape", ["GC2001"]);
      g.emit(`concat([${a.name}, ${p}], -1)`, a.shape, a);
      return "mistake";
    }
    const b = g.operand((v) => v !== a && fits(v)) ?? a;
    const three = g.c.oneIn(3);
    const parts = three ? [a, b, a] : [a, b];
    const last = parts.reduce((n, v) => n + (v.shape[r - 1] as number), 0);
    return g.emit(`concat([${parts.map((v) => v.name).join(", ")}]${g.c.oneIn(2) ? `, ${r - 1}` : ""})`, [...a.shape.slice(0, r - 1), last], a, b);
  },

  slice(g, mistake) {
    const a = g.operand((v) => float(v) && v.shape.some((d) => isStatic(d) && d >= 2));
    if (!a) return null;
    g.use("slice");
    const axes = a.shape.map((d, i) => (isStatic(d) && d >= 2 ? i : -1)).filter((i) => i >= 0);
    const axis = g.c.pick(axes);
    const size = a.shape[axis] as number;
    if (mistake) {
      if (g.c.oneIn(2) && a.shape[0] === "B") {
        g.wrong("sliceBatch", ["GC2001", "GC2007"], { symbolicBatch: true });
        g.emit(`slice(${a.name}, { axis: 0, start: 1 })`, a.shape, a);
      } else {
        g.wrong("sliceEmpty", ["GC2001", "GC2007"]);
        g.emit(`slice(${a.name}, { axis: ${axis}, start: ${size} })`, a.shape, a);
      }
      return "mistake";
    }
    for (let tries = 0; tries < 4; tries++) {
      const start = g.c.range(-size, size - 1);
      const end = g.c.oneIn(3) ? size + 2 : g.c.range(-size, size);
      const step = g.c.range(1, 2);
      const n = sliceLength(size, start, end, step);
      if (n === 0) continue;
      const shape = a.shape.map((d, i) => (i === axis ? n : d));
      return g.emit(`slice(${a.name}, { axis: ${axis === a.shape.length - 1 && g.c.oneIn(2) ? -1 : axis}, start: ${start}, end: ${end}${step > 1 ? `, step: ${step}` : ""} })`, shape, a);
    }
    return g.emit(`slice(${a.name}, { axis: ${axis}, start: 1 })`, a.shape.map((d, i) => (i === axis ? size - 1 : d)), a);
  },

  gather(g, mistake) {
    const ids = g.pool.find((v) => v.name === "ids");
    if (!ids) return null;
    const spec = g.inputs.find((i) => i.name === "ids")!;
    const vocab = spec.bound!;
    if (mistake) {
      const x = g.pool.find((v) => v.name === "x")!;
      const E = g.param([vocab, 2], "E");
      g.use("gather");
      g.wrong("gatherFloat", ["GC2007"]);
      g.emit(`gather(${E}, ${x.name})`, ["B", 2], x);
      return "mistake";
    }
    // A table computed from the batch (rows ≥ vocab, static), or a parameter table.
    const table = g.operand((v) => float(v) && v.shape.length >= 1 && allStatic(v.shape) && (v.shape[0] as number) >= vocab);
    if (table && g.c.oneIn(2)) {
      g.use("gather");
      return g.emit(`gather(${table.name}, ids)`, [...ids.shape, ...table.shape.slice(1)], table, ids);
    }
    const d = g.c.range(1, 4);
    const E = g.param([vocab, d], "E");
    if (g.c.oneIn(2)) {
      g.use("gather");
      return g.emit(`gather(${E}, ids)`, [...ids.shape, d], ids);
    }
    g.use("embedding");
    return g.emit(`embedding(ids, ${E})`, [...ids.shape, d], ids);
  },

  conv(g, mistake) {
    const a = g.operand((v) => float(v) && v.shape.length === 4 && batchFirst(v.shape));
    if (!a) return null;
    const [, H, W, C] = a.shape as ["B", number, number, number];
    const k = g.c.range(1, Math.min(3, H, W));
    const cout = g.c.range(1, 4);
    g.use("conv2d");
    if (mistake) {
      const K = g.param([k, k, C + 1, cout], "K");
      g.wrong("convChannels", ["GC2001"]);
      g.emit(`conv2d(${a.name}, ${K})`, a.shape, a);
      return "mistake";
    }
    const K = g.param([k, k, C, cout], "K");
    const form = g.c.int(4);
    if (form === 1) return g.emit(`conv2d(${a.name}, ${K}, { padding: "same" })`, ["B", H, W, cout], a);
    const stride = form === 2 ? 2 : 1;
    const pad = form === 3 ? g.c.range(0, 1) : 0;
    const dilation = form === 3 && g.c.oneIn(2) ? 2 : 1;
    const oh = windowOut(H, k, stride, pad, pad, dilation), ow = windowOut(W, k, stride, pad, pad, dilation);
    if (oh < 1 || ow < 1) return g.emit(`conv2d(${a.name}, ${K})`, ["B", H - k + 1, W - k + 1, cout], a);
    const opts = [stride > 1 ? `stride: ${stride}` : "", pad ? `padding: ${pad}` : "", dilation > 1 ? `dilation: ${dilation}` : ""].filter(Boolean);
    return g.emit(`conv2d(${a.name}, ${K}${opts.length ? `, { ${opts.join(", ")} }` : ""})`, ["B", oh, ow, cout], a);
  },

  pool(g, mistake) {
    const a = g.operand((v) => float(v) && v.shape.length === 4 && batchFirst(v.shape) && (v.shape[1] as number) >= 2 && (v.shape[2] as number) >= 2);
    if (!a) return null;
    const [, H, W, C] = a.shape as ["B", number, number, number];
    const op = g.c.pick(["maxPool2d", "avgPool2d"]);
    g.use(op);
    if (mistake) {
      if (g.c.oneIn(2)) {
        g.wrong("poolTooBig", ["GC2001", "GC2007"]);
        g.emit(`${op}(${a.name}, { size: ${Math.max(H, W) + 1} })`, a.shape, a);
      } else {
        g.wrong("poolPadding", ["GC2007"]);
        g.emit(`${op}(${a.name}, { size: 2, padding: 2 })`, a.shape, a);
      }
      return "mistake";
    }
    const size = g.c.range(2, Math.min(3, H, W));
    const stride = g.c.range(1, size);
    const pad = g.c.int((size >> 1) + 1);
    const oh = windowOut(H, size, stride, pad, pad), ow = windowOut(W, size, stride, pad, pad);
    const opts = [`size: ${size}`, stride !== size ? `stride: ${stride}` : "", pad ? `padding: ${pad}` : ""].filter(Boolean);
    return g.emit(`${op}(${a.name}, { ${opts.join(", ")} })`, ["B", oh, ow, C], a);
  },

  flatten(g) {
    const a = g.operand((v) => float(v) && v.shape.length >= 3 && batchFirst(v.shape));
    if (!a) return null;
    g.use("flatten");
    return g.emit(`flatten(${a.name})`, ["B", (a.shape.slice(1) as number[]).reduce((x, y) => x * y, 1)], a);
  },

  norm(g, mistake) {
    const a = g.operand((v) => float(v) && v.shape.length >= 1 && isStatic(v.shape[v.shape.length - 1]!) && (v.shape[v.shape.length - 1] as number) >= 2);
    if (!a) return null;
    const D = a.shape[a.shape.length - 1] as number;
    if (mistake) {
      const gamma = g.param([D + 1], "gamma");
      g.use("layerNorm");
      g.wrong("layerNormGamma", ["GC2001"]);
      g.emit(`layerNorm(${a.name}, ${gamma})`, a.shape, a);
      return "mistake";
    }
    if (g.c.oneIn(3)) {
      g.use("variance");
      const axis = g.c.int(a.shape.length);
      return g.emit(`variance(${a.name}, ${axis}, true)`, a.shape.map((d, i) => (i === axis ? 1 : d)), a);
    }
    g.use("layerNorm");
    const form = g.c.int(3);
    if (form === 0) return g.emit(`layerNorm(${a.name})`, a.shape, a);
    const gamma = g.param([D], "gamma");
    if (form === 1) return g.emit(`layerNorm(${a.name}, ${gamma})`, a.shape, a);
    const beta = g.param([D], "beta");
    return g.emit(`layerNorm(${a.name}, ${gamma}, ${beta}, { eps: 0.001 })`, a.shape, a);
  },

  recurrent(g) {
    const seq = g.operand((v) => float(v) && v.shape.length === 3 && batchFirst(v.shape) && (v.shape[1] as number) <= 4);
    const row = g.operand((v) => float(v) && v.shape.length === 2 && batchFirst(v.shape));
    const H = g.c.range(1, 3);
    const name = `r${g.pool.length}`;
    if (seq && (!row || g.c.oneIn(2))) {
      const op = g.c.pick(["rnn", "lstm", "gru"]);
      g.use(op);
      const T = seq.shape[1] as number;
      const rev = g.c.oneIn(3) ? ", reverse: true" : "";
      return g.c.oneIn(2)
        ? g.emit(`${op}(${seq.name}, { name: ${JSON.stringify(name)}, hidden: ${H}${rev} }).outputs`, ["B", T, H], seq)
        : g.emit(`${op}(${seq.name}, { name: ${JSON.stringify(name)}, hidden: ${H}${rev} }).h`, ["B", H], seq);
    }
    if (!row) return null;
    const F = row.shape[1] as number;
    const kind = g.c.pick(["lstm", "gru", "rnn"]);
    g.use("cellParams", "zeros");
    if (kind === "lstm") {
      g.use("lstmCell");
      return g.emit(`lstmCell(${row.name}, { h: zeros(["batch", ${H}]), c: zeros(["batch", ${H}]) }, cellParams(${JSON.stringify(name)}, "lstm", ${F}, ${H})).h`, ["B", H], row);
    }
    const cell = kind === "gru" ? "gruCell" : "rnnCell";
    g.use(cell);
    // The state is the (sliced or padded) row itself when it is wide enough, else zeros.
    const h = F >= H ? (F === H ? row.name : `slice(${row.name}, { end: ${H} })`) : `zeros(["batch", ${H}])`;
    if (h.startsWith("slice")) g.use("slice");
    return g.emit(`${cell}(${row.name}, ${h}, cellParams(${JSON.stringify(name)}, ${JSON.stringify(kind)}, ${F}, ${H}))`, ["B", H], row);
  },

  /** The known-bug shape: a [batch, batch] value, then one op over it. */
  batchSquared(g) {
    const a = g.operand((v) => float(v) && v.shape.length === 2 && batchFirst(v.shape));
    if (!a) return null;
    g.use("matmul");
    g.batchTwice = true;
    const s = g.emit(`matmul(${a.name}, ${a.name}, { transB: true })`, ["B", "B"], a);
    const [expr, shape, uses] = g.c.pick([
      [`max(${s.name}, 0)`, ["B"], ["max"]],
      [`matmul(${s.name}, ${a.name})`, a.shape, ["matmul"]],
      [`sum(${s.name}, 1)`, ["B"], ["sum"]],
      [`tanh(${s.name})`, ["B", "B"], ["tanh"]],
    ] as [string, Shape, string[]][]);
    g.use(...uses);
    return g.emit(expr, shape, s, a);
  },
};

/** The steps a model draws from, elementwise math and dense layers more often than the rest. */
const STEP_NAMES = [...Object.keys(STEPS).filter((k) => k !== "batchSquared"), "unary", "unary", "bias", "dense"];

/** The steps to draw from: the ops an image or a sequence needs more often once the model has one. */
function stepNames(g: Generator): string[] {
  const names = [...STEP_NAMES];
  if (g.pool.some((v) => v.shape.length === 4)) names.push("conv", "conv", "pool", "pool", "flatten");
  if (g.pool.some((v) => v.shape.length === 3 && batchFirst(v.shape))) names.push("recurrent", "recurrent");
  if (g.pool.some((v) => v.name === "ids")) names.push("gather", "gather");
  return names;
}

/** Which steps can write which mistake. */
const STEP_MISTAKES: Partial<Record<MistakeKind, string>> = {
  matmulInner: "dense", addShape: "bias", axisRange: "reduce", reshapeSize: "reshape", transposePerm: "transpose",
  sliceEmpty: "slice", sliceBatch: "slice", concatShape: "concat", convChannels: "conv", poolTooBig: "pool",
  poolPadding: "pool", gatherFloat: "gather", layerNormGamma: "norm",
};

/** Mistakes written without any particular operand. */
function freeMistake(g: Generator, kind: MistakeKind): boolean {
  const a = g.operand(float) ?? g.pool[0]!;
  switch (kind) {
    case "duplicateName": {
      const first = g.param([1]);
      g.wrong(kind, ["GC2004"]);
      g.body.push(`  const again = param(${JSON.stringify(first)}, [2]);`);
      return true;
    }
    case "unknownOp":
      // A misspelt op, imported as the user would: the import is where the name is unknown.
      g.use("tanhh");
      g.mistake = { kind, line: 1, codes: ["GC2002"] };
      g.emit(`tanhh(${a.name})`, a.shape, a);
      return true;
    case "typeError":
      g.use("add");
      g.wrong(kind, ["GC1002"]);
      g.emit(`add(${a.name}, "1")`, a.shape, a);
      return true;
    case "leakyAlpha":
      g.use("leakyRelu");
      g.wrong(kind, ["GC2007"]);
      g.emit(`leakyRelu(${a.name}, Number.NaN)`, a.shape, a);
      return true;
    case "secondBatchName":
      g.wrong(kind, ["GC2008"]);
      g.body.push(`  const z = input("z", ["time", 2]);`);
      return true;
    case "paramShape":
      g.wrong(kind, ["GC2007"]);
      g.body.push(`  const bad = param("bad", [0, 3]);`);
      return true;
    case "modelThrows":
      g.wrong(kind, ["GC1003"]);
      g.body.push(`  if (${a.name}.shape.length >= 0) throw new Error("the model gave up");`);
      return true;
    case "constantNaN":
      g.use("mul", "constant");
      g.wrong(kind, ["GC2007"]);
      g.emit(`mul(${a.name}, constant([1, Number.NaN]))`, a.shape, a);
      return true;
    case "matmulRank3": {
      // A matrix times a sequence (a sequence times a matrix is a product at every position, not a mistake).
      const b = g.operand((v) => float(v) && v.shape.length >= 3 && isStatic(v.shape[v.shape.length - 1]!));
      if (!b) return false;
      const W = g.param([2, b.shape[0] === undefined || !isStatic(b.shape[0]) ? 2 : (b.shape[0] as number)], "W");
      g.use("matmul");
      g.wrong(kind, ["GC2001"]);
      g.emit(`matmul(${W}, ${b.name})`, b.shape, b);
      return true;
    }
    default:
      return false;
  }
}

/** Draws the model's inputs; x [batch, F] always comes first. */
function drawInputs(g: Generator): void {
  const c = g.c;
  g.pool.push(g.input("x", ["B", c.range(1, 6)], "float"));
  if (c.oneIn(4)) g.pool.push(g.input("img", ["B", c.range(3, 6), c.range(3, 6), c.range(1, 3)], "float"));
  if (c.oneIn(5)) {
    const vocab = c.range(2, 5);
    const ids = g.input("ids", ["B", c.range(1, 3)], "int", vocab);
    ids.used = true; // integer indices: nothing to differentiate, no loss term
    g.pool.push(ids);
  }
  if (c.oneIn(5)) g.pool.push(g.input("seq", ["B", c.range(1, 3), c.range(1, 3)], "float"));
}

/** The loss: a head on the last value, plus a small mean of every value nothing else used. */
function lossHead(g: Generator, mistake: MistakeKind | null): string {
  const c = g.c;
  const floats = g.pool.filter(float);
  const f = floats[floats.length - 1]!;
  f.used = true;
  const s = f.shape;
  const rows = s.length === 2 && s[0] === "B" && isStatic(s[1]!) && (s[1] as number) >= 2;
  const targetShape = s;
  let head: string;

  if (mistake === "mseBroadcast") {
    // pred [batch, 1] against y [batch]: broadcasts to [batch, batch] (PyTorch warns; gradc should say so).
    const col = g.emit(`sum(${f.name}, -1, true)`, s.length ? [...s.slice(0, -1), 1] : [1], f);
    g.use("sum", "mse");
    const y = g.input("y", [col.shape[0]!], "float");
    g.wrong("mseBroadcast", ["GC2009"], { mayCompile: true });
    g.body.push(`  const head = mse(${col.name}, ${y.name});`);
    col.used = true;
    return "head";
  }
  const kind = c.int(rows ? 5 : 3);
  if (kind === 3 || kind === 4) {
    const classes = s[1] as number;
    g.input("labels", ["B"], "int", classes);
    if (kind === 3) {
      g.use("softmaxCrossEntropy");
      head = `softmaxCrossEntropy(${f.name}, labels)`;
    } else {
      g.use("crossEntropy", "softmax");
      head = `crossEntropy(softmax(${f.name}), labels)`;
    }
  } else if (kind === 0 && s.length > 0) {
    g.input("y", targetShape, "float");
    g.use("mse");
    head = `mse(${f.name}, y)`;
  } else if (kind === 1 && s.length > 0) {
    g.input("target", targetShape, "unit");
    g.use("binaryCrossEntropy", "sigmoid");
    head = `binaryCrossEntropy(sigmoid(${f.name}), target)`;
  } else {
    g.use("mean", "square");
    head = s.length === 0 ? `square(${f.name})` : `mean(square(${f.name}))`;
  }
  g.body.push(`  const head = ${head};`);
  return "head";
}

/** One random model from a choice stream. */
export function generateModel(choices: readonly number[], options: GenerateOptions = {}): RandomModel {
  const c = new Choices(choices);
  const wanted = options.mistake ?? null;
  const g = new Generator(c, wanted);
  drawInputs(g);

  // The first step makes a parameter, so that every model has one to train.
  STEPS.dense!(g, false);
  const steps = c.range(1, 7);
  const mistakeAt = wanted ? c.int(steps) : -1;
  let batchTwiceAt = options.batchTwice ? c.int(steps) : -1;
  for (let i = 0; i < steps && !g.mistake; i++) {
    if (i === batchTwiceAt && STEPS.batchSquared!(g, false) === null) batchTwiceAt++; // retry at the next step
    if (i === mistakeAt && wanted && wanted !== "lossNotScalar" && wanted !== "mseBroadcast") {
      const step = STEP_MISTAKES[wanted];
      const done = step ? STEPS[step]!(g, true) === "mistake" : freeMistake(g, wanted);
      if (!done) {
        // The drawn model has nothing this mistake applies to: make something it does.
        const fallback: MistakeKind = "axisRange";
        STEPS[STEP_MISTAKES[fallback]!]!(g, true);
      }
      break;
    }
    for (let tries = 0; tries < 6; tries++) if (STEPS[c.pick(stepNames(g))]!(g, false)) break;
  }
  // Every such draw gets its [batch, batch] value (x [batch, F] always fits).
  if (options.batchTwice && !g.batchTwice && !g.mistake) STEPS.batchSquared!(g, false);

  let loss: string;
  if (g.mistake) {
    // Everything after the mistake is never traced; keep the file a whole model all the same.
    g.use("mean");
    loss = `mean(${g.pool[0]!.name})`;
  } else {
    loss = lossHead(g, wanted === "mseBroadcast" ? "mseBroadcast" : null);
    const extra = g.pool.filter((v) => float(v) && !v.used && !v.name.match(/^(x|img|seq)$/));
    if (extra.length) {
      g.use("add", "mul", "mean");
      loss = extra.reduce((acc, v) => `add(${acc}, mul(0.3, mean(${v.name})))`, loss);
      for (const v of extra) v.used = true;
    }
    if (wanted === "lossNotScalar") {
      const v = g.pool.filter((p) => float(p) && p.shape.length > 0).at(-1) ?? g.pool[0]!;
      // The error points at the value returned as the loss, where it was made.
      const line = g.body.findIndex((l) => l.startsWith(`  const ${v.name} = `)) + 4;
      g.mistake = { kind: "lossNotScalar", line, codes: ["GC2006"] };
      loss = v.name;
    }
  }
  const lastFloat = g.pool.filter(float).at(-1)!;
  g.body.push(`  const loss = ${loss};`);
  g.body.push(`  return { loss, outputs: { out: ${lastFloat.name} } };`);

  const uses = new Set([...g.uses].filter((n) => n !== "tanhh"));
  const source = [
    `import { ${[...g.uses].sort().join(", ")} } from "gradc";`,
    "",
    `export default model("random", () => {`,
    ...g.body,
    "});",
    "",
  ].join("\n");
  return { source, inputs: g.inputs, uses, mistake: g.mistake, batchTwice: g.batchTwice };
}
