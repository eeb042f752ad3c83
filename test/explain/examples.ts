import { existsSync, readdirSync } from "node:fs";

/** The examples every explain format is checked on: every examples/<name>/ with a model.ts. */
export const EXAMPLES = readdirSync("examples", { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(`examples/${e.name}/model.ts`))
  .map((e) => e.name)
  .sort();
