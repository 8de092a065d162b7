/**
 * RC4 (ARC4), the stream cipher of Message Stream Encryption. Obfuscation, not security: MSE
 * uses it to make BitTorrent traffic hard to classify. Encrypting and decrypting are the same
 * operation: XOR with the keystream.
 */
export class RC4 {
  readonly #s = new Uint8Array(256);
  #i = 0;
  #j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > 256) throw new RangeError('RC4 key must be 1..256 bytes');
    const s = this.#s;
    for (let i = 0; i < 256; i++) s[i] = i;
    let j = 0;
    for (let i = 0; i < 256; i++) {
      const si = s[i]!;
      j = (j + si + key[i % key.length]!) & 0xff;
      s[i] = s[j]!;
      s[j] = si;
    }
  }

  /** XORs the next `data.length` keystream bytes into `data`, in place; returns `data`. */
  apply(data: Uint8Array): Uint8Array {
    const s = this.#s;
    let i = this.#i;
    let j = this.#j;
    const n = data.length;
    for (let k = 0; k < n; k++) {
      i = (i + 1) & 0xff;
      const si = s[i]!;
      j = (j + si) & 0xff;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      data[k] = data[k]! ^ s[(si + sj) & 0xff]!;
    }
    this.#i = i;
    this.#j = j;
    return data;
  }

  /** Skips `n` keystream bytes (MSE discards the first 1024). */
  discard(n: number): void {
    this.apply(new Uint8Array(n));
  }
}
