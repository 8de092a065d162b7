#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { constants, totalmem } from 'node:os';
import { isatty } from 'node:tty';
import { getHeapStatistics } from 'node:v8';

/**
 * V8 flags `p2pkit sim` needs. The simulator keeps every datagram in flight, and at 10^5 nodes
 * those outlive V8's default 16 MiB young generation and get promoted and collected again: a
 * 128 MiB one costs ~11 % less CPU (sim chord, 10^5 nodes × 10^6 lookups). And a heap of three
 * quarters of the machine's memory instead of V8's default ~4 GiB, which 10^6 Chord nodes
 * (~7 KB each) exceed.
 */
function simFlagsWanted(): string[] {
  const flags = ['--max-semi-space-size=128'];
  const heapMiB = Math.floor((totalmem() / 2 ** 20) * 0.75);
  if (heapMiB > getHeapStatistics().heap_size_limit / 2 ** 20)
    flags.push(`--max-old-space-size=${heapMiB}`);
  return flags;
}

/** Set in the child so that it never starts another one. */
const CHILD = 'P2PKIT_V8_FLAGS';

/** The flags to start again with: none unless the command is `sim` and they are not set yet. */
function simFlags(): string[] {
  if (process.env[CHILD] !== undefined) return [];
  const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
  if (command !== 'sim') return [];
  const given = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  return simFlagsWanted().filter((flag) => !given.includes(flag.split('=')[0]!));
}

/**
 * Runs this command again in a node process with `flags` and ends as it ends (its exit code, or
 * its signal). SIGTERM and SIGHUP sent to this process go on to the child; so does SIGINT, except
 * on a terminal, whose Ctrl-C reaches the child by itself (one process group) and must not
 * arrive twice (a command's interrupt handler would see the second one as a new signal).
 */
function reexec(flags: string[]): void {
  const child = spawn(process.execPath, [...process.execArgv, ...flags, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [CHILD]: flags.join(' ') },
  });
  const terminal = isatty(0) || isatty(1) || isatty(2);
  const forward = (signal: NodeJS.Signals) => {
    if (signal !== 'SIGINT' || !terminal) child.kill(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, forward);
  child.on('error', (error) => {
    process.stderr.write(`p2pkit: could not start ${process.execPath}: ${error.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, forward);
    if (signal !== null) {
      // Ended by a signal: end by the same one (the shell sees 128 + its number).
      process.exitCode = 128 + (constants.signals[signal] ?? 0);
      process.kill(process.pid, signal);
      return;
    }
    process.exitCode = code ?? 1;
  });
}

const flags = simFlags();
if (flags.length > 0) {
  reexec(flags);
} else {
  // A reader that goes away (`p2pkit ... | head`) ends any command quietly, as Unix tools do,
  // instead of with an EPIPE stack trace: what it wanted was written.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE')
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw error;
  });

  const { main } = await import('./program.js');
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`p2pkit: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
