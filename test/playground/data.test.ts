// The playground's "bring your own data": how a dropped CSV's columns become the model's inputs
// (playground/src/data.ts fromCsvText), run in Node; the page itself is driven in ./playground.test.ts.
import { describe, expect, it } from "vitest";
import { isGradcError } from "../../runtime/errors.js";
import { chooseData, fromCsvText, type ModelSpec } from "../../playground/src/data.js";

const spec = (...inputs: ModelSpec["inputs"]): ModelSpec => ({ batch: "batch", inputs });
const xor = spec({ name: "x", shape: ["batch", 2], dtype: "f32" }, { name: "t", shape: ["batch", 1], dtype: "f32" });
const classifier = spec({ name: "x", shape: ["batch", 3], dtype: "f32" }, { name: "label", shape: ["batch"], dtype: "i32", classes: 3 });

/** The GradcError fromCsvText throws, as `file:line - error CODE: message`. */
function failure(s: ModelSpec, file: string, text: string): string {
  try {
    fromCsvText(s, { file, text });
  } catch (e) {
    if (!isGradcError(e)) throw e;
    return `${e.loc?.file}:${e.loc?.line} - error ${e.code}: ${e.message}`;
  }
  throw new Error("expected an error");
}

describe("a dropped CSV as the model's inputs", () => {
  it("takes columns named after the inputs, x0…x{n-1} for an input of n values a row, in any order", () => {
    const d = fromCsvText(xor, { file: "or.csv", text: "t,x1,x0,note\n0,0,0,9\n1,1,0,9\n1,0,1,9\n1,1,1,9\n" });
    expect(d.name).toBe("or.csv (4 rows)");
    expect(d.rows).toBe(4);
    expect(Array.from(d.columns["x"]!)).toEqual([0, 0, 0, 1, 1, 0, 1, 1]);
    expect(Array.from(d.columns["t"]!)).toEqual([0, 1, 1, 1]);
    expect(d.columns["x"]).toBeInstanceOf(Float32Array);
  });

  it("also reads x_0… and x[0]… names", () => {
    expect(Array.from(fromCsvText(xor, { file: "a.csv", text: "x_0,x_1,t\n1,2,3\n" }).columns["x"]!)).toEqual([1, 2]);
    expect(Array.from(fromCsvText(xor, { file: "a.csv", text: '"x[0]","x[1]",t\n4,5,6\n' }).columns["x"]!)).toEqual([4, 5]);
  });

  it("takes the columns in file order when no input finds its columns by name, and class indices as integers", () => {
    const d = fromCsvText(classifier, { file: "iris.csv", text: "a,b,c,species\n5.1,3.5,1.4,0\n6.2,2.9,4.3,2\n" });
    expect(Array.from(d.columns["x"]!)).toEqual([5.1, 3.5, 1.4, 6.2, 2.9, 4.3].map(Math.fround));
    expect(d.columns["label"]).toBeInstanceOf(Int32Array);
    expect(Array.from(d.columns["label"]!)).toEqual([0, 2]);
  });

  it("refuses what cannot feed the model, located in the file", () => {
    expect(failure(xor, "three.csv", "a,b\n1,2\n")).toBe(
      'three.csv:1 - error GC3005: the model\'s inputs need 3 columns in file order, or columns named for them (x (2 columns x0…x1), t (a column "t")); the file has 2: "a", "b"',
    );
    expect(failure(xor, "half.csv", "x0,x1,target\n1,2,3\n")).toBe('half.csv:1 - error GC3005: no columns for the input "t": the model\'s inputs need x (2 columns x0…x1), t (a column "t")');
    expect(failure(classifier, "labels.csv", "a,b,c,species\n1,2,3,0\n\n1,2,3,3\n")).toBe('labels.csv:4 - error GC3005: column "species": 3 is not a class of input "label" (an integer 0…2)');
    expect(failure(classifier, "frac.csv", "a,b,c,species\n1,2,3,0.5\n")).toBe('frac.csv:2 - error GC3005: column "species": 0.5 is not a class of input "label" (an integer 0…2)');
    expect(failure(xor, "cell.csv", "x0,x1,t\n1,2,3\n1,abc,3\n")).toBe('cell.csv:3 - error GC3005: column "x1": "abc" is not a number');
    expect(failure(xor, "empty.csv", "")).toBe("empty.csv:1 - error GC3006: the file is empty; a header row is required");
    expect(failure(xor, "header.csv", "x0,x1,t\n")).toBe("header.csv:1 - error GC3006: the file has a header but no data rows");
    expect(failure(spec({ name: "s", shape: ["T", "batch"], dtype: "f32" }), "seq.csv", "s\n1\n")).toBe("seq.csv:1 - error GC3005: input \"s\" has the shape [T, batch]: a CSV can feed only inputs of the shape [batch, …numbers]");
  });

  it("replaces the bundled data set when given (and the bundled one stays without it)", async () => {
    const noFetch = async (): Promise<Uint8Array> => {
      throw new Error("no fetch for XOR");
    };
    expect((await chooseData(xor, noFetch)).name).toBe("XOR (4 points)");
    expect((await chooseData(xor, noFetch, { file: "or.csv", text: "x0,x1,t\n0,0,0\n" })).name).toBe("or.csv (1 row)");
  });
});
