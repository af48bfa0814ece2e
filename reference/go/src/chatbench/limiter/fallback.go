package limiter

import (
	"crypto/rand"
	"fmt"
	"sync"
	"time"
)

// fallbackStore is src/core/limiter/fallback-limiter.store.ts: Redis behind the circuit
// breaker, the denial cache, and the failure mode (docs/LIMITER.md, "Degrade" and "Fail-over").
// In fail-over, the memory store holds a copy of the state Redis answered for each key this
// instance decided and goes on from it, each call costing N times its cost there (N live
// instances, counted through rl:instances); a key decided here hands its state back with its
// next call to Redis, and every such key is handed back when Redis returns.
type fallbackStore struct {
	mode    string
	primary *redisStore
	local   *MemoryStore
	denials *deniedCache
	clock   func() float64
	// callTimeout: the longest a local decision waits for its key's calls on their way to Redis.
	callTimeout time.Duration
	openMs      float64
	id          string
	stop        chan struct{}
	closeOnce   sync.Once

	mu        sync.Mutex
	breaker   breaker
	epoch     int64 // raised each time decisions leave Redis
	sent      int64 // calls sent to Redis so far
	instances int   // live instances as last counted (this one included)
	inFlight  map[string]float64
	waiting   map[string][]chan struct{}
}

const (
	modeFailOver   = "fail-over"
	modeFailOpen   = "fail-open"
	modeFailClosed = "fail-closed"

	heartbeatEvery = time.Second // an instance counts for three heartbeats
	handBackBatch  = 1000
	connectWait    = 2 * time.Second // how long start-up waits for Redis
)

func newFallbackStore(s settings, h *histogram) Store {
	timeout := time.Duration(s.redisTimeoutMs) * time.Millisecond
	f := &fallbackStore{
		mode:        s.failureMode,
		primary:     newRedisStore(s.redisURL, timeout, h.observe),
		local:       NewMemoryStore(wallClock),
		denials:     newDeniedCache(float64(s.denyCacheMs), wallClock),
		clock:       wallClock,
		callTimeout: timeout,
		openMs:      float64(s.breakerOpenMs),
		id:          newInstanceID(),
		stop:        make(chan struct{}),
		breaker:     breaker{failureThreshold: s.breakerFailures, openMs: float64(s.breakerOpenMs), clock: wallClock},
		epoch:       1,
		instances:   1,
		inFlight:    map[string]float64{},
		waiting:     map[string][]chan struct{}{},
	}
	// start-up waits up to 2 s for Redis, then serves anyway (failing over until it answers)
	for deadline := time.Now().Add(connectWait); f.primary.ping() != nil && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if f.mode == modeFailOver {
		go f.heartbeat()
	}
	return f
}

func newInstanceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0F|0x40, b[8]&0x3F|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// heartbeat counts this instance among the live ones every second (the last count stands
// while Redis is down).
func (f *fallbackStore) heartbeat() {
	ticker := time.NewTicker(heartbeatEvery)
	defer ticker.Stop()
	for {
		if n, err := f.primary.register(f.id, int(3*heartbeatEvery/time.Millisecond), false); err == nil {
			f.mu.Lock()
			f.instances = n
			if f.instances < 1 {
				f.instances = 1
			}
			f.mu.Unlock()
		}
		select {
		case <-f.stop:
			return
		case <-ticker.C:
		}
	}
}

// sentCall is what a call to Redis left with, to keep the local copy exact when it comes back.
type sentCall struct {
	at          int // its place in the caller's list
	stamp, seq  int64
	epoch       int64
	hasHandBack bool
}

// DecideAll decides each call: from the denial cache, from the failure mode while the breaker
// is open, else in Redis, the calls for Redis pipelined in one round trip.
func (f *fallbackStore) DecideAll(calls []resolved, consume bool, out []StoreDecision) {
	remote := make([]remoteCall, 0, len(calls))
	sent := make([]sentCall, 0, len(calls))
	for i := range calls {
		c := &calls[i]
		if d, ok := f.denials.get(c.key, c.cost); ok {
			out[i] = d
			continue
		}
		if f.degraded() {
			f.probe()
			out[i] = f.answerHere(c, consume)
			continue
		}
		rc := remoteCall{resolved: *c, consume: consume}
		sc := sentCall{at: i}
		if f.mode == modeFailOver {
			f.mu.Lock()
			sc.epoch = f.epoch
			f.sent++
			sc.seq = f.sent
			if consume {
				f.inFlight[c.key] += c.cost
			}
			f.mu.Unlock()
			sc.stamp = f.local.stampOf(c.key)
			rc.handBack, rc.hasHandBack = f.local.unsyncedState(c.key, sc.epoch)
			sc.hasHandBack = rc.hasHandBack
		}
		remote = append(remote, rc)
		sent = append(sent, sc)
	}
	if len(remote) == 0 {
		return
	}
	askedAt := f.clock()
	decisions := make([]remoteDecision, len(remote))
	errs := make([]error, len(remote))
	f.primary.decideAll(remote, decisions, errs)
	// every call has come back (answered or failed) before any waits for its key's others
	for j := range remote {
		f.settle(errs[j] == nil)
		if f.mode == modeFailOver && consume {
			f.landed(remote[j].key, remote[j].cost)
		}
	}
	for j := range remote {
		c, sc, d := &remote[j], &sent[j], &decisions[j]
		if errs[j] != nil {
			if f.mode == modeFailOver {
				out[sc.at] = f.failedOver(c, sc, errs[j])
			} else {
				out[sc.at] = f.answerHere(&c.resolved, consume)
			}
			continue
		}
		if !d.Allowed {
			f.denials.put(c.key, c.cost, d.StoreDecision, askedAt)
		}
		if f.mode == modeFailOver && (consume || sc.hasHandBack) {
			served := 0.0
			if consume && d.Allowed {
				served = c.cost
			}
			f.local.adopt(c.key, c.policy, d.state, d.Now, d.ResetMs, sc.stamp, sc.seq, sc.epoch, served)
		}
		out[sc.at] = d.StoreDecision
	}
}

func (f *fallbackStore) degraded() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.breaker.state != breakerClosed
}

// settle tells the breaker how a call to Redis went; on a change, decisions leave Redis (a new
// epoch) or come back to it (every key held here is handed back, in fail-over).
func (f *fallbackStore) settle(succeeded bool) {
	f.mu.Lock()
	before := f.breaker.state != breakerClosed
	if succeeded {
		f.breaker.success()
	} else {
		f.breaker.failure()
	}
	after := f.breaker.state != breakerClosed
	if after && !before {
		f.epoch++
	}
	f.mu.Unlock()
	if before && !after && f.mode == modeFailOver {
		go f.handBackAll()
	}
}

// probe PINGs Redis in the background (never a decision) when the open breaker lets one
// probe through.
func (f *fallbackStore) probe() {
	f.mu.Lock()
	allowed := f.breaker.state != breakerClosed && f.breaker.allow()
	f.mu.Unlock()
	if allowed {
		go func() { f.settle(f.primary.ping() == nil) }()
	}
}

// handBackAll merges every key held here that Redis has not seen since it failed into Redis
// (calls of cost 0), a batch at a time, until all are or Redis fails again.
func (f *fallbackStore) handBackAll() {
	f.mu.Lock()
	epoch := f.epoch
	f.mu.Unlock()
	owed := f.local.unsynced(epoch)
	for len(owed) > 0 {
		n := len(owed)
		if n > handBackBatch {
			n = handBackBatch
		}
		batch := owed[:n]
		owed = owed[n:]
		calls := make([]remoteCall, len(batch))
		stamps := make([]int64, len(batch))
		seqs := make([]int64, len(batch))
		for i, o := range batch {
			calls[i] = remoteCall{resolved: resolved{policy: o.policy, key: o.key}, consume: true, hasHandBack: true, handBack: o.state}
			stamps[i] = f.local.stampOf(o.key)
			f.mu.Lock()
			f.sent++
			seqs[i] = f.sent
			f.mu.Unlock()
		}
		decisions := make([]remoteDecision, len(calls))
		errs := make([]error, len(calls))
		f.primary.decideAll(calls, decisions, errs)
		for i := range calls {
			if errs[i] == nil {
				d := &decisions[i]
				f.local.adopt(calls[i].key, calls[i].policy, d.state, d.Now, d.ResetMs, stamps[i], seqs[i], epoch, 0)
			}
		}
		f.mu.Lock()
		stop := f.breaker.state != breakerClosed || f.epoch != epoch
		f.mu.Unlock()
		if stop {
			return
		}
	}
}

// failedOver answers a call that failed in Redis (fail-over). Calls on its key still on their
// way may yet be applied there: it waits for them. Redis replies in order, so if the call's own
// reply came late meanwhile, the call was applied in Redis after all and Redis' answer is given
// (counted here too); otherwise the fallback decides.
func (f *fallbackStore) failedOver(c *remoteCall, sc *sentCall, err error) StoreDecision {
	if f.hasInFlight(c.key) {
		f.landing(c.key)
	}
	applied, late := lateDecision(err, c.policy.Algorithm == TokenBucket)
	if !late {
		return f.answerHere(&c.resolved, c.consume)
	}
	if c.consume {
		served := 0.0
		if applied.Allowed {
			served = c.cost
		}
		f.local.adopt(c.key, c.policy, applied.state, applied.Now, applied.ResetMs, sc.stamp, sc.seq, sc.epoch, served)
	}
	return applied.StoreDecision
}

// answerHere is the failure mode's answer, after the key's calls on their way to Redis (fail-over).
func (f *fallbackStore) answerHere(c *resolved, consume bool) StoreDecision {
	if f.mode == modeFailOver && f.hasInFlight(c.key) {
		f.landing(c.key)
	}
	now := f.clock()
	switch f.mode {
	case modeFailOpen:
		return StoreDecision{Decision: Decision{Allowed: true, Remaining: c.policy.MaxLimit() - c.cost}, Now: now, Store: storeNone}
	case modeFailClosed:
		return StoreDecision{Decision: Decision{RetryAfterMs: f.openMs}, Now: now, Store: storeNone}
	}
	// this instance's share of what is left: each call costs N times its cost here, and fits
	// after the key's calls still on their way to Redis, if it can
	f.mu.Lock()
	n := float64(f.instances)
	pending := f.inFlight[c.key]
	f.mu.Unlock()
	cost := c.cost
	if pending > 0 && !f.local.Decide(c.key, c.policy, (cost+pending)*n, false).Allowed {
		cost += pending
	}
	d := f.local.Decide(c.key, c.policy, cost*n, consume)
	if n != 1 {
		d.Remaining = jsFloor(d.Remaining / n)
	}
	return d
}

func (f *fallbackStore) hasInFlight(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.inFlight[key]
	return ok
}

// landing waits until the consuming calls on key now on their way to Redis have come back, at
// most one call timeout.
func (f *fallbackStore) landing(key string) {
	ch := make(chan struct{})
	f.mu.Lock()
	f.waiting[key] = append(f.waiting[key], ch)
	f.mu.Unlock()
	timer := time.NewTimer(f.callTimeout)
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
		f.mu.Lock()
		waiters := f.waiting[key]
		for i, w := range waiters {
			if w == ch {
				waiters = append(waiters[:i], waiters[i+1:]...)
				break
			}
		}
		if len(waiters) == 0 {
			delete(f.waiting, key)
		} else {
			f.waiting[key] = waiters
		}
		f.mu.Unlock()
	}
}

// landed: a consuming call of cost on key came back from Redis (answered or failed).
func (f *fallbackStore) landed(key string, cost float64) {
	f.mu.Lock()
	left, ok := f.inFlight[key]
	if !ok {
		left = cost
	}
	if left -= cost; left > 0 {
		f.inFlight[key] = left
		f.mu.Unlock()
		return
	}
	delete(f.inFlight, key)
	waiters := f.waiting[key]
	delete(f.waiting, key)
	f.mu.Unlock()
	for _, ch := range waiters {
		close(ch)
	}
}

// Close stops the heartbeat, leaves rl:instances while Redis decides, closes the connections.
func (f *fallbackStore) Close() {
	f.closeOnce.Do(func() {
		close(f.stop)
		if f.mode == modeFailOver && !f.degraded() {
			_, _ = f.primary.register(f.id, 0, true)
		}
		f.primary.close()
		f.local.Close()
	})
}
