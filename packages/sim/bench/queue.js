// Event queue alone, "hold" model: pop the earliest event, push one at t + U(0, 100).
// Compares the simulator's EventQueue (a ladder queue over typed arrays, plus its slot pool; a
// 4-ary heap with the same pool before) with a
// bare 4-ary and a bare binary typed-array heap and a binary heap of {time, seq, payload}
// objects, at several queue sizes. Operations per CPU-second, best of 3 runs.
import { EventQueue } from '../dist/index.js';
import { report, rng, stopwatch } from './util.js';

class QuadHeap {
  constructor() {
    this.t = new Float64Array(1024);
    this.s = new Float64Array(1024);
    this.p = new Int32Array(1024);
    this.n = 0;
    this.seq = 0;
  }
  grow() {
    const c = this.t.length * 2;
    const t = new Float64Array(c);
    t.set(this.t);
    this.t = t;
    const s = new Float64Array(c);
    s.set(this.s);
    this.s = s;
    const p = new Int32Array(c);
    p.set(this.p);
    this.p = p;
  }
  push(time, payload) {
    if (this.n === this.t.length) this.grow();
    const { t: T, s: S, p: P } = this;
    const seq = this.seq++;
    let i = this.n++;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = T[parent];
      if (pt < time || (pt === time && S[parent] < seq)) break;
      T[i] = pt;
      S[i] = S[parent];
      P[i] = P[parent];
      i = parent;
    }
    T[i] = time;
    S[i] = seq;
    P[i] = payload;
  }
  peek() {
    return this.t[0];
  }
  pop() {
    const { t: T, s: S, p: P } = this;
    const top = P[0];
    const n = --this.n;
    if (n === 0) return top;
    const time = T[n];
    const seq = S[n];
    const pay = P[n];
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      let c = first;
      let ct = T[c];
      let cs = S[c];
      const last = Math.min(first + 4, n);
      for (let k = first + 1; k < last; k++) {
        const kt = T[k];
        if (kt < ct || (kt === ct && S[k] < cs)) {
          c = k;
          ct = kt;
          cs = S[k];
        }
      }
      if (time < ct || (time === ct && seq < cs)) break;
      T[i] = ct;
      S[i] = cs;
      P[i] = P[c];
      i = c;
    }
    T[i] = time;
    S[i] = seq;
    P[i] = pay;
    return top;
  }
}

class BinaryHeap {
  constructor() {
    this.t = new Float64Array(1024);
    this.s = new Float64Array(1024);
    this.p = new Int32Array(1024);
    this.n = 0;
    this.seq = 0;
  }
  grow() {
    QuadHeap.prototype.grow.call(this);
  }
  push(time, payload) {
    if (this.n === this.t.length) this.grow();
    const { t: T, s: S, p: P } = this;
    const seq = this.seq++;
    let i = this.n++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = T[parent];
      if (pt < time || (pt === time && S[parent] < seq)) break;
      T[i] = pt;
      S[i] = S[parent];
      P[i] = P[parent];
      i = parent;
    }
    T[i] = time;
    S[i] = seq;
    P[i] = payload;
  }
  peek() {
    return this.t[0];
  }
  pop() {
    const { t: T, s: S, p: P } = this;
    const top = P[0];
    const n = --this.n;
    if (n === 0) return top;
    const time = T[n];
    const seq = S[n];
    const pay = P[n];
    const half = n >> 1;
    let i = 0;
    while (i < half) {
      let c = 2 * i + 1;
      let ct = T[c];
      let cs = S[c];
      const r = c + 1;
      if (r < n) {
        const rt = T[r];
        if (rt < ct || (rt === ct && S[r] < cs)) {
          c = r;
          ct = rt;
          cs = S[r];
        }
      }
      if (time < ct || (time === ct && seq < cs)) break;
      T[i] = ct;
      S[i] = cs;
      P[i] = P[c];
      i = c;
    }
    T[i] = time;
    S[i] = seq;
    P[i] = pay;
    return top;
  }
}

class ObjectHeap {
  constructor() {
    this.a = [];
    this.seq = 0;
  }
  push(time, payload) {
    const e = { t: time, s: this.seq++, p: payload };
    const a = this.a;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pe = a[parent];
      if (pe.t < e.t || (pe.t === e.t && pe.s < e.s)) break;
      a[i] = pe;
      i = parent;
    }
    a[i] = e;
  }
  peek() {
    return this.a[0].t;
  }
  pop() {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    const n = a.length;
    if (n === 0) return top.p;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ce = a[c];
      const r = c + 1;
      if (r < n) {
        const re = a[r];
        if (re.t < ce.t || (re.t === ce.t && re.s < ce.s)) {
          c = r;
          ce = re;
        }
      }
      if (last.t < ce.t || (last.t === ce.t && last.s < ce.s)) break;
      a[i] = ce;
      i = c;
    }
    a[i] = last;
    return top.p;
  }
}

/** The simulator's queue behind the same push/peek/pop shape (slots recycled per event). */
class SimQueue {
  constructor() {
    this.q = new EventQueue();
  }
  push(time, payload) {
    const slot = this.q.alloc(5);
    this.q.n[slot] = payload;
    this.q.push(time, slot);
  }
  peek() {
    return this.q.peekTime();
  }
  pop() {
    const slot = this.q.pop();
    const payload = this.q.n[slot];
    this.q.release(slot);
    return payload;
  }
}

function hold(Heap, size, ops) {
  const heap = new Heap();
  const random = rng(1);
  for (let i = 0; i < size; i++) heap.push(random() * 100, i);
  const run = (n) => {
    let x = 0;
    for (let i = 0; i < n; i++) {
      const t = heap.peek();
      const p = heap.pop();
      x ^= p;
      heap.push(t + random() * 100, p);
    }
    return x;
  };
  run(Math.min(ops, 500_000)); // warm up
  const elapsed = stopwatch();
  run(ops);
  return ops / elapsed().cpu;
}

const results = {};
for (const size of [1e3, 1e4, 1e5, 1e6]) {
  const ops = size >= 1e6 ? 3e6 : 5e6;
  const row = {};
  for (const [name, Heap] of [
    ['sim EventQueue (ladder queue + slot pool)', SimQueue],
    ['bare 4-ary typed-array heap', QuadHeap],
    ['bare binary typed-array heap', BinaryHeap],
    ['binary heap of {time, seq, payload} objects', ObjectHeap],
  ]) {
    let best = 0;
    for (let run = 0; run < 3; run++) best = Math.max(best, hold(Heap, size, ops));
    row[name] = Math.round(best);
  }
  results[`pending ${size.toExponential(0)}`] = row;
}
report('queue', results);
