/** Runs the built `p2pkit` binary in a child process, as a user's shell would. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI entry (tests run after `pnpm build`). */
export const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Working folder (default: the test's). */
  cwd?: string;
  /** Extra environment variables (over the test's). */
  env?: Record<string, string>;
}

function spawnCli(args: string[], options: CliOptions): ChildProcess {
  return spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
  });
}

/** Runs `p2pkit ...args` to its exit; its whole stdout and stderr. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A `p2pkit` process running in the background (a seeder, a tracker). */
export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
  /** Resolves with the first match of `pattern` in its stdout (or stderr), or rejects after `ms`. */
  waitFor(pattern: RegExp, ms?: number, stream?: 'stdout' | 'stderr'): Promise<RegExpExecArray>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `p2pkit ...args` without waiting for it to exit. */
export function startCli(args: string[], options: CliOptions = {}): CliProcess {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exit,
    async waitFor(pattern, ms = 30_000, stream = 'stdout') {
      const deadline = Date.now() + ms;
      for (;;) {
        const match = pattern.exec(stream === 'stdout' ? stdout : stderr);
        if (match) return match;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`no ${pattern} in ${stream}:\n${stdout}\n${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exit;
    },
  };
}
