// The playground in a real browser: Debian's chromium driven by puppeteer-core. Builds the page
// (playground/build.mjs; dist/ is fresh from test/globalSetup.ts), serves it on 127.0.0.1 and checks
// what a user meets: the default model's module, a #code= link, a shape error located on its line,
// training that lowers the loss, and — in the browser's own worker — modules byte for byte the CLI's.
// Skipped, with the reason printed, where no Chromium is installed (CI installs it: .ci/run).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module without declarations
import { serve } from "../../playground/serve.mjs";
import { encodeCode } from "../../playground/src/share.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const CANDIDATES = [process.env["GRADC_CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
const chromium = CANDIDATES.find((p): p is string => !!p && existsSync(p));
if (!chromium) console.log(`test/playground: skipped: no Chromium found (looked for ${CANDIDATES.filter(Boolean).join(", ")}); install Debian's chromium (.ci/run does) or set GRADC_CHROMIUM`);

/** Where the screenshot goes (git-ignored). */
const OUTPUT = path.join(root, "test/scratch/playground");
const example = (name: string) => readFileSync(path.join(root, "examples", name, "model.ts"), "utf8");

describe.skipIf(!chromium)("the playground in Chromium", () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    const built = spawnSync(process.execPath, ["playground/build.mjs"], { cwd: root, encoding: "utf8" });
    expect(built.status, `${built.stdout}\n${built.stderr}`).toBe(0);
    ({ server, url } = await serve(path.join(root, "playground/dist")));
    browser = await puppeteer.launch({ executablePath: chromium!, args: ["--no-sandbox"] });
    page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    page.on("pageerror", (e) => errors.push(String(e)));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  /** Waits until `selector`'s text satisfies `test` (a function's source, run in the page). */
  const waitText = (selector: string, test: string, timeout = 120_000) =>
    page.waitForFunction(`(() => { const t = document.querySelector(${JSON.stringify(selector)})?.textContent ?? ""; return (${test})(t); })()`, { timeout });
  const text = (selector: string) => page.$eval(selector, (e) => e.textContent ?? "");

  it("shows the default model's (examples/worked) generated module, explanation and graph", async () => {
    await page.goto(url);
    await waitText("#generated", `(t) => t.includes('model "worked"')`);
    expect(await text("#generated")).toContain("export const createTrainer: (params: Params, options: TrainerOptions) => Trainer = bound.createTrainer;");
    await page.waitForSelector("#explain .katex");
    await page.click('nav button[data-tab="graph"]'); // Mermaid loads when the graph is first shown
    await page.waitForSelector("#graph svg", { timeout: 120_000 });
    expect(await text("#graph")).toContain("W1 = param");
    await page.click('nav button[data-tab="generated"]');
    expect(await text("#diagnostics")).toBe("");
  }, 300_000);

  it("compiles a model a #code= link carries and shows its parameters", async () => {
    await page.goto(`${url}${encodeCode(example("xor"))}`);
    await page.reload(); // a hash change alone does not reload the page
    await waitText("#generated", `(t) => t.includes('model "xor"')`);
    const generated = await text("#generated");
    for (const p of ["W1", "b1", "W2", "b2"]) expect(generated).toContain(`${p}: Float32Array`);
    await page.waitForSelector("#explain .katex");
    const explain = await text("#explain");
    expect(explain).toContain("W1, b1, W2, b2");
    expect(explain).toContain("\\partial \\mathbf{W}_{1}"); // KaTeX keeps the TeX in its MathML annotation
  }, 300_000);

  it("shows a shape error as the CLI does, GC2001 at its line, and marks the line", async () => {
    await page.goto(url);
    await page.reload();
    await waitText("#generated", `(t) => t.includes('model "worked"')`);
    // Type a new line 14 after line 13 (`const z1 = …`): t is [batch, 1], W1 is [2, 2].
    const line13 = (await page.$$(".cm-line"))[12]!;
    await line13.click();
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("const bad = matmul(t, W1);");
    await waitText("#diagnostics", `(t) => t.includes("GC2001")`);
    const diagnostic = await text("#diagnostics");
    expect(diagnostic).toMatch(/^model\.ts:14:\d+ - error GC2001: matmul: /);
    expect(diagnostic).toContain("14   const bad = matmul(t, W1);");
    expect(await page.$eval(".cm-error-line", (e) => e.textContent)).toContain("const bad = matmul(t, W1);");
    expect(decodeURIComponent(await page.evaluate(() => location.hash))).toBe(encodeCode(await editorText()));
  }, 300_000);

  async function editorText(): Promise<string> {
    return page.$$eval(".cm-line", (lines) => lines.map((l) => l.textContent).join("\n"));
  }

  it("trains: Train lowers the loss below half its first value and reports steps per second", async () => {
    await page.goto(`${url}${encodeCode(example("xor"))}`);
    await page.reload();
    await waitText("#generated", `(t) => t.includes('model "xor"')`);
    // Every value #loss shows (a small model may finish its steps between two polls).
    await page.evaluate(() => {
      const shown: number[] = ((window as unknown as { shownLosses: number[] }).shownLosses = []);
      const loss = document.getElementById("loss")!;
      new MutationObserver(() => shown.push(parseFloat(loss.textContent ?? ""))).observe(loss, { childList: true, characterData: true, subtree: true });
    });
    await page.click("#train");
    await page.waitForFunction(() => (window as unknown as { shownLosses: number[] }).shownLosses.length > 0);
    const first = (await page.evaluate(() => (window as unknown as { shownLosses: number[] }).shownLosses[0]))!;
    expect(first).toBeGreaterThan(0);
    await waitText("#loss", `(t) => parseFloat(t) < ${first / 2}`, 120_000);
    expect(parseFloat(await text("#steps-per-second"))).toBeGreaterThan(0);
    expect(await text("#data-name")).toContain("XOR");
    mkdirSync(OUTPUT, { recursive: true });
    await page.click('nav button[data-tab="explain"]');
    await page.evaluate(() => document.fonts.ready); // KaTeX's glyphs are invisible until its fonts load
    await page.screenshot({ path: path.join(OUTPUT, "playground.png") });
    expect(errors).toEqual([]);
  }, 300_000);

  it("Step shows one training step's values and gradients, and the next press the next step", async () => {
    await page.goto(url);
    await page.reload();
    await waitText("#generated", `(t) => t.includes('model "worked"')`);
    await page.click("#step");
    await waitText("#step-values", `(t) => t.includes("Step 1 ")`);
    const rows = await page.$$eval("#step-values tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    const row = (name: string) => rows.find((r) => r[0] === name);
    // The model's given weights, its data (XOR's four points, by its input shapes), and the output
    // layer's δ as the hand derivation has it: L = ½ Σ (y − t)² and y = σ(z2), so
    // dz2 = δ₂ = (y − t) ⊙ y ⊙ (1 − y), element by element.
    expect(row("W1")?.[3]).toBe("[0.1, 0.1, 0.2, 0.2]");
    expect(row("t")?.[3]).toBe("[0, 1, 1, 0]");
    const numbers = (name: string) => JSON.parse(row(name)![3]!) as number[];
    const [y, t, dz2] = [numbers("y"), numbers("t"), numbers("dz2")];
    expect(dz2).toHaveLength(4);
    dz2.forEach((d, i) => expect(d).toBeCloseTo((y[i]! - t[i]!) * y[i]! * (1 - y[i]!), 4));
    for (const p of ["W1", "b1", "W2", "b2"]) expect(row(`∂L/∂${p}`)?.[3], p).toMatch(/\d/);
    expect(row("∂L/∂W1")?.[2]).toBe("line 13");
    await page.click("#step");
    await waitText("#step-values", `(t) => t.includes("Step 2 ")`);
    const w1 = await page.$$eval("#step-values tr", (trs) => trs.find((tr) => tr.querySelector("td")?.textContent === "W1")?.querySelectorAll("td")[3]?.textContent);
    expect(w1).not.toBe("[0.1, 0.1, 0.2, 0.2]"); // the first step updated it
  }, 300_000);

  it("compiles every small example in the browser's worker byte for byte as `gradc compile` does", async () => {
    // Inside the package, so the CLI's module imports "gradc/runtime" as the page's does.
    const dir = path.join(OUTPUT, "cli");
    mkdirSync(dir, { recursive: true });
    try {
      for (const name of ["worked", "simple", "xor", "mnist-mlp", "mnist-cnn", "sequence"]) {
        const out = path.join(dir, `${name}.gen.ts`);
        const cli = spawnSync(process.execPath, ["bin/gradc.js", "compile", `examples/${name}/model.ts`, "-o", out], { cwd: root, encoding: "utf8" });
        expect(cli.status, cli.stderr).toBe(0);
        const inBrowser = await page.evaluate(async (source: string) => {
          const worker = new Worker("compileWorker.js", { type: "module" });
          try {
            return await new Promise<{ ok: boolean; code?: string; diagnostic?: string }>((resolve) => {
              worker.onmessage = (e) => resolve(e.data);
              worker.postMessage({ kind: "compile", id: 1, text: source });
            });
          } finally {
            worker.terminate();
          }
        }, example(name));
        expect(inBrowser.diagnostic).toBeUndefined();
        expect(inBrowser.code, name).toBe(readFileSync(out, "utf8"));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
