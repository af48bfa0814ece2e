package limiter

import "math"

// breakerState is a circuit breaker's state.
type breakerState int

const (
	breakerClosed breakerState = iota
	breakerOpen
	breakerHalfOpen
)

// breaker is src/core/limiter/circuit-breaker.ts: failureThreshold failures in a row open it;
// open, it lets one probe through at the next multiple of openMs on the clock; the probe's
// success closes it. Not safe for concurrent use: its owner locks.
type breaker struct {
	failureThreshold int
	openMs           float64
	clock            func() float64
	failures         int
	openedAt         float64
	probing          bool
	state            breakerState
}

// allow reports whether a call may go to Redis now (claiming the probe when half-open).
func (b *breaker) allow() bool {
	if b.state == breakerClosed {
		return true
	}
	if b.state == breakerOpen {
		if b.clock() < (math.Floor(b.openedAt/b.openMs)+1)*b.openMs {
			return false
		}
		b.state = breakerHalfOpen
		b.probing = false
	}
	if b.probing {
		return false
	}
	b.probing = true
	return true
}

func (b *breaker) success() {
	b.failures = 0
	b.probing = false
	b.state = breakerClosed
}

func (b *breaker) failure() {
	b.probing = false
	if b.state == breakerClosed {
		if b.failures++; b.failures < b.failureThreshold {
			return
		}
	}
	b.state = breakerOpen
	b.openedAt = b.clock()
	b.failures = 0
}
