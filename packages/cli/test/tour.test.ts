import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bin } from './helpers/cli.js';

// The tour's own budget (--timeout) and the guard above it: generous, because in CI the tour
// shares two cores with every other test file (about 5 s on an idle machine).
const BUDGET_MS = 150_000;
const GUARD_MS = 170_000;

/** Runs `p2pkit tour` as a user would; the process must exit by itself. */
function tour(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'tour', '--timeout', String(BUDGET_MS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`tour did not exit by itself within ${GUARD_MS / 1000} s:\n${stdout}\n${stderr}`),
      );
    }, GUARD_MS);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('p2pkit tour', () => {
  it(
    'runs on 127.0.0.1, prints the core rows, and exits 0 by itself',
    async () => {
      const { code, stdout, stderr } = await tour();
      expect(stderr).toBe('');
      // A failed step says why in its row: show the table with the exit code.
      expect(code, stdout).toBe(0);
      const lines = stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^protocol\s+what it did\s+result$/);
      expect(stdout).not.toContain('FAILED');
      expect(stdout).toMatch(
        /core\s+hash ring: 10000 keys on 5 nodes x 100 vnodes\s+\d+\.\d%\.\.\d+\.\d% per node; "hello" -> node-[a-e]/,
      );
      // Consistent hashing: only the leaving node's keys move.
      expect(stdout).toMatch(
        /core\s+hash ring: node-c leaves\s+\d+ keys moved \(\d+\.\d%\), 0 from other nodes/,
      );
      expect(stdout).toMatch(
        /core\s+RPC over UDP 127\.0\.0\.1:\d+ -> :\d+\s+median \d+ µs over 200 round trips/,
      );
      expect(stdout).toMatch(
        /core\s+RPC over TCP 127\.0\.0\.1:\d+ -> :\d+\s+median \d+ µs over 200 round trips/,
      );
    },
    GUARD_MS + 10_000,
  );
});
