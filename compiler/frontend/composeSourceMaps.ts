// Two source maps in a row as one: `outer` maps a file's JavaScript to its TypeScript (a loader's
// transpile of model.gen.ts), `inner` maps that TypeScript to where it came from (gradc's
// model.gen.ts.map, to model.ts). Node's --enable-source-maps reads one map per module and follows
// no chain, so a loader that transpiles a file that has its own map must hand Node the composition.
// Each outer segment keeps its generated column and takes the inner map's position for its
// TypeScript position (the last inner segment at or before it on that line); where the inner map says
// nothing (a line gradc left unmapped: not model code), it keeps the TypeScript position, so a frame
// there names model.gen.ts at its true line. Used by scripts/ts-hooks.js; tested in
// test/frontend/composeSourceMaps.test.ts.
import { decodeMappings, encodeVlq, SourceMap, type RawSourceMap } from "./sourceMap.js";

export function composeSourceMaps(outer: RawSourceMap, inner: RawSourceMap): RawSourceMap {
  const through = new SourceMap(inner);
  const sources = [...inner.sources];
  const sourceIndex = (s: string) => (sources.includes(s) ? sources.indexOf(s) : sources.push(s) - 1);
  let prev = { source: 0, line: 0, col: 0 };
  const lines = decodeMappings(outer.mappings).map((segments) => {
    let genCol = 0;
    return segments
      .map((s) => {
        const at = through.originalPosition(s.line, s.col) ?? { source: outer.sources[s.source] ?? "", line: s.line, col: s.col };
        const source = sourceIndex(at.source);
        const fields = [s.genCol - genCol, source - prev.source, at.line - prev.line, at.col - prev.col];
        genCol = s.genCol;
        prev = { source, line: at.line, col: at.col };
        return fields.map(encodeVlq).join("");
      })
      .join(",");
  });
  return { version: 3, sources, names: [], mappings: lines.join(";") };
}
