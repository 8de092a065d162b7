/**
 * A synthetic music library for simulations and benchmarks: a catalogue of songs whose artist
 * and title words follow a Zipf law (as words do in real file names), libraries drawn from it
 * with Zipf popularity (a few songs are shared by many users, most by one or two), and search
 * phrases taken from songs people look for. Deterministic from one seed.
 *
 * Names look like `Artist Name - Song Title.mp3`. Nothing here is random at import time and
 * nothing depends on the network: the real-TCP benchmark and the simulator share it.
 */
import { createRandom, type Random, type Seed } from '@p2pkit/core';
import type { FileRecord } from '../index-store.js';

export interface LibraryOptions {
  seed?: Seed;
  /** Distinct songs in the catalogue (default 200,000). */
  songs?: number;
  /** Distinct words song titles are made of, Zipf-distributed (default 50,000). */
  vocabulary?: number;
  /** Distinct words artist names are made of, flatter than titles (default 200,000). */
  names?: number;
  /** Zipf exponent of song popularity (default 0.8). */
  popularity?: number;
}

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'sa',
  'ti',
  'vo',
  'be',
  'da',
  'fi',
  'go',
  'ha',
  'ji',
  'ku',
  'la',
  'ma',
  'no',
  'pe',
  'qui',
  'ro',
  'si',
  'tu',
  'va',
  'wo',
  'xe',
  'ya',
  'zo',
  'bri',
  'cra',
  'dre',
  'fla',
  'gri',
  'plo',
  'stu',
  'tra',
  'mor',
  'len',
  'dan',
  'sel',
  'vin',
  'tor',
  'gal',
  'ber',
  'son',
  'lia',
  'ron',
  'mar',
  'kel',
  'fen',
  'dor',
  'lyn',
  'rik',
  'nas',
  'pol',
  'ven',
  'zar',
  'mon',
  'tes',
  'cor',
];

/** Word `i` of the vocabulary: syllables from the digits of i in base 60, never a stopword. */
function word(i: number): string {
  let s = '';
  let v = i + 60; // at least two syllables
  while (v > 0) {
    s += SYLLABLES[v % 60]!;
    v = Math.floor(v / 60);
  }
  return s;
}

/** Cumulative Zipf weights over n ranks, for sampling by binary search. */
function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += 1 / (k + 1) ** s;
    cdf[k] = sum;
  }
  for (let k = 0; k < n; k++) cdf[k]! /= sum;
  return cdf;
}

function sample(cdf: Float64Array, random: Random): number {
  const u = random.float();
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const capitalise = (w: string) => w[0]!.toUpperCase() + w.slice(1);
const BITRATES = [128, 128, 128, 160, 192, 192, 256, 320];

/** A catalogue of songs and the draws made from it. */
export class MusicLibrary {
  readonly songs: number;
  private readonly random: Random;
  private readonly popularity: Float64Array;
  private readonly words: Float64Array;
  private readonly nameWords: Float64Array;
  private readonly vocabulary: number;

  constructor(options: LibraryOptions = {}) {
    this.songs = options.songs ?? 200_000;
    this.vocabulary = options.vocabulary ?? 50_000;
    this.random = createRandom(options.seed ?? 1);
    this.popularity = zipfCdf(this.songs, options.popularity ?? 0.8);
    this.words = zipfCdf(this.vocabulary, 1);
    this.nameWords = zipfCdf(options.names ?? 200_000, 0.5);
  }

  /** Artist and title words of song `id` (same every time: derived from the id alone). */
  songWords(id: number): { artist: string[]; title: string[] } {
    const r = this.random.fork(`song:${id}`);
    // Artists: a song's artist is one of songs/8 artists, so artists have several songs.
    const artistId = r.int(Math.max(1, Math.floor(this.songs / 8)));
    const a = this.random.fork(`artist:${artistId}`);
    // Artist names come from their own, flatter vocabulary (offset past the title words).
    const artist = Array.from({ length: 1 + a.int(3) }, () =>
      word(this.vocabulary + sample(this.nameWords, a)),
    );
    const title = Array.from({ length: 1 + r.int(4) }, () => word(sample(this.words, r)));
    return { artist, title };
  }

  /** The file a user would share for song `id`. */
  songFile(id: number): FileRecord {
    const { artist, title } = this.songWords(id);
    const r = this.random.fork(`file:${id}`);
    const duration = 120 + r.int(300);
    const bitrate = BITRATES[r.int(BITRATES.length)]!;
    const name = `${artist.map(capitalise).join(' ')} - ${title.map(capitalise).join(' ')}.mp3`;
    return {
      filename: name,
      md5: hex32(r),
      size: Math.round((duration * bitrate * 1000) / 8),
      bitrate,
      frequency: r.chance(0.9) ? 44100 : 48000,
      duration,
    };
  }

  /** `count` distinct songs for one user, drawn by popularity with `random`. */
  userSongs(count: number, random: Random): number[] {
    const chosen = new Set<number>();
    const want = Math.min(count, this.songs);
    let attempts = 0;
    while (chosen.size < want) {
      // Popular songs repeat; after many misses fall back to uniform draws so it terminates.
      chosen.add(attempts++ < want * 4 ? sample(this.popularity, random) : random.int(this.songs));
    }
    return [...chosen];
  }

  /** A phrase someone searches for: a word of the artist and a word of the title of a song drawn by popularity. */
  searchPhrase(random: Random): string {
    const { artist, title } = this.songWords(sample(this.popularity, random));
    return `${artist[random.int(artist.length)]} ${title[random.int(title.length)]}`;
  }
}

function hex32(r: Random): string {
  let s = '';
  for (let i = 0; i < 4; i++) s += r.u32().toString(16).padStart(8, '0');
  return s;
}
