import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

// Tests import the sources directly: "gradc" is the DSL, "gradc/layers" its layers and "gradc/runtime" the runtime, exactly the
// specifiers model files and generated modules use.
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^gradc\/runtime$/, replacement: here("./runtime/index.ts") },
      { find: /^gradc\/runtime\/node$/, replacement: here("./runtime/node.ts") },
      { find: /^gradc\/layers$/, replacement: here("./compiler/dsl/layers.ts") },
      { find: /^gradc$/, replacement: here("./compiler/dsl/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/globalSetup.ts"],
    // toThrow("message") must see an error with that message, not a thrown undefined (see the file).
    setupFiles: ["test/setup/thrownErrors.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
