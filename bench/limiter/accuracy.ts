/**
 * Replays every decision of a run through the reference algorithms (the code the limiter
 * vectors pin) and counts the server's false allows and false denies. Decisions on one key that
 * share a `now` are compared as a group (how many were allowed), since their order within the
 * same millisecond is not observable from outside.
 */
import { decide, initialState, type Policy } from '../../src/core/index.js';

interface KeyLog {
  now: number[];
  allowed: number[];
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

  add(key: string, now: number, allowed: boolean): void {
    let log = this.keys.get(key);
    if (log === undefined) {
      log = { now: [], allowed: [] };
      this.keys.set(key, log);
    }
    log.now.push(now);
    log.allowed.push(allowed ? 1 : 0);
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
          served += log.allowed[order[i] as number] as number;
          if (decide(state, this.policy, now, 1, true).allowed) reference++;
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
