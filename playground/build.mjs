// Builds the playground: a static site in playground/dist/ (index.html, the page's script and styles,
// the compiler and trainer workers, the MNIST subset). `npm run playground:build` (after `npm run
// build`, whose dist/ holds the DSL's declarations the page type-checks against).
//
// The compiler is bundled from its sources as they are; only what touches the machine is swapped:
// compiler/frontend/nodeHost.ts becomes ./src/browserHost.ts (the host interface: compiler/frontend/hostInterface.ts),
// "ts-morph" becomes the TypeScript it bundles (the frontend uses its `ts` only), node:path becomes
// path-browserify, and the other Node built-ins the bundle reaches but the page never calls become
// stubs that throw if called. Usage: node playground/build.mjs [--dev] (--dev: no minifying).
import { build } from "esbuild";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const out = path.join(here, "dist");
const require = createRequire(import.meta.url);
const dev = process.argv.includes("--dev");

/** The small examples the page's menu offers, in its order (the first is the default). */
export const EXAMPLES = ["worked", "xor", "simple", "mnist-mlp", "mnist-cnn", "sequence"];

/** The DSL's declarations (from dist/, built by `npm run build`) and what they import, by their path under /gradc/. */
function dslDeclarations() {
  const dist = path.join(root, "dist");
  const files = {};
  const visit = (file) => {
    const key = `/gradc/${path.relative(dist, file).split(path.sep).join("/")}`;
    if (files[key] !== undefined) return;
    if (!existsSync(file)) throw new Error(`playground: ${path.relative(root, file)} is missing: run \`npm run build\` first`);
    const text = readFileSync(file, "utf8");
    files[key] = text;
    for (const m of text.matchAll(/(?:from\s+|import\()"(\.{1,2}\/[^"]+)\.js"/g)) visit(path.resolve(path.dirname(file), `${m[1]}.d.ts`));
  };
  visit(path.join(dist, "compiler/dsl/index.d.ts"));
  visit(path.join(dist, "compiler/dsl/layers.d.ts"));
  return files;
}

/** lib.es2022.d.ts and the library files it references, from the TypeScript ts-morph bundles. */
function libFiles() {
  const all = new Map(require("@ts-morph/common").getLibFiles().map((f) => [f.fileName, f.text]));
  const files = {};
  const visit = (name) => {
    if (files[`/lib/${name}`] !== undefined) return;
    const text = all.get(name);
    if (text === undefined) throw new Error(`playground: no TypeScript library file ${name}`);
    files[`/lib/${name}`] = text;
    for (const m of text.matchAll(/\/\/\/\s*<reference lib="([^"]+)"/g)) visit(`lib.${m[1].toLowerCase()}.d.ts`);
  };
  visit("lib.es2022.d.ts");
  return files;
}

function examples() {
  return Object.fromEntries(EXAMPLES.map((name) => [name, readFileSync(path.join(root, "examples", name, "model.ts"), "utf8")]));
}

/**
 * 1,000 digits of the `mnist` package (a devDependency; the CLI's MNIST examples read the same files):
 * the first 100 of each class, interleaved 0..9, as 784 bytes of pixels (value × 255) then one label byte each.
 */
function mnistSubset() {
  const dir = path.join(path.dirname(require.resolve("mnist/package.json")), "src", "digits");
  const perClass = 100;
  const bytes = new Uint8Array(perClass * 10 * 785);
  const digits = Array.from({ length: 10 }, (_, d) => JSON.parse(readFileSync(path.join(dir, `${d}.json`), "utf8")).data);
  let o = 0;
  for (let i = 0; i < perClass; i++) {
    for (let d = 0; d < 10; d++) {
      for (let p = 0; p < 784; p++) bytes[o++] = Math.round(digits[d][i * 784 + p] * 255);
      bytes[o++] = d;
    }
  }
  return bytes;
}

const BUILTINS = /^(node:)?(fs|fs\/promises|os|url|util|vm|module|crypto|inspector|perf_hooks|worker_threads|child_process|buffer|stream|events|readline|zlib|process|assert|tty|net|http|https)$/;

/** @type {import("esbuild").Plugin} */
const browser = {
  name: "gradc-browser",
  setup(b) {
    b.onResolve({ filter: /^\.\/nodeHost\.js$/ }, (a) => {
      if (a.importer !== path.join(root, "compiler/frontend/host.ts")) throw new Error(`playground: ${a.importer} imports the Node host directly: import compiler/frontend/host.js`);
      return { path: path.join(here, "src", "browserHost.ts") };
    });
    b.onResolve({ filter: /^ts-morph$/ }, () => ({ path: "ts-morph", namespace: "gradc-virtual" }));
    b.onResolve({ filter: /^(node:)?path$/ }, () => ({ path: require.resolve("path-browserify") }));
    b.onResolve({ filter: BUILTINS }, (a) => ({ path: a.path.replace(/^node:/, ""), namespace: "gradc-stub" }));
    b.onResolve({ filter: /^virtual:/ }, (a) => ({ path: a.path, namespace: "gradc-virtual" }));
    b.onLoad({ filter: /.*/, namespace: "gradc-stub" }, (a) => ({
      contents: `module.exports = new Proxy({}, { get: (_, k) => k === "__esModule" ? false : () => { throw new Error("node:${a.path} (" + String(k) + ") is not available in the playground"); } });`,
      loader: "js",
    }));
    b.onLoad({ filter: /.*/, namespace: "gradc-virtual" }, (a) => {
      if (a.path === "ts-morph") return { contents: `import ts from ${JSON.stringify(require.resolve("@ts-morph/common/dist/typescript.js"))}; export { ts };`, loader: "js", resolveDir: root };
      if (a.path === "virtual:types") return { contents: JSON.stringify({ ...dslDeclarations(), ...libFiles() }), loader: "json" };
      if (a.path === "virtual:examples") return { contents: JSON.stringify(examples()), loader: "json" };
      return undefined;
    });
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: { main: path.join(here, "src/main.ts"), compileWorker: path.join(here, "src/compileWorker.ts"), trainWorker: path.join(here, "src/trainWorker.ts") },
  outdir: out,
  bundle: true,
  format: "esm",
  splitting: true,
  platform: "browser",
  target: "es2022",
  minify: !dev,
  sourcemap: dev ? "linked" : false,
  legalComments: "linked",
  metafile: true,
  plugins: [browser],
  inject: [path.join(here, "src/process.ts")],
  loader: { ".woff2": "file", ".woff": "file", ".ttf": "file" },
  logLevel: "warning",
  chunkNames: "chunks/[name]-[hash]",
  assetNames: "assets/[name]-[hash]",
});
writeFileSync(path.join(out, "mnist-1000.bin"), mnistSubset());
writeFileSync(path.join(out, "index.html"), readFileSync(path.join(here, "src/index.html"), "utf8"));
if (process.env.GRADC_PLAYGROUND_META) writeFileSync(process.env.GRADC_PLAYGROUND_META, JSON.stringify(result.metafile));
const size = readdirSync(out, { recursive: true }).length;
console.log(`playground: built ${size} files in ${path.relative(process.cwd(), out) || "."}`);
