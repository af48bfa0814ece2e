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
 *
 * A second replay follows the server instead of itself: every call the server allowed is spent,
 * whether or not the key had room, so a key can owe calls (a bucket below 0, windows above the
 * limit). Each call by which a key's debt grows past its largest since it last had room is an
 * over-limit allowance: a call the limit had no room for, given every allowance before it. A
 * key kept one call over its limit counts one, however long it stays there. It tells "allowed
 * more than the limit" from "allowed other calls than one limiter would have" (instances sharing
 * a limit cannot know which of them saw a key's next call first, so they allow the same number
 * of calls at other moments: false allows and false denies in pairs, but no over-limit
 * allowance).
 */
import { type AlgorithmState, decide, initialState, type Policy, spend } from '../../src/core/index.js';

interface KeyLog {
  /** Over-limit replay: the largest debt (calls) since the key last had room. */
  peak: number;
  now: number[];
  allowed: number[];
  /** 1: a denial from the server's cache of Redis denials. */
  cached: number[];
}

export interface Accuracy {
  decisions: number;
  falseAllows: number;
  falseDenies: number;
  /** Allowances the key had no room for, given every allowance the server made before. */
  overLimitAllows: number;
  falseAllowPct: number;
  falseDenyPct: number;
  overLimitPct: number;
}

/** The same counts, by phase of the run: phase i holds the decisions from boundary i - 1 to i. */
export interface PhasedAccuracy extends Accuracy {
  byPhase: Accuracy[];
}

/** Token counts closer than this are the same count, in another order of arithmetic. */
const ROUNDING = 1e-9;

/** Decisions of cost 1 on keys of one policy. */
export class DecisionLog {
  private readonly keys = new Map<string, KeyLog>();
  count = 0;

  constructor(readonly policy: Policy) {}

  add(key: string, now: number, allowed: boolean, store?: string): void {
    let log = this.keys.get(key);
    if (log === undefined) {
      log = { peak: 0, now: [], allowed: [], cached: [] };
      this.keys.set(key, log);
    }
    log.now.push(now);
    log.allowed.push(allowed ? 1 : 0);
    log.cached.push(store === 'cache' ? 1 : 0);
    this.count++;
  }

  /**
   * Replays every key's decisions; `boundaries` (server times, ascending) split the counts into
   * phases: a decision at `now` is in the first phase whose boundary is above `now`, or the last.
   */
  replay(boundaries: readonly number[] = []): PhasedAccuracy {
    const phases = Array.from({ length: boundaries.length + 1 }, () => ({
      decisions: 0,
      falseAllows: 0,
      falseDenies: 0,
      overLimitAllows: 0,
    }));
    const phaseOf = (now: number) => {
      let i = 0;
      while (i < boundaries.length && now >= (boundaries[i] as number)) i++;
      return phases[i] as (typeof phases)[number];
    };
    for (const log of this.keys.values()) {
      const order = log.now.map((_, i) => i).sort((a, b) => (log.now[a] as number) - (log.now[b] as number) || a - b);
      const state = initialState(this.policy, log.now[order[0] as number] as number);
      const spent = initialState(this.policy, log.now[order[0] as number] as number);
      for (let i = 0; i < order.length;) {
        const now = log.now[order[i] as number] as number;
        const phase = phaseOf(now);
        let served = 0;
        let reference = 0;
        for (; i < order.length && log.now[order[i] as number] === now; i++) {
          const k = order[i] as number;
          served += log.allowed[k] as number;
          phase.decisions++;
          if (decide(state, this.policy, now, 1, log.cached[k] === 0).allowed) reference++;
        }
        if (served > reference) phase.falseAllows += served - reference;
        else phase.falseDenies += reference - served;
        for (let n = 0; n < served; n++) {
          const debt = this.spend(spent, now);
          if (debt === 0) log.peak = 0;
          else if (debt > log.peak) {
            phase.overLimitAllows += debt - log.peak;
            log.peak = debt;
          }
        }
      }
    }
    const total = phases.reduce(
      (sum, p) => ({
        decisions: sum.decisions + p.decisions,
        falseAllows: sum.falseAllows + p.falseAllows,
        falseDenies: sum.falseDenies + p.falseDenies,
        overLimitAllows: sum.overLimitAllows + p.overLimitAllows,
      }),
      { decisions: 0, falseAllows: 0, falseDenies: 0, overLimitAllows: 0 },
    );
    return { ...withShares(total), byPhase: phases.map(withShares) };
  }

  /**
   * Spends one call the server allowed at `now`, room or not; returns the key's debt after it,
   * in whole calls (0 while the limit had room for it).
   */
  private spend(state: AlgorithmState, now: number): number {
    if (spend(state, this.policy, now, 1)) return 0;
    // a bucket a rounding error short of a token (another order of refills gives another last
    // bit) owes nothing
    if ('tokens' in state) return Math.max(0, Math.ceil(-state.tokens - ROUNDING));
    const { limit: L, windowMs: W } = this.policy as { limit: number; windowMs: number };
    const t = Math.max(now, state.start);
    const weighted = state.prev * (W - (t - state.start)) + state.cur * W;
    return Math.max(0, Math.ceil((weighted - L * W) / W));
  }
}

function withShares(counts: Omit<Accuracy, 'falseAllowPct' | 'falseDenyPct' | 'overLimitPct'>): Accuracy {
  const pct = (n: number) => (counts.decisions ? (n / counts.decisions) * 100 : 0);
  return {
    ...counts,
    falseAllowPct: pct(counts.falseAllows),
    falseDenyPct: pct(counts.falseDenies),
    overLimitPct: pct(counts.overLimitAllows),
  };
}
