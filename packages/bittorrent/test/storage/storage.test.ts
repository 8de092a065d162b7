import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileStorage, UnsafePathError } from '../../src/node/fs-storage.js';
import { createMemoryStorage } from '../../src/storage/memory.js';
import { type Storage, type StorageLayout, segmentsOf } from '../../src/storage/storage.js';

/** name/a (10 B), name/pad (6 B padding), name/sub/b (0 B), name/sub/c (20 B): 36 bytes, pieces of 16. */
function layout(): StorageLayout {
  const files = [
    { path: ['name', 'a'], length: 10, padding: false },
    { path: ['name', '.pad', '6'], length: 6, padding: true },
    { path: ['name', 'sub', 'b'], length: 0, padding: false },
    { path: ['name', 'sub', 'c'], length: 20, padding: false },
  ];
  let offset = 0;
  return {
    name: 'name',
    pieceLength: 16,
    pieceCount: 3,
    length: 36,
    files: files.map((f) => {
      const out = { ...f, offset };
      offset += f.length;
      return out;
    }),
  };
}

const content = () => {
  const data = new Uint8Array(36).map((_, i) => i + 1);
  data.fill(0, 10, 16); // the padding file is zeros
  return data;
};

describe('segmentsOf', () => {
  it('maps a range across file boundaries, skipping empty files', () => {
    expect(segmentsOf(layout(), 8, 12)).toEqual([
      { file: 0, fileOffset: 8, length: 2, dataOffset: 0 },
      { file: 1, fileOffset: 0, length: 6, dataOffset: 2 },
      { file: 3, fileOffset: 0, length: 4, dataOffset: 8 },
    ]);
  });
});

async function roundTrip(storage: Storage) {
  const data = content();
  await storage.write(1, 0, data.slice(16, 32));
  await storage.write(0, 0, data.slice(0, 16));
  await storage.write(2, 0, data.slice(32, 36));
  const back = new Uint8Array(36);
  back.set(await storage.read(0, 0, 16), 0);
  back.set(await storage.read(1, 0, 16), 16);
  back.set(await storage.read(2, 0, 4), 32);
  expect([...back]).toEqual([...data]);
  expect([...(await storage.read(1, 3, 5))]).toEqual([...data.slice(19, 24)]);
  await expect(storage.read(2, 0, 5)).rejects.toThrow(RangeError);
}

describe('memory storage', () => {
  it('round-trips pieces and blocks', async () => {
    const storage = createMemoryStorage(layout());
    expect(storage.mayHave(0)).toBe(false);
    await roundTrip(storage);
    expect([...storage.contents()]).toEqual([...content()]);
  });
});

describe('file storage', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'p2pkit-bt-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes files across piece boundaries, never the padding file, and finishes sparse files', async () => {
    const storage = await fileStorage({ folder: dir, maxOpenFiles: 1 })(layout());
    expect(storage.mayHave(0)).toBe(false);
    await roundTrip(storage);
    await storage.finish();
    await storage.close();
    const data = content();
    expect([...(await readFile(path.join(dir, 'name', 'a')))]).toEqual([...data.slice(0, 10)]);
    expect([...(await readFile(path.join(dir, 'name', 'sub', 'c')))]).toEqual([
      ...data.slice(16, 36),
    ]);
    expect((await stat(path.join(dir, 'name', 'sub', 'b'))).size).toBe(0);
    await expect(stat(path.join(dir, 'name', '.pad', '6'))).rejects.toThrow();
    // Reopened: everything is there, so every piece may be had.
    const again = await fileStorage({ folder: dir })(layout());
    expect([0, 1, 2].map((i) => again.mayHave(i))).toEqual([true, true, true]);
    await again.close();
  });

  it('writes issued together, in any order, all land (batched into writev runs)', async () => {
    // One file of 64 pieces of 16 bytes: all writes at once, shuffled, some adjacent, then a
    // second wave while the first is in flight.
    const files = [{ path: ['big'], length: 64 * 16, padding: false, offset: 0 }];
    const big = { name: 'big', pieceLength: 16, pieceCount: 64, length: 64 * 16, files };
    const storage = await fileStorage({ folder: dir })(big);
    const piece = (i: number) => new Uint8Array(16).fill(i + 1);
    const order = [...Array(64).keys()].sort((a, b) => ((a * 37) % 64) - ((b * 37) % 64));
    const first = order.slice(0, 40).map((i) => storage.write(i, 0, piece(i)));
    const second = order.slice(40).map((i) => storage.write(i, 0, piece(i)));
    await Promise.all([...first, ...second]);
    await storage.close();
    const back = await readFile(path.join(dir, 'big'));
    for (let i = 0; i < 64; i++)
      expect([...back.subarray(i * 16, i * 16 + 16)]).toEqual([...piece(i)]);
  });

  it('reads never-written ranges as zeros, and finish() extends files sparsely', async () => {
    const storage = await fileStorage({ folder: dir })(layout());
    await storage.write(2, 0, Uint8Array.of(9, 9, 9, 9));
    expect([...(await storage.read(1, 0, 16))]).toEqual(new Array(16).fill(0));
    await storage.finish();
    await storage.close();
    expect((await stat(path.join(dir, 'name', 'a'))).size).toBe(10);
    const c = await readFile(path.join(dir, 'name', 'sub', 'c'));
    expect([...c.subarray(16)]).toEqual([9, 9, 9, 9]);
    const again = await fileStorage({ folder: dir })(layout());
    expect(again.mayHave(2)).toBe(true);
    await again.close();
  });

  it('reads into a reused target, zeroing what no file holds', async () => {
    const storage = await fileStorage({ folder: dir })(layout());
    const data = content();
    await storage.write(0, 0, data.slice(0, 16));
    const dirty = new Uint8Array(16).fill(0xee);
    const back = await storage.read(0, 0, 16, dirty);
    expect(back.buffer).toBe(dirty.buffer);
    expect([...back]).toEqual([...data.slice(0, 16)]); // bytes 10..15 are the padding file: zeros
    // Piece 2 (file c, never written in this run): zeros, not the old bytes.
    expect([...(await storage.read(2, 0, 4, dirty))]).toEqual([0, 0, 0, 0]);
    await storage.close();
  });

  it('refuses paths that leave the folder', async () => {
    for (const bad of [['..', 'x'], ['/etc', 'passwd'], ['a', '..', '..', 'x'], [''], ['a/b']]) {
      const l = { ...layout(), files: [{ path: bad, length: 36, offset: 0, padding: false }] };
      await expect(fileStorage({ folder: dir })(l)).rejects.toBeInstanceOf(UnsafePathError);
    }
  });

  it('refuses a symlinked directory or file that leads out of the folder', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'p2pkit-out-'));
    try {
      await symlink(outside, path.join(dir, 'name'));
      const storage = await fileStorage({ folder: dir })(layout());
      await expect(storage.write(0, 0, new Uint8Array(16))).rejects.toBeInstanceOf(UnsafePathError);
      // name/sub/c: refused before `sub` is created (inside the symlink's target, outside us).
      await expect(storage.write(2, 0, new Uint8Array(4))).rejects.toBeInstanceOf(UnsafePathError);
      expect(await readdir(outside)).toEqual([]);
      await storage.close();
      await rm(path.join(dir, 'name'));
      await mkdir(path.join(dir, 'name'));
      await writeFile(path.join(outside, 'target'), 'x');
      await symlink(path.join(outside, 'target'), path.join(dir, 'name', 'a'));
      await expect(fileStorage({ folder: dir })(layout())).rejects.toBeInstanceOf(UnsafePathError);
      expect(await readFile(path.join(outside, 'target'), 'utf8')).toBe('x');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("finish() cuts a longer file that was there to the torrent's length", async () => {
    await mkdir(path.join(dir, 'name', 'sub'), { recursive: true });
    const data = content();
    // A longer name/sub/c: its first 20 bytes are the torrent's, then junk.
    await writeFile(
      path.join(dir, 'name', 'sub', 'c'),
      Uint8Array.of(...data.slice(16, 36), 7, 7, 7),
    );
    const storage = await fileStorage({ folder: dir })(layout());
    expect(storage.mayHave(2)).toBe(true);
    await storage.write(0, 0, data.slice(0, 16));
    await storage.finish();
    await storage.close();
    expect([...(await readFile(path.join(dir, 'name', 'sub', 'c')))]).toEqual([
      ...data.slice(16, 36),
    ]);
  });

  it('read-only: reads what is there, creates and writes nothing, needs its folder', async () => {
    const missing = path.join(dir, 'missing');
    await expect(fileStorage({ folder: missing, readOnly: true })(layout())).rejects.toThrow(
      /ENOENT/,
    );
    await expect(stat(missing)).rejects.toThrow();
    await mkdir(path.join(dir, 'name'));
    await writeFile(
      path.join(dir, 'name', 'a'),
      Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
    );
    const storage = await fileStorage({ folder: dir, readOnly: true })(layout());
    expect([...(await storage.read(0, 0, 4))]).toEqual([1, 2, 3, 4]);
    expect([...(await storage.read(1, 0, 4))]).toEqual([0, 0, 0, 0]);
    await expect(storage.write(0, 0, new Uint8Array(16))).rejects.toMatchObject({
      code: 'ERR_READ_ONLY',
    });
    await storage.finish();
    await storage.close();
    expect(await readdir(path.join(dir, 'name'))).toEqual(['a']);
    expect((await stat(path.join(dir, 'name', 'a'))).size).toBe(12);
  });

  it('refuses a folder that is a file; names the file in errors from an open file', async () => {
    const file = path.join(dir, 'file');
    await writeFile(file, 'x');
    await expect(fileStorage({ folder: file })(layout())).rejects.toMatchObject({
      code: 'ERR_NOT_A_FOLDER',
    });
    // A file we may only read (opened read-only as a fallback): the write's EBADF names it.
    const storage = await fileStorage({ folder: dir })(layout());
    await storage.write(0, 0, content().slice(0, 16));
    await storage.close();
    const { chmod } = await import('node:fs/promises');
    const a = path.join(dir, 'name', 'a');
    await chmod(a, 0o444);
    const again = await fileStorage({ folder: dir })(layout());
    const write = again.write(0, 0, content().slice(0, 16));
    if (process.getuid?.() === 0) {
      // root opens it read-write anyway: nothing to refuse.
      await write;
    } else {
      await expect(write).rejects.toThrow(a);
    }
    await again.close();
  });
});
