/**
 * Option-value parsers shared by the commands: each turns an option's text into its value or
 * throws commander's InvalidArgumentError, which commander prints with the option's name and
 * exits 1 (a parser, not a check inside an action, so the user sees why).
 */
import { type Address, parseAddress } from '@p2pkit/core';
import { InvalidArgumentError } from 'commander';

/** An integer in min..max. */
export function integer(min: number, max: number): (text: string) => number {
  return (text: string) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer in ${min}..${max}`);
    }
    return n;
  };
}

/** A finite number > 0 (a rate, a churn rate). */
export function positive(text: string): number {
  const x = Number(text);
  if (!(x > 0 && Number.isFinite(x))) throw new InvalidArgumentError('expected a positive number');
  return x;
}

/** A fraction in [0, 1). */
export function fraction(text: string): number {
  const x = Number(text);
  if (text.trim() === '' || !(x >= 0 && x < 1))
    throw new InvalidArgumentError('expected a fraction in [0, 1)');
  return x;
}

/** One of `values`. */
export function choice<T extends string>(values: readonly T[]): (text: string) => T {
  return (text: string): T => {
    if (!values.includes(text as T)) throw new InvalidArgumentError(`one of ${values.join(', ')}`);
    return text as T;
  };
}

/** `host:port` or `[v6]:port`. */
export function hostPort(text: string): Address {
  try {
    return parseAddress(text);
  } catch {
    throw new InvalidArgumentError('expected host:port');
  }
}

/** A TCP/UDP port, 0..65535 (0: any free port). */
export function port(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > 65535) {
    throw new InvalidArgumentError('expected a port number in 0..65535 (0 = any free port)');
  }
  return n;
}

/** `262144`, `256k`, `256KiB`, `4m`, `4MiB`, `1g` → bytes (binary multiples). */
export function bytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(k|kib|m|mib|g|gib)?$/i.exec(text.trim());
  if (!match) throw new InvalidArgumentError('expected a byte count such as 16384, 256k or 4m');
  const unit = (match[2] ?? '').toLowerCase().charAt(0);
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const n = Math.round(Number(match[1]) * factor);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('byte count too large');
  return n;
}

type TimeUnit = 'ms' | 's' | 'm' | 'h';
const UNIT_MS: Record<TimeUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration → milliseconds: `500ms`, `30s`, `5m`, `1h`, or a bare number in `unit` (seconds
 * by default; `--seed-time` takes minutes, as aria2c's). `zero` allows 0.
 */
export function duration(unit: TimeUnit = 's', zero = false): (text: string) => number {
  const example = unit === 'm' ? '30 (minutes), 90s, 5m or 1h' : '30 (seconds), 500ms, 5m or 1h';
  return (text: string) => {
    const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(text.trim());
    const factor = UNIT_MS[(match?.[2] ?? unit).toLowerCase() as TimeUnit];
    const ms = match ? Number(match[1]) * factor : Number.NaN;
    if (!(Number.isFinite(ms) && (ms > 0 || (zero && ms === 0)))) {
      throw new InvalidArgumentError(`expected a duration such as ${example}`);
    }
    return ms;
  };
}

/** A finite number >= 0 (a ratio). */
export function nonNegative(text: string): number {
  const x = Number(text);
  if (text.trim() === '' || !(x >= 0 && Number.isFinite(x)))
    throw new InvalidArgumentError('expected a number >= 0');
  return x;
}

/** A repeatable `host:port` option (`--peer a --peer b`): the addresses in the order given. */
export function hostPorts(text: string, previous: Address[] = []): Address[] {
  return [...previous, hostPort(text)];
}
