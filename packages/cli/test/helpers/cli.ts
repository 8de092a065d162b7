/** Runs the built `p2pkit` binary in a child process, as a user's shell would. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI entry (tests run after `pnpm build`). */
export const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `p2pkit ...args` to its exit; its whole stdout and stderr. */
export function runCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
