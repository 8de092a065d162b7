import { execFileSync } from 'node:child_process';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHttpServer,
  createMemoryFolder,
  createMemoryNetwork,
  equalBytes,
  httpRequest,
  isP2PError,
  type SharedFolder,
  sha1,
  UnsafePathError,
} from '../src/index.js';
import { openSharedFolder } from '../src/node/index.js';
import { concat } from './helpers.js';

const enc = new TextEncoder();
const bytes = (n: number, seed = 1) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const unsafeNames = [
  '../x',
  '/etc/passwd',
  'a/../../x',
  'a\0b',
  'C:x',
  'a\\b',
  '',
  'a//b',
  '..',
  'a/./b',
];

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of iterable) parts.push(part.slice());
  return concat(parts);
}

async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'p2pkit-folder-'));
  dirs.push(dir);
  return dir;
}

/** The same checks on both implementations. */
function folderSuite(
  name: string,
  make: (files: Record<string, Uint8Array>) => Promise<SharedFolder>,
) {
  describe(`SharedFolder: ${name}`, () => {
    const files = {
      'b.txt': enc.encode('bee'),
      'music/a.mp3': bytes(300_000),
      'z/y/x.bin': bytes(10),
    };

    it('lists files sorted with sizes, and SHA-1s with progress when asked', async () => {
      const folder = await make(files);
      const plain = await folder.list();
      expect(plain.map((f) => [f.name, f.size, f.sha1])).toEqual([
        ['b.txt', 3, undefined],
        ['music/a.mp3', 300_000, undefined],
        ['z/y/x.bin', 10, undefined],
      ]);
      const progress: number[] = [];
      const hashed = await folder.list({
        hash: true,
        onProgress: (p) => progress.push(p.bytesDone),
      });
      for (const file of hashed) {
        expect(file.sha1).toEqual(sha1(files[file.name as keyof typeof files]));
      }
      expect(progress.at(-1)).toBe(300_013);
      expect([...progress].sort((a, b) => a - b)).toEqual(progress);
      expect(await folder.sha1('music/a.mp3')).toEqual(sha1(files['music/a.mp3']));
    });

    it('reads byte ranges as streams, and refuses ranges outside the file', async () => {
      const folder = await make(files);
      const data = files['music/a.mp3'];
      expect(equalBytes(await collect(folder.read('music/a.mp3')), data)).toBe(true);
      const middle = await collect(folder.read('music/a.mp3', { start: 1000, end: 270_001 }));
      expect(equalBytes(middle, data.subarray(1000, 270_001))).toBe(true);
      expect((await collect(folder.read('b.txt', { start: 3 }))).length).toBe(0);
      const error = await rejection(() => collect(folder.read('b.txt', { start: 2, end: 4 })));
      expect(isP2PError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
      const missing = await rejection(() => collect(folder.read('nope.txt')));
      expect(isP2PError(missing, 'ERR_NOT_FOUND')).toBe(true);
      expect(await folder.stat('nope.txt')).toBeUndefined();
    });

    it('refuses unsafe names with ERR_UNSAFE_PATH for every operation', async () => {
      const folder = await make(files);
      for (const bad of unsafeNames) {
        for (const op of [
          () => collect(folder.read(bad)),
          () => folder.stat(bad),
          () => folder.sha1(bad),
          () => folder.source(bad),
          () => folder.write(bad),
        ]) {
          const error = await rejection(async () => op());
          expect(error, `${JSON.stringify(bad)}`).toBeInstanceOf(UnsafePathError);
          expect(isP2PError(error, 'ERR_UNSAFE_PATH')).toBe(true);
        }
      }
    });

    it('writes a download to .part, unlisted, renamed on commit; resumes and aborts', async () => {
      const folder = await make(files);
      const download = await folder.write('new/song.mp3');
      await download.write(bytes(1000, 3));
      expect((await folder.list()).map((f) => f.name)).not.toContain('new/song.mp3');
      expect(await folder.stat('new/song.mp3')).toBeUndefined();
      await download.close();
      const resumed = await folder.write('new/song.mp3', { resume: true });
      expect(resumed.written).toBe(1000);
      await resumed.write(bytes(500, 4));
      await resumed.commit();
      const expected = new Uint8Array(1500);
      expected.set(bytes(1000, 3));
      expected.set(bytes(500, 4), 1000);
      expect(await collect(folder.read('new/song.mp3'))).toEqual(expected);
      expect((await folder.list()).map((f) => f.name)).toContain('new/song.mp3');
      expect(await folder.sha1('new/song.mp3')).toEqual(sha1(expected));

      const dropped = await folder.write('gone.bin');
      await dropped.write(bytes(10));
      await dropped.abort();
      const fresh = await folder.write('gone.bin', { resume: true });
      expect(fresh.written).toBe(0);
      await fresh.abort();
      expect(await folder.stat('gone.bin')).toBeUndefined();
    });

    it('serves a file over HTTP with Range through source()', async () => {
      const folder = await make(files);
      const hub = createMemoryNetwork();
      const [a, b] = [hub.runtime('10.0.0.1'), hub.runtime('10.0.0.2')];
      const server = await createHttpServer({
        runtime: a,
        handler: async (request) => ({
          status: 200,
          body: await folder.source(decodeURIComponent(request.target.slice(1))),
        }),
      });
      try {
        const response = await httpRequest(
          b,
          `http://10.0.0.1:${server.address.port}/music/a.mp3`,
          {
            headers: { Range: 'bytes=100-199' },
          },
        );
        expect(response.status).toBe(206);
        expect(await response.body.bytes()).toEqual(files['music/a.mp3'].subarray(100, 200));
      } finally {
        await server.close();
      }
    });
  });
}

folderSuite('memory', async (files) => createMemoryFolder({ files }));

folderSuite('disk', async (files) => {
  const root = await tempDir();
  for (const [name, data] of Object.entries(files)) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), data);
  }
  return openSharedFolder(root);
});

describe('SharedFolder on disk: what only a filesystem can do', () => {
  it('caches SHA-1 by size and mtime: same size and mtime reuse it, a change rehashes', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'f.bin'), bytes(100, 1));
    // A whole-millisecond mtime, so that utimes can put it back exactly.
    const mtime = new Date(Date.UTC(2020, 0, 1));
    await utimes(join(root, 'f.bin'), mtime, mtime);
    const folder = await openSharedFolder(root);
    const first = await folder.sha1('f.bin');
    expect(first).toEqual(sha1(bytes(100, 1)));
    // Same size and mtime: the cache answers (the bytes are not read again).
    await writeFile(join(root, 'f.bin'), bytes(100, 2));
    await utimes(join(root, 'f.bin'), mtime, mtime);
    expect(await folder.sha1('f.bin')).toEqual(first);
    // A new mtime: hashed again.
    const later = new Date(mtime.getTime() + 5000);
    await utimes(join(root, 'f.bin'), later, later);
    expect(await folder.sha1('f.bin')).toEqual(sha1(bytes(100, 2)));
  });

  it('refuses symlinks that resolve outside the root, reads and lists those inside', async () => {
    const outside = await tempDir();
    const root = await tempDir();
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await writeFile(join(root, 'real.txt'), 'real');
    await symlink(join(outside, 'secret.txt'), join(root, 'leak.txt'));
    await symlink(join(root, 'real.txt'), join(root, 'alias.txt'));
    await symlink(outside, join(root, 'evil'));
    const folder = await openSharedFolder(root);
    expect((await folder.list()).map((f) => f.name)).toEqual(['alias.txt', 'real.txt']);
    expect(new TextDecoder().decode(await collect(folder.read('alias.txt')))).toBe('real');
    for (const name of ['leak.txt', 'evil/secret.txt']) {
      expect(await rejection(() => collect(folder.read(name)))).toBeInstanceOf(UnsafePathError);
    }
    // A download through a symlinked directory creates nothing outside.
    expect(await rejection(() => folder.write('evil/planted.txt'))).toBeInstanceOf(UnsafePathError);
    expect(await rejection(() => folder.write('evil/sub/planted.txt'))).toBeInstanceOf(
      UnsafePathError,
    );
    expect((await readdir(outside)).sort()).toEqual(['secret.txt']);
    // Committing over a symlink replaces the link, never the file it points to.
    const over = await folder.write('leak.txt');
    await over.write(enc.encode('mine'));
    await over.commit();
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(await readFile(join(root, 'leak.txt'), 'utf8')).toBe('mine');
  });

  it('never serves a FIFO (which would block) nor lists it', async (ctx) => {
    if (process.platform === 'win32') ctx.skip();
    const root = await tempDir();
    execFileSync('mkfifo', [join(root, 'pipe')]);
    await writeFile(join(root, 'ok.txt'), 'ok');
    const folder = await openSharedFolder(root);
    expect((await folder.list()).map((f) => f.name)).toEqual(['ok.txt']);
    expect(await rejection(() => collect(folder.read('pipe')))).toBeInstanceOf(UnsafePathError);
  });

  it('creates a missing root by default, refuses a file as root', async () => {
    const base = await tempDir();
    const folder = await openSharedFolder(join(base, 'new', 'share'));
    expect(await folder.list()).toEqual([]);
    await writeFile(join(base, 'file'), 'x');
    const error = await rejection(() => openSharedFolder(join(base, 'file')));
    expect(isP2PError(error, 'ERR_NOT_A_FOLDER')).toBe(true);
  });
});
