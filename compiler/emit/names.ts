import { RUNTIME_MATH } from "../ops/op.js";

// Identifiers for emitted code. User-chosen names (parameters, inputs, model.ts variables) become
// identifiers only after sanitizing; everywhere else they appear as string data (JSON.stringify).

const RESERVED = new Set(
  ("break case catch class const continue debugger default delete do else enum export extends false finally for function if " +
    "import in instanceof new null return super switch this throw true try typeof var void while with yield let static " +
    "implements interface package private protected public await arguments eval undefined NaN Infinity Math Object Array " +
    "Float32Array Float64Array Int32Array Error Number String JSON spec params inputs ws n i j k l m q r p a b c aik bRow cRow GEMM createGemm toArray rng")
    .split(" "),
);

// The gradc/runtime functions ops' expressions call (erf): the module imports them, no local may shadow one.
for (const f of Object.keys(RUNTIME_MATH)) RESERVED.add(f);


export class Names {
  private readonly used = new Set<string>(RESERVED);
  /**
   * Base → the suffix its last `base_k` got. Names are never released, so the first free k only
   * grows: resuming the search there gives the same names as counting from 2 each time, without
   * the quadratic count (a deep network asks for "matmul" thousands of times).
   */
  private readonly lastSuffix = new Map<string, number>();

  /** A fresh identifier resembling `hint` (never with a `$`): `hint` itself, else the first free `hint_2`, `hint_3`, …. */
  fresh(hint: string): string {
    let base = hint.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(\d)/, "_$1") || "t";
    if (base.length > 40) base = base.slice(0, 40);
    let name = base;
    if (this.used.has(name)) {
      let k = this.lastSuffix.get(base) ?? 2;
      while (this.used.has(`${base}_${k}`)) k++;
      name = `${base}_${k}`;
      this.lastSuffix.set(base, k);
    }
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }
}

/** Text safe inside a `//` comment: one line, printable. */
export const commentText = (s: string): string => s.replace(/[\u0000-\u001f\u2028\u2029\u007f]/g, " ");

/** A property access that is safe whatever the key: obj["key"]. */
export const prop = (obj: string, key: string): string => `${obj}[${JSON.stringify(key)}]`;
