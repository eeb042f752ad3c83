// What the compiler reads of node's `process` and `Buffer` in a browser (esbuild injects it where `process` is
// free): paths are shown relative to "/", where the browser host keeps model.ts.
export const process = { cwd: () => "/", env: {} as Record<string, string | undefined>, platform: "browser", versions: {} as Record<string, string>, argv: [] as string[] };

/** What the compiler uses of node's Buffer: the UTF-8 size of a text (compile --report's code size). */
export const Buffer = { byteLength: (text: string): number => new TextEncoder().encode(text).length };
