import { lookup as resolveHost } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import { type Address, formatAddress, ipv4ToUint32, TimeoutError } from '@p2pkit/core';
import { type RealRuntime, realRuntime } from '@p2pkit/core/node';
import {
  createPastryNode,
  type NodeView,
  type PastryContact,
  type PastryNode,
} from '@p2pkit/pastry';
import { type Command, InvalidArgumentError } from 'commander';
import { hostPort, integer } from '../options.js';
import { simCommand } from './sim.js';
import { registerSimPastry } from './sim-pastry.js';

/**
 * `p2pkit pastry ...` (real nodes over UDP) and `p2pkit sim pastry` (the simulator). The shapes
 * of these commands and their JSON output are contracts (issue 15).
 */
export function registerPastry(program: Command): void {
  const pastry = program
    .command('pastry')
    .description('Pastry: prefix routing with proximity, PAST-style replicated storage (UDP)');
  registerStart(pastry);
  registerLookup(pastry);
  registerPut(pastry);
  registerGet(pastry);
  registerTable(pastry);
  registerSimPastry(simCommand(program));
}

const hex = (id: bigint, m: number) => id.toString(16).padStart(Math.ceil(m / 4), '0');

/** An even leaf-set size. */
function leafSetSize(text: string): number {
  const n = integer(2, 64)(text);
  if (n % 2 !== 0) throw new InvalidArgumentError('expected an even integer in 2..64');
  return n;
}

/**
 * A host name is resolved to its IPv4 address (the overlay identifies nodes by IP and port);
 * one that does not resolve is a clear error, not a timeout.
 */
async function resolve(address: Address, option: string): Promise<Address> {
  if (ipv4ToUint32(address.host) >= 0 || address.host.includes(':')) return address;
  try {
    const { address: ip } = await resolveHost(address.host, { family: 4 });
    return { host: ip, port: address.port };
  } catch {
    throw new Error(`${option}: cannot resolve host ${address.host}`);
  }
}

/**
 * The local address a client binds: loopback for a node on this machine, otherwise the first
 * external IPv4 address (answers are sent there, so it must be reachable from the overlay).
 */
function localHostFor(via: Address): string {
  if (via.host.startsWith('127.')) return '127.0.0.1';
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Turns a timeout into the sentence a user needs. */
function explain(error: unknown, via: Address, signal?: AbortSignal): never {
  // Our --timeout is the only abort a client has: a request cut short by it is a silent peer.
  if (error instanceof TimeoutError || signal?.aborted === true) {
    throw new Error(`no answer from ${formatAddress(via)} (is a Pastry node running there?)`);
  }
  throw error;
}

/** `p2pkit pastry start --host --port [--join host:port] [--b 4] [--leaf-set 16]` */
function registerStart(pastry: Command): void {
  pastry
    .command('start')
    .description('run a node in the foreground until SIGINT/SIGTERM, then leave gracefully')
    .option('--host <ip>', 'address to bind and advertise', '127.0.0.1')
    .option('--port <port>', 'UDP port (0: any free port)', integer(0, 65535), 0)
    .option(
      '--join <host:port>',
      'a member to join through (default: start a new overlay)',
      hostPort,
    )
    .option('--b <bits>', 'bits per digit', integer(1, 6), 4)
    .option('--leaf-set <n>', 'leaf set size |L| (even)', leafSetSize, 16)
    .option('--m <bits>', 'id width in bits, 8..160', integer(8, 160), 128)
    .option('--replicas <k>', 'copies of each stored value', integer(1, 33), 5)
    .option(
      '--probe <ms>',
      'mean period of the leaf-set keep-alive',
      integer(100, 3_600_000),
      30_000,
    )
    .action(
      async (options: {
        host: string;
        port: number;
        join?: Address;
        b: number;
        leafSet: number;
        m: number;
        replicas: number;
        probe: number;
      }) => {
        if (options.replicas > options.leafSet / 2 + 1) {
          throw new Error(
            `--replicas must be at most --leaf-set/2 + 1 (${options.leafSet / 2 + 1})`,
          );
        }
        const join = options.join ? await resolve(options.join, '--join') : undefined;
        // Signals are caught from the start: Ctrl-C during the join stops it cleanly, after it
        // the node leaves gracefully.
        const interrupted = new AbortController();
        const onSignal = () => interrupted.abort();
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        const runtime = realRuntime({ host: options.host });
        const node = createPastryNode({
          runtime,
          port: options.port,
          b: options.b,
          leafSet: options.leafSet,
          m: options.m,
          replicas: options.replicas,
          probeMs: options.probe,
        });
        try {
          await node.start();
          if (join) {
            await node
              .join(join, { signal: interrupted.signal })
              .catch((error: unknown) => explain(error, join));
          }
        } catch (error) {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await node.stop();
          await runtime.close();
          if (interrupted.signal.aborted) {
            process.stderr.write('p2pkit: interrupted before the join completed\n');
            process.exitCode = 130;
            return;
          }
          throw error;
        }
        const via = join ? formatAddress(join) : 'new overlay';
        process.stdout.write(
          `joined ${formatAddress(node.address)} id=${hex(node.id, options.m)} via=${via} leaf-set=${node.view().leafSet.length}\n`,
        );
        if (!interrupted.signal.aborted) {
          await new Promise<void>((done) =>
            interrupted.signal.addEventListener('abort', () => done(), { once: true }),
          );
        }
        await node.leave().catch(() => node.stop());
        await runtime.close();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        process.stdout.write(`left ${formatAddress(node.address)}\n`);
      },
    );
}

interface ClientOptions {
  via: Address;
  host?: string;
  m: number;
  b: number;
  timeout: number;
}

/** A short-lived client: a node that does not join and routes through `via`. */
async function withClient<T>(
  options: ClientOptions,
  work: (node: PastryNode, gateway: PastryContact, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const via = await resolve(options.via, '--via');
  const runtime: RealRuntime = realRuntime({ host: options.host ?? localHostFor(via) });
  const node = createPastryNode({ runtime, m: options.m, b: options.b, maintenance: false });
  const signal = AbortSignal.timeout(options.timeout);
  try {
    await node.start();
    const gateway = await node
      .contactOf(via, { signal })
      .catch((e: unknown) => explain(e, via, signal));
    node.useGateway(via);
    return await work(node, gateway, signal).catch((e: unknown) => explain(e, via, signal));
  } finally {
    await node.stop();
    await runtime.close();
  }
}

function clientOptions(command: Command): Command {
  return command
    .requiredOption('--via <host:port>', 'any member of the overlay', hostPort)
    .option('--host <ip>', 'our address, where answers come back (default: one that reaches --via)')
    .option('--m <bits>', 'id width of the overlay, 8..160', integer(8, 160), 128)
    .option('--b <bits>', 'bits per digit of the overlay', integer(1, 6), 4)
    .option('--timeout <ms>', 'give up after this long', integer(1, 3_600_000), 10_000);
}

/** `p2pkit pastry lookup --via <host:port> <key> [--json]`: the responsible node and the hops. */
function registerLookup(pastry: Command): void {
  clientOptions(pastry.command('lookup').description('find the node numerically closest to a key'))
    .argument('<key>')
    .option('--json', 'one JSON object on stdout')
    .action(async (key: string, options: ClientOptions & { json?: boolean }) => {
      const answer = await withClient(options, (node, _gateway, signal) =>
        node.lookup(key, { signal, timeoutMs: options.timeout }),
      );
      const owner = {
        id: hex(answer.owner.id, options.m),
        address: formatAddress(answer.owner.address),
      };
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ key, owner, hops: answer.hops, ms: Math.round(answer.ms * 100) / 100 })}\n`,
        );
        return;
      }
      process.stdout.write(`${key} -> ${owner.address} id=${owner.id} hops=${answer.hops}\n`);
    });
}

/** `p2pkit pastry put --via <host:port> <key> <value>` */
function registerPut(pastry: Command): void {
  clientOptions(pastry.command('put').description('store a value under a key (k replicas)'))
    .argument('<key>')
    .argument('<value>')
    .action(async (key: string, value: string, options: ClientOptions) => {
      const result = await withClient(options, (node, _gateway, signal) =>
        node.put(key, value, { signal, timeoutMs: options.timeout }),
      );
      process.stdout.write(
        `stored ${key} (version ${result.version}, ${result.replicas} ${result.replicas === 1 ? 'copy' : 'copies'})\n`,
      );
    });
}

/** `p2pkit pastry get --via <host:port> <key>`: prints the value; exit 1 if absent. */
function registerGet(pastry: Command): void {
  clientOptions(
    pastry.command('get').description('print the value stored under a key (exit 1 if absent)'),
  )
    .argument('<key>')
    .action(async (key: string, options: ClientOptions) => {
      const value = await withClient(options, (node, _gateway, signal) =>
        node.get(key, { signal, timeoutMs: options.timeout }),
      );
      if (value === undefined) {
        process.stderr.write(`${key}: not found\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${new TextDecoder().decode(value)}\n`);
    });
}

/** `p2pkit pastry table --via <host:port> [--json]`: the node's routing table and leaf set. */
function registerTable(pastry: Command): void {
  clientOptions(
    pastry.command('table').description("print a node's routing table, leaf set and neighbours"),
  )
    .option('--json', 'one JSON object on stdout')
    .action(async (options: ClientOptions & { json?: boolean }) => {
      const view = await withClient(options, (node, _gateway, signal) =>
        node.fetchView(options.via, { signal }),
      );
      const contact = (c: PastryContact) => ({
        id: hex(c.id, options.m),
        address: formatAddress(c.address),
      });
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({
            node: contact(view.node),
            leafSet: view.leafSet.map(contact),
            rows: view.rows.map((r) => ({
              row: r.index,
              entries: r.entries.map((e) => (e ? contact(e) : null)),
            })),
            neighborhood: view.neighborhood.map(contact),
          })}\n`,
        );
        return;
      }
      process.stdout.write(printTable(view, options.m, options.b));
    });
}

/** The table as the paper draws it: one line per row, one column per digit. */
function printTable(view: NodeView, m: number, b: number): string {
  const width = Math.ceil(m / 4);
  const lines = [`node ${hex(view.node.id, m)} ${formatAddress(view.node.address)}`, ''];
  lines.push(`routing table (${view.rows.length} rows, b = ${b}):`);
  for (const row of view.rows) {
    const cells = row.entries.map((e, d) =>
      e
        ? `${d.toString(1 << b > 16 ? 10 : 16)}:${hex(e.id, m).slice(0, Math.min(width, row.index + 4))}`
        : '-',
    );
    lines.push(`  ${String(row.index).padStart(2)}  ${cells.join(' ')}`);
  }
  lines.push('', `leaf set (${view.leafSet.length}):`);
  for (const c of view.leafSet) lines.push(`  ${hex(c.id, m)}  ${formatAddress(c.address)}`);
  lines.push('', `neighbourhood set (${view.neighborhood.length}):`);
  for (const c of view.neighborhood) lines.push(`  ${hex(c.id, m)}  ${formatAddress(c.address)}`);
  return `${lines.join('\n')}\n`;
}
