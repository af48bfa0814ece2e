package limiter

import (
	"sync"
	"time"
)

// memoryEntry is one key's state in a MemoryStore.
type memoryEntry struct {
	state  State
	policy *Policy
	// expiresAt: when the state becomes the same as no state.
	expiresAt float64
	// mark: the fallback's epoch when the state was adopted from Redis; 0 once a call was
	// decided here (the state owes a hand-back).
	mark int64
	// stamp: which call decided here last changed the state; seq: the place of the last call
	// adopted in the order calls left for Redis.
	stamp int64
	seq   int64
}

// MemoryStore is src/core/limiter/memory-limiter.store.ts: a map in the process, one lookup a
// decision; an expired entry reads as absent and one goroutine deletes expired ones,
// sweepBatch keys a tick.
type MemoryStore struct {
	mu      sync.Mutex
	entries map[string]*memoryEntry
	clock   func() float64
	calls   int64
	stop    chan struct{}
	once    sync.Once
}

const sweepBatch = 10000

// NewMemoryStore starts a store on clock, its sweep every second.
func NewMemoryStore(clock func() float64) *MemoryStore {
	m := &MemoryStore{entries: map[string]*memoryEntry{}, clock: clock, stop: make(chan struct{})}
	go m.sweepEvery(time.Second)
	return m
}

func wallClock() float64 { return float64(time.Now().UnixMilli()) }

// DecideAll decides each call in turn.
func (m *MemoryStore) DecideAll(calls []resolved, consume bool, out []StoreDecision) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range calls {
		out[i] = m.decideLocked(calls[i].key, calls[i].policy, calls[i].cost, consume)
	}
}

// Decide decides one call.
func (m *MemoryStore) Decide(key string, p *Policy, cost float64, consume bool) StoreDecision {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.decideLocked(key, p, cost, consume)
}

func (m *MemoryStore) decideLocked(key string, p *Policy, cost float64, consume bool) StoreDecision {
	now := m.clock()
	entry := m.entries[key]
	if entry != nil && entry.expiresAt <= now {
		delete(m.entries, key)
		entry = nil
	}
	var d Decision
	if entry == nil {
		state := InitialState(p, now)
		d = Decide(&state, p, now, cost, consume)
		if consume {
			m.calls++
			m.entries[key] = &memoryEntry{state: state, policy: p, expiresAt: now + d.ResetMs, stamp: m.calls}
		}
	} else {
		d = Decide(&entry.state, p, now, cost, consume)
		if consume {
			m.calls++
			entry.expiresAt = now + d.ResetMs
			entry.mark = 0
			entry.stamp = m.calls
		}
	}
	return StoreDecision{Decision: d, Now: now, Store: storeMemory}
}

// stampOf is which call decided here last changed key's state (0: none).
func (m *MemoryStore) stampOf(key string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.entries[key]; e != nil {
		return e.stamp
	}
	return 0
}

// adopt takes a state Redis decided as key's copy (memory-limiter.store.ts adopt): kept if a
// later call's state is held; the call counted in if calls were decided here since it left;
// else Redis' state as it is.
func (m *MemoryStore) adopt(key string, p *Policy, state State, now, resetMs float64, stamp, seq, mark int64, served float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	entry := m.entries[key]
	if entry == nil {
		m.entries[key] = &memoryEntry{state: state, policy: p, expiresAt: now + resetMs, mark: mark, seq: seq}
		return
	}
	if entry.seq > seq && entry.expiresAt > now {
		return
	}
	if entry.stamp != stamp && entry.expiresAt > now {
		if served > 0 {
			Spend(&entry.state, p, now, served)
		}
		refilledBy := now + Decide(&entry.state, p, now, 0, false).ResetMs
		if now+resetMs > entry.expiresAt {
			entry.expiresAt = now + resetMs
		}
		if refilledBy > entry.expiresAt {
			entry.expiresAt = refilledBy
		}
		return
	}
	entry.state = state
	entry.seq = seq
	entry.policy = p
	entry.expiresAt = now + resetMs
	entry.mark = mark
}

// unsyncedState is key's live state if its mark is below mark (it owes a hand-back).
func (m *MemoryStore) unsyncedState(key string, mark int64) (State, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.entries[key]; e != nil && e.mark < mark && e.expiresAt > m.clock() {
		return e.state, true
	}
	return State{}, false
}

// unsynced lists the live keys whose mark is below mark.
func (m *MemoryStore) unsynced(mark int64) []resolvedState {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	var out []resolvedState
	for key, e := range m.entries {
		if e.mark < mark && e.expiresAt > now {
			out = append(out, resolvedState{key: key, policy: e.policy, state: e.state})
		}
	}
	return out
}

type resolvedState struct {
	key    string
	policy *Policy
	state  State
}

func (m *MemoryStore) sweepEvery(every time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-ticker.C:
			m.sweep()
		}
	}
}

// sweep deletes the expired entries among up to sweepBatch keys (Go starts each walk of a map
// at a random place).
func (m *MemoryStore) sweep() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	deleted, seen := 0, 0
	for key, e := range m.entries {
		if seen++; seen > sweepBatch {
			break
		}
		if e.expiresAt <= now {
			delete(m.entries, key)
			deleted++
		}
	}
	return deleted
}

// Close stops the sweep and drops every entry.
func (m *MemoryStore) Close() {
	m.once.Do(func() { close(m.stop) })
	m.mu.Lock()
	m.entries = map[string]*memoryEntry{}
	m.mu.Unlock()
}
