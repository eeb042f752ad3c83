// The test configuration mutation testing runs (stryker.config.mjs): the suite's own, with the test files
// that ran fastest first (each mutant runs only the tests that reached it and stops at the first that
// fails, so cheap tests first make a killed mutant cheap; vitest's default runs the slowest first), and
// ten times the time limits: instrumented code is slower, and Stryker has its own limit per mutant.
import { mergeConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import base from "./vitest.config.js";

class FastestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const duration = (f: TestSpecification) => {
      const r = cache.getFileTestResults(`${f.project.name}:${f.moduleId.slice(this.ctx.config.root.length + 1)}`);
      return r ? (r.failed ? -1 : r.duration) : Infinity;
    };
    return [...files].sort((a, b) => duration(a) - duration(b));
  }
}

export default mergeConfig(base, { test: { sequence: { sequencer: FastestFirst }, testTimeout: 600_000, hookTimeout: 600_000 } });
