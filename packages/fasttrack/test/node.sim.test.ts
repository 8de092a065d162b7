import { fileQuery } from '@p2pkit/sim';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastTrackNode } from '../src/node.js';
import { files, Net } from './helpers.js';

let net: Net;
afterEach(async () => {
  await net?.stop();
});

const at = (n: { address: { host: string; port: number } }) => n.address;

describe('supernode and children', () => {
  it('indexes what children upload, drops it when they leave, answers their searches', async () => {
    net = new Net(1);
    const sn = await net.add({ role: 'supernode', files: files(0) });
    const a = await net.add({ role: 'ordinary', peers: [at(sn)], files: files(1, 2) });
    const b = await net.add({ role: 'ordinary', peers: [at(sn)], files: files(3) });
    expect(a.parent).toEqual(sn.address);
    expect(sn.children).toBe(2);
    expect(sn.indexSize).toBe(4);
    const answer = await net.run(() => b.search(fileQuery(2)));
    expect(answer.results.map((r) => r.holder)).toEqual([a.address]);
    expect(answer.results[0]!.supernode).toEqual(sn.address);
    expect(b.stats.sent.forward ?? 0).toBe(0);
    await net.run(() => a.stop());
    await net.sim.runFor(1_000);
    expect(sn.children).toBe(1);
    expect(sn.indexSize).toBe(2);
    expect((await net.run(() => b.search(fileQuery(2)))).results).toEqual([]);
  });

  it('bounds what one child may upload', async () => {
    net = new Net(2);
    const sn = await net.add({ role: 'supernode', maxSharesPerChild: 50 });
    const many = Array.from({ length: 3000 }, (_, k) => k);
    const child = await net.add({ role: 'ordinary', peers: [at(sn)], files: files(...many) });
    expect(child.parent).toEqual(sn.address);
    expect(sn.indexSize).toBe(50);
    expect(sn.stats.sharesRefused).toBe(950);
  });
});

describe('the supernode tier', () => {
  it('forwards at most ttl supernode hops', async () => {
    net = new Net(3);
    // A line of supernodes s0 - s1 - s2 - s3, each with one child holding one file.
    const sns: FastTrackNode[] = [];
    for (let i = 0; i < 4; i++) {
      const prev: FastTrackNode | undefined = sns[i - 1];
      sns.push(
        await net.add({
          role: 'supernode',
          queryTtl: 3,
          targetPeers: 1,
          peers: prev ? [at(prev)] : [],
        }),
      );
    }
    const kids = [];
    for (let i = 0; i < 4; i++) {
      kids.push(await net.add({ role: 'ordinary', peers: [at(sns[i]!)], files: files(10 + i) }));
    }
    expect(sns[1]!.peers.length).toBe(2);
    const from = kids[0]!;
    const found = async (k: number) =>
      (await net.run(() => from.search(fileQuery(k)))).results.length;
    expect(await found(11)).toBe(1);
    expect(await found(12)).toBe(1);
    expect(await found(13)).toBe(0); // three supernode hops away: beyond ttl 3
  });

  it('answers each query once per supernode (duplicates get an empty answer)', async () => {
    net = new Net(4);
    const s0 = await net.add({ role: 'supernode', targetPeers: 2 });
    const s1 = await net.add({ role: 'supernode', targetPeers: 2, peers: [at(s0)] });
    const s2 = await net.add({ role: 'supernode', targetPeers: 2, peers: [at(s0), at(s1)] });
    await net.add({ role: 'ordinary', peers: [at(s2)], files: files(7) });
    const asker = await net.add({ role: 'ordinary', peers: [at(s0)] });
    expect(s0.peers.length).toBe(2);
    const answer = await net.run(() => asker.search(fileQuery(7)));
    expect(answer.results.length).toBe(1);
    expect(answer.supernodes).toBe(3);
    const dups = s0.stats.duplicates + s1.stats.duplicates + s2.stats.duplicates;
    expect(dups).toBeGreaterThan(0);
  });

  it('refuses a supernode claim from a node it cannot reach', async () => {
    net = new Net(5);
    const sn = await net.add({ role: 'supernode' });
    const liar = await net.add({
      role: 'supernode',
      firewalledHost: true,
      uploadKBps: 10_000,
      peers: [at(sn)],
    });
    expect(liar.peers).toEqual([]);
    expect(sn.peers).toEqual([]);
    expect(sn.stats.claimsRefused).toBeGreaterThan(0);
  });
});

describe('churn and election', () => {
  it('re-parents children of a crashed supernode onto their standby, shares and all', async () => {
    net = new Net(6);
    const s0 = await net.add({ role: 'supernode' });
    const s1 = await net.add({ role: 'supernode', peers: [at(s0)] });
    const kids = [];
    for (let i = 0; i < 4; i++) {
      kids.push(await net.add({ role: 'ordinary', peers: [at(s0), at(s1)], files: files(20 + i) }));
    }
    await net.sim.runFor(6_000);
    const orphans = kids.filter((k) => k.parent?.host === s0.address.host);
    expect(orphans.length).toBeGreaterThan(0);
    for (const k of orphans) expect(k.standby).toEqual(s1.address);
    const times: number[] = [];
    for (const k of orphans) k.on('reparent', (e) => times.push(e.ms));
    net.sim.crash(net.hosts[0]!);
    await net.sim.runFor(5_000);
    expect(times.length).toBe(orphans.length);
    for (const k of orphans) expect(k.parent).toEqual(s1.address);
    expect(s1.indexSize).toBe(4);
    expect(Math.max(...times)).toBeLessThan(2_000);
  });

  it('promotes a capable child when a supernode has more children than its target', async () => {
    net = new Net(7);
    const common = {
      role: 'auto' as const,
      targetChildren: 2,
      maxChildren: 10,
      maintenanceIntervalMs: 1_000,
      minUptimeMs: 3_000,
    };
    const first = await net.add({ ...common, uploadKBps: 500 });
    expect(first.role).toBe('supernode'); // nobody to attach to: the first node
    const kids = [];
    for (let i = 0; i < 5; i++) {
      kids.push(
        await net.add({
          ...common,
          peers: [at(first)],
          uploadKBps: i === 2 ? 800 : 10,
          files: files(30 + i),
        }),
      );
    }
    expect(first.children).toBe(5);
    await net.sim.runFor(10_000);
    const sns = net.nodes.filter((n) => n.role === 'supernode');
    expect(sns.length).toBe(2);
    expect(kids[2]!.role).toBe('supernode');
    expect(first.children).toBeLessThan(5);
    expect(kids[2]!.children).toBeGreaterThan(0);
    // Every file still findable from every ordinary node.
    const asker = kids[0]!;
    const r = await net.run(() => asker.search(fileQuery(33)));
    expect(r.results.length).toBe(1);
  });
});
