import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Address } from '../src/index.js';

const fixture = fileURLToPath(new URL('./fixtures/full-backlog.mjs', import.meta.url));

/** A loopback TCP address where dials hang (see fixtures/full-backlog.mjs). */
export interface TcpBlackhole {
  address: Address;
  close(): void;
}

/**
 * Starts the black-hole child and fills its accept queue with raw connections, so that the
 * next dial to `address` gets no answer at all. Linux only (the backlog behaviour is Linux's).
 */
export async function startTcpBlackhole(): Promise<TcpBlackhole> {
  const child: ChildProcess = spawn(process.execPath, [fixture], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (chunk) => resolve(Number(String(chunk).trim())));
  });
  await delay(50); // let the child reach its blocking wait
  const address = { host: '127.0.0.1', port };
  const fillers: net.Socket[] = [];
  // Fill the queue: connects succeed (the kernel completes them) until it is full.
  for (let i = 0; i < 8; i++) {
    const socket = net.connect(port, address.host);
    socket.on('error', () => {});
    fillers.push(socket);
    const connected = await Promise.race([
      new Promise<boolean>((resolve) => socket.once('connect', () => resolve(true))),
      delay(200).then(() => false),
    ]);
    if (!connected) break;
  }
  return {
    address,
    close() {
      for (const socket of fillers) socket.destroy();
      child.kill('SIGKILL');
    },
  };
}
