// Package limiter is the decision API of docs/LIMITER.md: policies, the token bucket and the
// sliding window, the memory and Redis stores, the fallback.
package limiter

import (
	"io"
	"net/http"
)

// Service answers the decision API's routes.
type Service struct {
	policies map[string]*Policy
	store    Store
	// roundTrips times each Redis decision (limiter_redis_command_seconds).
	roundTrips *histogram
}

// NewServiceFromEnv reads the limiter's settings (README) through getenv; an error names the
// variable or the policies file problem and stops start-up.
func NewServiceFromEnv(getenv func(string) string) (*Service, error) {
	s, err := loadSettings(getenv)
	if err != nil {
		return nil, err
	}
	policies, err := loadPolicies(s)
	if err != nil {
		return nil, err
	}
	svc := &Service{policies: make(map[string]*Policy, len(policies)), roundTrips: newHistogram()}
	for _, p := range policies {
		svc.policies[p.Name] = p
	}
	if s.store == "memory" {
		svc.store = NewMemoryStore(wallClock)
	} else {
		svc.store = newFallbackStore(s, svc.roundTrips)
	}
	return svc, nil
}

// Handle answers r when path (the request-target's path, exact) is one of the limiter's routes,
// and reports whether it did.
func (s *Service) Handle(w http.ResponseWriter, r *http.Request, path string) bool {
	if r.Method != http.MethodPost {
		return false
	}
	switch path {
	case "/v1/check":
		s.handleDecision(w, r, false)
	case "/v1/check_and_consume":
		s.handleDecision(w, r, true)
	default:
		return false
	}
	return true
}

// WriteMetrics appends the limiter's samples (Prometheus text format) to /metrics.
func (s *Service) WriteMetrics(w io.Writer) {
	s.roundTrips.writeTo(w, "limiter_redis_command_seconds",
		"Round trip of one limiter decision in Redis (the Lua script), successful ones.")
}

// Close releases the store (the Redis connections).
func (s *Service) Close() { s.store.Close() }
