// Before any test: build dist/ from the current sources. Tests that run the built CLI, the runtime a
// generated module imports, or a child process of the compiler must never see a stale build.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building dist/ before the tests failed (tsc -p tsconfig.build.json):\n${r.stdout}\n${r.stderr}`);
}
