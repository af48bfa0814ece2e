#!/usr/bin/env python3
"""Writes test/vectors/limiter.json from an independent implementation of docs/LIMITER.md.

The reference here is written from the specification, in another language than the stores it
checks (the TypeScript memory store and the Redis Lua script), so that the vectors pin the
specification and not one implementation. Python floats are IEEE-754 doubles, like JavaScript
numbers and Lua numbers.

    python3 test/vectors/generate_limiter_vectors.py
"""
import json
import math
import pathlib


def token_bucket(state, p, now, cost, consume):
    C, R = p["capacity"], p["refillPerSec"]
    tokens, ts = state if state else (C, now)
    elapsed = now - ts if now > ts else 0
    t = min(C, tokens + elapsed * R / 1000)
    allowed = t >= cost
    after = t - cost if consume and allowed else t
    new = (after, max(ts, now)) if consume else state
    return new, {
        "allowed": allowed,
        "remaining": math.floor(after),
        "retryAfterMs": 0 if allowed else math.ceil((cost - t) * 1000 / R),
        "resetMs": math.ceil((C - after) * 1000 / R),
    }


def sliding_window(state, p, now, cost, consume):
    L, W = p["limit"], p["windowMs"]
    s, c, pr = state if state else (0, 0, 0)
    t = max(now, s)
    start = t // W * W
    cur, prev = (c, pr) if s == start else ((0, c) if s == start - W else (0, 0))
    elapsed = t - start
    weighted = prev * (W - elapsed) + cur * W
    allowed = weighted + cost * W <= L * W
    if allowed and consume:
        cur += cost
    after = prev * (W - elapsed) + cur * W
    retry = 0
    if not allowed:
        if cur + cost <= L:
            retry = W - (L - cur - cost) * W // prev - elapsed
        else:
            retry = (start + W - t) + W - (L - cost) * W // cur
    reset = start + 2 * W - t if cur > 0 else (start + W - t if prev > 0 else 0)
    new = (start, cur, prev) if consume else state
    return new, {
        "allowed": allowed,
        "remaining": max(0, (L * W - after) // W),
        "retryAfterMs": retry,
        "resetMs": reset,
    }


POLICIES = [
    {"name": "tb-10-10", "algorithm": "token_bucket", "scope": ["client"], "capacity": 10, "refillPerSec": 10},
    {"name": "tb-3-3", "algorithm": "token_bucket", "scope": ["client"], "capacity": 3, "refillPerSec": 3},
    {"name": "tb-5-0.5", "algorithm": "token_bucket", "scope": ["client"], "capacity": 5, "refillPerSec": 0.5},
    {"name": "tb-100-7", "algorithm": "token_bucket", "scope": ["client"], "capacity": 100, "refillPerSec": 7},
    {"name": "sw-5-1000", "algorithm": "sliding_window", "scope": ["ip"], "limit": 5, "windowMs": 1000},
    {"name": "sw-100-60000", "algorithm": "sliding_window", "scope": ["ip"], "limit": 100, "windowMs": 60000},
    {"name": "sw-3-7", "algorithm": "sliding_window", "scope": ["ip"], "limit": 3, "windowMs": 7},
]
BY_NAME = {p["name"]: p for p in POLICIES}

T0 = 1_764_403_200_000  # 2025-11-29T08:00:00Z, a multiple of every window below


def case(name, policy, steps):
    """steps: (now, op, cost) with op 'consume' or 'check'; one key per case."""
    return {"name": name, "policy": policy, "key": f"vec:{name}", "steps": [{"now": n, "op": op, "cost": c} for n, op, c in steps]}


def c(now, cost=1):
    return (now, "consume", cost)


def k(now, cost=1):
    return (now, "check", cost)


CASES = [
    case("tb new key peek", "tb-10-10", [k(T0), k(T0, 10)]),
    case("tb burst of capacity then denied", "tb-10-10", [c(T0)] * 10 + [c(T0), k(T0), c(T0 + 1)]),
    case("tb refill fraction by fraction", "tb-10-10", [c(T0, 10), c(T0 + 50), c(T0 + 99), c(T0 + 100), c(T0 + 150), c(T0 + 200), c(T0 + 201)]),
    case("tb denied call keeps its refill", "tb-10-10", [c(T0, 10), c(T0 + 30), c(T0 + 60), c(T0 + 90), c(T0 + 100)]),
    case("tb capped at capacity after idle", "tb-10-10", [c(T0, 10), k(T0 + 3_600_000), c(T0 + 3_600_000, 10), c(T0 + 3_600_000)]),
    case("tb cost above one", "tb-10-10", [c(T0, 4), c(T0, 4), c(T0, 4), k(T0, 2), c(T0, 2), c(T0 + 350, 4), c(T0 + 400, 4)]),
    case("tb peeks between consumes change nothing", "tb-10-10", [c(T0, 9), k(T0 + 10), k(T0 + 10, 2), c(T0 + 20), k(T0 + 20), c(T0 + 20)]),
    case("tb fractional rounding 3/s", "tb-3-3", [c(T0, 3), c(T0 + 100), c(T0 + 333), c(T0 + 334), c(T0 + 667), c(T0 + 1000), c(T0 + 1001)]),
    case("tb slow refill 0.5/s", "tb-5-0.5", [c(T0, 5), c(T0 + 1000), c(T0 + 1999), c(T0 + 2000), c(T0 + 2001), k(T0 + 30_000, 5)]),
    case("tb odd rate 7/s", "tb-100-7", [c(T0, 100), c(T0 + 142), c(T0 + 143), c(T0 + 1000, 6), c(T0 + 1001, 2), c(T0 + 5000, 30)]),
    case("tb clock steps back", "tb-10-10", [c(T0 + 1000, 10), c(T0 + 900), c(T0 + 1100), c(T0 + 1100)]),
    case("sw new key peek", "sw-5-1000", [k(T0), k(T0 + 999, 5)]),
    case("sw fill one window", "sw-5-1000", [c(T0 + 100), c(T0 + 200), c(T0 + 300), c(T0 + 400), c(T0 + 500), c(T0 + 600), k(T0 + 999)]),
    case("sw previous window weighs in", "sw-5-1000", [c(T0 + 900, 5), c(T0 + 1000), c(T0 + 1199), c(T0 + 1200), c(T0 + 1400), c(T0 + 1599), c(T0 + 1600), k(T0 + 1700)]),
    case("sw window boundaries", "sw-5-1000", [c(T0 + 999, 5), c(T0 + 1000), c(T0 + 1999), c(T0 + 2000), c(T0 + 2000, 4), c(T0 + 2001)]),
    case("sw skipped windows forget", "sw-5-1000", [c(T0 + 10, 5), c(T0 + 2000, 5), c(T0 + 2001), c(T0 + 5500, 5), k(T0 + 5600)]),
    case("sw cost above one", "sw-5-1000", [c(T0, 3), c(T0, 3), c(T0, 2), c(T0 + 1500, 3), c(T0 + 1500, 2), c(T0 + 1750, 4)]),
    case("sw retry when the current window alone is full", "sw-5-1000", [c(T0 + 200, 2), c(T0 + 1100, 3), c(T0 + 1150, 3), c(T0 + 1150, 1), c(T0 + 1599)]),
    case("sw peeks between consumes change nothing", "sw-5-1000", [c(T0, 4), k(T0 + 1), k(T0 + 1, 2), c(T0 + 2), k(T0 + 3), c(T0 + 4)]),
    case("sw large window", "sw-100-60000", [c(T0 + 59_000, 60), c(T0 + 59_500, 40), c(T0 + 60_000), c(T0 + 90_000, 50), c(T0 + 90_001), c(T0 + 100_000, 5), k(T0 + 179_999, 100)]),
    case("sw tiny window", "sw-3-7", [c(T0, 3), c(T0 + 1), c(T0 + 7), c(T0 + 9), c(T0 + 10), c(T0 + 14, 3), c(T0 + 30)]),
    case("sw clock steps back", "sw-5-1000", [c(T0 + 1500, 5), c(T0 + 900), c(T0 + 1600), k(T0 + 2400)]),
]

ALGORITHMS = {"token_bucket": token_bucket, "sliding_window": sliding_window}


def main():
    for cs in CASES:
        policy = BY_NAME[cs["policy"]]
        state = None
        for step in cs["steps"]:
            state, step["expect"] = ALGORITHMS[policy["algorithm"]](state, policy, step["now"], step["cost"], step["op"] == "consume")
    doc = {
        "description": (
            "Limiter vectors (docs/LIMITER.md). Each case runs on one fresh key of a store that "
            "decides at the injected `now`: apply the steps in order (`consume` spends, `check` "
            "peeks) and compare each answer with `expect`. Written by "
            "test/vectors/generate_limiter_vectors.py from an independent implementation."
        ),
        "policies": POLICIES,
        "cases": CASES,
    }
    out = pathlib.Path(__file__).with_name("limiter.json")
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{out}: {len(CASES)} cases, {sum(len(c['steps']) for c in CASES)} steps")


if __name__ == "__main__":
    main()
