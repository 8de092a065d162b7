/**
 * Brokering a download (OpenNap download.c, upload_complete.c): the server never carries a
 * file, it tells each side where the other is.
 *
 *   203 → 607 to the uploader → 608 → 204 to the downloader; or 206 (not online, not shared);
 *   203 for a firewalled uploader → 204 with port 0 at once; then 500 → 607 → 608 → 501 to the
 *   uploader, who connects out; both firewalled → 204 with `firewallerror`.
 */
import type { ServerState, User } from './server-state.js';

/** 203 (`download`) and 500 (`firewallDownload`). */
export function download(
  state: ServerState,
  user: User,
  kind: 'download' | 'firewallDownload',
  nick: string,
  filename: string,
): void {
  state.counters.downloadRequests++;
  const session = user.session;
  const uploader = state.user(nick);
  const slot = uploader ? state.index.slotOf(uploader.id, filename) : -1;
  if (!uploader || slot < 0) {
    state.send(session, { kind: 'getError', nick, filename });
    return;
  }
  if (kind === 'download') {
    if (uploader.port === 0) {
      // Firewalled uploader: the downloader gets port 0 now and must ask again with 500.
      state.send(session, {
        kind: 'downloadAck',
        nick: uploader.nick,
        ip: uploader.ip,
        port: 0,
        filename,
        md5: state.index.file(slot).md5,
        linkType: uploader.linkType,
      });
      return;
    }
  } else {
    if (uploader.port !== 0) {
      state.error404(session, `${uploader.nick} is not firewalled`);
      return;
    }
    if (user.port === 0) {
      // Both firewalled: nobody can connect to anybody.
      state.send(session, {
        kind: 'downloadAck',
        nick: uploader.nick,
        ip: uploader.ip,
        port: uploader.port,
        filename,
        md5: 'firewallerror',
        linkType: uploader.linkType,
      });
      return;
    }
  }
  state.send(uploader.session, { kind: 'uploadRequest', nick: user.nick, filename });
}

/** 608: 204 to the downloader, or 501 to the uploader when it is the firewalled one. */
export function uploadAccept(state: ServerState, user: User, nick: string, filename: string): void {
  const downloader = state.user(nick);
  if (!downloader) {
    state.noSuchUser(user.session, nick);
    return;
  }
  const slot = state.index.slotOf(user.id, filename);
  if (slot < 0) {
    state.error404(user.session, 'Not sharing that file');
    return;
  }
  const md5 = state.index.file(slot).md5;
  if (user.port === 0) {
    state.send(user.session, {
      kind: 'firewallUpload',
      nick: downloader.nick,
      ip: downloader.ip,
      port: downloader.port,
      filename,
      md5,
      linkType: downloader.linkType,
    });
  } else {
    state.send(downloader.session, {
      kind: 'downloadAck',
      nick: user.nick,
      ip: user.ip,
      port: user.port,
      filename,
      md5,
      linkType: user.linkType,
    });
  }
}
