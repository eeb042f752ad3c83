// Before any test: build dist/ from the current sources. Tests that run the built CLI, the runtime a
// generated module imports, or a child process of the compiler must never see a stale build.
// The time the build started is provided to the tests (inject("distBuiltAt")): test/dist.test.ts checks
// that every file of dist/ was written by this build.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Date.now() just before test/globalSetup.ts started building dist/. */
    distBuiltAt: number;
  }
}

export default function setup(project: TestProject): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
  const started = Date.now();
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building dist/ before the tests failed (tsc -p tsconfig.build.json):\n${r.stdout}\n${r.stderr}`);
  project.provide("distBuiltAt", started);
}
