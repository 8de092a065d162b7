import { readFile } from 'node:fs/promises';
import { type Address, formatAddress, isP2PError } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { createKelipsNode, type KelipsNode, type KelipsView } from '@p2pkit/kelips';
import type { Command } from 'commander';
import { hostPort, integer } from '../options.js';
import { untilSignal } from '../signals.js';
import { simCommand } from './sim.js';
import { registerSimKelips } from './sim-kelips.js';

/**
 * `p2pkit kelips ...` (real nodes over UDP) and `p2pkit sim kelips` (the simulator). The shapes
 * of these commands and their JSON output are contracts that scripts rely on (issue 16).
 */
export function registerKelips(program: Command): void {
  const kelips = program
    .command('kelips')
    .description('Kelips: one-hop lookups over √N affinity groups kept by gossip (UDP)');
  registerStart(kelips);
  registerInsert(kelips);
  registerLookup(kelips);
  registerGet(kelips);
  registerView(kelips);
  registerSimKelips(simCommand(program));
}

/** k for a new system when --groups is not given: a handful of local nodes, k ≈ √N. */
const NEW_SYSTEM_GROUPS = 2;

/** `p2pkit kelips start --host 127.0.0.1 --port <p> [--join <host:port>] [--groups <k>] [--round <ms>]` */
function registerStart(kelips: Command): void {
  kelips
    .command('start')
    .description('run a node in the foreground until SIGINT/SIGTERM, then leave gracefully')
    .option('--host <ip>', 'address to bind and advertise', '127.0.0.1')
    .option('--port <port>', 'UDP port (0: any free port)', integer(0, 65535), 0)
    .option('--join <host:port>', 'any member of the system (default: start a new one)', hostPort)
    .option(
      '--groups <k>',
      `affinity groups, k ≈ √N (a new system: default ${NEW_SYSTEM_GROUPS}; a joining node takes the system's)`,
      integer(1, 65535),
    )
    .option('--round <ms>', 'gossip period (the paper uses 2000)', integer(10, 3_600_000), 2000)
    .action(
      async (options: {
        host: string;
        port: number;
        join?: Address;
        groups?: number;
        round: number;
      }) => {
        const runtime = realRuntime({ host: options.host });
        const groups = options.groups ?? (options.join ? undefined : NEW_SYSTEM_GROUPS);
        const node = createKelipsNode({
          runtime,
          port: options.port,
          roundMs: options.round,
          ...(groups !== undefined ? { groups } : {}),
        });
        // Ctrl-C while joining stops the node cleanly (nothing to leave yet).
        const joining = new AbortController();
        const interrupted = new AbortController();
        untilSignal(joining.signal).then(() => interrupted.abort());
        try {
          await node.start();
          if (options.join) {
            process.stderr.write(`joining through ${formatAddress(options.join)}...\n`);
            const signal = AbortSignal.any([interrupted.signal, AbortSignal.timeout(10_000)]);
            await node.join(options.join, { signal });
          }
        } catch (error) {
          await node.stop();
          await runtime.close();
          if (interrupted.signal.aborted) {
            process.stderr.write('interrupted while joining\n');
            process.exitCode = 130;
            return;
          }
          throw friendly(error, options.join);
        } finally {
          joining.abort();
        }
        const via = options.join ? formatAddress(options.join) : 'new system';
        process.stdout.write(
          `started ${formatAddress(node.address)} group=${node.group} of k=${node.groups} via=${via}\n`,
        );
        await untilSignal();
        await node.leave({ signal: AbortSignal.timeout(5000) }).catch(() => node.stop());
        await runtime.close();
        process.stdout.write(`left ${formatAddress(node.address)}\n`);
      },
    );
}

/**
 * A short-lived client: a node that does not join and sends everything through `via`, after
 * checking that a Kelips node answers there.
 */
async function withClient<T>(
  via: Address,
  timeoutMs: number,
  work: (node: KelipsNode, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const runtime = realRuntime({ host: via.host });
  const node = createKelipsNode({ runtime, maintenance: false, rpcTimeoutMs: 1000, rpcRetries: 1 });
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await node.start();
    try {
      await node.ping(via, { signal });
    } catch (error) {
      throw friendly(error, via);
    }
    node.useGateway(via);
    return await work(node, signal);
  } finally {
    await node.stop();
    await runtime.close();
  }
}

/** One line a user can act on, for the errors a client meets. */
function friendly(error: unknown, via: Address | undefined): unknown {
  const at = via ? formatAddress(via) : '';
  if (isP2PError(error, 'ERR_TIMEOUT') || isP2PError(error, 'ERR_ABORTED')) {
    return new Error(`no Kelips node answers at ${at} (timed out)`);
  }
  if (isP2PError(error, 'ERR_REMOTE') || isP2PError(error, 'ERR_GROUPS_MISMATCH')) {
    return new Error(`${at}: ${(error as Error).message}`);
  }
  return error;
}

function clientOptions(command: Command): Command {
  return command
    .requiredOption('--via <host:port>', 'any member of the system', hostPort)
    .option('--timeout <ms>', 'give up after this long', integer(1, 3_600_000), 10_000);
}

/** `p2pkit kelips insert --via <host:port> <name> [value] [--file <path>] [--json]` */
function registerInsert(kelips: Command): void {
  clientOptions(
    kelips
      .command('insert')
      .description('store a file: a contact of its group picks a random homenode'),
  )
    .argument('<name>', 'file name (1..255 bytes of UTF-8)')
    .argument('[value]', 'the content, as text (or --file)')
    .option('--file <path>', 'read the content from a file (at most 16 KiB)')
    .option('--json', 'one JSON object on stdout')
    .action(
      async (
        name: string,
        value: string | undefined,
        options: { via: Address; timeout: number; file?: string; json?: boolean },
      ) => {
        if ((value === undefined) === (options.file === undefined)) {
          throw new Error('give the content either as an argument or with --file, not both');
        }
        const bytes =
          options.file !== undefined
            ? await readFile(options.file).then(
                (b) => new Uint8Array(b.buffer, b.byteOffset, b.length),
                (error: NodeJS.ErrnoException) => {
                  throw new Error(`cannot read ${options.file}: ${error.code ?? error.message}`);
                },
              )
            : new TextEncoder().encode(value);
        const started = performance.now();
        const answer = await withClient(options.via, options.timeout, (node, signal) =>
          node.insert(name, bytes, { signal }),
        );
        const ms = Math.round((performance.now() - started) * 100) / 100;
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({
              name,
              home: formatAddress(answer.home),
              hops: answer.hops,
              tries: answer.tries,
              bytes: bytes.length,
              ms,
            })}\n`,
          );
          return;
        }
        process.stdout.write(
          `inserted ${name} (${bytes.length} bytes) at ${formatAddress(answer.home)} hops=${answer.hops} tries=${answer.tries}\n`,
        );
      },
    );
}

/** `p2pkit kelips lookup --via <host:port> <name> [--json]`: the homenode; exit 1 if unknown. */
function registerLookup(kelips: Command): void {
  clientOptions(kelips.command('lookup').description('find the homenode of a file'))
    .argument('<name>')
    .option('--json', 'one JSON object on stdout')
    .action(async (name: string, options: { via: Address; timeout: number; json?: boolean }) => {
      const started = performance.now();
      const answer = await withClient(options.via, options.timeout, (node, signal) =>
        node.lookup(name, { signal }),
      );
      const ms = Math.round((performance.now() - started) * 100) / 100;
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({
            name,
            found: answer.home !== undefined,
            home: answer.home ? formatAddress(answer.home) : null,
            hops: answer.hops,
            tries: answer.tries,
            timeouts: answer.timeouts,
            ms,
          })}\n`,
        );
      } else if (answer.home) {
        process.stdout.write(`${name} -> ${formatAddress(answer.home)} hops=${answer.hops}\n`);
      }
      if (!answer.home) {
        if (!options.json) process.stderr.write(`${name}: not found\n`);
        process.exitCode = 1;
      }
    });
}

/** `p2pkit kelips get --via <host:port> <name>`: prints the content; exit 1 if absent. */
function registerGet(kelips: Command): void {
  clientOptions(kelips.command('get').description('print the content of a file (exit 1 if absent)'))
    .argument('<name>')
    .action(async (name: string, options: { via: Address; timeout: number }) => {
      const value = await withClient(options.via, options.timeout, (node, signal) =>
        node.get(name, { signal }),
      );
      if (value === undefined) {
        process.stderr.write(`${name}: not found\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(value);
      if (process.stdout.isTTY && value[value.length - 1] !== 0x0a) process.stdout.write('\n');
    });
}

/** `p2pkit kelips view --via <host:port> [--json]`: a node's soft state. */
function registerView(kelips: Command): void {
  clientOptions(
    kelips
      .command('view')
      .description("a node's soft state: its affinity group view, contacts and filetuples"),
  )
    .option('--json', 'one JSON object on stdout')
    .action(async (options: { via: Address; timeout: number; json?: boolean }) => {
      const view = await withClient(options.via, options.timeout, (node, signal) =>
        node.inspect(options.via, { signal }),
      );
      if (options.json) {
        process.stdout.write(`${JSON.stringify(viewJson(view))}\n`);
        return;
      }
      for (const line of viewLines(view)) process.stdout.write(`${line}\n`);
    });
}

function viewJson(v: KelipsView) {
  const node = (m: KelipsView['view'][number]) => ({
    address: formatAddress(m.address),
    group: m.group,
    heartbeat: m.heartbeat,
    ageMs: m.ageMs,
    rttMs: m.rttMs ?? null,
  });
  return {
    address: formatAddress(v.address),
    groups: v.groups,
    group: v.group,
    heartbeat: v.heartbeat,
    view: v.view.map(node),
    contacts: v.contacts.map(node),
    filetuples: v.tuples.map((t) => ({
      name: t.name,
      home: formatAddress(t.home),
      ageMs: t.ageMs,
    })),
  };
}

function viewLines(v: KelipsView): string[] {
  const ms = (x: number | undefined) => (x === undefined ? '-' : `${Math.round(x)} ms`);
  const age = (x: number) => `${(x / 1000).toFixed(1)} s`;
  const lines = [
    `${formatAddress(v.address)}  group ${v.group} of k=${v.groups}  heartbeat ${v.heartbeat}`,
    `affinity group view (${v.view.length}):`,
  ];
  for (const m of v.view) {
    lines.push(
      `  ${formatAddress(m.address).padEnd(22)} heartbeat ${String(m.heartbeat).padStart(6)}  age ${age(m.ageMs).padStart(7)}  rtt ${ms(m.rttMs)}`,
    );
  }
  lines.push(`contacts (${v.contacts.length}):`);
  for (const m of [...v.contacts].sort((a, b) => a.group - b.group)) {
    lines.push(
      `  group ${String(m.group).padStart(3)}  ${formatAddress(m.address).padEnd(22)} age ${age(m.ageMs).padStart(7)}  rtt ${ms(m.rttMs)}`,
    );
  }
  lines.push(`filetuples (${v.tuples.length}):`);
  for (const t of v.tuples) lines.push(`  ${t.name} -> ${formatAddress(t.home)}`);
  return lines;
}
