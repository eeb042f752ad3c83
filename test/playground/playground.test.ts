// The playground in a real browser: Debian's chromium driven by puppeteer-core. Builds the page
// (playground/build.mjs; dist/ is fresh from test/globalSetup.ts), serves it on 127.0.0.1 and checks
// what a user meets: the default model's module, a #code= link, a shape error located on its line,
// training that lowers the loss, and — in the browser's own worker — modules byte for byte the CLI's.
// Skipped, with the reason printed, where no Chromium is installed (CI installs it: .ci/run).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer, { type Browser, type ElementHandle, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module without declarations
import { serve } from "../../playground/serve.mjs";
import { encodeCode } from "../../playground/src/share.js";
import { decodeCheckpoint, restoreInto } from "../../runtime/index.js";

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

  it("trains on a CSV the user chooses, and shows a CSV that cannot feed the model as a located error", async () => {
    await page.goto(`${url}${encodeCode(example("xor"))}`);
    await page.reload();
    await waitText("#generated", `(t) => t.includes('model "xor"')`);
    mkdirSync(OUTPUT, { recursive: true });
    const bad = path.join(OUTPUT, "bad.csv");
    writeFileSync(bad, "x0,x1,y\n0,0,0\n0,oops,1\n");
    const input = (await page.$("#data-file")) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(bad);
    await waitText("#diagnostics", `(t) => t.includes("GC3005")`);
    expect(await text("#diagnostics")).toBe('bad.csv:3 - error GC3005: column "x1": "oops" is not a number\n\n3 0,oops,1\n');
    // OR's truth table, columns in another order and one the model does not use.
    const or = path.join(OUTPUT, "or.csv");
    writeFileSync(or, "y,x1,x0,note\n0,0,0,7\n1,1,0,7\n1,0,1,7\n1,1,1,7\n");
    await input.uploadFile(or);
    await waitText("#data-name", `(t) => t.includes("or.csv")`);
    expect(await text("#data-name")).toBe("data: or.csv (4 rows)");
    expect(await text("#diagnostics")).toBe("");
    // Step shows the CSV's targets: OR's, not XOR's.
    await page.click("#step");
    await waitText("#step-values", `(t) => t.includes("Step 1 ")`);
    const y = await page.$$eval("#step-values tr", (trs) => trs.find((tr) => tr.querySelector("td")?.textContent === "y")?.querySelectorAll("td")[3]?.textContent);
    expect(y).toBe("[0, 1, 1, 1]");
    await page.click("#train");
    await waitText("#step-count", `(t) => t === "step 2000"`, 120_000);
    expect(await text("#data-name")).toBe("data: or.csv (4 rows)");
    expect(parseFloat(await text("#loss"))).toBeLessThan(0.05);
  }, 300_000);

  it("downloads the model, its module and the trained weights, which a Node project reads unchanged", async () => {
    const downloads = path.join(OUTPUT, "downloads");
    rmSync(downloads, { recursive: true, force: true });
    mkdirSync(downloads, { recursive: true });
    const cdp = await page.createCDPSession();
    await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads });
    await page.goto(`${url}${encodeCode(example("xor"))}`);
    await page.reload();
    await waitText("#generated", `(t) => t.includes('model "xor"')`);
    await page.click("#train");
    await waitText("#step-count", `(t) => t === "step 2000"`, 120_000);
    const saved = async (name: string, button: string) => {
      await page.click(button);
      const file = path.join(downloads, name);
      for (let i = 0; i < 600 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
      expect(readdirSync(downloads), name).toContain(name);
      return readFileSync(file);
    };
    expect((await saved("model.ts", "#download-model")).toString("utf8")).toBe(example("xor"));
    const module = (await saved("model.gen.ts", "#download-module")).toString("utf8");
    const ckpt = await saved("model.ckpt", "#download-checkpoint");
    // The module is what `gradc compile` writes; inside the package it imports "gradc/runtime" as a user's project does.
    const cli = path.join(OUTPUT, "xor.gen.ts");
    const compiled = spawnSync(process.execPath, ["bin/gradc.js", "compile", "examples/xor/model.ts", "-o", cli], { cwd: root, encoding: "utf8" });
    expect(compiled.status, compiled.stderr).toBe(0);
    expect(module).toBe(readFileSync(cli, "utf8"));
    const m = await import(cli);
    const checkpoint = decodeCheckpoint(new Uint8Array(ckpt), m.spec, "model.ckpt");
    expect(checkpoint.step).toBe(2000);
    expect(checkpoint.optimizer?.kind).toBe("adam");
    const xor = { x: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1), y: Float32Array.of(0, 1, 1, 0) };
    const params = m.initParams(0);
    const before = m.evaluate(params, xor).loss;
    restoreInto(checkpoint, params);
    const after = m.evaluate(params, xor).loss;
    expect(after).toBeLessThan(before / 2);
    expect(after).toBeLessThan(0.05);
    // gradc export takes it as the parameters of the ONNX model.
    const onnx = path.join(OUTPUT, "xor.onnx");
    rmSync(onnx, { force: true });
    const exported = spawnSync(process.execPath, ["bin/gradc.js", "export", "examples/xor/model.ts", "--onnx", "--checkpoint", path.join(downloads, "model.ckpt"), "-o", onnx], { cwd: root, encoding: "utf8" });
    expect(exported.status, exported.stderr).toBe(0);
    expect(existsSync(onnx)).toBe(true);
  }, 300_000);

  it("Step links each value to its model.ts line and its place in the generated code, and draws larger ones as heat maps", async () => {
    await page.goto(url);
    await page.reload();
    await waitText("#generated", `(t) => t.includes('model "worked"')`);
    await page.click("#step");
    await waitText("#step-values", `(t) => t.includes("Step 1 ")`);
    const cells = await page.$$eval("#step-values tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    expect(cells.find((r) => r[0] === "dz2")?.[4]).toBe("delta2");
    expect(cells.find((r) => r[0] === "∂L/∂W1")?.[4]).toBe("dW1");
    // Beside each value, explain's formula for it.
    expect(cells.find((r) => r[0] === "dz2")?.[5]).toBe("v₁ ⊙ (y ⊙ (1 − y))");
    expect(cells.find((r) => r[0] === "∂L/∂W1")?.[5]).toBe("xᵀ·δ₁");
    // On the graph: the training pass, each node's value under its label.
    await page.click('nav button[data-tab="graph"]');
    await waitText("#graph", `(t) => t.includes("∂L/∂W1")`);
    const graph = await text("#graph");
    expect(graph).toContain("one step's values");
    const w1Text = cells.find((r) => r[0] === "W1")![3]!;
    expect(graph).toContain(`= ${w1Text}`);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, "step-graph.png") });
    // The generated-code link shows the training pass's line for δ₂, highlighted.
    await page.evaluate(() => [...document.querySelectorAll<HTMLButtonElement>("#step-values button.link")].find((b) => b.textContent === "delta2")!.click());
    expect(await page.$eval('nav button[data-tab="generated"]', (b) => b.classList.contains("active"))).toBe(true);
    const flashed = await page.$$eval("#generated .line.flash", (ls) => ls.map((l) => l.textContent));
    expect(flashed[0]).toMatch(/^\s*\/\/ delta2 = /);
    expect(flashed.length).toBeGreaterThan(1); // the comment and its statements
    // The model.ts link selects the line in the editor.
    await page.click('nav button[data-tab="step-values"]');
    await page.evaluate(() => [...document.querySelectorAll<HTMLButtonElement>("#step-values button.link")].find((b) => b.textContent === "line 16")!.click());
    const selected = await page.evaluate(() => window.getSelection()?.toString() ?? "");
    expect(selected).toContain("const y = sigmoid(z2);");
    // mnist-mlp's W1 is 784 × 128: a heat map (48 × 48 cells) beside its norm.
    await page.goto(`${url}${encodeCode(example("mnist-mlp"))}`);
    await page.reload();
    await waitText("#generated", `(t) => t.includes('model "mnistMlp"')`);
    await page.click("#step");
    await waitText("#step-values", `(t) => t.includes("Step 1 ")`, 120_000);
    const w1 = await page.$$eval("#step-values tr", (trs) => {
      const tr = trs.find((r) => r.querySelector("td")?.textContent === "W1")!;
      const canvas = tr.querySelector("canvas");
      return { text: tr.querySelectorAll("td")[3]!.textContent, width: canvas?.width, height: canvas?.height };
    });
    expect(w1.text).toMatch(/^‖·‖ = [\d.]+, min -[\d.]+, max [\d.]+$/);
    expect([w1.width, w1.height]).toEqual([96, 96]);
  }, 300_000);

  it("the exercise hides a backward line of the generated step and grades the learner's DSL for it", async () => {
    await page.goto(url);
    await page.reload();
    await waitText("#generated", `(t) => t.includes('model "worked"')`);
    await page.click('nav button[data-tab="exercise"]');
    const options = await page.$$eval("#exercise-target option", (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual(expect.arrayContaining(["delta2", "dW2", "delta1", "dW1"]));
    await page.select("#exercise-target", "delta2");
    expect(await text("#exercise-about")).toMatch(/^delta2 is δ₂ = ∂L\/∂z₂, shape \[batch, 1\].* You may use: .*\by\b/);
    const hidden = await page.$$eval("#generated .line.exercise-hidden", (ls) => ls.map((l) => l.textContent));
    expect(hidden[0]).toMatch(/^\s*\/\/ delta2 = /);
    expect(hidden.some((l) => /delta2_0 = /.test(l ?? ""))).toBe(true);
    expect(await text("#generated")).toContain("// delta2 = "); // only the view hides it: the text stays the module
    const answer = async (dsl: string) => {
      await page.$eval("#exercise-answer", (e, v) => ((e as HTMLTextAreaElement).value = v), dsl);
      await page.$eval("#exercise-result", (e) => (e.textContent = ""));
      await page.click("#exercise-check");
      await waitText("#exercise-result", `(t) => t !== "" && t !== "checking…"`);
      return { text: await text("#exercise-result"), verdict: await page.$eval("#exercise-result", (e) => e.className) };
    };
    // The textbook's δ₂ = (y − t) ⊙ y ⊙ (1 − y): right (exactly, or up to rounding in another order).
    const right = await answer("mul(sub(y, t), mul(y, sub(1, y)))");
    expect(["exact", "approximate"]).toContain(right.verdict);
    expect(right.text).toMatch(/^✓ /);
    // Forgetting σ′ is wrong, and the page says by how much.
    const wrong = await answer("sub(y, t)");
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, "exercise.png") });
    expect(wrong.verdict).toBe("different");
    expect(wrong.text).toMatch(/^✗ different: the largest difference from the compiler's delta2 is [\d.e-]+ at element \d/);
    expect(wrong.text).toContain("yours:");
    // A shape error in the answer is located in it.
    const error = await answer("matmul(y, t)");
    expect(error.verdict).toBe("error");
    expect(error.text).toMatch(/^your answer:\d+ - error GC2001: matmul: /);
    await page.click("#exercise-reveal");
    expect(await page.$$eval("#generated .line.exercise-hidden", (ls) => ls.length)).toBe(0);
    expect(errors).toEqual([]);
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
