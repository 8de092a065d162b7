/**
 * Body of an `error` envelope: a code and a message, so a requester can branch on the code.
 *
 *   u8 codeLength | code (ASCII, [A-Z0-9_], 1..64 bytes) | message (UTF-8, rest, <= 512 bytes)
 *
 * Decoding never throws: a malformed body from a peer becomes code `ERR_MALFORMED_ERROR`.
 */
const MAX_CODE = 64;
const MAX_MESSAGE_BYTES = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeErrorBody(code: string, message: string): Uint8Array {
  const safeCode = /^[A-Z0-9_]{1,64}$/.test(code) ? code : 'ERR_INTERNAL';
  let text = encoder.encode(message);
  if (text.length > MAX_MESSAGE_BYTES) text = text.subarray(0, MAX_MESSAGE_BYTES);
  const out = new Uint8Array(1 + safeCode.length + text.length);
  out[0] = safeCode.length;
  for (let i = 0; i < safeCode.length; i++) out[1 + i] = safeCode.charCodeAt(i);
  out.set(text, 1 + safeCode.length);
  return out;
}

export function decodeErrorBody(body: Uint8Array): { code: string; message: string } {
  const length = body[0] ?? 0;
  if (length === 0 || length > MAX_CODE || body.length < 1 + length) {
    return { code: 'ERR_MALFORMED_ERROR', message: 'peer sent a malformed error' };
  }
  let code = '';
  for (let i = 1; i <= length; i++) {
    const c = body[i]!;
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
    if (!ok) return { code: 'ERR_MALFORMED_ERROR', message: 'peer sent a malformed error' };
    code += String.fromCharCode(c);
  }
  const rest = body.subarray(1 + length, 1 + length + MAX_MESSAGE_BYTES);
  return { code, message: decoder.decode(rest) };
}
