import { describe, expect, it } from "vitest";
import { fromCsv } from "../../runtime/csv.js";
import { batches } from "../../runtime/data.js";

const IRIS = `sepal_length,sepal_width,species
5.1,3.5,0
4.9, 3.0 ,0
7.0,3.2,1
6.3,3.3,2
`;

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
    expect(fromCsv("y;x\n1;2\n", { label: "y", delimiter: ";" }).columns.x[0]).toBe(2);
  });

  it("reports bad cells with their line and column", () => {
    expect(() => fromCsv("a,y\n1,0\n2,x\n", { label: "y" })).toThrow('fromCsv: line 3, column "y": "x" is not a number');
    expect(() => fromCsv("a,y\n1,0\n,1\n", { label: "y" })).toThrow('fromCsv: line 3, column "a": an empty cell is not a number');
    expect(() => fromCsv("a,y\n0x10,0\n", { label: "y" })).toThrow(/line 2, column "a": "0x10" is not a number/);
    expect(() => fromCsv("a,y\nInfinity,0\n", { label: "y" })).toThrow(/"Infinity" is not a number/);
    expect(() => fromCsv("a,y\n1e999,0\n", { label: "y" })).toThrow('fromCsv: line 2, column "a": 1e999 is out of range');
    expect(() => fromCsv("a,y\n1e39,0\n", { label: "y", dtype: "f32" })).toThrow(/1e39 is out of range for float32/);
    expect(() => fromCsv("a,y\n1,0.5\n", { label: "y" })).toThrow(
      'fromCsv: line 2, column "y": 0.5 is not an integer class label (for numeric targets pass labelDtype: "f64")',
    );
    expect(() => fromCsv("a,y\n1,0\n1,2,3\n", { label: "y" })).toThrow("fromCsv: line 3: expected 2 fields as in the header, got 3");
    expect(() => fromCsv('a,y\n"1",0\n', { label: "y" })).toThrow("fromCsv: line 2, character 1: quoted fields are not supported");
  });

  it("reports header problems", () => {
    expect(() => fromCsv("", { label: "y" })).toThrow("fromCsv: the text is empty; a header row is required");
    expect(() => fromCsv("a,b\n1,2\n", { label: "y" })).toThrow('fromCsv: label column "y" is not in the header (columns: "a", "b")');
    expect(() => fromCsv("a,y\n1,2\n", { label: "y", features: ["c"] })).toThrow(/feature column "c" is not in the header/);
    expect(() => fromCsv("a,y\n1,2\n", { label: "y", features: ["y"] })).toThrow(/label column "y" cannot also be a feature/);
    expect(() => fromCsv("a,a,y\n1,2,3\n", { label: "y" })).toThrow('fromCsv: line 1: column "a" appears twice in the header');
    expect(() => fromCsv("a,,y\n1,2,3\n", { label: "y" })).toThrow("fromCsv: line 1: header column 2 is empty");
    expect(() => fromCsv("a,y\n", { label: "y" })).toThrow("fromCsv: no data rows after the header");
    expect(() => fromCsv("a,y\n1,0\n", {} as never)).toThrow(/options.label .* is required/);
  });
});
