// Emitted code is built as arrays of lines, and a deep model's pass has hundreds of thousands of
// them. `out.push(...lines)` passes every line as an argument on the stack and overflows it past
// about a hundred thousand; `append` copies them one by one.

/** Appends each line of each list to `out`, in order. */
export function append(out: string[], ...lists: readonly (readonly string[])[]): string[] {
  for (const list of lists) for (const line of list) out.push(line);
  return out;
}
