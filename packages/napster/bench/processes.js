/**
 * The benchmark's processes (server.js, load.js), forked and driven over IPC. Shared by
 * bench/scale.js and experiments/saturation.js.
 */
import { fork } from 'node:child_process';

const here = new URL('.', import.meta.url);

/** A forked process and a way to await its next message of a type. */
export function child(file, maxShares, execArgv) {
  const proc = fork(new URL(file, here), [], {
    execArgv,
    env: { ...process.env, MAX_SHARES: String(maxShares) },
  });
  const waiting = [];
  proc.on('message', (m) => {
    const i = waiting.findIndex((w) => w.type === m.type);
    if (i >= 0) waiting.splice(i, 1)[0].resolve(m);
  });
  proc.on('exit', (code) => {
    for (const w of waiting) w.reject(new Error(`${file} exited with ${code}`));
  });
  return {
    proc,
    next: (type) => new Promise((resolve, reject) => waiting.push({ type, resolve, reject })),
    ask(message, type) {
      const answer = this.next(type);
      proc.send(message);
      return answer;
    },
  };
}

/** Extra node flags from an environment variable (SERVER_FLAGS, LOAD_FLAGS: profiling). */
export function flags(name) {
  return process.env[name]?.split(' ').filter(Boolean) ?? [];
}
