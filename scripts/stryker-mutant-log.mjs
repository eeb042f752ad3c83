// A Stryker reporter plugin (stryker.config.mjs: reporters "mutant-log"): appends every mutant's result to
// reports/mutation/TARGET.mutants.ndjson the moment it is known. Stryker writes its JSON report and its
// incremental file only when a run completes; on a shared machine a run may have to be stopped first,
// and this log keeps what it found (scripts/mutation-survivors.js reads it with --log).
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { declareClassPlugin, PluginKind } from "@stryker-mutator/api/plugin";

class MutantLog {
  constructor() {
    this.file = `reports/mutation/${process.env.GRADC_MUTATE ?? "runtime"}.mutants.ndjson`;
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileSync(this.file, "");
  }
  onMutantTested(result) {
    const { id, fileName, mutatorName, replacement, location, status } = result;
    appendFileSync(this.file, `${JSON.stringify({ id, file: path.relative(process.cwd(), fileName), mutatorName, replacement, location, status })}\n`);
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, "mutant-log", MutantLog)];
