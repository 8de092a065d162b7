/**
 * The server's search path without the sockets, in one process, in CPU time: the index's
 * search, then each result written as the server writes a 201 (its fields copied from the
 * index, the owner's tail after them) into one buffer. Same files and searches as the bench
 * (the synthetic library: N users x f files; phrases of an artist word and a title word).
 *
 *   node bench/search-path.js [--clients 1000] [--files 1000] [--distinct]
 *
 * --distinct gives every user's copy of a song its own MD5, so that no two files are the same
 * byte for byte and the index holds every entry apart (the library's copies of a song are
 * otherwise identical, and the index keeps one entry for them all): the cost without that help.
 */
import { parseArgs } from 'node:util';
import { createRandom } from '@p2pkit/core';
import { FileIndex, tokenizeText } from '../dist/index.js';
import { MusicLibrary } from '../dist/scenarios/index.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    clients: { type: 'string', default: '1000' },
    files: { type: 'string', default: '1000' },
    distinct: { type: 'boolean', default: false },
  },
});
const clients = Number(values.clients);
const files = Number(values.files);
const library = new MusicLibrary({
  seed: 1,
  songs: Math.max(50, Math.round((clients * files) / 3)),
});
const index = new FileIndex();
for (let owner = 0; owner < clients; owner++) {
  for (const id of library.userSongs(files, createRandom(`library:${owner}`))) {
    const song = library.songFile(id);
    if (values.distinct) song.md5 = owner.toString(16).padStart(8, '0') + song.md5.slice(8);
    index.add(owner, song);
  }
}
const random = createRandom('searches');
const phrases = Array.from({ length: 20_000 }, () => library.searchPhrase(random));
// ` <nick> <ip> <linkType>` per owner, as the server keeps them.
const tails = Array.from({ length: clients }, (_, i) =>
  new TextEncoder().encode(` user${i} 16777343 ${1 + (i % 10)}`),
);
const slots = new Uint32Array(100);
const out = new Uint8Array(1 << 20);

/** One search as the server answers it; returns the reply's length. */
function answer(phrase, write) {
  const words = tokenizeText(phrase);
  const n = index.search({ words, skipOwner: -1 }, 100, slots);
  if (!write) return n;
  index.warm(slots, n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const start = pos;
    pos = index.writeFields(slots[i], out, pos + 4);
    const tail = tails[index.ownerOf(slots[i])];
    out.set(tail, pos);
    pos += tail.length;
    out[start] = (pos - start - 4) & 0xff;
    out[start + 1] = (pos - start - 4) >>> 8;
    out[start + 2] = 201;
    out[start + 3] = 0;
  }
  return pos;
}

const cpuUs = (f) => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / phrases.length;
};
const rounds = { search: [], reply: [] };
for (let r = 0; r < 5; r++) {
  rounds.search.push(
    cpuUs(() => {
      for (const p of phrases) answer(p, false);
    }),
  );
  rounds.reply.push(
    cpuUs(() => {
      for (const p of phrases) answer(p, true);
    }),
  );
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const search = median(rounds.search);
const reply = median(rounds.reply);
process.stdout.write(
  `${JSON.stringify({ files: index.files, distinctEntries: index.distinctFiles, distinct: values.distinct, searches: phrases.length, searchCpuUs: search, searchAndRepliesCpuUs: reply, searchesPerCpuSecond: Math.round(1e6 / reply) })}\n`,
);
