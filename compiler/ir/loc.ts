// Where in model.ts a node came from: 1-based line and column, as editors and tsc print them.
export interface Loc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export const noLoc: Loc = { file: "", line: 0, col: 0 };

export const formatLoc = (l: Loc): string => (l.line ? `${l.file.split(/[\\/]/).pop()}:${l.line}:${l.col}` : "");
