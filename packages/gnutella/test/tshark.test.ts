/**
 * Wireshark's Gnutella dissector judges our bytes: real servents talk over loopback TCP while
 * tshark captures, then tshark decodes the capture and must find every descriptor type we sent
 * with the right fields, and no malformed-packet mark. CI has tshark (.ci/run installs it); a
 * missing tshark fails under CI=1 and skips elsewhere.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realRuntime } from '@p2pkit/core/node';
import { describe, expect, it } from 'vitest';
import { Servent } from '../src/servent.js';

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const available = hasTshark();
if (!available && process.env.CI)
  throw new Error('tshark is required in CI (installed by .ci/run)');

function startCapture(file: string, ports: number[]): Promise<ChildProcess> {
  const filter = ports.map((p) => `tcp port ${p}`).join(' or ');
  return new Promise((resolve, reject) => {
    const child = spawn('tshark', ['-i', 'lo', '-f', filter, '-w', file, '-q'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c) => {
      err += c;
      if (err.includes('Capturing on')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`tshark exited ${code}: ${err}`)));
  });
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!available)('tshark decodes our Gnutella', () => {
  it('handshake, Ping/Pong, Query/Query Hit, Push and QRP: every field, nothing malformed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gnutella-pcap-'));
    const pcap = join(dir, 'gnutella.pcap');
    const runtimes = [0, 1, 2].map(() => realRuntime({ host: '127.0.0.1' }));
    // No deflate: the dissector reads plain descriptors (compression is tested against zlib).
    const common = { deflate: false, maintain: false, pingIntervalMs: 0 } as const;
    const up = new Servent({
      runtime: runtimes[0]!,
      role: 'ultrapeer',
      ...common,
      files: [{ index: 3, name: 'wireshark sample.txt', size: 1234 }],
    });
    const hidden = new Servent({
      runtime: runtimes[1]!,
      role: 'leaf',
      firewalled: true,
      ...common,
      files: [{ index: 7, name: 'pushed file.bin', size: 99 }],
    });
    const seeker = new Servent({ runtime: runtimes[2]!, role: 'leaf', ...common });
    let capture: ChildProcess | undefined;
    try {
      await up.start();
      await hidden.start();
      await seeker.start();
      capture = await startCapture(pcap, [up.address.port]);
      await tick(300);
      expect(await hidden.connect(up.address)).toBeDefined();
      expect(await seeker.connect(up.address)).toBeDefined();
      await tick(200);
      seeker.ping();
      const s1 = seeker.search('wireshark sample');
      const s2 = seeker.search('pushed file');
      for (let i = 0; i < 50 && (s1.hits.length === 0 || s2.hits.length === 0); i++) await tick(20);
      expect(s1.hits).toHaveLength(1);
      expect(s2.hits[0]?.push).toBe(true);
      expect(seeker.requestPush(s2.hits[0]!, { host: '127.0.0.1', port: 4321 })).toBe(true);
      await tick(500);
    } finally {
      capture?.kill('SIGINT');
      await new Promise((r) => (capture ? capture.on('exit', r) : r(undefined)));
      await seeker.stop();
      await hidden.stop();
      await up.stop();
      for (const r of runtimes) await r.close();
    }
    expect(existsSync(pcap)).toBe(true);
    const port = up.address.port;
    const fields = (extra: string[]) =>
      execFileSync('tshark', ['-r', pcap, '-d', `tcp.port==${port},gnutella`, ...extra], {
        encoding: 'utf8',
      });
    const text = fields(['-V', '-O', 'gnutella']);
    expect(text).not.toMatch(/Malformed|Exception/i);
    const table = fields([
      '-T',
      'fields',
      '-E',
      'separator=|',
      '-e',
      'gnutella.header.payload',
      '-e',
      'gnutella.pong.ip',
      '-e',
      'gnutella.pong.port',
      '-e',
      'gnutella.query.search',
      '-e',
      'gnutella.queryhit.hit.name',
      '-e',
      'gnutella.queryhit.servent_id',
      '-e',
      'gnutella.push.index',
      '-e',
      'gnutella.push.ip',
      '-e',
      'gnutella.push.port',
      '-Y',
      'gnutella.header',
    ]);
    const seen = new Set<string>();
    for (const line of table.trim().split('\n'))
      for (const t of line.split('|')[0]!.split(',')) if (t) seen.add(t);
    // Payload types as tshark names them: 0 Ping, 1 Pong, 0x30 QRP, 0x40 Push, 0x80 Query, 0x81 Hit.
    for (const type of ['0', '1', '48', '64', '128', '129']) expect(seen, table).toContain(type);
    expect(table).toContain('wireshark sample');
    expect(table).toContain('wireshark sample.txt');
    expect(table).toContain('pushed file.bin');
    expect(table).toMatch(/\|7\|127\.0\.0\.1\|4321/);
    await rm(dir, { recursive: true, force: true });
  }, 30_000);
});
