package limiter

import (
	"chatbench/jsvalue"

	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gomodule/redigo/redis"
)

// redisStore is src/core/limiter/redis/redis-limiter.store.ts: one EVALSHA of limiterScript
// per decision, concurrent decisions pipelined on one shared connection (redisPipe), Redis TIME
// as the clock, each reply waited for at most the command timeout.
type redisStore struct {
	pipe      *redisPipe
	limiter   *redis.Script
	instances *redis.Script
	// onLatency hears each successful decision's round trip, in seconds.
	onLatency func(seconds float64)
}

// ttlSlackMs is the TTL past the moment a key's state expires.
const ttlSlackMs = 1000

// remoteCall is one decision for Redis, with the state to hand back (hasHandBack).
type remoteCall struct {
	resolved
	consume     bool
	hasHandBack bool
	handBack    State
}

// remoteDecision is Redis' answer with the key's exact state after it.
type remoteDecision struct {
	StoreDecision
	state State
}

func newRedisStore(url string, timeout time.Duration, onLatency func(float64)) *redisStore {
	limiter := redis.NewScript(1, limiterScript)
	instances := redis.NewScript(1, instancesScript)
	// loaded on every new connection, so that EVALSHA finds them (a restarted Redis has none)
	prepare := func(c redis.Conn) error {
		for _, src := range []string{limiterScript, instancesScript} {
			if _, err := redis.DoWithTimeout(c, timeout, "SCRIPT", "LOAD", src); err != nil {
				return err
			}
		}
		return nil
	}
	return &redisStore{
		pipe:      &redisPipe{url: url, timeout: timeout, prepare: prepare},
		limiter:   limiter,
		instances: instances,
		onLatency: onLatency,
	}
}

// decideAll sends every call at once (one write) and reads their replies in order; errs[i] is
// call i's failure; a timeoutError's late reply is call i's decision after all (lateDecision).
func (s *redisStore) decideAll(calls []remoteCall, out []remoteDecision, errs []error) {
	started := time.Now()
	deadline := started.Add(s.pipe.timeout)
	cmds := make([]pipeCommand, len(calls))
	for i := range calls {
		cmds[i] = pipeCommand{"EVALSHA", appendScriptArgs(make([]interface{}, 0, 13), s.limiter.Hash(), &calls[i])}
	}
	sent, err := s.pipe.send(cmds)
	for i := range calls {
		if err != nil {
			errs[i] = err
			continue
		}
		reply, callErr := s.pipe.wait(sent[i], deadline)
		if isNoScript(callErr) { // the script cache was flushed: EVAL it
			reply, callErr = s.pipe.do("EVAL", appendScriptArgs(make([]interface{}, 0, 13), limiterScript, &calls[i])...)
		}
		if errs[i] = callErr; callErr == nil {
			out[i], errs[i] = readDecision(reply, calls[i].policy.Algorithm == TokenBucket)
			if errs[i] == nil && s.onLatency != nil {
				s.onLatency(time.Since(started).Seconds())
			}
		}
	}
}

// lateDecision is the decision of a call that timed out, if its reply has come since.
func lateDecision(err error, tokenBucket bool) (remoteDecision, bool) {
	var timeout *timeoutError
	if !errors.As(err, &timeout) {
		return remoteDecision{}, false
	}
	reply, ok := timeout.late()
	if !ok {
		return remoteDecision{}, false
	}
	d, readErr := readDecision(reply, tokenBucket)
	return d, readErr == nil
}

func isNoScript(err error) bool {
	e, ok := err.(redis.Error)
	return ok && strings.HasPrefix(string(e), "NOSCRIPT")
}

// appendScriptArgs: the script (its SHA1 or text), 1 key, KEYS[1], then algorithm, C or L, R
// or W, cost, consume, now (-1: Redis TIME), TTL slack, and the handed-back state if any.
func appendScriptArgs(args []interface{}, script string, c *remoteCall) []interface{} {
	p := c.policy
	consume := "0"
	if c.consume {
		consume = "1"
	}
	args = append(args, script, 1, c.key)
	if p.Algorithm == TokenBucket {
		args = append(args, "tb", jsvalue.FormatNumber(p.Capacity), jsvalue.FormatNumber(p.RefillPerSec))
	} else {
		args = append(args, "sw", jsvalue.FormatNumber(p.Limit), jsvalue.FormatNumber(p.WindowMs))
	}
	args = append(args, jsvalue.FormatNumber(c.cost), consume, "-1", ttlSlackMs)
	if c.hasHandBack {
		h := &c.handBack
		if p.Algorithm == TokenBucket {
			args = append(args, jsvalue.FormatNumber(h.Tokens), jsvalue.FormatNumber(h.TS))
		} else {
			args = append(args, jsvalue.FormatNumber(h.Start), jsvalue.FormatNumber(h.Cur), jsvalue.FormatNumber(h.Prev))
		}
	}
	return args
}

var errReply = errors.New("unexpected reply from the limiter script")

// readDecision reads { allowed, remaining, retryAfterMs, resetMs, now, state... }.
func readDecision(reply interface{}, tokenBucket bool) (remoteDecision, error) {
	values, ok := reply.([]interface{})
	if !ok || len(values) < 7 || (!tokenBucket && len(values) < 8) {
		return remoteDecision{}, errReply
	}
	var n [8]float64
	for i, v := range values {
		if i >= len(n) {
			break
		}
		switch x := v.(type) {
		case int64:
			n[i] = float64(x)
		case []byte:
			f, err := strconv.ParseFloat(string(x), 64)
			if err != nil {
				return remoteDecision{}, errReply
			}
			n[i] = f
		default:
			return remoteDecision{}, errReply
		}
	}
	d := remoteDecision{StoreDecision: StoreDecision{
		Decision: Decision{Allowed: n[0] == 1, Remaining: n[1], RetryAfterMs: n[2], ResetMs: n[3]},
		Now:      n[4],
		Store:    storeRedis,
	}}
	if tokenBucket {
		d.state = State{Tokens: n[5], TS: n[6]}
	} else {
		d.state = State{Start: n[5], Cur: n[6], Prev: n[7]}
	}
	return d, nil
}

// register counts this instance (id) among the live ones for ttlMs, or removes it (leaving);
// it answers how many there are.
func (s *redisStore) register(id string, ttlMs int, leaving bool) (int, error) {
	flag := "0"
	if leaving {
		flag = "1"
	}
	return redis.Int(s.pipe.do("EVALSHA", s.instances.Hash(), 1, "rl:instances", id, ttlMs, flag))
}

// ping answers nil when Redis answers a PING within the timeout.
func (s *redisStore) ping() error {
	_, err := s.pipe.do("PING")
	return err
}

func (s *redisStore) close() { s.pipe.close() }
