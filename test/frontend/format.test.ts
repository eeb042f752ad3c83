import path from "node:path";
import { describe, expect, test } from "vitest";
import { codes, GradcError } from "../../compiler/diagnostics.js";
import { codeFrame, formatDiagnostic } from "../../compiler/frontend/format.js";
import { displayPath } from "../../runtime/userErrors.js";

const cwd = path.resolve("/work/project");
const file = path.join(cwd, "src", "model.ts");
const err = (line: number, col: number, message = "boom") => new GradcError(codes.shape, message, { file, line, col });

describe("formatDiagnostic", () => {
  const source = ["import { add, matmul } from \"gradc\";", "", "const z = add(matmul(x, W), b);", ""].join("\n");

  test("tsc's layout: path relative to cwd, line:col, code, message, code frame", () => {
    expect(formatDiagnostic(err(3, 11), source, cwd)).toBe(
      ["src/model.ts:3:11 - error GC2001: boom", "", "3 const z = add(matmul(x, W), b);", "            ~~~~~~~~~~~~~~~~~~~~", ""].join("\n"),
    );
  });

  test("the underline covers the call that starts at the column, not its parent", () => {
    const frame = formatDiagnostic(err(3, 15), source, cwd).split("\n");
    expect(frame[3]).toBe("                ~~~~~~~~~~~~");
  });

  test("a token that starts no call is underlined alone", () => {
    expect(formatDiagnostic(err(3, 7), source, cwd).split("\n")[3]).toBe("        ~");
    expect(formatDiagnostic(err(1, 10), source, cwd).split("\n")[3]).toBe("           ~~~");
  });

  test("without a location: just the code and the message", () => {
    expect(formatDiagnostic(new GradcError(codes.usage, "unknown option '--x'"), source, cwd)).toBe("error GC3002: unknown option '--x'");
  });

  test("without readable source: the first line alone", () => {
    expect(formatDiagnostic(new GradcError(codes.shape, "boom", { file: "/no/such/dir/model.ts", line: 1, col: 1 }), undefined, "/no/such")).toBe(
      "dir/model.ts:1:1 - error GC2001: boom",
    );
  });
});

describe("codeFrame", () => {
  test("the gutter widens with the line number; tabs show as one space each", () => {
    const text = `${"\n".repeat(11)}\tconst out = relu(h);\n`;
    expect(codeFrame(text, { line: 12, col: 14 })).toBe("12  const out = relu(h);\n                ~~~~~~~");
  });

  test("a call spanning lines is underlined to the end of its first line", () => {
    const text = "const s = g.mul(\n  out,\n  2,\n);\n";
    expect(codeFrame(text, { line: 1, col: 11 })).toBe("1 const s = g.mul(\n            ~~~~~~");
  });

  test("CRLF line endings", () => {
    const text = "a;\r\nconst y = relu(x);\r\n";
    expect(codeFrame(text, { line: 2, col: 11 })).toBe("2 const y = relu(x);\n            ~~~~~~~");
  });

  test("a line past the end has no frame", () => {
    expect(codeFrame("x;\n", { line: 9, col: 1 })).toBeNull();
  });
});

test("displayPath: relative under the working directory, else absolute (a path a user can open)", () => {
  expect(displayPath(path.join(cwd, "model.ts"), cwd)).toBe("model.ts");
  expect(displayPath(path.join(cwd, "src", "model.ts"), cwd)).toBe("src/model.ts");
  expect(displayPath("src/model.ts", cwd)).toBe("src/model.ts");
  expect(displayPath(path.resolve(cwd, "../other/model.ts"), cwd)).toBe(path.resolve(cwd, "../other/model.ts"));
  expect(displayPath("/tmp/x/model.ts", cwd)).toBe("/tmp/x/model.ts");
  // a sibling folder whose name starts with cwd's is not under cwd
  expect(displayPath(`${cwd}-old/model.ts`, cwd)).toBe(`${cwd}-old/model.ts`);
  expect(displayPath(cwd, cwd)).toBe(".");
  // a file named "..x" under cwd is under it
  expect(displayPath(path.join(cwd, "..x", "model.ts"), cwd)).toBe("..x/model.ts");
});
