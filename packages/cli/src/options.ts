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
