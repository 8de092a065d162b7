import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isP2PError, sha1 } from '../src/index.js';
import { realRuntime } from '../src/node/index.js';
import { startTcpBlackhole } from './blackhole.js';

const fixture = fileURLToPath(new URL('./fixtures/real-runtime-exit.mjs', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/node/index.js', import.meta.url)));

/** Runs the fixture; resolves with its exit code and output once it exits by itself. */
function runChild(mode: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    // A child that does not exit is the failure we look for: kill it so the test reports it.
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child (${mode}) did not exit by itself within 20 s; stdout: ${stdout}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('realRuntime', () => {
  it.skipIf(!built)(
    'a process exits by itself once owners close what they opened',
    async () => {
      const { code, stdout, stderr } = await runChild('owners');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toContain('closed by owners, open handles: 0');
    },
    30_000,
  );

  it.skipIf(!built)(
    'runtime.close() releases everything left open, and the process exits',
    async () => {
      const { code, stdout, stderr } = await runChild('backstop');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      // listener + dialed + accepted connection + two datagram sockets
      expect(stdout).toContain('open before close(): 5');
      expect(stdout).toContain('closed by runtime.close(), open handles: 0');
    },
    30_000,
  );

  it('hashes with node:crypto SHA-1, returning plain Uint8Arrays', () => {
    const runtime = realRuntime();
    const data = new TextEncoder().encode('The quick brown fox jumps over the lazy dog');
    const digest = runtime.hash.sha1(data);
    expect(Object.getPrototypeOf(digest)).toBe(Uint8Array.prototype);
    expect(digest).toEqual(sha1(data));
    expect(Buffer.from(digest).toString('hex')).toBe(createHash('sha1').update(data).digest('hex'));
  });

  it('hands out plain Uint8Arrays (not Buffers) for stream and datagram data', async () => {
    const runtime = realRuntime();
    try {
      const gotDatagram = new Promise<Uint8Array>((resolve) => {
        void runtime.net
          .bind({}, (data) => resolve(data))
          .then((socket) => {
            socket.send(new Uint8Array([1, 2, 3]), socket.address);
          });
      });
      const datagram = await gotDatagram;
      expect(Object.getPrototypeOf(datagram)).toBe(Uint8Array.prototype);
      expect(datagram).toEqual(new Uint8Array([1, 2, 3]));

      const listener = await runtime.net.listen({}, (c) => c.write(new Uint8Array([4, 5])));
      const connection = await runtime.net.dial(listener.address);
      const chunk = await new Promise<Uint8Array>((resolve) => connection.once('data', resolve));
      expect(Object.getPrototypeOf(chunk)).toBe(Uint8Array.prototype);
      expect(chunk).toEqual(new Uint8Array([4, 5]));
    } finally {
      await runtime.close();
    }
    expect(runtime.openHandles()).toBe(0);
  });

  it('seeds random from the given seed, or differently per runtime', () => {
    expect(realRuntime({ seed: 42 }).random.u32()).toBe(realRuntime({ seed: 42 }).random.u32());
    const draws = new Set(Array.from({ length: 5 }, () => realRuntime().random.u32()));
    expect(draws.size).toBeGreaterThan(1);
  });

  it('maps socket errors to NetworkError codes (refused, address in use)', async () => {
    const runtime = realRuntime();
    try {
      const listener = await runtime.net.listen({}, () => {});
      const port = listener.address.port;
      await expect(runtime.net.listen({ port }, () => {})).rejects.toSatisfy((e) =>
        isP2PError(e, 'ERR_ADDRESS_IN_USE'),
      );
      await listener.close();
      await expect(runtime.net.dial({ host: '127.0.0.1', port })).rejects.toSatisfy((e) =>
        isP2PError(e, 'ERR_CONNECTION_REFUSED'),
      );
    } finally {
      await runtime.close();
    }
  });

  it('reports invalid destinations as NetworkError, not as Node errors', async () => {
    const runtime = realRuntime();
    try {
      const socket = await runtime.net.bind({}, () => {});
      expect(() => socket.send(new Uint8Array(1), { host: '127.0.0.1', port: 0 })).toThrow(
        expect.objectContaining({ name: 'NetworkError' }),
      );
      await expect(runtime.net.dial({ host: '127.0.0.1', port: 70_000 })).rejects.toSatisfy(
        (e) => isP2PError(e) && (e as Error).name === 'NetworkError',
      );
    } finally {
      await runtime.close();
    }
  });

  it('aborts a dial in flight when the runtime closes', async () => {
    const runtime = realRuntime();
    const listener = await runtime.net.listen({}, () => {});
    const dialing = runtime.net.dial(listener.address);
    await runtime.close();
    // Either the connect won the race (and close() then reset it) or the dial was cut short.
    const outcome = await dialing.then(
      (connection) => connection.destroyed,
      (error: unknown) => isP2PError(error),
    );
    expect(outcome).toBe(true);
    expect(runtime.openHandles()).toBe(0);
  });

  it.skipIf(process.platform !== 'linux')(
    'times out a dial nobody answers (a listener whose accept queue is full)',
    async () => {
      const hole = await startTcpBlackhole();
      const runtime = realRuntime();
      try {
        const timedOut = await runtime.net
          .dial(hole.address, { timeoutMs: 300 })
          .catch((error: unknown) => error);
        expect(isP2PError(timedOut, 'ERR_TIMEOUT')).toBe(true);
        // And an abort ends such a dial at once.
        const controller = new AbortController();
        const dialing = runtime.net.dial(hole.address, {
          signal: controller.signal,
          timeoutMs: 60_000,
        });
        controller.abort();
        await expect(dialing).rejects.toSatisfy((e) => isP2PError(e, 'ERR_ABORTED'));
      } finally {
        hole.close();
        await runtime.close();
      }
      expect(runtime.openHandles()).toBe(0);
    },
    20_000,
  );

  it('logs to stderr only when the debug pattern enables the namespace', () => {
    expect(realRuntime({ debug: '' }).log.enabled).toBe(false);
    expect(realRuntime({ debug: 'p2pkit*' }).log.extend('chord').enabled).toBe(true);
  });
});
