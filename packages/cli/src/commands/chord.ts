import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type ChordNode, createChordNode } from '@p2pkit/chord';
import { type Address, formatAddress, P2PError } from '@p2pkit/core';
import { type RealRuntime, realRuntime } from '@p2pkit/core/node';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { choice, fraction, hostPort, integer, nonNegative, positive } from '../options.js';
import { simCommand } from './sim.js';

/**
 * `p2pkit chord ...` (real nodes over UDP) and `p2pkit sim chord` (the simulator). The shapes of
 * these commands and their JSON output are contracts that scripts rely on (issue 4).
 */
export function registerChord(program: Command): void {
  const chord = program
    .command('chord')
    .description('Chord: a DHT ring with a replicated key-value store (UDP)');
  registerStart(chord);
  registerPut(chord);
  registerGet(chord);
  registerLookup(chord);
  registerRing(chord);
  registerSimChord(simCommand(program));
}

/** `p2pkit chord start --host 127.0.0.1 --port <p> [--join <host:port>] [--m <bits>] [--stabilize <ms>] [--replicas <n>]` */
function registerStart(chord: Command): void {
  chord
    .command('start')
    .description('run a node in the foreground until SIGINT/SIGTERM, then leave gracefully')
    .option('--host <ip>', 'address to bind and advertise', '127.0.0.1')
    .option('--port <port>', 'UDP port (0: any free port)', integer(0, 65535), 0)
    .option(
      '--join <host:port>',
      'a member of the ring to join (default: start a new ring)',
      hostPort,
    )
    .option('--m <bits>', 'id width in bits, 1..160', integer(1, 160), 160)
    .option(
      '--stabilize <ms>',
      'mean stabilization period (the papers use 30000)',
      integer(10, 3_600_000),
      1000,
    )
    .option('--replicas <n>', 'copies of each value (owner + successors)', integer(1, 65), 3)
    .option(
      '--successors <r>',
      'successor list length (default: max(8, 2·log2 of 1000))',
      integer(1, 64),
    )
    .action(
      async (options: {
        host: string;
        port: number;
        join?: Address;
        m: number;
        stabilize: number;
        replicas: number;
        successors?: number;
      }) => {
        const join = options.join && (await resolve('--join', options.join));
        const runtime = realRuntime({ host: options.host });
        const node = createChordNode({
          runtime,
          port: options.port,
          m: options.m,
          stabilizeMs: options.stabilize,
          replicas: options.replicas,
          ...(options.successors !== undefined ? { successors: options.successors } : {}),
        });
        await node.start();
        try {
          if (join) await node.join(join);
        } catch (error) {
          await node.stop();
          await runtime.close();
          throw explain(error, join, options.m);
        }
        const via = join ? formatAddress(join) : 'new ring';
        process.stdout.write(
          `joined ${formatAddress(node.address)} id=${node.id.toString(16)} via=${via} successor=${formatAddress(node.successor().address)}\n`,
        );
        await new Promise<void>((resolve) => {
          const onSignal = () => {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
            resolve();
          };
          process.on('SIGINT', onSignal);
          process.on('SIGTERM', onSignal);
        });
        await node.leave({ signal: AbortSignal.timeout(5000) }).catch(() => node.stop());
        await runtime.close();
        process.stdout.write(`left ${formatAddress(node.address)}\n`);
      },
    );
}

/**
 * A host name in `option` resolved to an IPv4 address (Chord ids are SHA-1 of "ip:port", so a
 * node is named by its address); one clear line when it does not resolve.
 */
async function resolve(option: string, address: Address): Promise<Address> {
  if (isIP(address.host) !== 0) return address;
  try {
    const { address: ip } = await dnsLookup(address.host, { family: 4 });
    return { host: ip, port: address.port };
  } catch {
    throw new P2PError(
      `${option} ${address.host}:${address.port}: cannot resolve host name ${JSON.stringify(address.host)} to an IPv4 address`,
      'ERR_INVALID_ARGUMENT',
    );
  }
}

/**
 * An error from talking to the ring, in the user's terms: an answer this node cannot decode is
 * almost always a ring with another id width.
 */
function explain(error: unknown, via: Address | undefined, m: number): unknown {
  // ERR_DECODE here (an answer we cannot read) or from the peer (a request it could not read).
  const undecodable =
    error instanceof P2PError &&
    (error.code === 'ERR_DECODE' ||
      (error.code === 'ERR_REMOTE' &&
        (error as { remoteCode?: string }).remoteCode === 'ERR_DECODE'));
  if (undecodable) {
    const peer = via ? formatAddress(via) : 'the ring';
    return new P2PError(
      `${peer} answered in a form this node cannot read: the ring uses another id width (this node uses m=${m}; pass the ring's --m)`,
      'ERR_PROTOCOL',
    );
  }
  return error;
}

/** A short-lived client: a node that does not join and routes through `via`. */
async function withClient<T>(
  viaOption: Address,
  m: number,
  work: (node: ChordNode) => Promise<T>,
): Promise<T> {
  const via = await resolve('--via', viaOption);
  const runtime: RealRuntime = realRuntime({ host: via.host });
  const node = createChordNode({ runtime, m, maintenance: false, rpcRetries: 2 });
  try {
    await node.start();
    node.useGateway(via);
    return await work(node);
  } catch (error) {
    throw explain(error, via, m);
  } finally {
    await node.stop();
    await runtime.close();
  }
}

function clientOptions(command: Command): Command {
  return command
    .requiredOption('--via <host:port>', 'any member of the ring', hostPort)
    .option('--m <bits>', 'id width of the ring, 1..160', integer(1, 160), 160)
    .option('--timeout <ms>', 'give up after this long', integer(1, 3_600_000), 10_000);
}

/** `p2pkit chord put --via <host:port> <key> <value>` */
function registerPut(chord: Command): void {
  clientOptions(chord.command('put').description('store a value under a key'))
    .argument('<key>')
    .argument('<value>')
    .action(
      async (key: string, value: string, options: { via: Address; m: number; timeout: number }) => {
        const version = await withClient(options.via, options.m, (node) =>
          node.put(key, value, { signal: AbortSignal.timeout(options.timeout) }),
        );
        process.stdout.write(`stored ${key} (version ${version})\n`);
      },
    );
}

/** `p2pkit chord get --via <host:port> <key>`: prints the value; exit 1 if absent. */
function registerGet(chord: Command): void {
  clientOptions(
    chord.command('get').description('print the value stored under a key (exit 1 if absent)'),
  )
    .argument('<key>')
    .action(async (key: string, options: { via: Address; m: number; timeout: number }) => {
      const value = await withClient(options.via, options.m, (node) =>
        node.get(key, { signal: AbortSignal.timeout(options.timeout) }),
      );
      if (value === undefined) {
        process.stderr.write(`${key}: not found\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${new TextDecoder().decode(value)}\n`);
    });
}

/** `p2pkit chord lookup --via <host:port> <key> [--json]`: the owner and the hop count. */
function registerLookup(chord: Command): void {
  clientOptions(chord.command('lookup').description('find the node responsible for a key'))
    .argument('<key>')
    .option('--json', 'one JSON object on stdout')
    .action(
      async (
        key: string,
        options: { via: Address; m: number; timeout: number; json?: boolean },
      ) => {
        const started = performance.now();
        const answer = await withClient(options.via, options.m, (node) =>
          node.lookup(key, { signal: AbortSignal.timeout(options.timeout) }),
        );
        const ms = performance.now() - started;
        // The client routes through --via, which counts as the first hop.
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({
              key,
              owner: {
                id: answer.owner.id.toString(16),
                address: formatAddress(answer.owner.address),
              },
              hops: answer.hops,
              timeouts: answer.timeouts,
              ms: Math.round(ms * 100) / 100,
            })}\n`,
          );
        } else {
          process.stdout.write(
            `${key} -> ${formatAddress(answer.owner.address)} id=${answer.owner.id.toString(16)} hops=${answer.hops}\n`,
          );
        }
      },
    );
}

/** `p2pkit chord ring --via <host:port> [--json]`: walks the ring along successor pointers. */
function registerRing(chord: Command): void {
  clientOptions(chord.command('ring').description('walk the ring from a member, in id order'))
    .option('--json', 'one JSON object on stdout')
    .action(async (options: { via: Address; m: number; timeout: number; json?: boolean }) => {
      const entries = await withClient(options.via, options.m, (node) =>
        node.walk({ signal: AbortSignal.timeout(options.timeout) }),
      );
      // Complete: the last node that answered names the start among its successors.
      const start = entries[0] && formatAddress(entries[0].node.address);
      const last = entries.filter((e) => e.reachable).pop();
      const complete = last?.successors.some((s) => formatAddress(s.address) === start) === true;
      const unreachable = entries.filter((e) => !e.reachable).length;
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({
            size: entries.length,
            complete,
            unreachable,
            nodes: entries.map((e) => ({
              id: e.node.id.toString(16),
              address: formatAddress(e.node.address),
              reachable: e.reachable,
              predecessor: e.predecessor ? formatAddress(e.predecessor.address) : null,
              successors: e.successors.map((s) => formatAddress(s.address)),
            })),
          })}\n`,
        );
        return;
      }
      const width = Math.ceil(options.m / 4);
      for (const e of entries) {
        process.stdout.write(
          `${e.node.id.toString(16).padStart(width, '0')}  ${formatAddress(e.node.address)}${e.reachable ? '' : '  (not answering: skipped)'}\n`,
        );
      }
      process.stdout.write(
        `${entries.length} nodes${unreachable ? `, ${unreachable} not answering` : ''}${complete ? '' : ' (walk did not come back to the start)'}\n`,
      );
    });
}

/**
 * `p2pkit sim chord --nodes <N> [--lookups <L>] [--keys <K>] [--virtual-nodes <v>]
 * [--fail <fraction>] [--churn <rate per s>] [--successors <r>] [--seed <s>] [--latency <ms>]
 * [--json]`
 */
function registerSimChord(sim: Command): void {
  sim
    .command('chord')
    .description(
      'simulate a Chord ring: lookups judged against an oracle, optional keys, failures or churn',
    )
    .requiredOption('--nodes <N>', 'real nodes', integer(1, 10_000_000))
    .option('--lookups <L>', 'lookups to run', integer(0, 100_000_000), 1000)
    .option('--keys <K>', 'keys to place (reports keys per node)', integer(0, 100_000_000))
    .option('--virtual-nodes <v>', 'virtual nodes per real node', integer(1, 1000), 1)
    .option(
      '--fail <fraction>',
      'fraction of nodes that crash at once before the lookups (ring frozen)',
      fraction,
    )
    .option(
      '--churn <rate>',
      'joins and failures per simulated second, each (stabilization on)',
      positive,
    )
    .option('--successors <r>', 'successor list length', integer(1, 64))
    .option('--seed <s>', 'random seed', integer(0, 2 ** 32 - 1), 1)
    .option(
      '--mode <mode>',
      'lookup mode: recursive or iterative (default: recursive without faults)',
      choice(['recursive', 'iterative']),
    )
    .option(
      '--build <how>',
      'build the ring from an oracle (oracle) or by real joins (join)',
      choice(['oracle', 'join']),
      'oracle',
    )
    .option('--m <bits>', 'id width in bits', integer(1, 160), 160)
    .option(
      '--latency <ms>',
      'mean one-way delay in ms, exponential (default: 0 on a static ring, 50 with --churn)',
      nonNegative,
    )
    .option('--json', 'one JSON object on stdout')
    .action(
      async (options: {
        nodes: number;
        lookups: number;
        keys?: number;
        virtualNodes: number;
        fail?: number;
        churn?: number;
        successors?: number;
        seed: number;
        mode?: 'recursive' | 'iterative';
        build: 'oracle' | 'join';
        m: number;
        latency?: number;
        json?: boolean;
      }) => {
        // Every node needs its own m-bit id: 2^m of them at most, and near that SHA-1
        // truncations collide (two nodes, one id) and lookups reach wrong owners.
        const ids = options.nodes * options.virtualNodes;
        if (options.m < 53 && ids > 2 ** options.m) {
          throw new P2PError(
            `--nodes ${options.nodes}${options.virtualNodes > 1 ? ` × --virtual-nodes ${options.virtualNodes}` : ''} needs ${ids} distinct ids but --m ${options.m} has only ${2 ** options.m}: use a larger --m`,
            'ERR_INVALID_ARGUMENT',
          );
        }
        // Imported here: the simulator is only loaded by `p2pkit sim`.
        const { simulate } = await import('@p2pkit/chord/scenarios');
        const progress = simProgress(options.lookups);
        const result = await simulate({
          nodes: options.nodes,
          lookups: options.lookups,
          virtualNodes: options.virtualNodes,
          seed: options.seed,
          m: options.m,
          build: options.build,
          ...(options.keys !== undefined ? { keys: options.keys } : {}),
          ...(options.fail !== undefined ? { fail: options.fail } : {}),
          ...(options.churn !== undefined ? { churn: options.churn } : {}),
          ...(options.successors !== undefined ? { successors: options.successors } : {}),
          ...(options.mode !== undefined ? { mode: options.mode } : {}),
          ...(options.latency !== undefined ? { latencyMs: options.latency } : {}),
          onPhase: progress.phase,
          onProgress: progress.lookups,
        }).finally(progress.stop);
        const unexplained = result.wrongOwner - result.staleOwner;
        if (unexplained > 0) {
          // A wrong answer is never a success: say why, and exit 1 after printing the result.
          process.exitCode = 1;
          process.stderr.write(
            `p2pkit: ${unexplained} of ${result.lookups} lookups reached a wrong owner${ids * 4 > 2 ** Math.min(options.m, 52) ? ` (${ids} ids in a ${options.m}-bit space collide: use a larger --m)` : ''}; seed ${options.seed}\n`,
          );
        } else if (result.staleOwner > 0) {
          // Under churn the paper allows these (ToN §IV-D, Table III): not a failure of the run.
          process.stderr.write(
            `p2pkit: ${result.staleOwner} of ${result.lookups} lookups answered the node after an owner that had just joined, before stabilization spread it (allowed by the paper, ToN §IV-D; counted in wrongOwner)\n`,
          );
        }
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
          return;
        }
        const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
        const lines = [
          `nodes          ${result.nodes}${result.virtualNodes > 1 ? ` x ${result.virtualNodes} virtual` : ''}`,
          `lookups        ${result.lookups} (${result.mode})`,
          `hops           mean ${f(result.hops.mean)}  p1 ${f(result.hops.p1)}  p50 ${f(result.hops.p50)}  p99 ${f(result.hops.p99)}  max ${f(result.hops.max)}`,
          `latency        mean ${f(result.latencyMs.mean)}  p50 ${f(result.latencyMs.p50)}  p99 ${f(result.latencyMs.p99)} ms (simulated)`,
        ];
        if (result.keysPerNode) {
          const k = result.keysPerNode;
          lines.push(
            `keys per node  mean ${f(k.mean)}  p1 ${f(k.p1)}  p99 ${f(k.p99)}  max ${f(k.max)}`,
          );
        }
        if (result.failed !== undefined) lines.push(`failed nodes   ${result.failed}`);
        if (result.churn)
          lines.push(
            `churn          ${result.churn.joins} joins, ${result.churn.failures} failures`,
          );
        lines.push(
          `failed lookups ${result.failedLookups}`,
          `wrong owner    ${result.wrongOwner}${result.staleOwner > 0 ? ` (${result.staleOwner} skipped a just-joined owner)` : ''}`,
          `timeouts       ${result.timeouts}`,
          `simulated      ${result.simulatedMs} ms, ${result.events} events`,
          `wall           ${result.wallMs} ms (setup ${result.setupMs} ms), ${result.eventsPerSec} events/s, ${result.lookupsPerSec} lookups/s`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      },
    );
}

/**
 * Progress of `sim chord` on stderr: a bar on a terminal, plain lines in a pipe (each phase, then
 * the lookups every 10 % or 5 s), nothing for runs shorter than two seconds.
 */
function simProgress(total: number): {
  phase: (phase: string) => void;
  lookups: (done: number, total: number) => void;
  stop: () => void;
} {
  const started = performance.now();
  const tty = process.stderr.isTTY === true;
  const bar = tty
    ? new SingleBar({
        format: 'lookups [{bar}] {percentage}% {value}/{total} eta {eta}s',
        etaBuffer: 50,
      })
    : undefined;
  let shown = false;
  let lastLine = 0;
  let lastDone = 0;
  const elapsed = () => ((performance.now() - started) / 1000).toFixed(1);
  return {
    phase(phase) {
      // Phases are the slow part of a large run (10^5 nodes): always say which one is running.
      process.stderr.write(`sim chord: ${phase} (${elapsed()} s)\n`);
    },
    lookups(done) {
      const now = performance.now();
      if (now - started < 2000) return;
      if (bar) {
        if (!shown) bar.start(total, done);
        shown = true;
        bar.update(done);
        return;
      }
      if (done === lastDone) return;
      if (done < total && done - lastDone < total / 10 && now - lastLine < 5000) return;
      lastLine = now;
      lastDone = done;
      process.stderr.write(
        `sim chord: lookups ${done}/${total} (${Math.round((done / total) * 100)} %, ${elapsed()} s)\n`,
      );
    },
    stop() {
      if (shown) bar?.stop();
    },
  };
}
