/**
 * `p2pkit tour`: starts real nodes on 127.0.0.1 and shows, one row per feature, what each landed
 * protocol does. Every step owns its sockets and releases them before the next one starts, so
 * the tour exits by itself and leaves no process behind.
 */
export interface TourRow {
  /** Package the row demonstrates, e.g. `core`, `chord`. */
  protocol: string;
  /** What was done, in a few words. */
  what: string;
  /** What came out, in a few words (a latency, a hop count, a hash). */
  result: string;
}

export interface TourStep {
  protocol: string;
  title: string;
  /** Runs the step on real sockets; must release everything before resolving. */
  run(signal: AbortSignal): Promise<TourRow[]>;
}

export interface TourOptions {
  steps: readonly TourStep[];
  /** Whole-tour deadline in ms (default 60 s). */
  timeoutMs?: number;
  write?: (line: string) => void;
}

/** Runs the steps in order, printing a table; resolves to the number of failed steps. */
export async function runTour(options: TourOptions): Promise<number> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const signal = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  const rows: TourRow[] = [];
  let failures = 0;
  for (const step of options.steps) {
    try {
      rows.push(...(await step.run(signal)));
    } catch (error) {
      failures++;
      rows.push({
        protocol: step.protocol,
        what: step.title,
        result: `FAILED: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  for (const line of formatTable(rows)) write(line);
  return failures;
}

/** Left-aligned columns with a header and a rule, sized to the widest cell. */
export function formatTable(rows: readonly TourRow[]): string[] {
  const header: TourRow = { protocol: 'protocol', what: 'what it did', result: 'result' };
  const all = [header, ...rows];
  const width = (key: keyof TourRow) => Math.max(...all.map((row) => row[key].length));
  const w = { protocol: width('protocol'), what: width('what') };
  const line = (row: TourRow) =>
    `${row.protocol.padEnd(w.protocol)}  ${row.what.padEnd(w.what)}  ${row.result}`.trimEnd();
  const rule = '-'.repeat(Math.max(...all.map((row) => line(row).length)));
  return [line(header), rule, ...rows.map(line)];
}
