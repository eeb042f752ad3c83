// The loop the runtime's element-wise WebAssembly kernels share (scripts/mask-wat.js, sums-wat.js,
// update-wat.js): over `count` elements, four at a time while four are left, then one at a time, each
// pointer stepping by the bytes of what it read — no scalar loop over a whole array, no read past its end.

/**
 * WebAssembly text of the two loops over the elements counted down in local `$count`: `vector()` is the
 * statement for four elements, `scalar()` for one; `pointers` are the locals holding byte addresses of
 * float32 arrays, advanced by 16 or 4 bytes a turn. `name` keeps the loops' labels apart in one function.
 */
export function vectorsThenOnes({ count, pointers, vector, scalar, indent = "    ", name = "" }) {
  const get = (v) => `(local.get $${v})`;
  const advance = (bytes) => pointers.map((p) => `${indent}  (local.set $${p} (i32.add ${get(p)} (i32.const ${bytes})))`);
  return [
    `${indent}(block $${name}vectorsDone (loop $${name}vectors`,
    `${indent}  (br_if $${name}vectorsDone (i32.lt_s ${get(count)} (i32.const 4)))`,
    `${indent}  ${vector()}`,
    ...advance(16),
    `${indent}  (local.set $${count} (i32.sub ${get(count)} (i32.const 4)))`,
    `${indent}  (br $${name}vectors)))`,
    `${indent}(block $${name}onesDone (loop $${name}ones`,
    `${indent}  (br_if $${name}onesDone (i32.le_s ${get(count)} (i32.const 0)))`,
    `${indent}  ${scalar()}`,
    ...advance(4),
    `${indent}  (local.set $${count} (i32.sub ${get(count)} (i32.const 1)))`,
    `${indent}  (br $${name}ones)))`,
  ].join("\n");
}
