// A small CSV reader for numeric tables: one label column and numeric feature columns → a Dataset.
//
// Deliberately narrow: a header row is required; fields are separated by commas (or `delimiter`);
// quoted fields are not supported (a `"` is an error); every used cell must be a plain decimal number
// ("1", "-2.5", ".5", "3e-4"; surrounding spaces allowed; no empty cells, NaN, Infinity or hex). Blank
// lines are skipped; "\r\n" line ends and a UTF-8 byte-order mark are accepted. Errors name the line
// (1-based, the header is line 1) and the column.

import { fromArrays, type Dataset } from "./data.js";

export interface CsvOptions {
  /** Name of the label column (header text); becomes field "y", shape []. */
  readonly label: string;
  /** Feature columns, in this order; default every column except the label, in file order. Becomes field "x". */
  readonly features?: readonly string[];
  /** "i32" (default): integer class labels; "f64"/"f32": numeric targets (regression). */
  readonly labelDtype?: "i32" | "f32" | "f64";
  /** Element type of "x"; default "f64". */
  readonly dtype?: "f32" | "f64";
  /** Field separator, one character; default ",". */
  readonly delimiter?: string;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses CSV text into a data set with fields "x" (shape [features.length]) and "y" (shape []). Columns
 * that are neither the label nor a selected feature are ignored and may hold anything without quotes.
 */
export function fromCsv(text: string, options: CsvOptions): Dataset<"x" | "y"> {
  if (typeof text !== "string") throw new Error(`fromCsv: expected the CSV text as a string, got ${typeof text}`);
  if (typeof options !== "object" || options === null || typeof options.label !== "string") {
    throw new Error('fromCsv: options.label (the name of the label column) is required');
  }
  const { label, labelDtype = "i32", dtype = "f64", delimiter = "," } = options;
  if (labelDtype !== "i32" && labelDtype !== "f32" && labelDtype !== "f64") {
    throw new Error(`fromCsv: labelDtype must be "i32", "f32" or "f64", got ${JSON.stringify(labelDtype)}`);
  }
  if (dtype !== "f32" && dtype !== "f64") throw new Error(`fromCsv: dtype must be "f32" or "f64", got ${JSON.stringify(dtype)}`);
  if (typeof delimiter !== "string" || delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") {
    throw new Error(`fromCsv: delimiter must be one character other than a quote or line break, got ${JSON.stringify(delimiter)}`);
  }

  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r?\n/);
  let headerLine = 0;
  while (headerLine < lines.length && lines[headerLine].trim() === "") headerLine++;
  if (headerLine === lines.length) throw new Error("fromCsv: the text is empty; a header row is required");
  const header = splitRow(lines[headerLine], delimiter, headerLine + 1).map((h) => h.trim());
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === "") throw new Error(`fromCsv: line ${headerLine + 1}: header column ${i + 1} is empty`);
    if (seen.has(name)) throw new Error(`fromCsv: line ${headerLine + 1}: column "${name}" appears twice in the header`);
    seen.set(name, i);
  });
  const columnOf = (name: string, role: string): number => {
    const i = seen.get(name);
    if (i === undefined) {
      throw new Error(`fromCsv: ${role} column "${name}" is not in the header (columns: ${header.map((h) => `"${h}"`).join(", ")})`);
    }
    return i;
  };
  const labelCol = columnOf(label, "label");
  const featureNames = options.features ?? header.filter((h) => h !== label);
  if (!Array.isArray(featureNames)) throw new Error("fromCsv: features must be an array of column names");
  const featureCols = featureNames.map((name) => columnOf(name, "feature"));
  if (featureCols.includes(labelCol)) throw new Error(`fromCsv: the label column "${label}" cannot also be a feature`);
  if (new Set(featureCols).size !== featureCols.length) throw new Error("fromCsv: a feature column is listed twice");

  const x: number[] = [];
  const y: number[] = [];
  for (let l = headerLine + 1; l < lines.length; l++) {
    const line = lines[l];
    if (line.trim() === "") continue;
    const lineNo = l + 1;
    const cells = splitRow(line, delimiter, lineNo);
    if (cells.length !== header.length) {
      throw new Error(`fromCsv: line ${lineNo}: expected ${header.length} fields as in the header, got ${cells.length}`);
    }
    const v = parseCell(cells[labelCol], lineNo, label, labelDtype === "f32");
    if (labelDtype === "i32" && !(Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff)) {
      throw new Error(`fromCsv: line ${lineNo}, column "${label}": ${cells[labelCol].trim()} is not an integer class label (for numeric targets pass labelDtype: "f64")`);
    }
    y.push(v);
    for (let f = 0; f < featureCols.length; f++) x.push(parseCell(cells[featureCols[f]], lineNo, featureNames[f], dtype === "f32"));
  }
  if (y.length === 0) throw new Error("fromCsv: no data rows after the header");
  return fromArrays({
    x: { shape: [featureCols.length], dtype, values: x },
    y: { shape: [], dtype: labelDtype, values: y },
  });
}

function splitRow(line: string, delimiter: string, lineNo: number): string[] {
  const quote = line.indexOf('"');
  if (quote >= 0) throw new Error(`fromCsv: line ${lineNo}, character ${quote + 1}: quoted fields are not supported`);
  return line.split(delimiter);
}

function parseCell(cell: string, lineNo: number, column: string, f32: boolean): number {
  const s = cell.trim();
  if (!NUMBER.test(s)) {
    const shown = s === "" ? "an empty cell" : JSON.stringify(s.length > 30 ? `${s.slice(0, 30)}…` : s);
    throw new Error(`fromCsv: line ${lineNo}, column "${column}": ${shown} is not a number`);
  }
  const v = Number(s);
  if (!Number.isFinite(f32 ? Math.fround(v) : v)) {
    throw new Error(`fromCsv: line ${lineNo}, column "${column}": ${s} is out of range${f32 ? " for float32" : ""}`);
  }
  return v;
}
