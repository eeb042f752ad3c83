// Which loop nest each product takes (compiler/ops/matmul.ts lowerKernel). Every form computes the same
// values (test/ops/compiled.test.ts checks each against finite differences), so a wrong choice is a
// speed bug no value test sees: a static product with K, N ≤ 8 sent to the large GEMM, or a sequence's
// product left to a per-row loop. Here each product's forward pass is read for the form's mark.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { model } from "../../compiler/dsl/model.js";
import type { Node } from "../../compiler/ir/node.js";
import type { Dim } from "../../compiler/ir/shape.js";
import { compileAndImport } from "../helpers/compiled.js";

type Build = (v: { x: Node; u: Node; W: Node; A: Node }) => Node;

interface Case {
  readonly name: string;
  readonly x: Dim[];
  readonly W: number[];
  readonly A?: number[];
  readonly u?: Dim[];
  /** x holds integers (an Int32Array in both precisions). */
  readonly xInt?: boolean;
  readonly build: Build;
  /** Marks the forward pass must contain, per precision (a mark for both when given once). */
  readonly has: Partial<Record<"f32" | "f64" | "both", (string | RegExp)[]>>;
  readonly lacks: Partial<Record<"f32" | "f64" | "both", (string | RegExp)[]>>;
}

const B = "batch";
const contractionLoop = /for \(let k = 0; k < \d+; k\+\+\)/;
const blocked = /for \(; i \+ \d+ < /; // the register-blocked GEMM's row blocks
const simd = ".product(";

const cases: Case[] = [
  {
    name: "x[batch,3]·W[3,2]: register columns, the contraction written out",
    x: [B, 3],
    W: [3, 2],
    build: (v) => d.matmul(v.x, v.W),
    has: {
      both: [
        /=\s+x\[i \* 3\]! \* W\[0\]! \+\s+x\[i \* 3 \+ 1\]! \* W\[2\]! \+\s+x\[i \* 3 \+ 2\]! \* W\[4\]!;/,
      ],
    },
    lacks: { both: [contractionLoop, simd, blocked, ".fill("] },
  },
  {
    name: "x[batch,12]·W[12,5]: register columns, a looped contraction",
    x: [B, 12],
    W: [12, 5],
    build: (v) => d.matmul(v.x, v.W),
    has: {
      both: [
        /for \(let k = 0; k < 12; k\+\+\) \{/,
        /_4 \+= aik \* W\[k \* 5 \+ 4\]!;/,
      ],
    },
    lacks: { both: [simd, blocked, ".fill("] },
  },
  {
    name: "x[batch,3]·W[3,11]: many columns, each row accumulated",
    x: [B, 3],
    W: [3, 11],
    build: (v) => d.matmul(v.x, v.W),
    has: {
      both: [
        /\.fill\(0, cRow\w*, cRow\w* \+ 11\);/,
        /for \(let j = 0; j < 11; j\+\+\) \w+\[cRow\w* \+ j\]! \+= aik \* W\[bRow \+ j\]!;/,
      ],
    },
    lacks: { both: [simd, blocked, /const acc\w* = /] }, // stored as it is summed: no epilogue loop
  },
  {
    name: "x[batch,3]·W[11,3]ᵀ: dot products",
    x: [B, 3],
    W: [11, 3],
    build: (v) => d.matmul(v.x, v.W, { transB: true }),
    has: {
      both: [
        /for \(let k = 0; k < 3; k\+\+\) acc\w* \+= x\[i \* 3 \+ k\]! \* W\[j \* 3 \+ k\]!;/,
      ],
    },
    lacks: { both: [simd, blocked] },
  },
  {
    name: "A[64,8]·W[8,8] (static, 4096 multiply-adds, K and N ≤ 8): register columns, not the GEMM",
    x: [B, 8],
    W: [8, 8],
    A: [64, 8],
    build: (v) => d.mul(v.x, d.sum(d.matmul(v.A, v.W), 0)),
    has: {
      both: [
        /for \(let i = 0; i < 64; i\+\+\) \{/,
        /=\s+A\[i \* 8\]! \* W\[0\]! \+\s+A\[i \* 8 \+ 1\]! \* W\[8\]! \+/,
      ],
    },
    lacks: { both: [simd, blocked, contractionLoop] },
  },
  {
    name: "A[64,12]·W[12,5] (static, K > 8): the large product, though N ≤ 8",
    x: [B, 5],
    W: [12, 5],
    A: [64, 12],
    build: (v) => d.mul(v.x, d.sum(d.matmul(v.A, v.W), 0)),
    has: { f64: [blocked], f32: [/\.product\(64, 5, 12, A, 12, 1, W, 5\)/] },
    lacks: { f64: [simd], f32: [blocked] },
  },
  {
    name: "A[64,8]·W[8,12] (static, N > 8): the large product, though K ≤ 8",
    x: [B, 12],
    W: [8, 12],
    A: [64, 8],
    build: (v) => d.mul(v.x, d.sum(d.matmul(v.A, v.W), 0)),
    has: { f64: [blocked], f32: [/\.product\(64, 12, 8, A, 8, 1, W, 12\)/] },
    lacks: { f64: [simd], f32: [blocked] },
  },
  {
    name: "x[batch,32]·W[32,16] (512 multiply-adds a row, the threshold): the large product",
    x: [B, 32],
    W: [32, 16],
    build: (v) => d.matmul(v.x, v.W),
    has: { f64: [blocked], f32: [/\.product\(n, 16, 32, x, 32, 1, W, 16\)/] },
    lacks: { f64: [simd], f32: [blocked] },
  },
  {
    name: "x[batch,40]·W[40,24]: the large product (blocked in float64, SIMD in float32)",
    x: [B, 40],
    W: [40, 24],
    build: (v) => d.matmul(v.x, v.W),
    has: { f64: [blocked], f32: [/\.product\(n, 24, 40, x, 40, 1, W, 24\)/] },
    lacks: { f64: [simd], f32: [blocked] },
  },
  {
    name: "an integer k[batch,40]·W[40,24]: the blocked loop nest in float32 too (the SIMD product takes float32 arrays)",
    x: [B, 40],
    xInt: true,
    W: [40, 24],
    build: (v) => d.matmul(v.x, v.W),
    has: { both: [blocked] },
    lacks: { both: [simd] },
  },
  {
    name: "a sequence x[batch,3,4]·W[4,5]: the large product however small, over n·3 rows",
    x: [B, 3, 4],
    W: [4, 5],
    build: (v) => d.matmul(v.x, v.W),
    has: {
      f64: [/for \(; i < n \* 3; i\+\+\)/],
      f32: [/\.product\(n \* 3, 5, 4, x, 4, 1, W, 5\)/],
    },
    lacks: { f64: [simd] },
  },
  {
    name: "an integer sequence k[batch,3,4]·W[4,5]: the blocked loop nest over n·3 rows in float32 too",
    x: [B, 3, 4],
    xInt: true,
    W: [4, 5],
    build: (v) => d.matmul(v.x, v.W),
    has: { both: [/for \(; i < n \* 3; i\+\+\)/] },
    lacks: { both: [simd] },
  },
  {
    name: "h·hᵀ [batch,batch] with h [batch,520]: the large product, in float64 blocked over rows and columns of run-time bounds",
    x: [B, 1],
    W: [1, 520],
    build: (v) => {
      const h = d.tanh(d.matmul(v.x, v.W));
      return d.matmul(h, h, { transB: true });
    },
    has: { f64: [/for \(; i \+ 2 < n; i \+= 3\) \{/, /for \(; j \+ 3 < n; j \+= 4\) \{/, /for \(; j < n; j\+\+\) \{/], f32: [/\.product\(n, n, 520, /] },
    lacks: { f64: [simd] },
  },
  {
    name: "xᵀ·u [3,4] (12 sums): a contraction over the batch in scalar locals",
    x: [B, 3],
    W: [1, 1],
    u: [B, 4],
    build: (v) => d.matmul(v.x, v.u, { transA: true }),
    has: { both: ["store the sums over the batch"] },
    lacks: { both: [simd, blocked, /for \(let p = 0;/] },
  },
  {
    name: "tanh(xᵀ·u) [5,4] (20 sums): a contraction over the batch into C, the epilogue after the loop",
    x: [B, 5],
    W: [1, 1],
    u: [B, 4],
    build: (v) => d.tanh(d.matmul(v.x, v.u, { transA: true })),
    has: {
      both: [/for \(let p = 0; p < 5; p\+\+\) \{/, /Math\.tanh\(acc\w*\)/],
    },
    lacks: { both: [simd, blocked, "store the sums over the batch"] },
  },
];

const forwardPass = (code: string): string => {
  const start = code.indexOf("function forwardPass(");
  expect(start).toBeGreaterThanOrEqual(0);
  return code.slice(start, code.indexOf("\n}\n", start));
};

describe("each matmul takes its loop nest", () => {
  for (const c of cases) {
    for (const dtype of ["f64", "f32"] as const) {
      it(`${c.name} (${dtype})`, async () => {
        const def = model("product", () => {
          const x = d.input("x", c.x, c.xInt ? { dtype: "int" } : {});
          const u = d.input("u", c.u ?? [B, 1]);
          const W = d.param("W", c.W);
          const A = d.param("A", c.A ?? [1, 1]);
          const y = c.build({ x, u, W, A });
          return { loss: d.sum(d.square(y)), outputs: { y } };
        });
        const { code } = await compileAndImport(def, { dtype });
        const pass = forwardPass(code);
        for (const mark of [...(c.has.both ?? []), ...(c.has[dtype] ?? [])])
          expect(pass).toMatch(mark);
        for (const mark of [...(c.lacks.both ?? []), ...(c.lacks[dtype] ?? [])])
          expect(pass).not.toMatch(mark);
      });
    }
  }
});
