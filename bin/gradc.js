#!/usr/bin/env node
// The `gradc` command; the implementation is compiler/cli.ts, built into dist/ by `npm run build`.
let cli;
try {
  cli = await import("../dist/compiler/cli.js");
} catch (e) {
  if (e && e.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes("dist/compiler/cli.js")) {
    process.stderr.write("gradc: not built yet (dist/compiler/cli.js is missing); run `npm run build` in the gradc package\n");
    process.exit(1);
  }
  throw e;
}
process.exitCode = await cli.main(process.argv.slice(2));
