import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, runCli as run } from './helpers/cli.js';

/** Starts `p2pkit gnutella start ...` and resolves with its address once it listens. */
function startServent(
  args: string[],
): Promise<{ child: ChildProcess; address: string; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'gnutella', 'start', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.stdout.on('data', (c) => {
      out += c;
      const m = /^listening (\S+) /m.exec(out);
      if (m) resolve({ child, address: m[1]!, stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`servent exited ${code}: ${err}`)));
  });
}

function stopServent(child: ChildProcess): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    child.stdout?.on('data', (c) => (stdout += c));
    child.on('exit', (code) => resolve({ code, stdout }));
    child.kill('SIGINT');
  });
}

describe('p2pkit gnutella (real servents on 127.0.0.1)', () => {
  let dir: string;
  let up: Awaited<ReturnType<typeof startServent>>;
  let leaf: Awaited<ReturnType<typeof startServent>>;
  let hidden: Awaited<ReturnType<typeof startServent>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pkit-gnutella-'));
    await writeFile(join(dir, 'placeholder'), '');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'up'));
    await mkdir(join(dir, 'leaf'));
    await writeFile(join(dir, 'up', 'Greatest Hits.mp3'), 'la la la');
    await writeFile(join(dir, 'leaf', 'linux image.iso'), new Uint8Array(5000).fill(7));
    await mkdir(join(dir, 'hidden'));
    await writeFile(
      join(dir, 'hidden', 'behind firewall.bin'),
      new Uint8Array(70_000).map((_, i) => i & 0xff),
    );
    up = await startServent(['--share', join(dir, 'up'), '--ultrapeer']);
    leaf = await startServent(['--share', join(dir, 'leaf'), '--leaf', '--peer', up.address]);
    hidden = await startServent([
      '--share',
      join(dir, 'hidden'),
      '--leaf',
      '--firewalled',
      '--peer',
      up.address,
    ]);
    // The leaf reports its ultrapeer once the handshake is done.
    for (
      let i = 0;
      i < 100 && !(leaf.stderr().includes('connected') && hidden.stderr().includes('connected'));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 30_000);

  afterAll(async () => {
    if (leaf) await stopServent(leaf.child);
    if (hidden) await stopServent(hidden.child);
    if (up) await stopServent(up.child);
    await rm(dir, { recursive: true, force: true });
  });

  it('search prints hits from the ultrapeer and from its leaf (QRP-routed)', async () => {
    const r = await run([
      'gnutella',
      'search',
      '--via',
      up.address,
      'linux image',
      '--timeout',
      '1500',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const [name, size, host, urn] = r.stdout.trim().split('\t');
    expect([name, size]).toEqual(['linux image.iso', '5000']);
    expect(host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(host).not.toBe(up.address); // the leaf answered, through the ultrapeer
    expect(urn).toMatch(/^urn:sha1:[A-Z2-7]{32}$/);
    expect(r.stderr).toMatch(/1 hit\(s\)/);
  }, 20_000);

  it('--json gives one object with every hit', async () => {
    const r = await run([
      'gnutella',
      'search',
      '--via',
      up.address,
      'greatest hits',
      '--timeout',
      '1500',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.query).toBe('greatest hits');
    expect(out.hits).toMatchObject([
      { name: 'Greatest Hits.mp3', size: 8, host: '127.0.0.1', push: false, vendor: 'P2PK' },
    ]);
    expect(out.hits[0].servent).toMatch(/^[0-9A-F]{32}$/);
  }, 20_000);

  it('searching through a leaf follows its X-Try-Ultrapeers', async () => {
    const r = await run([
      'gnutella',
      'search',
      '--via',
      leaf.address,
      'greatest',
      '--timeout',
      '1500',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Greatest Hits\.mp3\t8\t/);
  }, 20_000);

  it('no hit: exit 1 with one clear line', async () => {
    const r = await run(['gnutella', 'search', '--via', up.address, 'zebra', '--timeout', '300']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^connected to .*\nno hits for "zebra" within 300 ms\n$/);
  }, 20_000);

  it('a dead peer, a bad address and a missing folder: one line, no stack trace', async () => {
    const dead = await run(['gnutella', 'search', '--via', '127.0.0.1:1', 'x', '--timeout', '300']);
    expect(dead.code).toBe(2);
    expect(dead.stderr).toBe('p2pkit: cannot search through 127.0.0.1:1: refused or unreachable\n');
    const bad = await run(['gnutella', 'search', '--via', 'nowhere', 'x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--via/);
    const missing = await run(['gnutella', 'start', '--share', join(dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^p2pkit: cannot open --share .*nope: no such folder\n$/);
  }, 20_000);

  it('get downloads the first hit into -o and verifies its urn', async () => {
    const out = join(dir, 'out1');
    const r = await run(['gnutella', 'get', '--via', up.address, 'linux image', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^saved .*linux image\.iso 5000 bytes in [\d.]+ s \(\d+ KiB\/s\) urn:sha1:[A-Z2-7]{32} verified\n$/,
    );
    expect(await readFile(join(out, 'linux image.iso'))).toEqual(Buffer.alloc(5000, 7));
    expect(r.stderr).toMatch(/downloaded 5000\/5000 bytes/);
  }, 20_000);

  it('get reaches a firewalled holder through a Push, also from a --hit of search --json', async () => {
    const out = join(dir, 'out2');
    const r = await run(['gnutella', 'get', '--via', up.address, 'behind firewall', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/verified \(push\)\n$/);
    const expected = new Uint8Array(70_000).map((_, i) => i & 0xff);
    expect(new Uint8Array(await readFile(join(out, 'behind firewall.bin')))).toEqual(expected);
    const s = await run([
      'gnutella',
      'search',
      '--via',
      up.address,
      'behind firewall',
      '--json',
      '--timeout',
      '1000',
    ]);
    const hit = JSON.parse(s.stdout).hits[0];
    expect(hit.push).toBe(true);
    const out3 = join(dir, 'out3');
    const g = await run([
      'gnutella',
      'get',
      '--via',
      up.address,
      '--hit',
      JSON.stringify(hit),
      '-o',
      out3,
    ]);
    expect(g.code, g.stderr).toBe(0);
    expect(new Uint8Array(await readFile(join(out3, 'behind firewall.bin')))).toEqual(expected);
  }, 30_000);

  it('get: no hit exits 1, a bad --hit is one line', async () => {
    const none = await run([
      'gnutella',
      'get',
      '--via',
      up.address,
      'zebra',
      '--timeout',
      '300',
      '-o',
      join(dir, 'out4'),
    ]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no hits for "zebra" within 300 ms\n$/);
    const bad = await run(['gnutella', 'get', '--via', up.address, '--hit', '{"name":1}']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'p2pkit: --hit needs name, size, index, host, port and servent (from `search --json`)\n',
    );
  }, 20_000);

  it('SIGINT stops a servent cleanly', async () => {
    const s = await startServent(['--share', join(dir, 'up')]);
    const { code, stdout } = await stopServent(s.child);
    expect(code).toBe(0);
    expect(stdout).toMatch(/stopped \(SIGINT\)/);
  }, 20_000);
});

describe('p2pkit sim gnutella', () => {
  it('--json carries the contract fields and is the same for the same seed', async () => {
    const args = [
      'sim',
      'gnutella',
      '--nodes',
      '150',
      '--degree',
      '4',
      '--ttl',
      '3',
      '--queries',
      '20',
      '--seed',
      '4',
      '--ping-interval',
      '0',
      '--json',
    ];
    const a = await run(args);
    expect(a.code, a.stderr).toBe(0);
    const r = JSON.parse(a.stdout);
    for (const key of [
      'nodes',
      'queries',
      'messagesPerQuery',
      'successRate',
      'pingPongShare',
      'hitsPerQuery',
      'simulatedMs',
      'wallMs',
      'seed',
    ]) {
      expect(r).toHaveProperty(key);
    }
    expect(r).toMatchObject({
      nodes: 150,
      queries: 20,
      seed: 4,
      degree: 4,
      ttl: 3,
      pingPongShare: 0,
    });
    expect(r.messagesPerQuery).toBeGreaterThan(0);
    expect(r.messagesPerQuery).toBeLessThanOrEqual(r.floodBound);
    // What p2pkit compare reads: bytes per query and routing state per servent.
    expect(r.bytesPerQuery).toBeGreaterThan(23 * r.messagesPerQuery);
    expect(r.memoryPerNode.entries).toBeGreaterThan(r.routingPerNode.connections);
    expect(r.memoryPerNode.bytes).toBeGreaterThan(0);
    const b = await run(args);
    expect({ ...JSON.parse(b.stdout), wallMs: 0 }).toEqual({ ...r, wallMs: 0 });
  }, 60_000);

  it('prints a report, and refuses bad values with one line', async () => {
    const ok = await run([
      'sim',
      'gnutella',
      '--nodes',
      '60',
      '--queries',
      '5',
      '--ultrapeers',
      '0.2',
      '--ping-interval',
      '0',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/12 ultrapeers \+ 48 leaves/);
    expect(ok.stdout).toMatch(/messages\/query +[\d.]+ \(flood bound/);
    const bad = await run(['sim', 'gnutella', '--nodes', '60', '--ultrapeers', '2']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--ultrapeers/);
  }, 60_000);
});
