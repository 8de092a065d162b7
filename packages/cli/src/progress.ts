/**
 * How a long-running command reports: a live bar on a terminal, plain periodic lines when stderr
 * is a pipe or a log file (CI), nothing with `--quiet`, JSON Lines on stdout with `--json`.
 * Messages and the final summary go to stderr (a one-line summary even in plain mode); with
 * `--json` every report is one JSON object per line on stdout, the last one the result.
 */
import { SingleBar } from 'cli-progress';

export type OutputMode = 'bar' | 'plain' | 'quiet' | 'json';

/** The mode for a command's `--quiet` / `--json` flags and where stderr goes. */
export function outputMode(options: { quiet?: boolean; json?: boolean }): OutputMode {
  if (options.json) return 'json';
  if (options.quiet) return 'quiet';
  return process.stderr.isTTY ? 'bar' : 'plain';
}

/** One JSON object on one line of stdout (`--json`). */
export function writeJson(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export interface ReporterOptions {
  mode: OutputMode;
  /** `p2pkit bt get`: the prefix of every stderr line. */
  prefix: string;
  /** Plain and JSON progress: one report at most this often (ms). */
  intervalMs: number;
  /** Bar format (cli-progress tokens: {bar}, {percentage} and the fields of `update`). */
  barFormat: string;
}

export interface Reporter {
  readonly mode: OutputMode;
  /**
   * Progress: `value` of `total`, `line` the plain text, `fields` the bar's tokens and the JSON
   * event's fields. Plain and JSON reports are throttled to `intervalMs`; `force` bypasses it.
   */
  progress(
    value: number,
    total: number,
    line: string,
    fields: Record<string, unknown>,
    force?: boolean,
  ): void;
  /** A message for people (stderr; a `message` event in JSON mode; dropped when quiet). */
  note(text: string, json?: Record<string, unknown>): void;
  /** A failure or warning: always on stderr, also an event in JSON mode. */
  error(text: string, json?: Record<string, unknown>): void;
  /** Stops the bar (leaving its last state on screen). */
  stop(): void;
}

export function createReporter(options: ReporterOptions): Reporter {
  const { mode, prefix } = options;
  let bar: SingleBar | undefined;
  let lastReport = Number.NEGATIVE_INFINITY;
  let stopped = false;
  const stopBar = () => {
    if (!bar) return;
    bar.stop();
    bar = undefined;
  };
  return {
    mode,
    progress(value, total, line, fields, force = false) {
      if (stopped) return;
      if (mode === 'bar') {
        const payload = fields as Record<string, string | number>;
        if (!bar) {
          bar = new SingleBar({
            format: options.barFormat,
            hideCursor: true,
            stream: process.stderr,
            // Our own updates drive it: no redraw timer of its own (nothing keeps the process up).
            noTTYOutput: false,
          });
          bar.start(Math.max(1, total), value, payload);
        } else {
          bar.setTotal(Math.max(1, total));
          bar.update(value, payload);
        }
        return;
      }
      const now = performance.now();
      if (!force && now - lastReport < options.intervalMs) return;
      lastReport = now;
      if (mode === 'plain') process.stderr.write(`${prefix}: ${line}\n`);
      else if (mode === 'json') writeJson({ type: 'progress', ...fields });
    },
    note(text, json) {
      if (mode === 'json') writeJson({ type: 'message', message: text, ...json });
      else if (mode !== 'quiet') {
        // A message above the bar, then the bar again at its next update.
        stopBar();
        process.stderr.write(`${prefix}: ${text}\n`);
      }
    },
    error(text, json) {
      stopBar();
      if (mode === 'json') writeJson({ type: 'error', message: text, ...json });
      process.stderr.write(`${prefix}: ${text}\n`);
    },
    stop() {
      stopped = true;
      stopBar();
    },
  };
}

const KiB = 1024;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** 1536 → `1.5 KiB`. */
export function formatBytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(2)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= KiB) return `${(n / KiB).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}

/** Bytes per second, e.g. `350.0 KiB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Seconds as `mm:ss` or `h:mm:ss`; `--:--` when unknown. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** Elapsed milliseconds as `4.2 s`, `3 min 12 s`, `1 h 05 min`. */
export function formatElapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** `1 peer`, `3 peers`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/**
 * Progress of a simulation as plain stderr lines (`<what> 120/1000`): one at most every
 * `intervalMs`, and always the last one. For `onProgress(done, total)` callbacks.
 */
export function progressLines(
  what: string,
  intervalMs = 2000,
): (done: number, total: number) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (done, total) => {
    const now = performance.now();
    if (now - last < intervalMs && done < total) return;
    last = now;
    process.stderr.write(`${what} ${done}/${total}\n`);
  };
}
