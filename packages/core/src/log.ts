import type { Logger } from './runtime.js';

/** One log call, as handed to a sink (only when the namespace is enabled). */
export interface LogRecord {
  readonly namespace: string;
  readonly message: string;
  readonly args: readonly unknown[];
  /** `now()` at the call, when the logger was given a clock (virtual time in the simulator). */
  readonly time?: number;
}

export type LogSink = (record: LogRecord) => void;

export interface LoggerOptions {
  /** Namespace of the root logger; default `p2pkit`. */
  namespace?: string;
  /**
   * Which namespaces print, in the syntax of the `debug` package's DEBUG variable:
   * comma/space-separated patterns, `*` matches anything, a leading `-` excludes
   * (`p2pkit:chord*,-p2pkit:chord:rpc`). Absent or empty: everything is off.
   * The main entry never reads process.env; `realRuntime()` passes DEBUG in.
   */
  debug?: string;
  /** Where enabled records go; default: one line per call on console.error. */
  sink?: LogSink;
  /** Timestamps records (e.g. `() => clock.now()`), so simulated runs log virtual time. */
  now?: () => number;
}

/**
 * A namespaced logger, off by default. A disabled logger's call does nothing, but its
 * arguments are still evaluated: guard costly formatting with `log.enabled`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const matcher = compilePatterns(options.debug ?? '');
  return makeLogger(options.namespace ?? 'p2pkit', {
    matcher,
    sink: options.sink ?? consoleSink,
    now: options.now,
  });
}

/** True when `namespace` is enabled by the DEBUG-style `patterns`. */
export function isNamespaceEnabled(patterns: string, namespace: string): boolean {
  return compilePatterns(patterns)(namespace);
}

interface Shared {
  matcher: (namespace: string) => boolean;
  sink: LogSink;
  now: (() => number) | undefined;
}

function makeLogger(namespace: string, shared: Shared): Logger {
  const enabled = shared.matcher(namespace);
  const log = enabled
    ? (message: string, ...args: unknown[]): void => {
        const { now, sink } = shared;
        sink(
          now === undefined
            ? { namespace, message, args }
            : { namespace, message, args, time: now() },
        );
      }
    : (_message: string, ..._args: unknown[]): void => {};
  Object.defineProperties(log, {
    namespace: { value: namespace, enumerable: true },
    enabled: { value: enabled, enumerable: true },
    extend: { value: (suffix: string) => makeLogger(`${namespace}:${suffix}`, shared) },
  });
  return log as Logger;
}

function consoleSink(record: LogRecord): void {
  const time = record.time === undefined ? '' : ` +${record.time.toFixed(3)}ms`;
  console.error(`${record.namespace}${time} ${record.message}`, ...record.args);
}

function compilePatterns(patterns: string): (namespace: string) => boolean {
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  for (const raw of patterns.split(/[\s,]+/)) {
    if (raw === '') continue;
    const negated = raw.startsWith('-');
    const body = negated ? raw.slice(1) : raw;
    const source = body
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*?');
    (negated ? exclude : include).push(new RegExp(`^${source}$`));
  }
  return (namespace) =>
    include.some((re) => re.test(namespace)) && !exclude.some((re) => re.test(namespace));
}
