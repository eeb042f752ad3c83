// --svg's renderer choice: Graphviz's dot when it runs, its WebAssembly build when dot is missing, and a
// GC3003 error (not a picture of nothing) when dot fails. A stand-in `dot` script plays Graphviz here, so
// the test does not depend on what the machine has installed.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { codes, GradcError } from "../../compiler/diagnostics.js";
import { toDot } from "../../compiler/graph/dot.js";
import { renderSvg } from "../../compiler/graph/svg.js";
import { exampleDrawing } from "./drawings.js";

let dir: string;
let dot: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "gradc-svg-"));
  dot = toDot(await exampleDrawing("xor", { backward: true, fused: true }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = (name: string, body: string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
};

test("Graphviz's dot, when it runs, renders the DOT it is given on stdin", async () => {
  // Echoes a fixed picture only if called as `dot -Tsvg` with our graph on stdin.
  const fake = script("dot", `[ "$1" = "-Tsvg" ] || exit 3\ngrep -q '^digraph gradc {' || exit 4\necho '<svg>from dot</svg>'`);
  const r = await renderSvg(dot, { dotCommand: fake });
  expect(r).toEqual({ svg: "<svg>from dot</svg>\n", renderer: "graphviz" });
});

test("without dot on PATH, the WebAssembly Graphviz renders the same graph, deterministically", async () => {
  const missing = path.join(dir, "no-such-dot");
  const r = await renderSvg(dot, { dotCommand: missing });
  expect(r?.renderer).toBe("wasm");
  expect(r!.svg).toMatch(/<svg [^]*<\/svg>\s*$/);
  expect(r!.svg).toContain("<title>cluster_k1</title>");
  expect((await renderSvg(dot, { dotCommand: missing }))!.svg).toBe(r!.svg);
});

test("a dot that fails is an error GC3003 with Graphviz's message", async () => {
  const failing = script("dot-fails", `cat >/dev/null\necho "Error: <stdin>: syntax error in line 3" >&2\nexit 1`);
  const err = await renderSvg(dot, { dotCommand: failing }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GradcError);
  expect((err as GradcError).code).toBe(codes.render);
  expect((err as GradcError).message).toMatch(/exit code 1: Error: <stdin>: syntax error in line 3/);
});
