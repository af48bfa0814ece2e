package chat

import "math"

// bucket is one connection's token bucket (docs/CONTRACT.md, Rate limit), computed exactly as
// Profile B's MemoryLimiterStore computes it: IEEE doubles in the contract's order, a clock that
// steps back adds nothing, and a state left until it would be full again is a fresh full bucket.
// Only its connection's reader goroutine touches it.
type bucket struct {
	capacity, refillPerSec float64
	tokens                 float64
	ts                     int64
	expiresAt              int64
	used                   bool
}

func newBucket(capacity, refillPerSec int) bucket {
	return bucket{capacity: float64(capacity), refillPerSec: float64(refillPerSec)}
}

// take charges one token at now (Unix milliseconds). It reports whether the frame is allowed,
// and when it is not, the retryAfterMs of the rate_limited error.
func (b *bucket) take(now int64) (bool, int64) {
	if !b.used || b.expiresAt <= now {
		b.tokens, b.ts, b.used = b.capacity, now, true
	}
	var elapsed int64
	if now > b.ts {
		elapsed = now - b.ts
	}
	// explicit conversions round each step: no fused multiply-add
	t := math.Min(b.capacity, b.tokens+float64(float64(elapsed)*b.refillPerSec)/1000)
	allowed := t >= 1
	after := t
	if allowed {
		after = t - 1
	}
	b.tokens = after
	if now > b.ts {
		b.ts = now
	}
	b.expiresAt = now + int64(math.Ceil(float64((b.capacity-after)*1000)/b.refillPerSec))
	if allowed {
		return true, 0
	}
	return false, int64(math.Ceil(float64((1-t)*1000) / b.refillPerSec))
}
