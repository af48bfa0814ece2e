package limiter

// Store kinds, as a decision's `store` field names them.
const (
	storeMemory = "memory"
	storeRedis  = "redis"
	storeCache  = "cache"
	storeNone   = "none"
)

// StoreDecision is a store's answer: the algorithm's, when it was decided and by what.
type StoreDecision struct {
	Decision
	Now   float64
	Store string
}

// Store is where limiter state lives.
type Store interface {
	// DecideAll decides each call in order into out (len(out) == len(calls)).
	DecideAll(calls []resolved, consume bool, out []StoreDecision)
	Close()
}
