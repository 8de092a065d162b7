/**
 * The root scripts' end: prints the one table from every package's results files, or
 * regenerates the README's headline table from them.
 *
 *   node packages/report/dist/cli.js table bench|experiment   (pnpm bench / pnpm experiments)
 *   node packages/report/dist/cli.js readme [--check]          (pnpm results:readme)
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAllResults } from './results.js';
import { textTable, updateReadme, withHeadlineTable } from './table.js';

const [command, arg] = process.argv.slice(2);
const root = process.env.P2PKIT_ROOT ?? process.cwd();

if (command === 'table' && (arg === 'bench' || arg === 'experiment')) {
  const results = readAllResults(root, arg);
  if (results.length === 0) {
    console.error(`no ${arg} results under ${join(root, 'packages/*/results/')}`);
    process.exit(1);
  }
  console.log(`\n${textTable(results)}`);
  const missed = results.flatMap((r) => r.figures).filter((f) => f.met === false).length;
  console.log(
    `\n${results.length} results files, ${results.reduce((a, r) => a + r.figures.length, 0)} figures${missed ? `, ${missed} goals not met` : ''}`,
  );
} else if (command === 'readme') {
  const readme = join(root, 'README.md');
  const results = readAllResults(root);
  if (arg === '--check') {
    const text = readFileSync(readme, 'utf8');
    if (withHeadlineTable(text, results) !== text) {
      console.error(
        'README.md: the headline table differs from packages/*/results: run `pnpm results:readme`',
      );
      process.exit(1);
    }
    console.log('README.md headline table matches the results files');
  } else {
    console.log(
      updateReadme(readme, results)
        ? 'README.md: headline table regenerated'
        : 'README.md: already up to date',
    );
  }
} else {
  console.error('usage: cli.js table bench|experiment | cli.js readme [--check]');
  process.exit(2);
}
