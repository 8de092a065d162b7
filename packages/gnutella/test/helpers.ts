/** Hex with spaces or newlines (as specs print bytes) to bytes. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean === '') return new Uint8Array(0);
  return Uint8Array.from(clean.split(' '), (h) => {
    const v = Number.parseInt(h, 16);
    if (!(v >= 0 && v <= 255) || !/^[0-9a-fA-F]{1,2}$/.test(h)) throw new Error(`bad hex ${h}`);
    return v;
  });
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

export function ascii(text: string): string {
  return Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, '0')).join(
    ' ',
  );
}
