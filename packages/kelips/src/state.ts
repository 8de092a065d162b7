/**
 * A Kelips node's soft state (Gupta et al. 2003, §2.1): the affinity group view, c contacts per
 * foreign group, and the filetuples of its own group, each entry with a heartbeat, plus the
 * bookkeeping gossip needs (how often an entry was sent since its last news) and RTTs.
 *
 * Pure data and rules: time comes in as `now`, nothing is sent from here. Every structure a
 * peer can grow is capped (view, filetuples, candidates, tombstones, the group cache), and a
 * peer's group is always computed from its address, never taken from a message.
 *
 * Heartbeats: an entry carries its origin's counter and the time (local clock) at which the
 * origin produced it, `heardAt`, reconstructed from the age the message carries. An entry
 * changes only on news: a different counter with a later `heardAt`. Ordering by time rather
 * than by counter keeps a restarted node (counter back at 0) visible at once, and because a
 * copy's age keeps growing as it is relayed, a dead node's entries age out everywhere at about
 * the same time and cannot be resurrected by a late copy.
 */
import { type Address, formatAddress, type Random } from '@p2pkit/core';
import { groupOfAddress, groupOfName } from './groups.js';
import type { MemberEntry, TupleEntry } from './messages.js';
import {
  type Heard,
  List,
  Member,
  type StateCounters,
  type StateLimits,
  Tuple,
} from './state-entries.js';

/** Size of the address → group cache before it is emptied. */
const GROUP_CACHE = 4096;
/**
 * How long a timed-out node stays worth probing, in contact timeouts (20: about 17 minutes with
 * the defaults), so that a partition of that length still heals.
 */
const LOST_KEEP = 20;
/** EWMA weight of a new RTT sample (TCP's 1/8). */
const RTT_ALPHA = 1 / 8;

export class SoftState {
  readonly self: Address;
  readonly selfKey: string;
  readonly limits: StateLimits;
  readonly group: number;
  readonly counters: StateCounters = { stale: 0, full: 0, bogus: 0, replaced: 0, expired: 0 };
  /** Own group, self excluded, by key. */
  readonly view = new Map<string, Member>();
  readonly viewList = new List<Member>();
  /** Contacts of every foreign group, by key. */
  readonly contactIndex = new Map<string, Member>();
  readonly contactList = new List<Member>();
  /** Contacts per group (the own group's slot stays empty). */
  readonly contactsOf: Member[][];
  /** Filetuples of the own group, by name. */
  readonly tuples = new Map<string, Tuple>();
  readonly tupleList = new List<Tuple>();
  /** Foreign-group nodes heard of but not contacts: probed for RTT, promoted if closer. */
  readonly candidates = new Map<string, Member>();
  /** Every member above (view, contacts, candidates) by key: one lookup per gossiped entry. */
  readonly #known = new Map<string, Member>();
  /**
   * Nodes whose entries timed out (not ones that left): probed now and then, so that two halves
   * of a partitioned system find each other again once the network heals.
   */
  readonly lost = new Map<string, { address: Address; until: number }>();
  /** Nodes that left gracefully: key → their last heartbeat, until `until`. */
  readonly #departed = new Map<string, { heartbeat: number; until: number }>();
  readonly #groupCache = new Map<string, number>();
  #stamp = 0;
  /** A contact slot came free since the candidates were last swept. */
  #freeSlot = false;
  #candidatesSweptAt = 0;

  constructor(self: Address, limits: StateLimits) {
    this.self = self;
    this.selfKey = formatAddress(self);
    this.limits = limits;
    this.group = groupOfAddress(self, limits.groups);
    this.contactsOf = Array.from({ length: limits.groups }, () => []);
  }

  /** The group of the node at `address` (cached: hashing every gossiped address costs). */
  groupOf(address: Address, key: string): number {
    let g = this.#groupCache.get(key);
    if (g === undefined) {
      if (this.#groupCache.size >= GROUP_CACHE) this.#groupCache.clear();
      g = groupOfAddress(address, this.limits.groups);
      this.#groupCache.set(key, g);
    }
    return g;
  }

  /** Any node this node knows by key: a view member, a contact or a candidate. */
  find(key: string): Member | undefined {
    return this.#known.get(key);
  }

  /** Entries of soft state, as the paper counts them (view + contacts + filetuples). */
  get entries(): number {
    return this.view.size + this.contactIndex.size + this.tuples.size;
  }

  // ---- members ------------------------------------------------------------------------------

  /** Takes in what a message says about another node. */
  heard(entry: MemberEntry, now: number): Heard {
    const { address } = entry;
    if (address.port === 0 || address.host === '') {
      this.counters.bogus++;
      return 'ignored';
    }
    const key = formatAddress(address);
    if (key === this.selfKey) return 'ignored';
    if (entry.ageMs === 0) this.lost.delete(key); // it spoke to someone just now
    const heardAt = now - entry.ageMs;
    const known = this.find(key);
    const group = known?.group ?? this.groupOf(address, key);
    const timeout =
      group === this.group ? this.limits.groupTimeoutMs : this.limits.contactTimeoutMs;
    if (entry.ageMs >= timeout || this.#isDeparted(key, entry.heartbeat, now)) {
      this.counters.stale++;
      return 'ignored';
    }
    if (known !== undefined) {
      if (entry.heartbeat === known.heartbeat || heardAt <= known.heardAt) return 'known';
      known.heartbeat = entry.heartbeat;
      known.heardAt = heardAt;
      known.sent = 0;
      return 'news';
    }
    const member = new Member(address, key, group, entry.heartbeat, heardAt);
    if (group === this.group) {
      if (this.view.size >= this.limits.maxView) {
        this.counters.full++;
        return 'ignored';
      }
      this.view.set(key, member);
      this.viewList.add(member);
      this.#known.set(key, member);
      return 'new';
    }
    const slots = this.contactsOf[group]!;
    if (slots.length < this.limits.contacts) {
      this.#addContact(member);
      return 'new';
    }
    // The group's contacts are full. A contact nobody has refreshed for half its timeout is
    // replaced by fresher news at once (p2psim found this speeds convergence); otherwise the
    // newcomer waits among the candidates until a probe tells whether it is closer.
    const stalest = slots.reduce((a, b) => (b.heardAt < a.heardAt ? b : a));
    if (now - stalest.heardAt > this.limits.contactTimeoutMs / 2 && heardAt > stalest.heardAt) {
      this.#removeContact(stalest);
      this.#addContact(member);
      this.counters.replaced++;
      return 'new';
    }
    this.#addCandidate(member);
    return 'new';
  }

  /**
   * Records a measured round trip to `key`. A candidate closer than the farthest contact of its
   * group replaces it (the paper's proactive replacement, evicting the farthest).
   */
  measured(key: string, rttMs: number): void {
    const m = this.find(key);
    if (m === undefined || !(rttMs >= 0)) return;
    m.rttMs = Number.isNaN(m.rttMs) ? rttMs : m.rttMs + RTT_ALPHA * (rttMs - m.rttMs);
    if (!this.candidates.has(key)) return;
    const slots = this.contactsOf[m.group]!;
    if (slots.length < this.limits.contacts) {
      this.#dropCandidate(key);
      this.#addContact(m);
      return;
    }
    const farthest = farthestOf(slots);
    this.#dropCandidate(key);
    if (Number.isNaN(farthest.rttMs) || m.rttMs < farthest.rttMs) {
      this.#removeContact(farthest);
      this.#addContact(m);
      this.#addCandidate(farthest);
      this.counters.replaced++;
    }
    // Otherwise the measured candidate is let go: it will be heard of, and probed, again.
  }

  /**
   * A node failed to answer. A contact is dropped at once and its slot goes to a waiting
   * candidate of the same group, if any (a live contact comes back with its next heartbeat); a
   * candidate is forgotten; a view member stays until its heartbeat times out, but its RTT
   * estimate becomes at least the timeout, so it is tried last.
   */
  unanswered(key: string, timeoutMs: number): void {
    const contact = this.contactIndex.get(key);
    if (contact !== undefined) {
      this.#removeContact(contact);
      for (const [k, m] of this.candidates) {
        if (m.group !== contact.group) continue;
        this.#dropCandidate(k);
        this.#addContact(m);
        break;
      }
      return;
    }
    // A candidate is unproven: one that does not answer its probe is forgotten.
    if (this.#dropCandidate(key)) return;
    const m = this.view.get(key);
    if (m === undefined) return;
    m.rttMs = Number.isNaN(m.rttMs) ? timeoutMs : Math.max(timeoutMs, 2 * m.rttMs);
  }

  /**
   * Members of the own group to ask, in the order to try them: recently heard from first (a
   * crashed node's heartbeat stops, so its entry ages while live ones keep being refreshed),
   * in steps of a quarter of the group timeout, those that failed to answer (an RTT at or
   * above `timeoutMs`) last; random order within each step.
   */
  proxies(random: Random, timeoutMs: number, now: number): Member[] {
    const step = this.limits.groupTimeoutMs / 4;
    const rank = (m: Member) =>
      m.rttMs >= timeoutMs ? Number.POSITIVE_INFINITY : Math.floor((now - m.heardAt) / step);
    const list = random.shuffle(this.viewList.items.slice());
    return list.sort((a, b) => rank(a) - rank(b));
  }

  /** Forgets a node that left gracefully; copies of its entries up to `heartbeat` are ignored. */
  departed(address: Address, heartbeat: number, now: number): void {
    const key = formatAddress(address);
    if (key === this.selfKey) return;
    this.#forget(key);
    this.lost.delete(key);
    if (this.#departed.size >= this.limits.maxCandidates * 4) this.#sweepDeparted(now, true);
    this.#departed.set(key, {
      heartbeat,
      until: now + Math.max(this.limits.groupTimeoutMs, this.limits.contactTimeoutMs),
    });
  }

  #isDeparted(key: string, heartbeat: number, now: number): boolean {
    const d = this.#departed.get(key);
    if (d === undefined) return false;
    if (now > d.until) {
      this.#departed.delete(key);
      return false;
    }
    return heartbeat <= d.heartbeat;
  }

  #sweepDeparted(now: number, all: boolean): void {
    for (const [key, d] of this.#departed) if (all || now > d.until) this.#departed.delete(key);
  }

  #forget(key: string): void {
    const v = this.view.get(key);
    if (v !== undefined) {
      this.view.delete(key);
      this.viewList.remove(v);
      this.#known.delete(key);
    }
    const c = this.contactIndex.get(key);
    if (c !== undefined) this.#removeContact(c);
    this.#dropCandidate(key);
  }

  #addContact(m: Member): void {
    this.contactsOf[m.group]!.push(m);
    this.contactIndex.set(m.key, m);
    this.contactList.add(m);
    this.#known.set(m.key, m);
  }

  #removeContact(m: Member): void {
    const slots = this.contactsOf[m.group]!;
    const i = slots.indexOf(m);
    if (i >= 0) slots.splice(i, 1);
    this.contactIndex.delete(m.key);
    this.contactList.remove(m);
    this.#known.delete(m.key);
    this.#freeSlot = true;
  }

  /**
   * Keeps a foreign node for an RTT probe. When the pool is full the newcomer is dropped (it
   * will be heard of again): the pool drains as probes answer, so it does not churn.
   */
  #addCandidate(m: Member): void {
    if (this.candidates.size >= this.limits.maxCandidates) return;
    this.candidates.set(m.key, m);
    this.#known.set(m.key, m);
  }

  #dropCandidate(key: string): boolean {
    if (!this.candidates.delete(key)) return false;
    this.#known.delete(key);
    return true;
  }

  /** Remembers a node whose entry timed out, for LOST_KEEP contact timeouts (capped). */
  #remember(m: Member, now: number): void {
    if (this.lost.size >= this.limits.maxCandidates) {
      this.lost.delete(this.lost.keys().next().value as string);
    }
    this.lost.set(m.key, {
      address: m.address,
      until: now + LOST_KEEP * this.limits.contactTimeoutMs,
    });
  }

  /** A remembered lost node to probe, if any. */
  pickLost(random: Random): Address | undefined {
    const n = this.lost.size;
    if (n === 0) return undefined;
    let skip = random.int(n);
    for (const l of this.lost.values()) if (skip-- === 0) return l.address;
    return undefined;
  }

  // ---- filetuples ---------------------------------------------------------------------------

  /**
   * Takes in a filetuple heard from a peer. Only tuples of this node's group whose home is also
   * in this group are kept: a node cannot plant a tuple for another group, or claim to be the
   * home of a file outside its own group. Tuples naming this node as home are managed locally
   * (`homed`), never taken from peers.
   */
  heardTuple(t: TupleEntry, now: number): Heard {
    const k = this.limits.groups;
    if (t.home.port === 0) {
      this.counters.bogus++;
      return 'ignored';
    }
    const homeKey = formatAddress(t.home);
    if (
      homeKey === this.selfKey ||
      // A known name was checked when it came in: skip hashing it again.
      (!this.tuples.has(t.name) && groupOfName(t.name, k) !== this.group) ||
      (this.view.get(homeKey)?.group ?? this.groupOf(t.home, homeKey)) !== this.group
    ) {
      this.counters.bogus++;
      return 'ignored';
    }
    if (t.ageMs >= this.limits.fileTimeoutMs || this.#isDeparted(homeKey, Infinity, now)) {
      this.counters.stale++;
      return 'ignored';
    }
    const heardAt = now - t.ageMs;
    const known = this.tuples.get(t.name);
    if (known !== undefined) {
      if (known.homeKey === this.selfKey) return 'known';
      if (
        (t.heartbeat === known.heartbeat && homeKey === known.homeKey) ||
        heardAt <= known.heardAt
      )
        return 'known';
      known.home = t.home;
      known.homeKey = homeKey;
      known.heartbeat = t.heartbeat;
      known.heardAt = heardAt;
      known.sent = 0;
      return 'news';
    }
    if (this.tuples.size >= this.limits.maxTuples) {
      this.counters.full++;
      return 'ignored';
    }
    const tuple = new Tuple(t.name, t.home, homeKey, t.heartbeat, heardAt);
    this.tuples.set(t.name, tuple);
    this.tupleList.add(tuple);
    return 'new';
  }

  /** Records (or refreshes) a file this node is the home of. */
  homed(name: string, heartbeat: number, now: number): void {
    const known = this.tuples.get(name);
    if (known !== undefined) {
      known.home = this.self;
      known.homeKey = this.selfKey;
      known.heartbeat = heartbeat;
      known.heardAt = now;
      known.sent = 0;
      return;
    }
    const tuple = new Tuple(name, this.self, this.selfKey, heartbeat, now);
    this.tuples.set(name, tuple);
    this.tupleList.add(tuple);
  }

  /**
   * The home's periodic refresh of a file it stores: a new heartbeat (news, so the tuple is
   * fresh again and travels) once `refreshMs` has passed since the last. Refreshing every
   * round would make every tuple fresh all the time, and a new file's tuple would then wait
   * among all the others for a place in the rations.
   */
  refreshHomed(name: string, heartbeat: number, now: number, refreshMs: number): void {
    const known = this.tuples.get(name);
    if (known !== undefined && known.homeKey === this.selfKey && now - known.heardAt < refreshMs) {
      return;
    }
    this.homed(name, heartbeat, now);
  }

  /** Drops a tuple (its file left this node). */
  dropTuple(name: string): void {
    const t = this.tuples.get(name);
    if (t === undefined) return;
    this.tuples.delete(name);
    this.tupleList.remove(t);
  }

  /** Where `name` is stored, if this node knows. */
  homeOf(name: string): Address | undefined {
    return this.tuples.get(name)?.home;
  }

  // ---- expiry -------------------------------------------------------------------------------

  /**
   * Drops every entry not refreshed within its timeout, and every filetuple whose home is no
   * longer in the view (its file is gone with it). A member whose heartbeat timed out is not
   * dropped at once: it is suspected and returned, for the caller to probe, and dropped only if
   * it is still silent `suspicionMs` later. Rationed gossip refreshes most entries within a few
   * rounds but has a long tail; the probe keeps that tail from evicting live members.
   */
  expire(now: number): Member[] {
    const { groupTimeoutMs, contactTimeoutMs, fileTimeoutMs } = this.limits;
    const suspects: Member[] = [];
    let n = 0;
    const view = this.viewList.items;
    for (let i = view.length - 1; i >= 0; i--) {
      const m = view[i]!;
      const state = this.#suspicion(m, now, groupTimeoutMs, suspects);
      if (state === 'gone') {
        this.view.delete(m.key);
        this.viewList.remove(m);
        this.#known.delete(m.key);
        this.#remember(m, now);
        n++;
      }
    }
    const contacts = this.contactList.items;
    for (let i = contacts.length - 1; i >= 0; i--) {
      const m = contacts[i]!;
      if (this.#suspicion(m, now, contactTimeoutMs, suspects) === 'gone') {
        this.#removeContact(m);
        this.#remember(m, now);
        n++;
      }
    }
    // Candidates are swept every few rounds' worth of time, or when a contact slot is free.
    if (this.#freeSlot || now - this.#candidatesSweptAt > contactTimeoutMs / 8) {
      this.#sweepCandidates(now);
    }
    const tuples = this.tupleList.items;
    for (let i = tuples.length - 1; i >= 0; i--) {
      const t = tuples[i]!;
      if (t.homeKey === this.selfKey) continue;
      if (now - t.heardAt > fileTimeoutMs || !this.view.has(t.homeKey)) {
        this.tuples.delete(t.name);
        this.tupleList.remove(t);
        n++;
      }
    }
    this.#sweepDeparted(now, false);
    for (const [key, l] of this.lost) if (now > l.until) this.lost.delete(key);
    this.counters.expired += n;
    return suspects;
  }

  /** Where `m` stands against its timeout: fresh, newly suspected (added to `out`), or gone. */
  #suspicion(m: Member, now: number, timeoutMs: number, out: Member[]): 'ok' | 'gone' {
    if (now - m.heardAt <= timeoutMs) {
      m.suspectedAt = 0;
      return 'ok';
    }
    if (m.suspectedAt === 0) {
      m.suspectedAt = now;
      out.push(m);
      return 'ok';
    }
    return now - m.suspectedAt > this.limits.suspicionMs ? 'gone' : 'ok';
  }

  /** Drops candidates too old to be live; fills free contact slots from the rest. */
  #sweepCandidates(now: number): void {
    const { contactTimeoutMs } = this.limits;
    this.#candidatesSweptAt = now;
    this.#freeSlot = false;
    for (const [key, m] of this.candidates) {
      if (now - m.heardAt > contactTimeoutMs) {
        this.#dropCandidate(key);
      } else if (this.contactsOf[m.group]!.length < this.limits.contacts) {
        // A slot freed by an expired contact goes to a waiting candidate of that group.
        this.#dropCandidate(key);
        this.#addContact(m);
      }
    }
  }

  // ---- gossip selection ---------------------------------------------------------------------

  /** A fresh stamp for one gossip message being built (see pickRation). */
  nextStamp(): number {
    return ++this.#stamp;
  }

  /** The contacts of group `g`, closest first (unmeasured ones last, in random order). */
  contactsByDistance(g: number, random: Random): Member[] {
    const slots = (this.contactsOf[g] ?? []).slice();
    random.shuffle(slots);
    return slots.sort((a, b) => rttOrder(a.rttMs) - rttOrder(b.rttMs));
  }
}

function rttOrder(rtt: number): number {
  return Number.isNaN(rtt) ? Number.POSITIVE_INFINITY : rtt;
}

function farthestOf(slots: readonly Member[]): Member {
  let worst = slots[0]!;
  for (const m of slots) {
    if (Number.isNaN(m.rttMs)) return m;
    if (m.rttMs > worst.rttMs) worst = m;
  }
  return worst;
}
