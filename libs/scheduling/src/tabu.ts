import type { CompiledInstance } from './model.js';
import type { Prng } from './prng.js';

/**
 * Tabu search state over the disjunctive graph of a flexible job shop (Mastrolilli & Gambardella 2000
 * style). A move takes one critical operation v out of its machine and re-inserts it on any eligible
 * machine (its own included) at a position between the sets L and R of M&G, which guarantees an acyclic
 * graph. Heads and tails of the graph without v are recomputed in O(n) per critical operation, which
 * makes the makespan of every insertion of v exact: max(C(G - v), r'(v) + p(v) + q'(v)).
 * Machine release times act as a fixed first operation on each machine: the head of the first
 * operation of machine k is at least release[k].
 */
export class TabuSearch {
  readonly n: number;
  readonly m: number;
  readonly mach: Int32Array;
  readonly dur: Int32Array;
  seqs: number[][];
  readonly pos: Int32Array;
  readonly mPred: Int32Array;
  readonly mSucc: Int32Array;
  readonly order: Int32Array;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  cmax = 0;

  private readonly orderIdx: Int32Array;
  /** prefixEnd[h] = max end time over order[0..h]. */
  private readonly prefixEnd: Int32Array;
  private readonly rm: Int32Array;
  private readonly qm: Int32Array;
  private readonly indeg: Int32Array;
  private readonly critical: Int32Array;
  /** tabu[key(a, b)] = iteration until which re-creating the machine arc a -> b is tabu. */
  private readonly tabu: Int32Array | Map<number, number>;
  private readonly keySpan: number;
  iteration = 0;

  constructor(
    readonly c: CompiledInstance,
    readonly rng: Prng,
  ) {
    this.n = c.n;
    this.m = c.m;
    const n = c.n;
    this.mach = new Int32Array(n);
    this.dur = new Int32Array(n);
    this.seqs = [];
    this.pos = new Int32Array(n);
    this.mPred = new Int32Array(n);
    this.mSucc = new Int32Array(n);
    this.order = new Int32Array(n);
    this.head = new Int32Array(n);
    this.tail = new Int32Array(n);
    this.orderIdx = new Int32Array(n);
    this.prefixEnd = new Int32Array(n);
    this.rm = new Int32Array(n);
    this.qm = new Int32Array(n);
    this.indeg = new Int32Array(n);
    this.critical = new Int32Array(n);
    this.keySpan = n + c.m;
    const size = this.keySpan * this.keySpan;
    this.tabu = size <= 1 << 22 ? new Int32Array(size) : new Map();
  }

  load(machineOf: ArrayLike<number>, sequences: readonly (readonly number[])[]): boolean {
    for (let i = 0; i < this.n; i++) {
      this.mach[i] = machineOf[i]!;
      this.dur[i] = this.c.durationOn[i * this.m + machineOf[i]]!;
    }
    this.seqs = sequences.map((s) => s.slice());
    for (let k = 0; k < this.m; k++) this.reindex(k);
    return this.evaluate();
  }

  snapshot(): { machineOf: Int32Array; sequences: number[][] } {
    return { machineOf: this.mach.slice(), sequences: this.seqs.map((s) => s.slice()) };
  }

  /** Clears the tabu memory (by moving the clock past every tenure). */
  resetTabu(): void {
    this.iteration += 1 << 20;
  }

  private reindex(k: number): void {
    const s = this.seqs[k];
    for (let i = 0; i < s.length; i++) {
      const x = s[i];
      this.pos[x] = i;
      this.mPred[x] = i > 0 ? s[i - 1] : -1;
      this.mSucc[x] = i + 1 < s.length ? s[i + 1] : -1;
    }
  }

  /** Topological order, heads, tails and makespan. Returns false if the graph is cyclic. */
  evaluate(): boolean {
    const { n, order, indeg, head, tail, dur, mPred, mSucc } = this;
    const { jobPred, jobSucc } = this.c;
    let qt = 0;
    for (let i = 0; i < n; i++) {
      indeg[i] = (jobPred[i] >= 0 ? 1 : 0) + (mPred[i] >= 0 ? 1 : 0);
      if (indeg[i] === 0) order[qt++] = i;
    }
    for (let h = 0; h < qt; h++) {
      const x = order[h];
      const js = jobSucc[x];
      if (js >= 0 && --indeg[js] === 0) order[qt++] = js;
      const ms = mSucc[x];
      if (ms >= 0 && --indeg[ms] === 0) order[qt++] = ms;
    }
    if (qt !== n) return false;
    const { release, hasRelease } = this.c;
    let cmax = 0;
    for (let h = 0; h < n; h++) {
      const x = order[h];
      let r = 0;
      const jp = jobPred[x];
      if (jp >= 0) r = head[jp] + dur[jp];
      const mp = mPred[x];
      if (mp >= 0) {
        const e = head[mp] + dur[mp];
        if (e > r) r = e;
      } else if (hasRelease && release[this.mach[x]] > r) r = release[this.mach[x]];
      head[x] = r;
      if (r + dur[x] > cmax) cmax = r + dur[x];
      this.prefixEnd[h] = cmax;
      this.orderIdx[x] = h;
    }
    for (let h = n - 1; h >= 0; h--) {
      const x = order[h];
      let q = 0;
      const js = jobSucc[x];
      if (js >= 0) q = tail[js] + dur[js];
      const ms = mSucc[x];
      if (ms >= 0) {
        const e = tail[ms] + dur[ms];
        if (e > q) q = e;
      }
      tail[x] = q;
    }
    this.cmax = cmax;
    return true;
  }

  /** Heads/tails of the graph with v removed (into rm/qm); returns that graph's makespan. */
  private removeAndEvaluate(v: number): number {
    // Operations before v in the topological order are not its descendants: their heads are unchanged;
    // likewise the tails of the operations after v.
    const { n, order, rm, qm, dur, mPred, mSucc } = this;
    const { jobPred, jobSucc } = this.c;
    const jpv = jobPred[v];
    const mpv = mPred[v];
    const jsv = jobSucc[v];
    const msv = mSucc[v];
    const iv = this.orderIdx[v];
    rm.set(this.head);
    qm.set(this.tail);
    const { release, hasRelease } = this.c;
    let cmax = iv > 0 ? this.prefixEnd[iv - 1] : 0;
    for (let h = iv + 1; h < n; h++) {
      const x = order[h];
      let r = 0;
      let jp = jobPred[x];
      if (jp === v) jp = jpv;
      if (jp >= 0) r = rm[jp] + dur[jp];
      let mp = mPred[x];
      if (mp === v) mp = mpv;
      if (mp >= 0) {
        const e = rm[mp] + dur[mp];
        if (e > r) r = e;
      } else if (hasRelease && release[this.mach[x]] > r) r = release[this.mach[x]];
      rm[x] = r;
      if (r + dur[x] > cmax) cmax = r + dur[x];
    }
    for (let h = iv - 1; h >= 0; h--) {
      const x = order[h];
      let q = 0;
      let js = jobSucc[x];
      if (js === v) js = jsv;
      if (js >= 0) q = qm[js] + dur[js];
      let ms = mSucc[x];
      if (ms === v) ms = msv;
      if (ms >= 0) {
        const e = qm[ms] + dur[ms];
        if (e > q) q = e;
      }
      qm[x] = q;
    }
    return cmax;
  }

  /** Key of the machine arc a -> b on machine k; -1 stands for the machine's start (as a) or end (as b). */
  private arcKey(a: number, b: number, k: number): number {
    return (a >= 0 ? a : this.n + k) * this.keySpan + (b >= 0 ? b : this.n + k);
  }

  private isTabu(key: number): boolean {
    const t = this.tabu;
    const until = t instanceof Map ? (t.get(key) ?? 0) : t[key];
    return until > this.iteration;
  }

  private setTabu(key: number, until: number): void {
    const t = this.tabu;
    if (t instanceof Map) t.set(key, until);
    else t[key] = until;
  }

  // Best move found by the last scan.
  private mvOp = -1;
  private mvMachine = -1;
  private mvPos = -1;
  private mvValue = 0;

  /**
   * Scans the neighbourhood. When `randomMove` is set, picks a uniformly random feasible insertion of a
   * random operation instead (used for perturbation). Returns false if no move exists.
   */
  private scan(bestKnown: number): boolean {
    const { n, c, rm, qm, dur, critical, seqs, mach, pos, head, tail, cmax, rng } = this;
    const { jobPred, jobSucc, altStart, altMachine, altDuration } = c;
    let nc = 0;
    for (let x = 0; x < n; x++) if (head[x] + dur[x] + tail[x] === cmax) critical[nc++] = x;
    let bestVal = Infinity;
    let bestEst = Infinity;
    let ties = 0;
    let tabuVal = Infinity;
    let tabuEst = Infinity;
    let tOp = -1;
    let tMachine = -1;
    let tPos = -1;
    this.mvOp = -1;
    for (let ci = 0; ci < nc; ci++) {
      const v = critical[ci];
      const cMinus = this.removeAndEvaluate(v);
      const jpv = jobPred[v];
      const jsv = jobSucc[v];
      const rv = jpv >= 0 ? rm[jpv] + dur[jpv] : 0;
      const qv = jsv >= 0 ? qm[jsv] + dur[jsv] : 0;
      const closingTabu = this.isTabu(this.arcKey(this.mPred[v], this.mSucc[v], mach[v]));
      for (let a = altStart[v]; a < altStart[v + 1]; a++) {
        const k = altMachine[a];
        const p = altDuration[a];
        if (rv + p + qv > bestVal && rv + p + qv > tabuVal) continue;
        const seq = seqs[k];
        const own = k === mach[v];
        const skip = own ? pos[v] : -1;
        const len = own ? seq.length - 1 : seq.length;
        let lo = 0;
        while (lo < len) {
          const x = seq[own && lo >= skip ? lo + 1 : lo];
          if (rm[x] + dur[x] > rv) break;
          lo++;
        }
        let hi = len;
        while (hi > 0) {
          const x = seq[own && hi - 1 >= skip ? hi : hi - 1];
          if (dur[x] + qm[x] > qv) break;
          hi--;
        }
        if (lo > hi) {
          const t = lo;
          lo = hi;
          hi = t;
        }
        for (let i = lo; i <= hi; i++) {
          if (i === skip) continue;
          const u = i > 0 ? seq[own && i - 1 >= skip ? i : i - 1] : -1;
          const w = i < len ? seq[own && i >= skip ? i + 1 : i] : -1;
          let s = rv;
          if (u >= 0) {
            if (rm[u] + dur[u] > s) s = rm[u] + dur[u];
          } else if (c.release[k] > s) s = c.release[k];
          let t = qv;
          if (w >= 0 && dur[w] + qm[w] > t) t = dur[w] + qm[w];
          const est = s + p + t;
          const val = est > cMinus ? est : cMinus;
          const tabu = closingTabu || this.isTabu(this.arcKey(u, v, k)) || this.isTabu(this.arcKey(v, w, k));
          if (tabu && val >= bestKnown) {
            if (val < tabuVal || (val === tabuVal && est < tabuEst)) {
              tabuVal = val;
              tabuEst = est;
              tOp = v;
              tMachine = k;
              tPos = i;
            }
            continue;
          }
          // Exact makespan first, then the longest path through v (prefer relieving v's paths).
          if (val < bestVal || (val === bestVal && est < bestEst)) {
            bestVal = val;
            bestEst = est;
            ties = 1;
          } else if (val === bestVal && est === bestEst) {
            ties++;
            if (rng.next() * ties >= 1) continue;
          } else continue;
          this.mvOp = v;
          this.mvMachine = k;
          this.mvPos = i;
          this.mvValue = val;
        }
      }
    }
    if (this.mvOp < 0 && tOp >= 0) {
      this.mvOp = tOp;
      this.mvMachine = tMachine;
      this.mvPos = tPos;
      this.mvValue = tabuVal;
    }
    return this.mvOp >= 0;
  }

  /** Moves v to machine k at index i of k's sequence without v. */
  private apply(v: number, k: number, i: number, tenure: number): void {
    const k0 = this.mach[v];
    const u0 = this.mPred[v];
    const w0 = this.mSucc[v];
    this.seqs[k0].splice(this.pos[v], 1);
    const u = i > 0 ? this.seqs[k][i - 1] : -1;
    const w = i < this.seqs[k].length ? this.seqs[k][i] : -1;
    this.seqs[k].splice(i, 0, v);
    this.mach[v] = k;
    this.dur[v] = this.c.durationOn[v * this.m + k]!;
    this.reindex(k0);
    if (k !== k0) this.reindex(k);
    if (tenure > 0) {
      const until = this.iteration + tenure;
      this.setTabu(this.arcKey(u0, v, k0), until);
      this.setTabu(this.arcKey(v, w0, k0), until);
      this.setTabu(this.arcKey(u, w, k), until);
    }
  }

  /** One tabu iteration. Returns false when there is no move at all (no critical op can move). */
  step(bestKnown: number, tenure: number): boolean {
    this.iteration++;
    if (!this.scan(bestKnown)) return false;
    this.apply(this.mvOp, this.mvMachine, this.mvPos, tenure);
    if (!this.evaluate()) throw new Error('internal error: tabu move created a cycle');
    if (this.cmax !== this.mvValue) throw new Error(`internal error: move value ${this.mvValue} != makespan ${this.cmax}`);
    return true;
  }

  /** Applies `count` random feasible insertions (critical operations preferred). */
  perturb(count: number): void {
    const { n, c, rm, qm, dur, seqs, mach, pos, rng } = this;
    for (let s = 0; s < count; s++) {
      let v = rng.int(0, n - 1);
      if (rng.next() < 0.7) {
        let nc = 0;
        for (let x = 0; x < n; x++) if (this.head[x] + dur[x] + this.tail[x] === this.cmax) this.critical[nc++] = x;
        if (nc > 0) v = this.critical[rng.int(0, nc - 1)]!;
      }
      this.removeAndEvaluate(v);
      const jpv = c.jobPred[v];
      const jsv = c.jobSucc[v];
      const rv = jpv >= 0 ? rm[jpv] + dur[jpv] : 0;
      const qv = jsv >= 0 ? qm[jsv] + dur[jsv] : 0;
      const a = rng.int(c.altStart[v], c.altStart[v + 1] - 1);
      const k = c.altMachine[a];
      const seq = seqs[k];
      const own = k === mach[v];
      const skip = own ? pos[v] : -1;
      const len = own ? seq.length - 1 : seq.length;
      let lo = 0;
      while (lo < len && rm[seq[own && lo >= skip ? lo + 1 : lo]] + dur[seq[own && lo >= skip ? lo + 1 : lo]] <= rv) lo++;
      let hi = len;
      while (hi > 0) {
        const x = seq[own && hi - 1 >= skip ? hi : hi - 1];
        if (dur[x] + qm[x] > qv) break;
        hi--;
      }
      if (lo > hi) [lo, hi] = [hi, lo];
      this.apply(v, k, rng.int(lo, hi), 0);
      if (!this.evaluate()) throw new Error('internal error: perturbation created a cycle');
    }
  }
}
