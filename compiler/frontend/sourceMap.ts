// A small reader for version-3 source maps (the kind ts.transpileModule writes): decodes the
// base64 VLQ `mappings` into per-line segments and maps a generated position back to the source;
// encodeVlq is the writer's half of the format (../emit/sourceMap.ts, ./composeSourceMaps.ts).
// Positions here are 0-based (line and column), as in the source map format itself.
// Tested in test/frontend/sourceMap.test.ts.

export interface RawSourceMap {
  readonly version: number;
  readonly sources: readonly string[];
  readonly names?: readonly string[];
  readonly mappings: string;
}

/** One mapping segment: generated column → (source index, source line, source column). */
export interface Segment {
  readonly genCol: number;
  readonly source: number;
  readonly line: number;
  readonly col: number;
}

export interface Position {
  readonly line: number;
  readonly col: number;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) DIGIT[BASE64.charCodeAt(i)] = i;

/** Base64 VLQ of one signed integer. */
export function encodeVlq(value: number): string {
  let v = value < 0 ? (-value << 1) | 1 : value << 1;
  let out = "";
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v > 0) digit |= 32;
    out += BASE64[digit];
  } while (v > 0);
  return out;
}

/** Decodes one base64 VLQ field list ("AAgBC" → [0, 0, 16, 1]). */
export function decodeVlq(field: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (let i = 0; i < field.length; i++) {
    const c = field.charCodeAt(i);
    const digit = c < 128 ? DIGIT[c]! : -1;
    if (digit < 0) throw new Error(`source map: invalid base64 VLQ character ${JSON.stringify(field[i])}`);
    value += (digit & 31) * 2 ** shift; // no bit shifts: values may exceed 31 bits in principle
    if (digit & 32) {
      shift += 5;
      continue;
    }
    out.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
    value = 0;
    shift = 0;
  }
  if (shift !== 0) throw new Error("source map: truncated VLQ value");
  return out;
}

/** Decodes `mappings` into segments per generated line, each line sorted by generated column. */
export function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let source = 0, line = 0, col = 0;
  for (const text of mappings.split(";")) {
    const segs: Segment[] = [];
    let genCol = 0;
    if (text) {
      for (const field of text.split(",")) {
        if (!field) continue;
        const v = decodeVlq(field);
        genCol += v[0]!;
        if (v.length < 4) continue; // a segment without a source position
        source += v[1]!;
        line += v[2]!;
        col += v[3]!;
        segs.push({ genCol, source, line, col });
      }
    }
    segs.sort((a, b) => a.genCol - b.genCol);
    lines.push(segs);
  }
  return lines;
}

export class SourceMap {
  readonly lines: readonly (readonly Segment[])[];
  constructor(readonly raw: RawSourceMap) {
    if (raw.version !== 3) throw new Error(`source map: unsupported version ${raw.version}`);
    this.lines = decodeMappings(raw.mappings);
  }

  static parse(text: string): SourceMap {
    return new SourceMap(JSON.parse(text) as RawSourceMap);
  }

  /**
   * The source position of a generated position: the last segment at or before `col` on that
   * line (as source-map's originalPositionFor with GREATEST_LOWER_BOUND), or null when there is none.
   */
  originalPosition(line: number, col: number): (Position & { source: string }) | null {
    const segs = this.lines[line];
    if (!segs || !segs.length) return null;
    let lo = 0, hi = segs.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (segs[mid]!.genCol <= col) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return null;
    const s = segs[found]!;
    return { source: this.raw.sources[s.source] ?? "", line: s.line, col: s.col };
  }
}
