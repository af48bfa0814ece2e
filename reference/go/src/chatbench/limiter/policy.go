package limiter

import (
	"chatbench/jsvalue"

	"fmt"
	"math"
	"regexp"
	"strings"
)

// Policy is one limiter policy (docs/LIMITER.md, "Policies"). Numbers are doubles, as the
// algorithms compute with them.
type Policy struct {
	Name      string
	Algorithm string
	// Scope holds the subject fields that form the key, in this order.
	Scope []Field
	// Token bucket: C and R.
	Capacity     float64
	RefillPerSec float64
	// Sliding window: L and W.
	Limit    float64
	WindowMs float64

	// rateLimitPolicy is the RateLimit-Policy header field; prefix starts the RateLimit one.
	rateLimitPolicy string
	rateLimitPrefix string
	limitText       string
}

// Field is a subject field.
type Field int

// The subject fields, in SCOPE_FIELDS order.
const (
	FieldUser Field = iota
	FieldIP
	FieldRoute
	FieldClient
	fieldCount
)

var fieldNames = [fieldCount]string{"user", "ip", "route", "client"}

func (f Field) String() string { return fieldNames[f] }

func fieldByName(name string) (Field, bool) {
	for i, n := range fieldNames {
		if n == name {
			return Field(i), true
		}
	}
	return 0, false
}

// MaxLimit is C for a token bucket, L for a sliding window: the most one call may cost.
func (p *Policy) MaxLimit() float64 {
	if p.Algorithm == TokenBucket {
		return p.Capacity
	}
	return p.Limit
}

// prepare computes what every decision's answer repeats.
func (p *Policy) prepare() *Policy {
	window := jsCeil(p.WindowMs / 1000)
	if p.Algorithm == TokenBucket {
		window = jsCeil(p.Capacity / p.RefillPerSec)
	}
	p.limitText = jsvalue.FormatNumber(p.MaxLimit())
	p.rateLimitPolicy = fmt.Sprintf(`"%s";q=%s;w=%s`, p.Name, p.limitText, jsvalue.FormatNumber(window))
	p.rateLimitPrefix = `"` + p.Name + `";r=`
	return p
}

// PolicyNamePattern is what a policy name matches.
var PolicyNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ChatConnectionPolicy is the name of the chat's per-connection bucket.
const ChatConnectionPolicy = "chat-connection"

// DefaultPolicies is the built-in set; the chat bucket follows RATE_LIMIT_*.
func DefaultPolicies(chatCapacity, chatRefillPerSec float64) []*Policy {
	return []*Policy{
		{Name: "per-user", Algorithm: TokenBucket, Scope: []Field{FieldUser}, Capacity: 100, RefillPerSec: 10},
		{Name: "per-ip", Algorithm: SlidingWindow, Scope: []Field{FieldIP}, Limit: 600, WindowMs: 60000},
		{Name: "per-route", Algorithm: SlidingWindow, Scope: []Field{FieldRoute}, Limit: 10000, WindowMs: 1000},
		{Name: "per-user-route", Algorithm: SlidingWindow, Scope: []Field{FieldUser, FieldRoute}, Limit: 60, WindowMs: 60000},
		{Name: ChatConnectionPolicy, Algorithm: TokenBucket, Scope: []Field{FieldClient}, Capacity: chatCapacity, RefillPerSec: chatRefillPerSec},
	}
}

// PolicyError is a bad policies file: start-up stops with its message and exit code 2.
type PolicyError struct{ Message string }

func (e *PolicyError) Error() string { return e.Message }

const maxLimitTimesWindow = 1 << 50

func isInt(v interface{}, min, max float64) bool {
	f, ok := v.(float64)
	return ok && f >= min && f <= max && f == math.Trunc(f)
}

// ParsePolicies checks `{"policies":[...]}` as policy.ts parsePolicies does, listing every
// problem with its path.
func ParsePolicies(document interface{}) ([]*Policy, error) {
	doc, ok := document.(*object)
	var list []interface{}
	if ok {
		list, ok = doc.get("policies").([]interface{})
	}
	if !ok {
		return nil, &PolicyError{`the policy file must hold an object with a "policies" array`}
	}
	var problems []string
	names := map[string]bool{}
	var policies []*Policy
	for i, raw := range list {
		at := fmt.Sprintf("policies[%d]", i)
		p, isObject := raw.(*object)
		if !isObject {
			problems = append(problems, at+" must be an object")
			continue
		}
		before := len(problems)
		fail := func(field, rule string) { problems = append(problems, at+"."+field+" "+rule) }
		name, isString := p.get("name").(string)
		switch {
		case !isString || !PolicyNamePattern.MatchString(name):
			fail("name", "must match ^[A-Za-z0-9_.-]{1,64}$")
		case names[name]:
			fail("name", fmt.Sprintf("'%s' is used twice", name))
		default:
			names[name] = true
		}
		scope, scopeOK := parseScope(p.get("scope"))
		if !scopeOK {
			fail("scope", "must be a non-empty list of distinct fields among user, ip, route, client")
		}
		policy := &Policy{Name: name, Scope: scope}
		var allowed []string
		switch p.get("algorithm") {
		case TokenBucket:
			policy.Algorithm = TokenBucket
			allowed = []string{"name", "algorithm", "scope", "capacity", "refillPerSec"}
			if !isInt(p.get("capacity"), 1, 1e9) {
				fail("capacity", "must be an integer from 1 to 1e9")
			}
			rate, isNumber := p.get("refillPerSec").(float64)
			if !isNumber || !(rate > 0) || rate > 1e9 {
				fail("refillPerSec", "must be a number above 0 and at most 1e9")
			}
			policy.Capacity, _ = p.get("capacity").(float64)
			policy.RefillPerSec = rate
		case SlidingWindow:
			policy.Algorithm = SlidingWindow
			allowed = []string{"name", "algorithm", "scope", "limit", "windowMs"}
			limitOK := isInt(p.get("limit"), 1, 1e9)
			windowOK := isInt(p.get("windowMs"), 1, 31*86400000)
			if !limitOK {
				fail("limit", "must be an integer from 1 to 1e9")
			}
			if !windowOK {
				fail("windowMs", "must be an integer from 1 to 2678400000 (31 days)")
			}
			policy.Limit, _ = p.get("limit").(float64)
			policy.WindowMs, _ = p.get("windowMs").(float64)
			if limitOK && windowOK && policy.Limit*policy.WindowMs > maxLimitTimesWindow {
				fail("limit", "times windowMs must be at most 2^50")
			}
		default:
			fail("algorithm", "must be 'token_bucket' or 'sliding_window'")
			continue
		}
		for _, key := range p.keys {
			if !contains(allowed, key) {
				fail(key, "is not a field of this algorithm")
			}
		}
		if len(problems) == before {
			policies = append(policies, policy)
		}
	}
	if len(problems) > 0 {
		return nil, &PolicyError{"invalid policies:\n  " + strings.Join(problems, "\n  ")}
	}
	return policies, nil
}

func parseScope(v interface{}) ([]Field, bool) {
	list, ok := v.([]interface{})
	if !ok || len(list) == 0 {
		return nil, false
	}
	scope := make([]Field, 0, len(list))
	seen := [fieldCount]bool{}
	for _, item := range list {
		name, isString := item.(string)
		f, known := fieldByName(name)
		if !isString || !known || seen[f] {
			return nil, false
		}
		seen[f] = true
		scope = append(scope, f)
	}
	return scope, true
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}
