/**
 * The dialer on the memory network and a manual clock: backoff, forgetting, stop(). No real
 * time passes; the owner is a stub that records what it is handed.
 */
import { type Address, createMemoryNetwork, formatAddress, type Runtime } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { Dialer, type DialerOwner } from '../../src/torrent/dialer.js';
import { DEFAULT_SETTINGS, type TorrentSettings } from '../../src/torrent/settings.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

function setup(settings: Partial<TorrentSettings> = {}) {
  const hub = createMemoryNetwork();
  const runtime = hub.runtime('10.0.0.1');
  const dials: string[] = [];
  // Count dials: the dialer only calls net.dial.
  const net = Object.create(runtime.net) as Runtime['net'];
  net.dial = (address, options) => {
    dials.push(formatAddress(address));
    return runtime.net.dial(address, options);
  };
  const state = { stopped: false, attached: 0, complete: false };
  const owner: DialerOwner = {
    wantsPeers: () => !state.stopped,
    complete: () => state.complete,
    stopped: () => state.stopped,
    peerCount: () => 0,
    banned: () => false,
    connectedTo: () => false,
    attach: () => {
      state.attached++;
      return undefined;
    },
  };
  const dialer = new Dialer(
    {
      runtime: { ...runtime, net },
      settings: { ...DEFAULT_SETTINGS, encryption: 'disabled', ...settings },
      infoHash: new Uint8Array(20).fill(1),
      peerId: new Uint8Array(20).fill(2),
      reserved: new Uint8Array(8),
      host: '10.0.0.1',
      port: 6881,
    },
    owner,
  );
  return { hub, runtime, dialer, dials, state };
}

const peer: Address = { host: '10.0.0.2', port: 6881 };

describe('Dialer', () => {
  it('a seed does not redial a peer that was a seed when they met; a leecher does', async () => {
    const { hub, dialer, dials, state } = setup();
    const other: Address = { host: '10.0.0.3', port: 6881 };
    dialer.add([peer, other]);
    state.complete = true;
    dialer.closed(peer, hub.clock.now(), true);
    dialer.closed(other, hub.clock.now(), false);
    hub.clock.advance(60_000);
    dialer.connectMore();
    await settle();
    expect(dials).toEqual(['10.0.0.3:6881']);
    // Not complete any more (a new torrent of the same folder, say): the seed is worth a dial.
    state.complete = false;
    dialer.connectMore();
    await settle();
    expect(dials).toEqual(['10.0.0.3:6881', '10.0.0.2:6881']);
  });

  it('retries a refused address after 10, 20, 40 ... s and forgets it after 8 failures', async () => {
    const { hub, dialer, dials } = setup();
    dialer.add([peer]);
    dialer.connectMore();
    await settle();
    expect(dials).toHaveLength(1);
    expect(dialer.dialing).toBe(0);

    const waits = [10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000];
    for (const [i, wait] of waits.entries()) {
      hub.clock.advance(wait - 1);
      dialer.connectMore();
      await settle();
      expect(dials, `a redial before the backoff (${wait} ms) ran out`).toHaveLength(i + 1);
      hub.clock.advance(1);
      dialer.connectMore();
      await settle();
      expect(dials).toHaveLength(i + 2);
    }
    // Eighth failure: forgotten for good.
    hub.clock.advance(3_600_000);
    dialer.connectMore();
    await settle();
    expect(dials).toHaveLength(8);
  });

  it('skips ourselves, bad ports and addresses it already knows', async () => {
    const { dialer, dials } = setup();
    dialer.add([
      { host: '10.0.0.1', port: 6881 },
      { host: '10.0.0.3', port: 0 },
      { host: '10.0.0.3', port: 70000 },
      peer,
      { ...peer },
    ]);
    dialer.connectMore();
    await settle();
    expect(dials).toEqual(['10.0.0.2:6881']);
  });

  it('stop() aborts a dial that hangs; nothing is attached after it', async () => {
    const { hub, dialer, dials, state } = setup();
    hub.blackhole('10.0.0.2');
    dialer.add([peer]);
    dialer.connectMore();
    await settle();
    expect(dials).toHaveLength(1);
    expect(dialer.dialing).toBe(1);
    state.stopped = true;
    dialer.stop();
    await settle();
    expect(dialer.dialing).toBe(0);
    expect(state.attached).toBe(0);
  });

  it('stop() drops a connection stuck in its handshake', async () => {
    const { hub, dialer, state } = setup();
    const remote = hub.runtime('10.0.0.2');
    let accepted = 0;
    let closed = 0;
    // A listener that accepts and never answers the handshake.
    await remote.net.listen({ port: 6881 }, (connection) => {
      accepted++;
      connection.on('data', () => {});
      connection.on('close', () => closed++);
    });
    dialer.add([peer]);
    dialer.connectMore();
    await settle();
    expect(accepted).toBe(1);
    expect(dialer.dialing).toBe(1);
    state.stopped = true;
    dialer.stop();
    await settle();
    expect(closed).toBe(1);
    expect(dialer.dialing).toBe(0);
    expect(state.attached).toBe(0);
  });

  it('a peer whose connection closed is redialed after 10 s, or 60 s if it lasted under 30 s', async () => {
    const { hub, dialer, dials } = setup();
    hub.blackhole('10.0.0.2'); // the first dial just hangs until its connect timeout
    dialer.add([peer]);
    dialer.connectMore();
    await settle();
    hub.clock.advance(DEFAULT_SETTINGS.connectTimeoutMs);
    await settle();
    expect(dialer.dialing).toBe(0);
    // As if it had been connected from t0 for 5 s and closed now.
    const now = hub.clock.now();
    dialer.closed(peer, now - 5_000);
    hub.clock.advance(59_999);
    dialer.connectMore();
    await settle();
    expect(dials).toHaveLength(1);
    hub.clock.advance(1);
    dialer.connectMore();
    await settle();
    expect(dials).toHaveLength(2);
  });
});
