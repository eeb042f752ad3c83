// `gradc init [dir]`: a project that works with its two commands, `npm install` then `npm run train`.
//
// It writes package.json (gradc as a dependency at this version; `build` compiles model.ts, `train`
// builds and runs train.ts with tsx, `typecheck` runs tsc), a strict tsconfig.json, model.ts (a small
// MLP from gradc/layers), train.ts (trains the generated module on two spirals it makes itself, with
// the runtime's progress output, so nothing is downloaded at run time) and a .gitignore. It never
// replaces a file: when any of them exists it writes nothing and names them all (GC3007), unless
// --force. Each file is written atomically. Tested in test/cli/init.test.ts and, from the packed
// tarball, test/package/install.test.ts.

import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { codes, GradcError } from "./diagnostics.js";
import { ownPackage, version } from "./version.js";

/** tsx runs train.ts on Node 20, which cannot run TypeScript itself; pinned, as gradc pins its own tools. */
const TSX = "4.23.15";

/** typescript and @types/node at the versions gradc itself is built and tested with. */
function devVersion(name: "typescript" | "@types/node"): string {
  return ownPackage()?.devDependencies?.[name] ?? { typescript: "7.0.2", "@types/node": "20.19.43" }[name];
}

export interface InitOptions {
  /** Replace the scaffold's files where they exist. */
  readonly force?: boolean;
}

/** The scaffold's files, in the order they are written and listed. */
export function scaffoldFiles(dir: string): ReadonlyMap<string, string> {
  return new Map([
    ["package.json", packageJson(packageName(dir))],
    ["tsconfig.json", TSCONFIG],
    ["model.ts", MODEL],
    ["train.ts", TRAIN],
    [".gitignore", GITIGNORE],
  ]);
}

/**
 * Checks that `dir` can take the scaffold (a folder or nothing; none of the files there unless `force`)
 * and returns the files to write. Throws GC3007 naming every file that exists, GC3001 when `dir` is a file.
 */
export function planInit(dir: string, shown: string, options: InitOptions = {}): ReadonlyMap<string, string> {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new GradcError(codes.io, `cannot create a project in ${shown}: it is a file, not a folder`);
  const files = scaffoldFiles(dir);
  if (options.force) return files;
  const existing = [...files.keys()].filter((f) => existsSync(path.join(dir, f)));
  if (existing.length) {
    const where = shown === "." ? "this folder" : shown;
    throw new GradcError(
      codes.outputExists,
      `gradc init would replace ${existing.join(", ")} in ${where}; nothing was written. Run it in an empty folder (gradc init my-model), or pass --force to replace ${existing.length === 1 ? "it" : "them"}`,
    );
  }
  return files;
}

/** What to tell the user once the files are written. */
export function nextSteps(shown: string, written: readonly string[]): string {
  const cd = shown === "." ? "" : `  cd ${/\s/.test(shown) ? JSON.stringify(shown) : shown}\n`;
  return (
    `Created a gradc project in ${shown === "." ? "this folder" : shown}: ${written.join(", ")}\n\n` +
    `Next:\n${cd}  npm install\n  npm run train       compiles model.ts into model.gen.ts, then trains it (train.ts)\n\n` +
    `Edit model.ts and run npm run build (or npx gradc compile model.ts --watch) to recompile;\n` +
    `npx gradc explain model.ts prints its gradients, npm run typecheck checks the project with tsc.\n`
  );
}

/** An npm package name from the folder's name (lowercase, URL-safe), or "my-model". */
function packageName(dir: string): string {
  const name = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, "-")
    .replace(/^[._-]+|[-]+$/g, "");
  return name && name !== "node_modules" && name !== "favicon.ico" ? name.slice(0, 214) : "my-model";
}

function packageJson(name: string): string {
  const pkg = {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    scripts: {
      build: "gradc compile model.ts",
      train: "npm run build && tsx train.ts",
      typecheck: "npm run build && tsc",
    },
    dependencies: { gradc: `^${version()}` },
    devDependencies: { "@types/node": devVersion("@types/node"), tsx: TSX, typescript: devVersion("typescript") },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      types: ["node"],
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      noImplicitOverride: true,
      noFallthroughCasesInSwitch: true,
      skipLibCheck: true,
      noEmit: true,
    },
    include: ["*.ts"],
  },
  null,
  2,
)}\n`;

const MODEL = `// The network: 2 inputs → 32 → 32 ReLU units → 2 class scores, trained with softmax cross-entropy.
// \`npm run build\` (gradc compile model.ts) turns it into model.gen.ts, a trainer module that
// train.ts imports; \`npx gradc explain model.ts\` prints every gradient it computes.
import { model, input, softmax, softmaxCrossEntropy } from "gradc";
import { mlp } from "gradc/layers";

export default model("spirals", () => {
  const x = input("x", ["batch", 2]); // a point in the plane
  const y = input("y", ["batch"], { dtype: "int" }); // its class, 0 or 1
  const logits = mlp(x, [2, 32, 32, 2], { activation: "relu" }); // nn.Linear layers with PyTorch's init
  return { loss: softmaxCrossEntropy(logits, y), outputs: { logits, probabilities: softmax(logits) } };
});
`;

const TRAIN = `// Trains the module gradc compiled from model.ts (\`npm run train\` compiles it first) on two
// interleaved spirals made here, so nothing is downloaded: 1,600 points to train on, 400 to test.
import { createRng, evaluate, fit, fromArrays, split } from "gradc/runtime";
import { createTrainer, initParams, spec } from "./model.gen.js";

/** n points on two spiral arms, half on each: x [n, 2] coordinates, y [n] the arm, 0 or 1. */
function spirals(n: number, seed: number) {
  const rng = createRng(seed);
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const arm = i % 2;
    const t = Math.sqrt(rng.uniform()) * 3 * Math.PI; // how far along the arm (denser near the centre)
    const angle = t + arm * Math.PI;
    x[2 * i] = (t / (3 * Math.PI)) * Math.cos(angle) + 0.02 * rng.normal();
    x[2 * i + 1] = (t / (3 * Math.PI)) * Math.sin(angle) + 0.02 * rng.normal();
    y[i] = arm;
  }
  return fromArrays({ x: { shape: [2], dtype: "f32", values: x }, y: { shape: [], dtype: "i32", values: y } });
}

const { train, test } = split(spirals(2000, 0), 0.8, 0);
const trainer = createTrainer(initParams(0), { optimizer: { kind: "adam", lr: 0.01 } });
console.log(\`model "\${spec.name}": \${train.size} training and \${test.size} test points, Adam(lr = 0.01), batches of 32\`);

// One line per epoch (a progress bar on a terminal): the loss, and the accuracy on both sets.
fit(trainer, train, { epochs: 20, batchSize: 32, seed: 0, test, scores: "logits", labels: "y" });

const { loss, accuracy } = evaluate(trainer, test, { scores: "logits", labels: "y" });
console.log(\`test loss \${loss.toFixed(4)}, test accuracy \${((accuracy ?? 0) * 100).toFixed(1)}%\`);
`;

const GITIGNORE = `node_modules/
# written by gradc compile (npm run build) from model.ts; commit it instead if you like: it is deterministic
*.gen.ts
*.gen.ts.map
.gradc-out/
`;
