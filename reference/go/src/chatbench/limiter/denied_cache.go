package limiter

import (
	"math"
	"sync"
)

// deniedCache is src/core/limiter/denied-cache.ts: a Redis denial for cost c answers further
// calls on its key with cost >= c locally (store "cache") until its retryAfterMs, counted from
// when the deciding command was sent, or maxMs has passed.
type deniedCache struct {
	mu         sync.Mutex
	denials    map[string]denial
	maxMs      float64
	maxEntries int
	clock      func() float64
}

type denial struct {
	decision  StoreDecision
	cost      float64
	at, until float64
}

func newDeniedCache(maxMs float64, clock func() float64) *deniedCache {
	return &deniedCache{denials: map[string]denial{}, maxMs: maxMs, maxEntries: 100000, clock: clock}
}

// get is a still-valid denial of key at cost, its times moved on to now.
func (c *deniedCache) get(key string, cost float64) (StoreDecision, bool) {
	if c.maxMs <= 0 {
		return StoreDecision{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.denials[key]
	if !ok {
		return StoreDecision{}, false
	}
	now := c.clock()
	if now >= d.until {
		delete(c.denials, key)
		return StoreDecision{}, false
	}
	if cost < d.cost {
		return StoreDecision{}, false
	}
	passed := now - d.at
	return StoreDecision{
		Decision: Decision{
			Remaining:    d.decision.Remaining,
			RetryAfterMs: math.Max(1, d.decision.RetryAfterMs-passed),
			ResetMs:      math.Max(0, d.decision.ResetMs-passed),
		},
		Now:   d.decision.Now + passed,
		Store: storeCache,
	}, true
}

// put records a denial from Redis; askedAt is this clock's time when its command was sent.
func (c *deniedCache) put(key string, cost float64, d StoreDecision, askedAt float64) {
	if c.maxMs <= 0 || d.Allowed {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, had := c.denials[key]; !had && len(c.denials) >= c.maxEntries {
		for oldest := range c.denials { // (any one: a Go map keeps no order)
			delete(c.denials, oldest)
			break
		}
	}
	c.denials[key] = denial{decision: d, cost: cost, at: c.clock(), until: askedAt + math.Min(c.maxMs, d.RetryAfterMs)}
}
