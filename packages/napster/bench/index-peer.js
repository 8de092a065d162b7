/**
 * The index beside the one a Node user would pick instead: the server's FileIndex and
 * FlexSearch 0.8 (an in-memory full-text index; OpenNap itself cannot be installed here), each
 * in its own process so that its heap is its own. Both get the same files (the benchmark's
 * synthetic music library: N users x f files) and the same searches (the load generator's
 * phrases, every word required, at most 100 hits). FlexSearch keeps the file records in a plain
 * array beside it, since a server has to answer with them.
 *
 *   forked by bench/scale.js: { type: 'run', which: 'ours' | 'flexsearch', clients, files }
 */
import { createRandom } from '@p2pkit/core';
import { Distribution } from '@p2pkit/sim';
import { Index } from 'flexsearch';
import { FileIndex, tokenizeText } from '../dist/index.js';
import { MusicLibrary } from '../dist/scenarios/index.js';

const SEARCHES = 20_000;
const LIMIT = 100;
const BUDGET_MS = 20_000;

function memory() {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Each side: add(owner, record) → added?, search(words, phrase) → hits. */
function ours() {
  const index = new FileIndex();
  const out = new Uint32Array(LIMIT);
  return {
    keep: index,
    add: (owner, record) => typeof index.add(owner, record) === 'number',
    search: (words) => index.search({ words }, LIMIT, out),
  };
}

function flexsearch() {
  const index = new Index();
  const records = [];
  return {
    keep: { index, records },
    add: (_owner, record) => {
      index.add(records.length, record.filename);
      records.push(record);
      return true;
    },
    search: (_words, phrase) => index.search(phrase, { limit: LIMIT }).length,
  };
}

function run({ which, clients, files }) {
  const library = new MusicLibrary({
    seed: 1,
    songs: Math.max(50, Math.round((clients * files) / 3)),
  });
  library.songFile(0); // the library's own tables, before the baseline
  const random = createRandom('searches');
  const phrases = Array.from({ length: SEARCHES }, () => library.searchPhrase(random));
  const plans = phrases.map((p) => [...new Set(tokenizeText(p))]);

  const before = memory();
  const side = which === 'ours' ? ours() : flexsearch();
  const t0 = performance.now();
  let added = 0;
  // Each record a fresh object, as a share parsed off the wire would be.
  for (let owner = 0; owner < clients; owner++) {
    for (const id of library.userSongs(files, createRandom(`library:${owner}`))) {
      if (side.add(owner, { ...library.songFile(id) })) added++;
    }
  }
  const buildMs = performance.now() - t0;
  const bytes = memory() - before;

  // Warm up, then time every search (the same ones in the same order on both sides, up to
  // 20,000 or 20 s, whichever comes first: a slow side gets fewer of them).
  for (let i = 0; i < 2000; i++) side.search(plans[i], phrases[i]);
  const latency = new Distribution('search');
  let results = 0;
  let done = 0;
  const t1 = performance.now();
  while (done < SEARCHES && performance.now() - t1 < BUDGET_MS) {
    const s = performance.now();
    results += side.search(plans[done], phrases[done]);
    latency.record((performance.now() - s) * 1000);
    done++;
  }
  const searchMs = performance.now() - t1;
  return {
    which,
    files: added,
    buildMs,
    bytesPerFile: bytes / added,
    searches: done,
    searchesPerSecond: done / (searchMs / 1000),
    latencyUs: latency.summary(),
    meanResults: results / done,
    kept: side.keep !== undefined,
  };
}

process.on('message', (m) => {
  if (m.type === 'run') process.send({ type: 'done', ...run(m) });
  else if (m.type === 'stop') process.exit(0);
});
process.send({ type: 'ready' });
