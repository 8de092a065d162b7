import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bencode, parseMetainfo } from '@p2pkit/bittorrent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli as start } from './helpers/cli.js';

let dir: string;
let torrent: string;
const content = { a: randomBytes(300_000), b: randomBytes(70_001) };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pkit-cli-btpeer-'));
  await mkdir(join(dir, 'seed', 'share', 'sub'), { recursive: true });
  await writeFile(join(dir, 'seed', 'share', 'a.bin'), content.a);
  await writeFile(join(dir, 'seed', 'share', 'sub', 'b.bin'), content.b);
  torrent = join(dir, 'share.torrent');
  const created = start([
    'bt',
    'create',
    join(dir, 'seed', 'share'),
    '--announce',
    'http://127.0.0.1:9/announce',
    '--piece-length',
    '32k',
    '-o',
    torrent,
  ]);
  expect(await created.exit).toBe(0);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('p2pkit bt seed / bt get', () => {
  it('seeds a folder; get downloads it from --peer (torrent and magnet) and exits 0', async () => {
    const seed = start([
      'bt',
      'seed',
      torrent,
      '--path',
      join(dir, 'seed'),
      '--host',
      '127.0.0.51',
      '--port',
      '0',
    ]);
    try {
      const [, infoHash, port] = await seed.waitFor(/^([0-9a-f]{40}) 127\.0\.0\.51:(\d+)$/m);
      expect(infoHash).toBe(parseMetainfo(await readFile(torrent)).infoHashHex);

      const byTorrent = start([
        'bt',
        'get',
        torrent,
        '-o',
        join(dir, 'get1'),
        '--host',
        '127.0.0.52',
        '--peer',
        `127.0.0.51:${port}`,
      ]);
      expect(await byTorrent.exit).toBe(0);
      expect(byTorrent.stderr()).toContain('complete, every piece verified');
      expect(await readFile(join(dir, 'get1', 'share', 'a.bin'))).toEqual(content.a);
      expect(await readFile(join(dir, 'get1', 'share', 'sub', 'b.bin'))).toEqual(content.b);

      const magnet = `magnet:?xt=urn:btih:${infoHash}&dn=share`;
      const byMagnet = start([
        'bt',
        'get',
        magnet,
        '-o',
        join(dir, 'get2'),
        '--host',
        '127.0.0.53',
        '--peer',
        `127.0.0.51:${port}`,
      ]);
      expect(await byMagnet.exit).toBe(0);
      expect(await readFile(join(dir, 'get2', 'share', 'sub', 'b.bin'))).toEqual(content.b);
    } finally {
      seed.child.kill('SIGTERM');
    }
    expect(await seed.exit).toBe(0);
    expect(seed.stderr()).toContain('SIGTERM, stopping');
  });

  it('refuses a metainfo whose paths leave the folder: exit 1, nothing written', async () => {
    const bad = join(dir, 'bad.torrent');
    const pieces = new Uint8Array(20);
    await writeFile(
      bad,
      bencode({
        announce: 'http://127.0.0.1:9/announce',
        info: {
          name: 'x',
          'piece length': 16384,
          pieces,
          files: [{ length: 10, path: ['..', 'evil'] }],
        },
      }),
    );
    const out = join(dir, 'refused');
    const run = start(['bt', 'get', bad, '-o', out, '--host', '127.0.0.54']);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/bad\.torrent: .*\.\./);
    await expect(readdir(out)).rejects.toThrow();
  });

  it('refuses a malformed magnet link with exit 1', async () => {
    const run = start([
      'bt',
      'get',
      'magnet:?xt=urn:btih:nothex',
      '-o',
      join(dir, 'm'),
      '--host',
      '127.0.0.54',
    ]);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toContain('p2pkit bt get:');
  });
});
