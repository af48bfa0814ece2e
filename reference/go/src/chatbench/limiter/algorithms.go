package limiter

import "math"

// Algorithm names, as in policies and decisions.
const (
	TokenBucket   = "token_bucket"
	SlidingWindow = "sliding_window"
)

// State is one key's state: a token bucket's (Tokens, TS) or a sliding window's
// (Start, Cur, Prev), by its policy's algorithm.
type State struct {
	Tokens float64
	TS     float64
	Start  float64
	Cur    float64
	Prev   float64
}

// Decision is what an algorithm answers for one call (docs/LIMITER.md, "Algorithms").
type Decision struct {
	Allowed      bool
	Remaining    float64
	RetryAfterMs float64
	ResetMs      float64
}

// InitialState is the state of a key never seen: a full bucket at now, or empty windows.
func InitialState(p *Policy, now float64) State {
	if p.Algorithm == TokenBucket {
		return State{Tokens: p.Capacity, TS: now}
	}
	return State{}
}

// Decide decides one call at now (integer ms) and, when consume, updates s in place.
func Decide(s *State, p *Policy, now, cost float64, consume bool) Decision {
	if p.Algorithm == TokenBucket {
		return decideTokenBucket(s, p.Capacity, p.RefillPerSec, now, cost, consume)
	}
	return decideSlidingWindow(s, p.Limit, p.WindowMs, now, cost, consume)
}

// decideTokenBucket is src/core/limiter/algorithms/token-bucket.ts: IEEE doubles in its order.
func decideTokenBucket(s *State, capacity, rate, now, cost float64, consume bool) Decision {
	elapsed := 0.0
	if now > s.TS {
		elapsed = now - s.TS
	}
	t := math.Min(capacity, s.Tokens+elapsed*rate/1000)
	allowed := t >= cost
	after := t
	if consume && allowed {
		after = t - cost
	}
	if consume {
		s.Tokens = after
		if now > s.TS {
			s.TS = now
		}
	}
	retry := 0.0
	if !allowed {
		retry = math.Ceil((cost - t) * 1000 / rate)
	}
	return Decision{
		Allowed:      allowed,
		Remaining:    math.Floor(after),
		RetryAfterMs: retry,
		ResetMs:      math.Ceil((capacity - after) * 1000 / rate),
	}
}

// decideSlidingWindow is src/core/limiter/algorithms/sliding-window.ts: integers held exactly
// in doubles (L * W <= 2^50).
func decideSlidingWindow(s *State, limit, window, now, cost float64, consume bool) Decision {
	W, L := window, limit
	t := now
	if s.Start > t {
		t = s.Start
	}
	start := t - math.Mod(t, W)
	cur, prev := 0.0, 0.0
	if s.Start == start {
		cur, prev = s.Cur, s.Prev
	} else if s.Start == start-W {
		prev = s.Cur
	}
	elapsed := t - start
	weighted := prev*(W-elapsed) + cur*W
	allowed := weighted+cost*W <= L*W
	if allowed && consume {
		cur += cost
	}
	after := prev*(W-elapsed) + cur*W
	retry := 0.0
	if !allowed {
		if cur+cost <= L {
			retry = W - math.Floor((L-cur-cost)*W/prev) - elapsed
		} else {
			retry = start + W - t + W - math.Floor((L-cost)*W/cur)
		}
	}
	if consume {
		s.Start, s.Cur, s.Prev = start, cur, prev
	}
	remaining := 0.0
	if after < L*W {
		remaining = math.Floor((L*W - after) / W)
	}
	reset := 0.0
	if cur > 0 {
		reset = start + 2*W - t
	} else if prev > 0 {
		reset = start + W - t
	}
	return Decision{Allowed: allowed, Remaining: remaining, RetryAfterMs: retry, ResetMs: reset}
}

// MergeStates is the more restrictive of two views of one key's state (algorithms/index.ts).
func MergeStates(mine, theirs State, p *Policy, now float64) State {
	if p.Algorithm == TokenBucket {
		at := math.Max(now, math.Max(mine.TS, theirs.TS))
		refilled := func(s State) float64 { return math.Min(p.Capacity, s.Tokens+(at-s.TS)*p.RefillPerSec/1000) }
		if refilled(theirs) < refilled(mine) {
			return State{Tokens: theirs.Tokens, TS: theirs.TS}
		}
		return State{Tokens: mine.Tokens, TS: mine.TS}
	}
	W := p.WindowMs
	t := math.Max(now, math.Max(mine.Start, theirs.Start))
	start := t - math.Mod(t, W)
	cur := func(s State) float64 {
		if s.Start == start {
			return s.Cur
		}
		return 0
	}
	prev := func(s State) float64 {
		if s.Start == start {
			return s.Prev
		}
		if s.Start == start-W {
			return s.Cur
		}
		return 0
	}
	return State{Start: start, Cur: math.Max(cur(mine), cur(theirs)), Prev: math.Max(prev(mine), prev(theirs))}
}

// Spend counts a call of cost allowed elsewhere into s at now, room or not; reports whether it
// had room.
func Spend(s *State, p *Policy, now, cost float64) bool {
	if Decide(s, p, now, cost, true).Allowed {
		return true
	}
	if p.Algorithm == TokenBucket {
		s.Tokens -= cost
	} else {
		s.Cur += cost
	}
	return false
}
