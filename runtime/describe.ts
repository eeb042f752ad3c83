// How error messages name a value a user passed: "Float32Array(6)", "an array of 3", "undefined".
// Shared by the input checks and the data-set constructors.

/** The typed array's type name ("Float64Array"), or undefined for anything else (works across realms). */
export function typedArrayTag(x: unknown): string | undefined {
  return ArrayBuffer.isView(x) ? (x as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag] : undefined;
}

export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const tag = typedArrayTag(v);
  if (tag !== undefined) return `${tag}(${(v as ArrayLike<number>).length})`;
  switch (typeof v) {
    case "undefined":
      return "undefined";
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "string":
      return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    case "object":
      return "an object";
    default:
      return `a ${typeof v}`;
  }
}
