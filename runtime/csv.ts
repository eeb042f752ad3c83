// A small CSV reader for numeric tables: one label column and numeric feature columns → a Dataset.
//
// RFC 4180 with a required header row: fields are separated by commas (or `delimiter`); a field may be
// quoted ("a, b" holds a comma, "" is a quote, and a quoted field may span lines); every used cell must
// be a plain decimal number, quoted or not ("1", "-2.5", ".5", "3e-4"; surrounding spaces allowed; no
// empty cells, NaN, Infinity or hex). Blank lines are skipped; "\r\n" line ends and a UTF-8 byte-order
// mark are accepted.
//
// Every problem is a GradcError whose `loc` is the line in the file (1-based, the header is line 1,
// blank lines and the lines inside quoted fields counted): GC3005 for a bad cell, label, column or
// header, GC3006 when there are no data rows. The data set remembers the line of each sample
// (`source`), so later errors about a sample (a label out of range for the model, a value that makes
// training diverge) name its line too, whatever the shuffling did to its position.
//
// Why not a CSV library: the runtime imports nothing outside Node's standard library (generated modules
// and browsers load it), and the part of CSV a numeric table needs is the short state machine below.

import { fromArrays, type Dataset } from "./data.js";
import { codes, GradcError } from "./errors.js";

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
  /** The file the text came from, for error locations and the data set's `source` (default "<csv>"). */
  readonly file?: string;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** One record: the line it starts on and its fields (unquoted), each with the line it starts on. */
interface CsvRecord {
  readonly line: number;
  readonly cells: string[];
  readonly cellLines: number[];
}

/**
 * Parses CSV text into a data set with fields "x" (shape [features.length]) and "y" (shape []) whose
 * `source` gives each sample's line. Columns that are neither the label nor a selected feature are
 * ignored and may hold anything.
 */
export function fromCsv(text: string, options: CsvOptions): Dataset<"x" | "y"> {
  if (typeof text !== "string") throw new Error(`fromCsv: expected the CSV text as a string, got ${typeof text}`);
  if (typeof options !== "object" || options === null || typeof options.label !== "string") {
    throw new Error("fromCsv: options.label (the name of the label column) is required");
  }
  const { label, labelDtype = "i32", dtype = "f64", delimiter = ",", file = "<csv>" } = options;
  if (labelDtype !== "i32" && labelDtype !== "f32" && labelDtype !== "f64") {
    throw new Error(`fromCsv: labelDtype must be "i32", "f32" or "f64", got ${JSON.stringify(labelDtype)}`);
  }
  if (dtype !== "f32" && dtype !== "f64") throw new Error(`fromCsv: dtype must be "f32" or "f64", got ${JSON.stringify(dtype)}`);
  if (typeof delimiter !== "string" || delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") {
    throw new Error(`fromCsv: delimiter must be one character other than a quote or line break, got ${JSON.stringify(delimiter)}`);
  }
  const at = (line: number) => ({ file, line, col: 0 });
  const dataError = (line: number, message: string) => new GradcError(codes.data, message, at(line));

  const records = readRecords(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, delimiter, file);
  const first = records.next();
  if (first.done) throw new GradcError(codes.emptyData, "the file is empty; a header row is required", at(1));
  const headerRecord = first.value;
  const header = headerRecord.cells.map((h) => h.trim());
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === "") throw dataError(headerRecord.line, `header column ${i + 1} is empty`);
    if (seen.has(name)) throw dataError(headerRecord.line, `column "${name}" appears twice in the header`);
    seen.set(name, i);
  });
  const columnOf = (name: string, role: string): number => {
    const i = seen.get(name);
    if (i === undefined) {
      throw dataError(headerRecord.line, `${role} column "${name}" is not in the header (columns: ${header.map((h) => `"${h}"`).join(", ")})`);
    }
    return i;
  };
  const labelCol = columnOf(label, "label");
  const featureNames = options.features ?? header.filter((h) => h !== label);
  if (!Array.isArray(featureNames)) throw new Error("fromCsv: features must be an array of column names");
  const featureCols = featureNames.map((name) => columnOf(name, "feature"));
  if (featureCols.includes(labelCol)) throw dataError(headerRecord.line, `the label column "${label}" cannot also be a feature`);
  if (new Set(featureCols).size !== featureCols.length) throw new Error("fromCsv: a feature column is listed twice");

  const x: number[] = [];
  const y: number[] = [];
  const lines: number[] = [];
  const cell = (r: CsvRecord, col: number, name: string, f32: boolean): number => {
    const line = r.cellLines[col]!;
    const s = r.cells[col]!.trim();
    if (!NUMBER.test(s)) {
      const shown = s === "" ? "an empty cell" : JSON.stringify(s.length > 30 ? `${s.slice(0, 30)}…` : s);
      throw dataError(line, `column "${name}": ${shown} is not a number`);
    }
    const v = Number(s);
    if (!Number.isFinite(f32 ? Math.fround(v) : v)) throw dataError(line, `column "${name}": ${s} is out of range${f32 ? " for float32" : ""}`);
    return v;
  };
  for (const r of records) {
    if (r.cells.length !== header.length) throw dataError(r.line, `expected ${header.length} fields as in the header, got ${r.cells.length}`);
    const v = cell(r, labelCol, label, labelDtype === "f32");
    if (labelDtype === "i32" && !(Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff)) {
      throw dataError(r.cellLines[labelCol]!, `column "${label}": ${r.cells[labelCol]!.trim()} is not an integer class label (for numeric targets pass labelDtype: "f64")`);
    }
    y.push(v);
    for (let f = 0; f < featureCols.length; f++) x.push(cell(r, featureCols[f]!, featureNames[f]!, dtype === "f32"));
    lines.push(r.line);
  }
  if (y.length === 0) throw new GradcError(codes.emptyData, "the file has a header but no data rows", at(headerRecord.line));
  const ds = fromArrays({
    x: { shape: [featureCols.length], dtype, values: x },
    y: { shape: [], dtype: labelDtype, values: y },
  });
  return { ...ds, source: { file, lines: Int32Array.from(lines) } };
}

/**
 * The records of the text, skipping blank lines. A line without a quote is split at the delimiter (the
 * common case, and fast); a line with one is read character by character, continuing onto the next
 * lines while a quoted field is open.
 */
function* readRecords(text: string, delimiter: string, file: string): Generator<CsvRecord> {
  let pos = 0;
  let lineNo = 0;
  const nextLine = (): string | undefined => {
    if (pos > text.length || (pos === text.length && lineNo > 0)) return undefined;
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const raw = text.slice(pos, end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    pos = end + 1;
    lineNo++;
    return raw;
  };
  for (let line = nextLine(); line !== undefined; line = nextLine()) {
    if (line.trim() === "") continue;
    const start = lineNo;
    if (!line.includes('"')) {
      const cells = line.split(delimiter);
      yield { line: start, cells, cellLines: cells.map(() => start) };
      continue;
    }
    // Quote-aware: state per field (before its first character, inside quotes, after the closing quote).
    const cells: string[] = [];
    const cellLines: number[] = [];
    let value = "";
    let state: "start" | "plain" | "quoted" | "closed" = "start";
    let quoteLine = start;
    let cellLine = start;
    let chars = line;
    for (let i = 0; ; i++) {
      if (i === chars.length) {
        if (state !== "quoted") break;
        const more = nextLine();
        if (more === undefined) throw new GradcError(codes.data, "a quoted field is not closed before the end of the file", { file, line: quoteLine, col: 0 });
        value += "\n";
        chars = more;
        i = -1;
        continue;
      }
      const c = chars[i]!;
      if (state === "quoted") {
        if (c !== '"') value += c;
        else if (chars[i + 1] === '"') {
          value += '"';
          i++;
        } else state = "closed";
      } else if (c === delimiter) {
        cells.push(value);
        cellLines.push(cellLine);
        value = "";
        state = "start";
        cellLine = lineNo;
      } else if (c === '"') {
        if (state === "start" && value.trim() === "") {
          state = "quoted";
          quoteLine = lineNo;
          value = "";
        } else {
          throw new GradcError(codes.data, `a quote inside a field (character ${i + 1}); quote the whole field and write a quote in it as ""`, { file, line: lineNo, col: 0 });
        }
      } else if (state === "closed") {
        if (c.trim() !== "") throw new GradcError(codes.data, `text after a closing quote (character ${i + 1}); a quoted field ends at the delimiter`, { file, line: lineNo, col: 0 });
      } else {
        value += c;
        if (c.trim() !== "") state = "plain";
      }
    }
    cells.push(value);
    cellLines.push(cellLine);
    yield { line: start, cells, cellLines };
  }
}
