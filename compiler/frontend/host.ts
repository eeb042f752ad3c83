// The host the frontend runs on (the interface: ./hostInterface.ts). On Node it is ./nodeHost.ts; the
// playground's bundle (playground/build.mjs) resolves this file's import of ./nodeHost.js to its browser
// host instead, so the compiler imports the host from here and nowhere else.
export type { Host, ModuleFunction, PackageRequire } from "./hostInterface.js";
export { PRELUDE } from "./hostInterface.js";
export { host } from "./nodeHost.js";
