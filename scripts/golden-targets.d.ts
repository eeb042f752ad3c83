// Types for scripts/golden-targets.js (imported by test/golden/golden.test.ts).
export interface GoldenTarget {
  /** The model file, relative to the repository root. */
  readonly model: string;
  /** The committed generated module, relative to the repository root. */
  readonly out: string;
  readonly dtype: "f32" | "f64";
  readonly batch?: number;
}
export declare const VARIANTS: readonly { readonly example: string; readonly dtype: "f32" | "f64"; readonly batch: number }[];
export declare const FIXTURES: readonly string[];
export declare function exampleNames(): string[];
export declare function compiledWith(out: string): { dtype: "f32" | "f64"; batch?: number };
export declare function goldenTargets(): GoldenTarget[];
