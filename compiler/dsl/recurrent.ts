// Recurrent cells and layers with PyTorch's equations and gate layouts, built on scan.
//
// Weights follow gradc's convention ([in, out], applied as x·W), so W_ih here is the transpose of
// torch's `weight_ih_l0` ([gates·H, in]); the gates are stacked along the last axis in torch's order:
//   RNN   h' = tanh(x·W_ih + b_ih + h·W_hh + b_hh)                              (or relu)
//   LSTM  i, f, g, o = split₄(x·W_ih + b_ih + h·W_hh + b_hh)
//         c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g),   h' = σ(o) ⊙ tanh(c')
//   GRU   r, z = σ(split₂(x·W_ih[:, :2H] + b_ih[:2H] + h·W_hh[:, :2H] + b_hh[:2H]))
//         n = tanh(x·W_in + b_in + r ⊙ (h·W_hn + b_hn)),   h' = (1 − z) ⊙ n + z ⊙ h
// Parameters are initialized as torch does, U(−1/√H, 1/√H) for every weight and bias.
import { codes } from "../diagnostics.js";
import { add, matmul, mul, param, relu, sigmoid, sub, tanh, zeros, type Tensor } from "./core.js";
import { fail } from "../ir/context.js";
import { slice } from "./indexing.js";
import { named, scan } from "./scan.js";

/** A cell's weights: W_ih [in, gates·H], W_hh [H, gates·H], biases [gates·H] (optional). */
export interface CellParams {
  readonly Wih: Tensor;
  readonly Whh: Tensor;
  readonly bih?: Tensor | null;
  readonly bhh?: Tensor | null;
}

export type CellKind = "rnn" | "lstm" | "gru";
const GATES: Record<CellKind, number> = { rnn: 1, lstm: 4, gru: 3 };

/** Declares a cell's parameters `${name}.Wih`, `.Whh`, `.bih`, `.bhh` with torch's initialization. */
export function cellParams(name: string, kind: CellKind, inputSize: number, hidden: number, options: { bias?: boolean } = {}): CellParams {
  if (!(kind in GATES)) fail(codes.badArgument, `recurrent cell kind must be "rnn", "lstm" or "gru", got ${JSON.stringify(kind)}`);
  const width = GATES[kind] * hidden;
  const k = 1 / Math.sqrt(hidden);
  const init = { init: "uniform" as const, low: -k, high: k };
  const bias = options.bias ?? true;
  return {
    Wih: param(`${name}.Wih`, [inputSize, width], init),
    Whh: param(`${name}.Whh`, [hidden, width], init),
    bih: bias ? param(`${name}.bih`, [width], init) : null,
    bhh: bias ? param(`${name}.bhh`, [width], init) : null,
  };
}

/** x·W + b (all gates at once), or x·W without a bias. */
function affine(x: Tensor, W: Tensor, b: Tensor | null | undefined): Tensor {
  const xw = matmul(x, W);
  return b ? add(xw, b) : xw;
}

const gate = (t: Tensor, k: number, hidden: number) => slice(t, { axis: -1, start: k * hidden, end: (k + 1) * hidden });


function hiddenOf(p: CellParams, gates: number, what: string): number {
  const width = p.Whh.shape[1] as number;
  const hidden = p.Whh.shape[0] as number;
  if (width !== gates * hidden) fail(codes.shape, `${what}: W_hh must be [H, ${gates}·H], got [${p.Whh.shape.join(", ")}]`);
  return hidden;
}

/** One step of torch.nn.RNNCell. */
export function rnnCell(x: Tensor, h: Tensor, p: CellParams, options: { nonlinearity?: "tanh" | "relu" } = {}): Tensor {
  hiddenOf(p, 1, "rnnCell");
  // The input's part is named: compiled, it is computed for all steps before the loop (passes/hoistStepProducts.ts).
  const z = named(add(named(affine(x, p.Wih, p.bih), "z_x"), affine(h, p.Whh, p.bhh)), "z");
  return named(options.nonlinearity === "relu" ? relu(z) : tanh(z), "h_next");
}

/** One step of torch.nn.LSTMCell: the new hidden and cell states. */
export function lstmCell(x: Tensor, state: { readonly h: Tensor; readonly c: Tensor }, p: CellParams): { h: Tensor; c: Tensor } {
  const H = hiddenOf(p, 4, "lstmCell");
  const gates = named(add(named(affine(x, p.Wih, p.bih), "gates_x"), affine(state.h, p.Whh, p.bhh)), "gates");
  // Each gate's pre-activation is named too, so its gradient reads di_pre, df_pre, … in generated code.
  const i = named(sigmoid(named(gate(gates, 0, H), "i_pre")), "i_gate");
  const f = named(sigmoid(named(gate(gates, 1, H), "f_pre")), "f_gate");
  const g = named(tanh(named(gate(gates, 2, H), "g_pre")), "g_gate");
  const o = named(sigmoid(named(gate(gates, 3, H), "o_pre")), "o_gate");
  const c = named(add(mul(f, state.c), mul(i, g)), "c_next");
  return { h: named(mul(o, named(tanh(c), "tanh_c")), "h_next"), c };
}

/** One step of torch.nn.GRUCell. */
export function gruCell(x: Tensor, h: Tensor, p: CellParams): Tensor {
  const H = hiddenOf(p, 3, "gruCell");
  const gx = named(affine(x, p.Wih, p.bih), "gates_x");
  const gh = named(affine(h, p.Whh, p.bhh), "gates_h");
  const r = named(sigmoid(named(add(gate(gx, 0, H), gate(gh, 0, H)), "r_pre")), "r_gate");
  const z = named(sigmoid(named(add(gate(gx, 1, H), gate(gh, 1, H)), "z_pre")), "z_gate");
  const n = named(tanh(named(add(gate(gx, 2, H), mul(r, gate(gh, 2, H))), "n_pre")), "n_gate");
  return named(add(mul(sub(1, z), n), mul(z, h)), "h_next");
}

export interface RecurrentOptions {
  /** Prefix of the parameters' names (`${name}.Wih`, …). */
  readonly name: string;
  readonly hidden: number;
  /** The initial hidden state [batch, H] (zeros by default). */
  readonly h0?: Tensor;
  readonly bias?: boolean;
  /** Run from the last step to the first (outputs stay in time order). */
  readonly reverse?: boolean;
}

/** Checks xs is [batch, T, in] and gives its input size. */
function inputSizeOf(xs: Tensor, what: string): number {
  const d = xs.shape[2];
  if (xs.shape.length !== 3 || typeof d !== "number") fail(codes.shape, `${what}: the sequence must be [batch, T, features], got [${xs.shape.join(", ")}]`);
  return d;
}

const initialState = (xs: Tensor, hidden: number, given?: Tensor) => given ?? zeros([xs.shape[0]!, hidden]);

/** torch.nn.RNN (one layer, batch_first): every step's hidden state [batch, T, H] and the last one. */
export function rnn(xs: Tensor, options: RecurrentOptions & { nonlinearity?: "tanh" | "relu" }): { outputs: Tensor; h: Tensor } {
  const p = cellParams(options.name, "rnn", inputSizeOf(xs, "rnn"), options.hidden, options);
  const cellOptions = options.nonlinearity ? { nonlinearity: options.nonlinearity } : {};
  const r = scan(
    (h: Tensor, x: Tensor) => {
      const h2 = rnnCell(x, h, p, cellOptions);
      return { carry: h2, output: h2 };
    },
    initialState(xs, options.hidden, options.h0),
    xs,
    { reverse: !!options.reverse },
  );
  return { outputs: r.outputs, h: r.carry };
}

/** torch.nn.LSTM (one layer, batch_first): every step's h [batch, T, H], the last h and c. */
export function lstm(xs: Tensor, options: RecurrentOptions & { c0?: Tensor }): { outputs: Tensor; h: Tensor; c: Tensor } {
  const p = cellParams(options.name, "lstm", inputSizeOf(xs, "lstm"), options.hidden, options);
  const r = scan(
    (state: { h: Tensor; c: Tensor }, x: Tensor) => {
      const next = lstmCell(x, state, p);
      return { carry: next, output: next.h };
    },
    { h: initialState(xs, options.hidden, options.h0), c: initialState(xs, options.hidden, options.c0) },
    xs,
    { reverse: !!options.reverse },
  );
  return { outputs: r.outputs, h: r.carry.h, c: r.carry.c };
}

/** torch.nn.GRU (one layer, batch_first): every step's hidden state [batch, T, H] and the last one. */
export function gru(xs: Tensor, options: RecurrentOptions): { outputs: Tensor; h: Tensor } {
  const p = cellParams(options.name, "gru", inputSizeOf(xs, "gru"), options.hidden, options);
  const r = scan(
    (h: Tensor, x: Tensor) => {
      const h2 = gruCell(x, h, p);
      return { carry: h2, output: h2 };
    },
    initialState(xs, options.hidden, options.h0),
    xs,
    { reverse: !!options.reverse },
  );
  return { outputs: r.outputs, h: r.carry };
}
