// The byte level of the checkpoint format (./checkpointFormat.ts): the CRC-32 that guards every file,
// and numbers stored as little-endian float32 or float64 values whatever the host's byte order. Plain
// computation on bytes, as the format is: it runs in browsers and workers too.
import type { Dtype, FloatArray } from "./init.js";

let crcTable: Uint32Array | undefined;

/**
 * CRC-32 (IEEE 802.3; reflected polynomial 0xEDB88320, as zlib, PNG and gzip): crc32("123456789") is
 * 0xCBF43926. Pass a previous result as `crc` to continue over more bytes. Returns an unsigned 32-bit value.
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let table = crcTable;
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    crcTable = table;
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Stores values as little-endian dtype values at `pos` (raw bytes of a typed array on little-endian hosts).
 * `littleEndianHost` is a parameter only so that tests can run the big-endian path on a little-endian machine.
 */
export function writeValues(out: Uint8Array, view: DataView, pos: number, values: ArrayLike<number>, dtype: Dtype, littleEndianHost = LITTLE_ENDIAN_HOST): void {
  if (littleEndianHost && ArrayBuffer.isView(values)) {
    const v = values as FloatArray; // a typed array of exactly the dtype (checked by the caller)
    out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), pos);
    return;
  }
  const n = values.length;
  if (dtype === "f32") for (let i = 0; i < n; i++) view.setFloat32(pos + 4 * i, values[i], true);
  else for (let i = 0; i < n; i++) view.setFloat64(pos + 8 * i, values[i], true);
}

/** Reads n little-endian dtype values at `pos` into a fresh array (littleEndianHost: as in writeValues). */
export function readValues(bytes: Uint8Array, view: DataView, pos: number, n: number, dtype: Dtype, littleEndianHost = LITTLE_ENDIAN_HOST): FloatArray {
  const out = dtype === "f32" ? new Float32Array(n) : new Float64Array(n);
  if (littleEndianHost) {
    new Uint8Array(out.buffer).set(bytes.subarray(pos, pos + out.byteLength));
  } else if (dtype === "f32") {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(pos + 4 * i, true);
  } else {
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(pos + 8 * i, true);
  }
  return out;
}
