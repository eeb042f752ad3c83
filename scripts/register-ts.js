// Lets plain `node` run TypeScript files of this repo:
//
//   node --import ./scripts/register-ts.js examples/simple/main.ts
//
// Registers the hooks in ts-hooks.js (transpile .ts on load; resolve "./x.js" to "./x.ts" when only the
// .ts exists) and turns on source maps so stack traces show .ts file:line. Needs Node 20.6 or later.
import { register } from "node:module";

process.setSourceMapsEnabled(true);
register("./ts-hooks.js", import.meta.url);
