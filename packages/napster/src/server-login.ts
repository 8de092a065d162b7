/**
 * Logins (2, 6), nick registration (7) and the nick rules, as OpenNap's login.c: the same
 * type-0 errors before a close, 10 for an invalid nick, the ghost kill (748) of a session that
 * the same user opens again from the same address.
 */
import { ipToNapster } from './fields.js';
import type { ClientMessageOf } from './messages.js';
import type { ServerState, Session, User } from './server-state.js';

export function login(
  state: ServerState,
  session: Session,
  m: ClientMessageOf<'login'> | ClientMessageOf<'loginRegister'>,
): void {
  if (session.user) {
    state.error404(session, 'you are already logged in');
    return;
  }
  if (m.linkType > 10) {
    state.reject(session, `${m.linkType} is an invalid speed`);
    return;
  }
  if (!validNick(m.nick, state.settings.maxNickLength)) {
    state.counters.dropped++;
    state.send(session, { kind: 'nickInvalid' });
    session.framed.end();
    return;
  }
  const key = m.nick.toLowerCase();
  const account = state.accounts.get(key);
  if (m.kind === 'loginRegister' && account) {
    state.reject(session, `${m.nick} is already registered.`);
    return;
  }
  if (account && account.password !== m.password) {
    state.reject(session, 'Invalid Password');
    return;
  }
  const existing = state.users.get(key);
  if (existing) {
    // OpenNap's ghost kill: the same nick from the same address, with its password, replaces
    // the old session (748 to it); anyone else is refused.
    if (existing.host !== session.address.host || existing.password !== m.password) {
      state.reject(session, `${m.nick} is already active`);
      return;
    }
    state.send(existing.session, { kind: 'ghost' });
    existing.session.framed.end();
    state.logout(existing);
  }
  if (m.kind === 'loginRegister') {
    state.accounts.set(key, { nick: m.nick, password: m.password, email: m.email, lastSeen: 0 });
  }
  const id = state.freeIds.pop() ?? state.usersById.length;
  const user: User = {
    id,
    nick: m.nick,
    key,
    password: m.password,
    clientInfo: m.clientInfo,
    host: session.address.host,
    ip: ipToNapster(session.address.host),
    session,
    connectedAt: state.runtime.clock.now(),
    port: m.port,
    linkType: m.linkType,
    downloads: 0,
    uploads: 0,
    warnedShares: false,
    hotlist: new Set(),
  };
  state.setTail(user);
  state.usersById[id] = user;
  state.users.set(key, user);
  session.user = user;
  state.runtime.clock.clearTimeout(session.loginTimer);
  session.loginTimer = undefined;
  state.counters.logins++;
  const email = state.accounts.get(key)?.email ?? `anon@${state.serverName()}`;
  state.send(session, { kind: 'loginAck', email });
  state.sendMotd(session);
  state.sendStats(session);
  for (const watcher of state.watchers.get(key) ?? []) {
    state.send(watcher.session, { kind: 'userSignon', nick: user.nick, linkType: user.linkType });
  }
  state.events.emit('login', user.nick, session.address);
}

/** 7: 8 when the nick is free, 9 when registered or online, 10 when invalid. */
export function registerNick(state: ServerState, session: Session, nick: string): void {
  if (!validNick(nick, state.settings.maxNickLength)) {
    state.send(session, { kind: 'nickInvalid' });
    return;
  }
  const key = nick.toLowerCase();
  if (state.accounts.has(key) || state.users.has(key)) state.send(session, { kind: 'nickTaken' });
  else state.send(session, { kind: 'nickOk' });
}

/** OpenNap's rule: printable ASCII, no space and no colon (nor a quote), 1..max characters. */
export function validNick(nick: string, maxLength: number): boolean {
  if (nick.length === 0 || nick.length > maxLength) return false;
  for (let i = 0; i < nick.length; i++) {
    const c = nick.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x3a || c === 0x22) return false;
  }
  return true;
}
