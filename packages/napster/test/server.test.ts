/**
 * The server, byte for byte, on the memory network: what OpenNap answers, we answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeClientMessage } from '../src/index.js';
import { flush, type World, world } from './helpers/raw.js';

let w: World;
afterEach(async () => {
  await w?.stop();
});

const song = (filename: string, extra = {}) => ({
  kind: 'share' as const,
  filename,
  md5: '0123456789abcdef0123456789abcdef',
  size: 4_000_000,
  bitrate: 128,
  frequency: 44100,
  duration: 240,
  ...extra,
});

describe('login', () => {
  it('acks with anon@<server>, then the MOTD (621) and stats (214)', async () => {
    w = await world({ motd: ['hello', 'world'] });
    const c = await w.client('10.0.1.2');
    expect(await c.login('lefty')).toEqual([
      { kind: 'loginAck', email: 'anon@10.0.0.1' },
      { kind: 'motd', text: 'hello' },
      { kind: 'motd', text: 'world' },
      { kind: 'stats', users: 1, files: 0, gigabytes: 0 },
    ]);
    expect(w.server.nicks()).toEqual(['lefty']);
  });

  it('closes a connection that sends anything but a login first (type 0 "invalid command")', async () => {
    w = await world();
    const c = await w.client();
    c.send({ kind: 'search', query: 'FILENAME CONTAINS "x"' });
    await flush();
    expect(c.take()).toEqual([{ kind: 'error', message: 'invalid command' }]);
    expect(c.closed).toBe(true);
  });

  it('refuses bad speeds, bad nicks and missing fields, and closes', async () => {
    w = await world();
    const a = await w.client();
    await a.login('x', 0, { linkType: 11 });
    expect(a.closed).toBe(true);
    const b = await w.client();
    b.sendRaw(2, 'bad:nick pw 0 "c" 3');
    await flush();
    expect(b.take()).toEqual([{ kind: 'nickInvalid' }]);
    expect(b.closed).toBe(true);
    const c = await w.client();
    c.sendRaw(2, 'nick pw');
    await flush();
    expect(c.take()).toEqual([{ kind: 'error', message: 'Too few parameters for command' }]);
    expect(c.closed).toBe(true);
  });

  it('refuses a nick in use from elsewhere, and ghost-kills it from the same address', async () => {
    w = await world();
    const first = await w.client('10.0.1.20');
    await first.login('lefty');
    const other = await w.client('10.0.1.21');
    await other.login('lefty');
    expect(other.closed).toBe(true);
    expect(first.closed).toBe(false);
    const again = await w.client('10.0.1.20');
    const acks = await again.login('lefty');
    expect(acks[0]).toEqual({ kind: 'loginAck', email: 'anon@10.0.0.1' });
    expect(first.take()).toEqual([{ kind: 'ghost' }]);
    await flush();
    expect(first.closed).toBe(true);
    expect(w.server.nicks()).toEqual(['lefty']);
  });

  it('registers a nick (7 → 8, 6) and then wants its password', async () => {
    w = await world();
    const a = await w.client();
    a.send({ kind: 'registerNick', nick: 'joe' });
    await flush();
    expect(a.kinds()).toEqual(['nickOk']);
    a.send({
      kind: 'loginRegister',
      nick: 'joe',
      password: 'secret',
      port: 0,
      clientInfo: 'c',
      linkType: 3,
      email: 'joe@x',
    });
    await flush();
    expect(a.take()[0]).toEqual({ kind: 'loginAck', email: 'joe@x' });
    a.connection.destroy();
    await flush();
    const b = await w.client();
    b.send({ kind: 'registerNick', nick: 'JOE' });
    await flush();
    expect(b.kinds()).toEqual(['nickTaken']);
    b.send({
      kind: 'login',
      nick: 'joe',
      password: 'wrong',
      port: 0,
      clientInfo: 'c',
      linkType: 3,
    });
    await flush();
    expect(b.take()).toEqual([{ kind: 'error', message: 'Invalid Password' }]);
    expect(b.closed).toBe(true);
  });

  it('closes a connection that never logs in, after the login timeout', async () => {
    w = await world({ loginTimeoutMs: 5000 });
    const c = await w.client();
    w.hub.clock.advance(4999);
    await flush();
    expect(c.closed).toBe(false);
    w.hub.clock.advance(1);
    await flush();
    expect(c.take()).toEqual([{ kind: 'error', message: 'login timeout' }]);
    expect(c.closed).toBe(true);
  });
});

describe('after login', () => {
  it('answers unknown types with 404 "Unknown command code", and keeps going', async () => {
    w = await world();
    const c = await w.client();
    await c.login('a');
    c.sendRaw(9999, 'whatever');
    c.send({ kind: 'stats' });
    await flush();
    expect(c.take()).toEqual([
      { kind: 'errorMessage', message: 'Unknown command code 9999' },
      { kind: 'stats', users: 1, files: 0, gigabytes: 0 },
    ]);
  });

  it('a nick with a quote (hotlist, browse, whois) is a parse error, never a throw', async () => {
    w = await world();
    const c = await w.client();
    await c.login('a');
    for (const type of [207, 208, 211, 603]) c.sendRaw(type, '"9D>A7AW');
    c.send({ kind: 'stats' });
    await flush();
    expect(c.take()).toEqual([
      ...Array.from({ length: 4 }, () => ({
        kind: 'errorMessage',
        message: 'Unable to parse command',
      })),
      { kind: 'stats', users: 1, files: 0, gigabytes: 0 },
    ]);
  });

  it('closes a connection whose frame data exceeds max_command_length', async () => {
    w = await world({ maxCommandLength: 100 });
    const c = await w.client();
    await c.login('a');
    c.sendRaw(205, `b ${'x'.repeat(99)}`);
    await flush();
    expect(c.closed).toBe(true);
    expect(w.server.nicks()).toEqual([]);
    expect(w.server.stats().dropped).toBe(1);
  });

  it('drops a frame of invalid UTF-8 with a 404 and stays in sync', async () => {
    w = await world();
    const c = await w.client();
    await c.login('a');
    c.sendRaw(100, new Uint8Array([0x22, 0xff, 0xfe, 0x22]));
    c.send({ kind: 'stats' });
    await flush();
    expect(c.kinds()).toEqual(['errorMessage', 'stats']);
  });
});

describe('sharing and searching', () => {
  it('indexes shares (100) and answers a search with 201s and one 202, byte for byte', async () => {
    w = await world();
    const sharer = await w.client('10.0.1.30');
    await sharer.login('lefty', 6699, { linkType: 4 });
    sharer.send(
      song('Sneaker Pimps - Tesko Suicide.mp3', {
        md5: 'b92870e0d41bc8e698cf2f0a1ddfeac7',
        size: 443332,
        duration: 60,
      }),
    );
    sharer.send(song('Sneaker Pimps - 6 Underground.mp3', { bitrate: 192 }));
    const searcher = await w.client('10.0.1.31');
    await searcher.login('bob');
    const chunks: Uint8Array[] = [];
    searcher.connection.on('data', (chunk) => chunks.push(chunk));
    searcher.send({ kind: 'search', query: 'FILENAME CONTAINS "tesko" MAX_RESULTS 10' });
    await flush();
    const bytes = Buffer.concat(chunks);
    const data =
      '"Sneaker Pimps - Tesko Suicide.mp3" b92870e0d41bc8e698cf2f0a1ddfeac7 443332 128 44100 60 lefty 503382026 4';
    // 10.0.1.30 → 10 + 256·0 + 65536·1 + 16777216·30 = 503382026
    const expected = Buffer.concat([
      Buffer.from([data.length, 0, 0xc9, 0]),
      Buffer.from(data),
      Buffer.from([0, 0, 0xca, 0]),
    ]);
    expect(bytes.toString('latin1')).toBe(expected.toString('latin1'));
    searcher.take();

    searcher.send({
      kind: 'search',
      query: 'FILENAME CONTAINS "sneaker pimps" BITRATE "AT LEAST" "160"',
    });
    await flush();
    const results = searcher.take().filter((m) => m.kind === 'searchResult');
    expect(results.map((r) => r.kind === 'searchResult' && r.filename)).toEqual([
      'Sneaker Pimps - 6 Underground.mp3',
    ]);
  });

  it('pipelined searches in one write: answered in order, the replies in one write', async () => {
    w = await world();
    const sharer = await w.client('10.0.1.32');
    await sharer.login('lefty');
    for (const name of ['Alpha - One.mp3', 'Beta - Two.mp3', 'Beta - Three.mp3']) {
      sharer.send(song(name));
    }
    const searcher = await w.client('10.0.1.33');
    await searcher.login('bob');
    const writes: number[] = [];
    searcher.connection.on('data', (chunk) => writes.push(chunk.length));
    const queries = ['beta', 'alpha', 'nothing', 'three beta'];
    searcher.connection.write(
      Buffer.concat(
        queries.map((q) =>
          encodeClientMessage({ kind: 'search', query: `FILENAME CONTAINS "${q}"` }),
        ),
      ),
    );
    await flush();
    const replies = searcher
      .take()
      .map((m) => (m.kind === 'searchResult' ? m.filename : m.kind))
      .join(', ');
    expect(replies).toBe(
      'Beta - Three.mp3, Beta - Two.mp3, searchEnd, Alpha - One.mp3, searchEnd, searchEnd, Beta - Three.mp3, searchEnd',
    );
    expect(writes).toHaveLength(1);
  });

  it('never returns your own files, caps MAX_RESULTS at the server maximum, filters LINESPEED', async () => {
    w = await world({ maxResults: 3 });
    const a = await w.client();
    await a.login('a', 6699, { linkType: 2 });
    for (let i = 0; i < 5; i++) a.send(song(`common song ${i}.mp3`));
    const b = await w.client();
    await b.login('b', 6699, { linkType: 9 });
    b.send(song('common song b.mp3'));
    await flush();
    a.take();
    a.send({ kind: 'search', query: 'FILENAME CONTAINS "common" MAX_RESULTS 100' });
    await flush();
    expect(a.kinds()).toEqual(['searchResult', 'searchEnd']);
    b.send({ kind: 'search', query: 'FILENAME CONTAINS "common" MAX_RESULTS 100' });
    await flush();
    expect(b.kinds()).toEqual(['searchResult', 'searchResult', 'searchResult', 'searchEnd']);
    b.send({ kind: 'search', query: 'FILENAME CONTAINS "common" LINESPEED "AT LEAST" 5' });
    await flush();
    expect(b.kinds()).toEqual(['searchEnd']);
  });

  it('answers a bad or empty search with a 404 and still ends it with 202', async () => {
    w = await world();
    const c = await w.client();
    await c.login('a');
    c.send({ kind: 'search', query: 'FILENAME CONTAINS "x" COLOR red' });
    c.send({ kind: 'search', query: 'FILENAME CONTAINS "the mp3"' });
    c.send({ kind: 'search', query: 'FILENAME CONTAINS "x" TYPE video' });
    await flush();
    expect(c.take()).toEqual([
      { kind: 'errorMessage', message: 'invalid search request' },
      { kind: 'searchEnd' },
      { kind: 'errorMessage', message: 'search failed: request contained no valid words' },
      { kind: 'searchEnd' },
      { kind: 'searchEnd' },
    ]);
  });

  it('refuses duplicate shares and shares past the per-user limit (once), and unshares', async () => {
    w = await world({ maxShares: 2 });
    const c = await w.client();
    await c.login('a');
    c.send(song('one.mp3'));
    c.send(song('one.mp3'));
    c.send(song('two.mp3'));
    c.send(song('three.mp3'));
    c.send(song('four.mp3'));
    await flush();
    expect(c.take()).toEqual([
      { kind: 'errorMessage', message: 'duplicate file' },
      { kind: 'errorMessage', message: 'You may only share 2 files' },
    ]);
    c.send({ kind: 'unshare', filename: 'one.mp3' });
    c.send({ kind: 'unshare', filename: 'one.mp3' });
    await flush();
    expect(c.take()).toEqual([{ kind: 'errorMessage', message: 'Not sharing that file' }]);
    expect(w.server.stats().files).toBe(1);
  });

  it("removes a user's files on logout, and keeps everyone else's", async () => {
    w = await world();
    const a = await w.client();
    await a.login('a');
    a.send(song('alpha one.mp3'));
    const b = await w.client();
    await b.login('b');
    b.send(song('alpha two.mp3'));
    await flush();
    expect(w.server.stats().files).toBe(2);
    a.connection.destroy();
    await flush();
    expect(w.server.stats()).toMatchObject({ files: 1, users: 1 });
    const c = await w.client();
    await c.login('c');
    c.send({ kind: 'search', query: 'FILENAME CONTAINS "alpha"' });
    await flush();
    const results = c.take().filter((m) => m.kind === 'searchResult');
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ nick: 'b', filename: 'alpha two.mp3' });
  });

  it('browses a user (212s, then 213), or answers 210 + 213 for a user not online', async () => {
    w = await world();
    const a = await w.client();
    await a.login('lefty');
    a.send(song('x.mp3', { md5: 'b92870e0d41bc8e698cf2f0a1ddfeac7', size: 443332, duration: 60 }));
    const b = await w.client();
    await b.login('b');
    b.send({ kind: 'browse', nick: 'lefty' });
    b.send({ kind: 'browse', nick: 'nobody' });
    await flush();
    expect(b.take()).toEqual([
      {
        kind: 'browseEntry',
        nick: 'lefty',
        filename: 'x.mp3',
        md5: 'b92870e0d41bc8e698cf2f0a1ddfeac7',
        size: 443332,
        bitrate: 128,
        frequency: 44100,
        duration: 60,
      },
      { kind: 'browseEnd', nick: 'lefty' },
      { kind: 'userSignoff', nick: 'nobody' },
      { kind: 'browseEnd', nick: 'nobody' },
    ]);
  });
});

describe('download brokering', () => {
  it('203 → 607 to the uploader → 608 → 204 to the downloader', async () => {
    w = await world();
    const up = await w.client('10.0.1.40');
    await up.login('up', 6699, { linkType: 8 });
    up.send(song('a.mp3'));
    const down = await w.client('10.0.1.41');
    await down.login('down', 6700);
    down.send({ kind: 'download', nick: 'up', filename: 'a.mp3' });
    await flush();
    expect(up.take()).toEqual([{ kind: 'uploadRequest', nick: 'down', filename: 'a.mp3' }]);
    up.send({ kind: 'uploadAccept', nick: 'down', filename: 'a.mp3' });
    await flush();
    expect(down.take()).toEqual([
      {
        kind: 'downloadAck',
        nick: 'up',
        ip: 10 + 256 * 0 + 65536 * 1 + 16777216 * 40,
        port: 6699,
        filename: 'a.mp3',
        md5: '0123456789abcdef0123456789abcdef',
        linkType: 8,
      },
    ]);
  });

  it('206 for a user not online or a file not shared', async () => {
    w = await world();
    const up = await w.client();
    await up.login('up');
    const down = await w.client();
    await down.login('down');
    down.send({ kind: 'download', nick: 'nobody', filename: 'a.mp3' });
    down.send({ kind: 'download', nick: 'up', filename: 'a.mp3' });
    await flush();
    expect(down.take()).toEqual([
      { kind: 'getError', nick: 'nobody', filename: 'a.mp3' },
      { kind: 'getError', nick: 'up', filename: 'a.mp3' },
    ]);
  });

  it('firewalled uploader: 203 → 204 port 0; 500 → 607; 608 → 501 to the uploader', async () => {
    w = await world();
    const up = await w.client('10.0.1.50');
    await up.login('up', 0, { linkType: 8 });
    up.send(song('a.mp3'));
    const down = await w.client('10.0.1.51');
    await down.login('down', 6700, { linkType: 3 });
    down.send({ kind: 'download', nick: 'up', filename: 'a.mp3' });
    await flush();
    expect(down.take()).toMatchObject([
      { kind: 'downloadAck', nick: 'up', port: 0, filename: 'a.mp3' },
    ]);
    expect(up.take()).toEqual([]);
    down.send({ kind: 'firewallDownload', nick: 'up', filename: 'a.mp3' });
    await flush();
    expect(up.take()).toEqual([{ kind: 'uploadRequest', nick: 'down', filename: 'a.mp3' }]);
    up.send({ kind: 'uploadAccept', nick: 'down', filename: 'a.mp3' });
    await flush();
    expect(up.take()).toEqual([
      {
        kind: 'firewallUpload',
        nick: 'down',
        ip: 10 + 65536 + 16777216 * 51,
        port: 6700,
        filename: 'a.mp3',
        md5: '0123456789abcdef0123456789abcdef',
        linkType: 3,
      },
    ]);
    expect(down.take()).toEqual([]);
  });

  it('both firewalled: 204 with firewallerror; 500 to a reachable uploader: 404', async () => {
    w = await world();
    const up = await w.client();
    await up.login('up', 0);
    up.send(song('a.mp3'));
    const open = await w.client();
    await open.login('open', 6699);
    open.send(song('b.mp3'));
    const down = await w.client();
    await down.login('down', 0);
    down.send({ kind: 'firewallDownload', nick: 'up', filename: 'a.mp3' });
    down.send({ kind: 'firewallDownload', nick: 'open', filename: 'b.mp3' });
    await flush();
    expect(down.take()).toMatchObject([
      { kind: 'downloadAck', nick: 'up', md5: 'firewallerror' },
      { kind: 'errorMessage', message: 'open is not firewalled' },
    ]);
  });
});

describe('misc', () => {
  it('ping relays to the target with the sender nick; whois; private messages', async () => {
    w = await world();
    const a = await w.client();
    await a.login('a');
    const b = await w.client();
    await b.login('b', 6699, { clientInfo: 'nap v0.8', linkType: 3 });
    a.send({ kind: 'ping', nick: 'b', text: '12345' });
    a.send({ kind: 'privateMessage', nick: 'b', text: 'hi there' });
    a.send({ kind: 'ping', nick: 'zed' });
    a.send({ kind: 'whois', nick: 'b' });
    await flush();
    expect(b.take()).toEqual([
      { kind: 'ping', nick: 'a', text: '12345' },
      { kind: 'privateMessage', nick: 'a', text: 'hi there' },
    ]);
    expect(a.take()).toEqual([
      { kind: 'errorMessage', message: 'ping failed, zed is not online' },
      {
        kind: 'whoisReply',
        nick: 'b',
        level: 'User',
        seconds: 0,
        channels: '',
        status: 'Active',
        shared: 0,
        downloads: 0,
        uploads: 0,
        linkType: 3,
        clientInfo: 'nap v0.8',
      },
    ]);
  });

  it('hotlist: 301, then 209/210 as the user comes and goes', async () => {
    w = await world();
    const a = await w.client();
    await a.login('a');
    a.send({ kind: 'hotlistAdd', nick: 'b' });
    await flush();
    expect(a.take()).toEqual([{ kind: 'hotlistAck', nick: 'b' }]);
    const b = await w.client();
    await b.login('b', 6699, { linkType: 5 });
    expect(a.take()).toEqual([{ kind: 'userSignon', nick: 'b', linkType: 5 }]);
    b.connection.destroy();
    await flush();
    expect(a.take()).toEqual([{ kind: 'userSignoff', nick: 'b' }]);
  });

  it('stop() releases every socket', async () => {
    w = await world();
    await w.client();
    const c = await w.client();
    await c.login('a');
    await w.stop();
    await flush();
    expect(w.hub.openHandles()).toBe(0);
  });

  it('a frame split at every byte is still one message', async () => {
    w = await world();
    const c = await w.client();
    const bytes = encodeClientMessage({
      kind: 'login',
      nick: 'slow',
      password: 'p',
      port: 1,
      clientInfo: 'x',
      linkType: 1,
    });
    for (const b of bytes) {
      c.connection.write(new Uint8Array([b]));
      await flush(2);
    }
    await flush();
    expect(c.kinds()[0]).toBe('loginAck');
  });
});
