// Modules playground/build.mjs makes at build time.
declare module "virtual:types" {
  /** The DSL's declarations and TypeScript's ES2022 library: path in the browser host → text. */
  const files: Record<string, string>;
  export default files;
}
declare module "virtual:examples" {
  /** The small examples' model.ts: name → text. */
  const examples: Record<string, string>;
  export default examples;
}
declare module "*.css";
