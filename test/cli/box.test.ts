// gradc's box, through the real command line (`node bin/gradc.js …` in a project folder of its own):
// what model code may not do is refused at its model.ts line with nothing written, a model that never
// ends or never stops allocating is stopped, and the CLI always exits. In-process main() cannot show
// any of this: the box is a process of its own.
import { spawnSync } from "node:child_process";
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const BIN = fileURLToPath(new URL("../../bin/gradc.js", import.meta.url));

let root: string; // a temporary folder; the project is root/proj, with a file outside it at root/outside.txt
let proj: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "gradc-box-"));
  proj = path.join(root, "proj");
  mkdirSync(proj);
  writeFileSync(path.join(proj, "package.json"), JSON.stringify({ name: "proj", private: true }));
  writeFileSync(path.join(root, "outside.txt"), "not the model's");
  writeFileSync(path.join(proj, "config.json"), JSON.stringify({ hidden: 3 }));
  // Packages the model imports from its project's node_modules: a harmless one, and two that try
  // what the box withholds (so Node's permission model, not gradc's import check, refuses them).
  const pkg = (name: string, js: string, dts: string) => {
    const dir = path.join(proj, "node_modules", name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", main: "index.js", types: "index.d.ts" }));
    writeFileSync(path.join(dir, "index.js"), js);
    writeFileSync(path.join(dir, "index.d.ts"), dts);
  };
  pkg("tiny-config", "module.exports = { hidden: 4 };\n", "export declare const hidden: number;\n");
  pkg("runs-id", 'module.exports = () => require("child_process").execSync("id").toString();\n', "declare const run: () => string;\nexport = run;\n");
  pkg("starts-worker", 'module.exports = () => new (require("worker_threads").Worker)("0", { eval: true });\n', "declare const start: () => unknown;\nexport = start;\n");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A one-parameter model with `top` at the top level and `body` in the build function. */
function model(o: { imports?: string; top?: string; body?: string; async?: boolean } = {}): string {
  return [
    `import { model, input, param, matmul, mse } from "gradc";`,
    o.imports ?? "",
    o.top ?? "",
    `export default model("boxed", ${o.async ? "async " : ""}() => {`,
    `  const x = input("x", ["batch", 1]);`,
    `  const y = input("y", ["batch", 1]);`,
    `  const W = param("W", [1, 1]);`,
    o.body ? `  ${o.body}` : "",
    `  return { loss: mse(matmul(x, W), y), outputs: { out: matmul(x, W) } };`,
    `});`,
    ``,
  ].join("\n");
}

/** Writes proj/<name> and runs `gradc <args>` in proj; the model is always left as it was. */
function gradc(name: string, text: string, args: readonly string[], env: Record<string, string> = {}) {
  const file = path.join(proj, name);
  writeFileSync(file, text);
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: proj, encoding: "utf8", env: { ...process.env, ...env }, timeout: 180_000 });
  expect(readFileSync(file, "utf8")).toBe(text);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, first: r.stderr.split("\n")[0] };
}

const compile = (name: string, text: string, extra: readonly string[] = []) => gradc(name, text, ["compile", name, "-o", "out.gen.ts", ...extra]);
const written = () => existsSync(path.join(proj, "out.gen.ts"));

/** A run the box refused: exit 1, the diagnostic's first line, no output. */
function refused(r: ReturnType<typeof gradc>, first: string | RegExp): void {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.status, r.stderr).toBe(1);
  if (typeof first === "string") expect(r.first).toBe(first);
  else expect(r.first).toMatch(first);
  expect(r.stderr).not.toMatch(/internal compiler error|^\s+at /m);
  expect(written()).toBe(false);
}

const RIGHTS = "gradc's box does not let model code do that (--trust-model runs it with your rights)";

describe("what model code may not do is a located GC1003, and nothing is written", () => {
  test("execSync at top level: the import of child_process is refused", () => {
    const r = compile("exec.ts", model({ imports: `import { execSync } from "node:child_process";`, top: `execSync("id > pwned.txt");` }));
    refused(r, `exec.ts:2:1 - error GC1003: the model tried to import node:child_process, which would let it start processes; ${RIGHTS}`);
    expect(existsSync(path.join(proj, "pwned.txt"))).toBe(false);
  });

  test("a package that starts a process: Node's permission model refuses it, at the model's call", () => {
    const r = compile("pkgexec.ts", model({ imports: `import runId from "runs-id";`, top: `export const who = runId();` }));
    refused(r, `pkgexec.ts:3:20 - error GC1003: the model tried to start a child process; ${RIGHTS}`);
  });

  test("reading a file outside the project names the file and the line", () => {
    const outside = path.join(root, "outside.txt");
    const r = compile("read.ts", model({ imports: `import { readFileSync } from "node:fs";`, top: `export const s = readFileSync(${JSON.stringify(outside)}, "utf8");` }));
    refused(r, `read.ts:3:18 - error GC1003: the model tried to read ${outside}; gradc's box lets model code read only under ${proj} and gradc's installation (--trust-model runs it with your rights)`);
    expect(r.stderr).toContain(`3 export const s = readFileSync(`);
  });

  test("/etc/passwd too, from the build function", () => {
    const r = compile("passwd.ts", model({ imports: `import { readFileSync } from "node:fs";`, body: `readFileSync("/etc/passwd", "utf8");` }));
    refused(r, /^passwd\.ts:8:3 - error GC1003: the model tried to read \/etc\/passwd; gradc's box lets model code read only under /);
  });

  test("writing a file is refused and the file does not exist", () => {
    const r = compile("write.ts", model({ imports: `import { writeFileSync } from "node:fs";`, body: `writeFileSync("dropped.txt", "x");` }));
    refused(r, `write.ts:8:3 - error GC1003: the model tried to write ${path.join(proj, "dropped.txt")}; ${RIGHTS}`);
    expect(existsSync(path.join(proj, "dropped.txt"))).toBe(false);
  });

  test("new Worker: the import of worker_threads is refused, and a package's worker by the permission model", () => {
    let r = compile("worker.ts", model({ imports: `import { Worker } from "node:worker_threads";`, top: `new Worker("0", { eval: true });` }));
    refused(r, `worker.ts:2:1 - error GC1003: the model tried to import node:worker_threads, which would let it start worker threads; ${RIGHTS}`);
    r = compile("pkgworker.ts", model({ imports: `import start from "starts-worker";`, top: `start();` }));
    refused(r, `pkgworker.ts:3:1 - error GC1003: the model tried to start a worker thread; ${RIGHTS}`);
  });

  test("the network: fetch refuses, and net, http, https cannot be imported", () => {
    let r = compile("fetch.ts", model({ top: `(globalThis as any).fetch("http://example.com/");` }));
    refused(r, `fetch.ts:3:1 - error GC1003: the model tried to use the network (fetch); ${RIGHTS}`);
    r = compile("net.ts", model({ top: `// @ts-ignore\nconst net = require("net");\nvoid net;` }));
    refused(r, `net.ts:4:13 - error GC1003: the model tried to import net, which would let it use the network; ${RIGHTS}`);
    r = compile("https.ts", model({ imports: `import https from "node:https";`, top: `void https;` }));
    refused(r, /^https\.ts:2:1 - error GC1003: the model tried to import node:https, which would let it use the network;/);
  });

  test("a top-level promise that rejects unhandled", () => {
    const r = compile("reject.ts", model({ top: `Promise.reject(new Error("no data"));` }));
    refused(r, "reject.ts:3:16 - error GC1003: a promise was rejected and nothing handled it: Error: no data");
  });

  test("a message of the model's own on the box's channel makes gradc ignore the box's answer", () => {
    const r = compile("forge.ts", model({ top: `(process as any).send({ nonce: "guess", kind: "done", value: { code: "evil", report: {} } });` }));
    refused(r, /^gradc: error GC1003: forge\.ts sent gradc a message of its own over the box's channel/);
  });
});

describe("what the box allows", () => {
  test("a model reads a JSON file of its project and imports a package from its node_modules", () => {
    const r = compile(
      "allowed.ts",
      model({
        imports: `import { readFileSync } from "node:fs";\nimport { hidden } from "tiny-config";`,
        top: `const cfg = JSON.parse(readFileSync(new URL("./config.json", "file://" + __filename), "utf8")) as { hidden: number };\nif (cfg.hidden + hidden !== 7) throw new Error("wrong config");`,
      }),
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(readFileSync(path.join(proj, "out.gen.ts"), "utf8")).toContain('model "boxed"');
    rmSync(path.join(proj, "out.gen.ts"));
  });

  test("--trust-model lets a model read a file outside its project", () => {
    const outside = path.join(root, "outside.txt");
    const text = model({ imports: `import { readFileSync } from "node:fs";`, top: `if (readFileSync(${JSON.stringify(outside)}, "utf8") !== "not the model's") throw new Error("unread");` });
    expect(compile("trusted.ts", text).status).toBe(1);
    const r = compile("trusted.ts", text, ["--trust-model"]);
    expect(r.status, r.stderr).toBe(0);
    expect(written()).toBe(true);
    rmSync(path.join(proj, "out.gen.ts"));
  });

  test("the model's console output goes to stderr; explain's stdout stays its own", () => {
    const r = gradc("chatty.ts", model({ top: `console.log("hello from the model");` }), ["explain", "chatty.ts"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe("hello from the model\n");
    expect(r.stdout).toContain("∂L/∂W");
    expect(r.stdout).not.toContain("hello");
  });
});

describe("a model that misbehaves is stopped and the CLI exits", () => {
  test("process.exit(0) in the build function: exit 1, GC1007, nothing written", () => {
    const r = compile("exit.ts", model({ body: `process.exit(0);` }));
    refused(r, /^exit\.ts:8:3 - error GC1007: the model called process\.exit\(0\): gradc would end without writing anything/);
  });

  test("process.exit that the model catches is still GC1007", () => {
    const r = compile("exitcaught.ts", model({ body: `try { process.exit(0); } catch {}` }));
    refused(r, /^exitcaught\.ts:8:9 - error GC1007: the model called process\.exit\(0\)/);
  });

  test("process.kill of its own process: GC1007 at the call", () => {
    const r = compile("kill.ts", model({ body: `process.kill(process.pid, "SIGKILL");` }));
    refused(r, /^kill\.ts:8:3 - error GC1007: the model called process\.kill\(\d+, "SIGKILL"\) on gradc's own processes/);
  });

  test("a box process that dies without answering (here: killed by a process the trusted model starts) is GC1007", () => {
    const r = compile("suicide.ts", model({ imports: `import { execSync } from "node:child_process";`, top: `execSync(\`kill -9 \${process.pid}\`);` }), ["--trust-model"]);
    refused(r, /^gradc: error GC1007: gradc's box process ended \(killed by SIGKILL\) before suicide\.ts was done, while the model's code was still running/);
  });

  test("an exception thrown later, in a callback the model queued (process.nextTick): GC1003 at the throw, not a crash", () => {
    const r = compile("later.ts", model({ top: `process.nextTick(() => {\n  throw new RangeError("too late");\n});` }));
    refused(r, "later.ts:4:9 - error GC1003: uncaught exception: RangeError: too late");
  });

  test("an async build function: GC1008", () => {
    const r = compile("async.ts", model({ async: true }));
    refused(r, "async.ts:4:31 - error GC1008: the build function is async (it returns a Promise): gradc traces it synchronously, so remove `async` and any `await` from it");
  });

  test("a build function that returns a Promise without saying so: GC1008 at run time", () => {
    const text = [`import { model, input, param, matmul, mse } from "gradc";`, `const build: any = async () => ({ loss: mse(matmul(input("x", ["batch", 1]), param("W", [1, 1])), input("y", ["batch", 1])) });`, `export default model("late", build);`, ``].join("\n");
    const r = compile("late.ts", text);
    refused(r, /^late\.ts:3:16 - error GC1008: the build function returned a Promise/);
  });

  test("setInterval at top level: GC1009 at the call, and the CLI exits", () => {
    const r = compile("interval.ts", model({ imports: `import { setInterval } from "node:timers";`, top: `setInterval(() => {}, 1000);` }));
    refused(r, /^interval\.ts:3:1 - error GC1009: the model called setInterval: it would leave work behind/);
  });

  test("setTimeout in the build function (the global): GC1009", () => {
    const r = compile("timeout.ts", model({ body: `(globalThis as any).setTimeout(() => {}, 10);` }));
    refused(r, /^timeout\.ts:8:3 - error GC1009: the model called setTimeout/);
  });

  test("while (true) {} with --timeout 2: GC1005, and the CLI ends", () => {
    const r = compile("loop.ts", model({ body: `while (true) {}` }), ["--timeout", "2"]);
    refused(r, /^gradc: error GC1005: loop\.ts did not finish in time: gradc stopped it after 2 s \(--timeout 2\) while /);
  });

  test("an allocation loop: GC1006 naming the heap limit, not a V8 crash", () => {
    const r = compile("alloc.ts", model({ top: `const keep: number[][] = [];\nfor (;;) keep.push(new Array(100000).fill(1.5));` }), ["--max-memory", "300"]);
    refused(r, /^gradc: error GC1006: alloc\.ts ran out of memory: gradc's box gives the model and its compilation a 300 MB heap \(--max-memory 300\)/);
    expect(r.stderr).not.toMatch(/FATAL ERROR|Last few GCs/);
  });
});

describe("-o onto the model through another name is refused, the model unchanged", () => {
  const setup = () => {
    const text = model();
    writeFileSync(path.join(proj, "self.ts"), text);
    return text;
  };

  test("a symbolic link to the model", () => {
    const text = setup();
    symlinkSync("self.ts", path.join(proj, "link.ts"));
    const r = gradc("self.ts", text, ["compile", "self.ts", "-o", "link.ts"]);
    expect(r.status).toBe(2);
    expect(r.first).toBe("gradc: error GC3002: the output link.ts is the model file self.ts itself (through a symbolic link); choose another -o");
  });

  test("a hard link to the model", () => {
    const text = setup();
    linkSync(path.join(proj, "self.ts"), path.join(proj, "hard.ts"));
    const r = gradc("self.ts", text, ["compile", "self.ts", "-o", "hard.ts"]);
    expect(r.status).toBe(2);
    expect(r.first).toBe("gradc: error GC3002: the output hard.ts is the model file self.ts itself (a hard link to it); choose another -o");
  });

  test("the model's folder through a symbolic link, for compile and for graph", () => {
    const text = setup();
    symlinkSync(proj, path.join(root, "projlink"));
    for (const command of ["compile", "graph"]) {
      const r = gradc("self.ts", text, [command, "self.ts", "-o", "../projlink/self.ts"]);
      expect(r.status).toBe(2);
      expect(r.first).toBe("gradc: error GC3002: the output ../projlink/self.ts is the model file self.ts itself (through a symbolic link); choose another -o");
    }
    expect(readdirSync(proj).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
