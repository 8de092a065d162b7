import { DecodeError } from '@p2pkit/core';

/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker), as GGEP uses it to keep NUL bytes out of
 * a Query Hit result's extension block. The encoding has no trailing zero (GGEP's length field
 * delimits it).
 */
export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + Math.ceil(data.length / 254) + 1);
  let codeAt = 0;
  let code = 1;
  let o = 1;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    } else {
      out[o++] = b;
      code++;
      if (code === 0xff) {
        out[codeAt] = code;
        codeAt = o++;
        code = 1;
      }
    }
  }
  out[codeAt] = code;
  return out.subarray(0, o);
}

/** Inverse of cobsEncode; DecodeError on a zero byte or a block running past the end. */
export function cobsDecode(data: Uint8Array): Uint8Array {
  const n = data.length;
  const out = new Uint8Array(n);
  let o = 0;
  let i = 0;
  while (i < n) {
    const code = data[i++]!;
    if (code === 0) throw new DecodeError(`zero byte in COBS data at offset ${i - 1}`);
    const end = i + code - 1;
    if (end > n) throw new DecodeError(`COBS block at offset ${i - 1} runs past the end`);
    for (; i < end; i++) {
      const b = data[i]!;
      if (b === 0) throw new DecodeError(`zero byte in COBS data at offset ${i}`);
      out[o++] = b;
    }
    if (code < 0xff && i < n) out[o++] = 0;
  }
  return out.subarray(0, o);
}
