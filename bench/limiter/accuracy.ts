/**
 * Replays every decision of a run through the reference algorithms (the code the limiter
 * vectors pin) and counts the server's false allows and false denies. Decisions on one key that
 * share a `now` are compared as a group (how many were allowed), since their order within the
 * same millisecond is not observable from outside.
 *
 * A denial answered from a server's cache of Redis denials (`store: "cache"`) never reached the
 * store, so it changed no state there: the replay checks it without consuming (was the key
 * denied at that moment?) instead of stepping the reference's state as a consume would. Stepping
 * it would change nothing but the rounding of the stored token count (a denied consume stores
 * the refilled count and its time), and at the exact millisecond a token comes back that
 * rounding decided one decision either way: with the cache, Redis and the replay took different
 * steps, and the replay reported a false allow and a false deny in pairs (0.002-0.028% of B's
 * decisions at 50 000 checks/s; none with DENY_CACHE_MS=0).
 */
import { decide, initialState, type Policy } from '../../src/core/index.js';

interface KeyLog {
  now: number[];
  allowed: number[];
  /** 1: a denial from the server's cache of Redis denials. */
  cached: number[];
}

export interface Accuracy {
  decisions: number;
  falseAllows: number;
  falseDenies: number;
  falseAllowPct: number;
  falseDenyPct: number;
}

/** Decisions of cost 1 on keys of one policy. */
export class DecisionLog {
  private readonly keys = new Map<string, KeyLog>();
  count = 0;

  constructor(readonly policy: Policy) {}

  add(key: string, now: number, allowed: boolean, store?: string): void {
    let log = this.keys.get(key);
    if (log === undefined) {
      log = { now: [], allowed: [], cached: [] };
      this.keys.set(key, log);
    }
    log.now.push(now);
    log.allowed.push(allowed ? 1 : 0);
    log.cached.push(store === 'cache' ? 1 : 0);
    this.count++;
  }

  replay(): Accuracy {
    let falseAllows = 0;
    let falseDenies = 0;
    for (const log of this.keys.values()) {
      const order = log.now.map((_, i) => i).sort((a, b) => (log.now[a] as number) - (log.now[b] as number) || a - b);
      const state = initialState(this.policy, log.now[order[0] as number] as number);
      for (let i = 0; i < order.length;) {
        const now = log.now[order[i] as number] as number;
        let served = 0;
        let reference = 0;
        for (; i < order.length && log.now[order[i] as number] === now; i++) {
          const k = order[i] as number;
          served += log.allowed[k] as number;
          if (decide(state, this.policy, now, 1, log.cached[k] === 0).allowed) reference++;
        }
        if (served > reference) falseAllows += served - reference;
        else falseDenies += reference - served;
      }
    }
    const pct = (n: number) => (this.count ? (n / this.count) * 100 : 0);
    return {
      decisions: this.count,
      falseAllows,
      falseDenies,
      falseAllowPct: pct(falseAllows),
      falseDenyPct: pct(falseDenies),
    };
  }
}
