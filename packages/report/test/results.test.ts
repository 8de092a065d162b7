import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  completeFigure,
  readAllResults,
  readResult,
  textTable,
  withHeadlineTable,
  writeResult,
} from '../src/index.js';
import { HEADLINE_END, HEADLINE_START } from '../src/table.js';

function fakeRepo(): { root: string; pkg: string } {
  const root = mkdtempSync(join(tmpdir(), 'p2pkit-report-'));
  const pkg = join(root, 'packages', 'demo');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@p2pkit/demo' }));
  return { root, pkg };
}

describe('results files', () => {
  it('computes the ratio to the peer and whether the goal is met', () => {
    const f = completeFigure({
      figure: 'throughput',
      value: 90,
      unit: 'MiB/s',
      peer: { name: 'node:http', value: 100 },
      goal: { on: 'ratio', atLeast: 0.9 },
    });
    expect(f.ratio).toBeCloseTo(0.9);
    expect(f.met).toBe(true);
    const g = completeFigure({ ...f, ratio: undefined, value: 89 });
    expect(g.met).toBe(false);
    const h = completeFigure({
      figure: 'hops',
      value: 6.1,
      unit: 'hops',
      goal: { on: 'value', atLeast: 5.65, atMost: 6.05 },
    });
    expect(h.met).toBe(false);
    expect(h.ratio).toBeUndefined();
  });

  it('writes results/<name>.json with package, date, commit, machine and conditions', () => {
    const { root, pkg } = fakeRepo();
    const written = writeResult(pkg, {
      name: 'lookups',
      kind: 'bench',
      command: 'node bench/lookups.js',
      conditions: { nodes: 1000 },
      loadAtStart: 0.5,
      figures: [
        { figure: 'lookups/s', value: 2, unit: 'lookups/s', peer: { name: 'x', value: 4 } },
      ],
    });
    const onDisk = JSON.parse(readFileSync(join(pkg, 'results', 'lookups.json'), 'utf8'));
    expect(onDisk).toEqual(written);
    expect(onDisk.package).toBe('@p2pkit/demo');
    expect(onDisk.figures[0].ratio).toBe(0.5);
    expect(onDisk.machine.cores).toBeGreaterThan(0);
    expect(onDisk.machine.loadAverage[0]).toBe(0.5);
    expect(Date.parse(onDisk.date)).not.toBeNaN();
    expect(typeof onDisk.commit).toBe('string');
    expect(readResult(pkg, 'lookups')).toEqual(written);
    expect(readResult(pkg, 'absent')).toBeUndefined();
    // Other JSON in results/ (not in the convention) is left out of the tables.
    writeFileSync(join(pkg, 'results', 'other.json'), '{"rows": []}');
    expect(readAllResults(root).map((r) => r.name)).toEqual(['lookups']);
    expect(readAllResults(root, 'experiment')).toEqual([]);
  });

  it('refuses a name that is not a plain file name', () => {
    const { pkg } = fakeRepo();
    expect(() =>
      writeResult(pkg, { name: '../x', kind: 'bench', command: '', conditions: {}, figures: [] }),
    ).toThrow(/result name/);
  });

  it('prints one table, and regenerates only the README region between the markers', () => {
    const { root, pkg } = fakeRepo();
    writeResult(pkg, {
      name: 'speed',
      kind: 'bench',
      command: 'node bench/speed.js',
      conditions: { quick: true },
      figures: [
        {
          figure: 'speed',
          value: 1234.5,
          unit: 'ops/s',
          peer: { name: 'peer', value: 617.25 },
          goal: { on: 'ratio', atLeast: 3 },
          headline: 'Demo: speed',
        },
        { figure: 'memory', value: 12, unit: 'MiB' },
      ],
    });
    const results = readAllResults(root);
    const table = textTable(results);
    expect(table).toMatch(
      /demo +speed \(quick\) +speed +1,235 ops\/s +peer 617 ops\/s +2× +≥ 3× +NOT MET/,
    );
    expect(table.split('\n')).toHaveLength(4);
    const readme = `# x\n\nbefore\n${HEADLINE_START}\nold table\n${HEADLINE_END}\nafter\n`;
    const next = withHeadlineTable(readme, results);
    expect(next).toContain(
      '| Demo: speed | 1,235 ops/s | peer 617 ops/s: 2× | ≥ 3×: not met | `node bench/speed.js` |',
    );
    expect(next).not.toContain('old table');
    expect(next).not.toContain('memory');
    expect(next.startsWith('# x\n\nbefore\n')).toBe(true);
    expect(next.endsWith(`${HEADLINE_END}\nafter\n`)).toBe(true);
    expect(withHeadlineTable(next, results)).toBe(next);
    expect(() => withHeadlineTable('no markers', results)).toThrow(/markers/);
  });
});
