/**
 * The peer-to-peer transfer against peers that misbehave: wrong sizes, extra bytes, early
 * closes, refusals, silence, and requests cut at every byte. Runs in the simulator (virtual
 * time: the quiet periods and timeouts cost nothing).
 */
import { type Connection, ProtocolError, TimeoutError } from '@p2pkit/core';
import { type SimHost, Simulation } from '@p2pkit/sim';
import { describe, expect, it } from 'vitest';
import { TransferRefusedError } from '../src/index.js';
import {
  getFile,
  PeerStream,
  readPeerRequest,
  resolveTimeouts,
  sendFile,
} from '../src/transfer.js';
import { pattern, Sink } from './helpers/library.js';

const timeouts = resolveTimeouts({ stepMs: 5000, idleMs: 5000, quietMs: 100 });
const text = (s: string) => new TextEncoder().encode(s);

/** A listening host whose accepted connection is handed to `serve`, and a dialing host. */
async function pair(serve: (c: Connection, sim: Simulation) => void) {
  const sim = new Simulation({ seed: 2 });
  const [a, b] = sim.addHosts(2) as [SimHost, SimHost];
  await a.net.listen({ port: 6699 }, (c) => serve(c, sim));
  const dialing = b.net.dial({ host: a.host, port: 6699 });
  await sim.runFor(1000);
  const connection = await dialing;
  return { sim, connection, stream: new PeerStream(connection, b.clock) };
}

async function drive<T>(sim: Simulation, promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await sim.runUntil(() => settled, { timeoutMs: 60_000 });
  return promise;
}

/** A fake uploader: sends `1`, waits for the request, then runs `reply`. */
function uploader(reply: (c: Connection, request: string) => void) {
  return (c: Connection) => {
    c.write(text('1'));
    let got = '';
    c.on('data', (chunk) => {
      got += new TextDecoder().decode(chunk);
      if (/^GET\S+ "[^"]*" \d+$/.test(got)) reply(c, got);
    });
  };
}

describe('download (GET) against a misbehaving uploader', () => {
  const request = { nick: 'bob', filename: 'a.mp3', offset: 0, size: 10 };

  it('reads exactly the known number of digits, so a file starting with digits is fine', async () => {
    const body = text('0123456789');
    const { sim, stream } = await pair(
      uploader((c, req) => {
        expect(req).toBe('GETbob "a.mp3" 0');
        c.write(Buffer.concat([text('10'), body]));
      }),
    );
    const sink = new Sink();
    await drive(sim, getFile(stream, request, sink.onData, timeouts));
    expect(new TextDecoder().decode(sink.bytes())).toBe('0123456789');
  });

  it('cuts a peer that announces another size', async () => {
    const { sim, stream } = await pair(uploader((c) => c.write(text('11xxxxxxxxxxx'))));
    await expect(
      drive(
        sim,
        getFile(stream, request, () => {}, timeouts),
      ),
    ).rejects.toThrow(/size other than 10/);
  });

  it('cuts a peer that sends one byte too many', async () => {
    const { sim, stream } = await pair(uploader((c) => c.write(text('10abcdefghijk'))));
    await expect(
      drive(
        sim,
        getFile(stream, request, () => {}, timeouts),
      ),
    ).rejects.toThrow(/more than the 10 bytes/);
  });

  it('fails when the peer closes before the end, after handing over what came', async () => {
    const { sim, stream } = await pair(
      uploader((c) => {
        c.write(text('10abcd'));
        c.end();
      }),
    );
    const sink = new Sink();
    await expect(
      drive(sim, getFile(stream, request, sink.onData, timeouts)),
    ).rejects.toBeInstanceOf(ProtocolError);
    expect(new TextDecoder().decode(sink.bytes())).toBe('abcd');
  });

  it('reports a refusal text', async () => {
    const { sim, stream } = await pair(
      uploader((c) => {
        c.write(text('FILE NOT SHARED'));
        c.end();
      }),
    );
    const error = await drive(
      sim,
      getFile(stream, request, () => {}, timeouts),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(TransferRefusedError);
    expect(error.reply).toBe('FILE NOT SHARED');
  });

  it('times out on a silent peer', async () => {
    const { sim, stream } = await pair(uploader(() => {}));
    await expect(
      drive(
        sim,
        getFile(stream, request, () => {}, timeouts),
      ),
    ).rejects.toBeInstanceOf(TimeoutError);
  });

  it('on a resume, accepts the whole size or what is left (the spec leaves it open)', async () => {
    for (const announced of ['10', '4']) {
      const { sim, stream } = await pair(uploader((c) => c.write(text(`${announced}efgh`))));
      const sink = new Sink();
      await drive(sim, getFile(stream, { ...request, offset: 6 }, sink.onData, timeouts));
      expect(new TextDecoder().decode(sink.bytes())).toBe('efgh');
    }
  });
});

describe('the accepting side', () => {
  it('reads GET and the request whatever the cuts, the number ending after a quiet period', async () => {
    const wire = text('GETbob "dir/a b.mp3" 12345');
    for (const cut of [1, 2, 3, 5, 17]) {
      let seen: unknown;
      const { sim, connection } = await pair((c, s) => {
        const stream = new PeerStream(c, s.host('10.0.0.1')!.clock);
        readPeerRequest(stream, timeouts).then((r) => (seen = r));
      });
      await drive(sim, new Promise<void>((r) => connection.once('data', () => r())));
      for (let i = 0; i < wire.length; i += cut) {
        connection.write(wire.slice(i, i + cut));
        await sim.runFor(10);
      }
      await sim.runFor(1000);
      expect(seen).toEqual({ kind: 'GET', nick: 'bob', filename: 'dir/a b.mp3', number: 12345 });
    }
  });

  it('refuses what is neither GET nor SEND', async () => {
    let error: unknown;
    const { sim, connection } = await pair((c, s) => {
      readPeerRequest(new PeerStream(c, s.host('10.0.0.1')!.clock), timeouts).catch(
        (e) => (error = e),
      );
    });
    connection.write(text('POST / HTTP/1.0\r\n'));
    await sim.runFor(1000);
    expect(error).toBeInstanceOf(ProtocolError);
  });

  it('a push (SEND) streams from the offset the downloader answers', async () => {
    const data = pattern(30_000);
    let seen: unknown;
    const received: Uint8Array[] = [];
    const { sim, stream } = await pair((c, s) => {
      const down = new PeerStream(c, s.host('10.0.0.1')!.clock);
      readPeerRequest(down, timeouts).then((r) => {
        seen = r;
        c.write(text('1000'));
        c.on('data', (chunk) => received.push(chunk));
      });
    });
    const source = {
      size: data.length,
      async *stream(start: number) {
        for (let at = start; at < data.length; at += 4096) yield data.slice(at, at + 4096);
      },
    };
    const offset = await drive(
      sim,
      sendFile(stream, { nick: 'alice', filename: 'x.mp3', source }, timeouts),
    );
    await sim.runFor(1000);
    expect(seen).toEqual({ kind: 'SEND', nick: 'alice', filename: 'x.mp3', number: 30_000 });
    expect(offset).toBe(1000);
    expect(Buffer.concat(received).equals(Buffer.from(data.subarray(1000)))).toBe(true);
  });
});
