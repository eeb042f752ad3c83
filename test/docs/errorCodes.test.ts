// The README's table of error codes lists every code of runtime/errors.ts, once, and nothing else.
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { codes } from "../../runtime/errors.js";

test("the README lists every GCnnnn code of runtime/errors.ts exactly once", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## Error codes"));
  const table = section.slice(0, section.indexOf("\n## ") > 0 ? section.indexOf("\n## ") : undefined);
  const listed = [...table.matchAll(/^\| (GC\d{4}) \|/gm)].map((m) => m[1]);
  expect(listed.length).toBeGreaterThan(0);
  expect(listed).toEqual([...Object.values(codes)].sort());
});
