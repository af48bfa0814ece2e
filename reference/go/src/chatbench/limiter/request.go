package limiter

import (
	"chatbench/jsvalue"

	"math"
	"strconv"
)

// The decision request's checks, in Profile B's order (src/baseline/decision-request.ts, then
// Limiter.resolve in src/core/limiter/limiter.ts).

const (
	maxBatch         = 1000
	maxBodyBytes     = 1024 * 1024
	maxSubjectLength = 256
	maxSafeInteger   = 1<<53 - 1

	policyRule       = "must be a non-empty string of well-formed Unicode"
	subjectValueRule = "must be a string of 1 to 256 characters of well-formed Unicode"
	costRule         = "must be an integer >= 1"
)

// apiError is a refusal: its HTTP status and the {"error","message"} body.
type apiError struct {
	status  int
	code    string
	message string
}

func invalid(message string) *apiError {
	return &apiError{status: 400, code: "invalid_request", message: message}
}

// request is one decision request, its shape checked.
type request struct {
	policy  string
	subject [fieldCount]string
	cost    float64
}

// resolved is a request against its policy: what a store decides.
type resolved struct {
	policy *Policy
	key    string
	cost   float64
}

// checkBody checks a parsed body: one request (single) or a batch.
func checkBody(body value, items []value, count int) ([]request, bool, *apiError) {
	if body.kind != kindArray {
		r, err := checkRequest(body, "")
		if err != nil {
			return nil, false, err
		}
		return []request{r}, false, nil
	}
	if count == 0 {
		return nil, true, invalid("a batch must hold at least one request")
	}
	if count > maxBatch {
		return nil, true, &apiError{400, "batch_too_large", "a batch holds at most 1000 requests, got " + strconv.Itoa(count)}
	}
	requests := make([]request, len(items))
	for i, item := range items {
		r, err := checkRequest(item, batchPath(i))
		if err != nil {
			return nil, true, err
		}
		requests[i] = r
	}
	return requests, true, nil
}

func batchPath(i int) string { return "[" + strconv.Itoa(i) + "]." }

func checkRequest(v value, at string) (request, *apiError) {
	var r request
	if v.kind != kindObject {
		if at == "" {
			return r, invalid("body must be an object")
		}
		return r, invalid(at[:len(at)-1] + " must be an object")
	}
	m := v.obj
	if m.hasIndex {
		return r, invalid(at + m.index + " is not a field")
	}
	if m.unknownAt >= 0 {
		return r, invalid(at + m.unknown + " is not a field")
	}
	policy := m.vals[memberPolicy]
	if policy.kind != kindString || policy.str == "" || !wellFormed(policy.str) {
		return r, invalid(at + "policy " + policyRule)
	}
	r.policy = policy.str
	subject := m.vals[memberSubject]
	if subject.kind != kindObject || subject.obj == nil {
		return r, invalid(at + "subject must be an object")
	}
	if err := checkSubject(subject.obj, at, &r); err != nil {
		return r, err
	}
	r.cost = 1
	if cost := m.vals[memberCost]; cost.kind != kindNone {
		if cost.kind != kindNumber || !isCost(cost.num) {
			return r, invalid(at + "cost " + costRule)
		}
		r.cost = cost.num
	}
	return r, nil
}

// checkSubject fails on the first bad member in JavaScript's order: array-index names first,
// then the others where each first came.
func checkSubject(s *members, at string, r *request) *apiError {
	if s.hasIndex {
		return invalid(at + "subject." + s.index + " is not a field")
	}
	failAt, failField := s.unknownAt, -1
	for f := 0; f < int(fieldCount); f++ {
		if s.first[f] < 0 {
			continue
		}
		v := s.vals[f]
		if !isSubjectValue(v) {
			if failAt < 0 || s.first[f] < failAt {
				failAt, failField = s.first[f], f
			}
			continue
		}
		r.subject[f] = v.str
	}
	switch {
	case failAt < 0:
		return nil
	case failField < 0:
		return invalid(at + "subject." + s.unknown + " is not a field")
	default:
		return invalid(at + "subject." + fieldNames[failField] + " " + subjectValueRule)
	}
}

func isSubjectValue(v value) bool {
	if v.kind != kindString || v.str == "" {
		return false
	}
	n := utf16Length(v.str)
	return n <= maxSubjectLength && wellFormed(v.str)
}

func isCost(x float64) bool {
	return x >= 1 && x <= maxSafeInteger && x == math.Trunc(x)
}

// resolve checks a request against its policy and makes its key.
func (s *Service) resolve(r *request, at string) (resolved, *apiError) {
	p := s.policies[r.policy]
	if p == nil {
		return resolved{}, &apiError{404, "unknown_policy", at + "policy: no policy named '" + r.policy + "'"}
	}
	for _, f := range p.Scope {
		if r.subject[f] == "" {
			return resolved{}, invalid(at + "subject." + f.String() + " is required by policy '" + p.Name + "'")
		}
	}
	if r.cost > p.MaxLimit() {
		return resolved{}, invalid(at + "cost " + jsvalue.FormatNumber(r.cost) + " is above the policy's limit of " + p.limitText)
	}
	return resolved{policy: p, key: policyKey(p, r), cost: r.cost}, nil
}

// policyKey is `rl:{<policy>:<value>[:<value>...]}`, values as encodeURIComponent writes them.
func policyKey(p *Policy, r *request) string {
	n := 5 + len(p.Name)
	for _, f := range p.Scope {
		n += 1 + 3*len(r.subject[f])
	}
	b := make([]byte, 0, n)
	b = append(b, "rl:{"...)
	b = append(b, p.Name...)
	for _, f := range p.Scope {
		b = append(b, ':')
		b = appendURIComponent(b, r.subject[f])
	}
	b = append(b, '}')
	return string(b)
}

func appendURIComponent(b []byte, s string) []byte {
	const upperHex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || isURIMark(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&0xF])
		}
	}
	return b
}

func isURIMark(c byte) bool {
	switch c {
	case '-', '_', '.', '!', '~', '*', '\'', '(', ')':
		return true
	}
	return false
}
