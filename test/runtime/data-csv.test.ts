// runtime/csv.ts: numeric tables with a header; quoted fields (RFC 4180); every error a GradcError at the
// line of the file (blank lines and lines inside quoted fields counted); each sample's line kept
// through subsets and splits.
import { describe, expect, it } from "vitest";
import { fromCsv } from "../../runtime/csv.js";
import { batches, sampleLoc, splitByClass, subset } from "../../runtime/data.js";
import { codes, isGradcError, type GradcError } from "../../runtime/errors.js";

const IRIS = `sepal_length,sepal_width,species
5.1,3.5,0
4.9, 3.0 ,0
7.0,3.2,1
6.3,3.3,2
`;

/** The GradcError `f` throws (anything else fails the test). */
function thrown(f: () => unknown): GradcError {
  try {
    f();
  } catch (e) {
    if (isGradcError(e)) return e;
    throw e;
  }
  throw new Error("expected an error, but nothing was thrown");
}

describe("fromCsv", () => {
  it("reads features into x and the label into y", () => {
    const ds = fromCsv(IRIS, { label: "species" });
    expect(ds.size).toBe(4);
    expect(ds.fields.x).toEqual({ shape: [2], dtype: "f64" });
    expect(ds.fields.y).toEqual({ shape: [], dtype: "i32" });
    expect(Array.from(ds.columns.x)).toEqual([5.1, 3.5, 4.9, 3.0, 7.0, 3.2, 6.3, 3.3]);
    expect(Array.from(ds.columns.y)).toEqual([0, 0, 1, 2]);
    expect(Array.from(batches(ds, { batchSize: 3 })).length).toBe(2);
  });

  it("selects and orders features, ignores other columns, and accepts CRLF, a BOM and blank lines", () => {
    const text = "\ufeffname,a,b,label\r\nalpha,1,2,0.5\r\n\r\nbeta,3,4,1e-1\r\n";
    const ds = fromCsv(text, { label: "label", features: ["b", "a"], labelDtype: "f64", dtype: "f32" });
    expect(ds.columns.x).toBeInstanceOf(Float32Array);
    expect(Array.from(ds.columns.x)).toEqual([2, 1, 4, 3]);
    expect(Array.from(ds.columns.y)).toEqual([0.5, 0.1]);
    expect(Array.from(ds.source!.lines)).toEqual([2, 4]);
    expect(fromCsv("y;x\n1;2\n", { label: "y", delimiter: ";" }).columns.x[0]).toBe(2);
  });

  it("reads quoted fields: delimiters, doubled quotes and line breaks inside them, quoted numbers", () => {
    const text = 'name,a,label\n"Smith, J.",1,0\n"say ""hi""",2,1\n"two\nlines\n",3,0\n  "4" ,"5" ,1\n';
    const ds = fromCsv(text, { label: "label", features: ["a"] });
    expect(Array.from(ds.columns.x)).toEqual([1, 2, 3, 5]);
    expect(Array.from(ds.columns.y)).toEqual([0, 1, 0, 1]);
    // The record "two\nlines\n" spans lines 4–6, so the next record is on line 7.
    expect(Array.from(ds.source!.lines)).toEqual([2, 3, 4, 7]);
    expect(ds.source!.file).toBe("<csv>");
  });

  it("reports bad cells as GC3005 at their line (blank lines and quoted line breaks counted), naming the column", () => {
    const at = (text: string, options: Parameters<typeof fromCsv>[1] = { label: "y" }) => {
      const e = thrown(() => fromCsv(text, { file: "data.csv", ...options }));
      return { code: e.code, line: e.loc?.line, file: e.loc?.file, message: e.message };
    };
    expect(at("a,y\n1,0\n2,x\n")).toEqual({ code: codes.data, file: "data.csv", line: 3, message: 'column "y": "x" is not a number' });
    expect(at("a,y\n1,0\n\n\n,1\n")).toMatchObject({ line: 5, message: 'column "a": an empty cell is not a number' });
    const onlyA = { label: "y", features: ["a"] };
    expect(at('n,a,y\n"multi\nline",1,0\n"x",abc,0\n', onlyA)).toMatchObject({ line: 4, message: 'column "a": "abc" is not a number' });
    // A bad cell after a quoted line break is reported on the line it is on, not the record's first.
    expect(at('n,a,y\n"multi\nline",bad,0\n', onlyA)).toMatchObject({ line: 3, message: 'column "a": "bad" is not a number' });
    expect(at("a,y\n0x10,0\n")).toMatchObject({ line: 2, message: 'column "a": "0x10" is not a number' });
    expect(at("a,y\nInfinity,0\n").message).toBe('column "a": "Infinity" is not a number');
    expect(at("a,y\n1e999,0\n").message).toBe('column "a": 1e999 is out of range');
    expect(at("a,y\n1e39,0\n", { label: "y", dtype: "f32" }).message).toBe('column "a": 1e39 is out of range for float32');
    expect(at("a,y\n1,0.5\n")).toMatchObject({ line: 2, message: 'column "y": 0.5 is not an integer class label (for numeric targets pass labelDtype: "f64")' });
    expect(at("a,y\n1,0\n\n1,2,3\n")).toMatchObject({ line: 4, message: "expected 2 fields as in the header, got 3" });
    expect(at('a,y\n1,0\n1,"2\n')).toMatchObject({ line: 3, message: "a quoted field is not closed before the end of the file" });
    expect(at('a,y\n1,x"2"\n')).toMatchObject({ line: 2, message: 'a quote inside a field (character 4); quote the whole field and write a quote in it as ""' });
    expect(at('a,y\n1,"2"x\n')).toMatchObject({ line: 2, message: "text after a closing quote (character 6); a quoted field ends at the delimiter" });
  });

  it("reports header problems (GC3005) and a table without rows (GC3006)", () => {
    const e = (text: string, options: Parameters<typeof fromCsv>[1] = { label: "y" }) => thrown(() => fromCsv(text, options));
    expect(e("", { label: "y", file: "d.csv" })).toMatchObject({ code: codes.emptyData, message: "the file is empty; a header row is required", loc: { file: "d.csv", line: 1 } });
    expect(e("\n\n")).toMatchObject({ code: codes.emptyData });
    expect(e("a,b\n1,2\n")).toMatchObject({ code: codes.data, loc: { line: 1 }, message: 'label column "y" is not in the header (columns: "a", "b")' });
    expect(e("\na,b\n1,2\n").loc?.line).toBe(2);
    expect(e("a,y\n1,2\n", { label: "y", features: ["c"] }).message).toMatch(/feature column "c" is not in the header/);
    expect(e("a,y\n1,2\n", { label: "y", features: ["y"] }).message).toMatch(/label column "y" cannot also be a feature/);
    expect(e("a,a,y\n1,2,3\n").message).toBe('column "a" appears twice in the header');
    expect(e("a,,y\n1,2,3\n").message).toBe("header column 2 is empty");
    expect(e("a,y\n\n", { label: "y", file: "d.csv" })).toMatchObject({ code: codes.emptyData, message: "the file has a header but no data rows", loc: { file: "d.csv", line: 1 } });
    expect(() => fromCsv("a,y\n1,0\n", {} as never)).toThrow(/options.label .* is required/);
  });

  it("each sample keeps its file line through subsets and splits (the line in the file, not the position)", () => {
    const text = "a,label\n1,0\n\n2,1\n3,0\n\n\n4,1\n5,0\n6,1\n";
    const ds = fromCsv(text, { label: "label", file: "d.csv" });
    expect(Array.from(ds.source!.lines)).toEqual([2, 4, 5, 8, 9, 10]);
    const picked = subset(ds, [5, 0, 3]);
    expect(Array.from(picked.source!.lines)).toEqual([10, 2, 8]);
    expect(sampleLoc(picked, 0)).toEqual({ file: "d.csv", line: 10, col: 0 });
    const { train, test } = splitByClass(ds, "y", 0.5);
    // Per class: 0s on lines 2, 5, 9 → 1 trains (2), 1s on lines 4, 8, 10 → 1 trains (4).
    expect(Array.from(train.source!.lines)).toEqual([2, 4]);
    expect(Array.from(test.source!.lines)).toEqual([5, 8, 9, 10]);
    expect(Array.from(test.columns.x)).toEqual([3, 4, 5, 6]);
  });
});
