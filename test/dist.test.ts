// Tests that load dist/ (the built CLI, the runtime generated modules import as "gradc/runtime", child
// processes) rely on test/globalSetup.ts having built it from the current sources before the run; none
// of them builds it itself or accepts an older build. This checks that it did: every source of
// compiler/ and runtime/ has its dist/ file, written by this run's build.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
    .map((e) => path.join(e.parentPath, e.name));

describe("dist/", () => {
  it("was built from the current sources by test/globalSetup.ts before the tests ran", () => {
    const builtAt = inject("distBuiltAt");
    expect(typeof builtAt).toBe("number");
    const files = [...sources("compiler"), ...sources("runtime")];
    expect(files.length).toBeGreaterThan(50);
    // Filesystem timestamps can be a little coarse: a second of slack, far less than any stale build.
    const stale = files.filter((f) => !(statSync(path.join("dist", f.replace(/\.ts$/, ".js"))).mtimeMs >= builtAt - 1000));
    expect(stale).toEqual([]);
  });
});
