package limiter

import (
	"chatbench/jsvalue"

	"net/http"
	"strconv"
)

// handleDecision is Profile B's handleDecision: read, check, decide, answer.
func (s *Service) handleDecision(w http.ResponseWriter, r *http.Request, consume bool) {
	text, hasBody, refusal, err := readBody(r)
	if err != nil {
		// the client stopped sending: nothing to answer, nothing went wrong (the sentinel has
		// net/http drop the connection without an answer and without logging)
		panic(http.ErrAbortHandler)
	}
	if refusal != nil {
		if refusal.status == http.StatusRequestEntityTooLarge {
			w.Header().Set("Connection", "close") // the rest of the body is not read
		}
		writeError(w, refusal)
		return
	}
	body := value{kind: kindNone}
	reader := jsonReader{s: text}
	if hasBody {
		if text == "" {
			body = value{kind: kindObject, obj: &members{unknownAt: -1, first: [4]int{-1, -1, -1, -1}}}
		} else if body, err = reader.parseBody(); err != nil {
			writeError(w, errBadJSON)
			return
		}
	}
	requests, batch, refusal := checkBody(body, reader.items, reader.count)
	if refusal != nil {
		writeError(w, refusal)
		return
	}
	calls := make([]resolved, len(requests))
	for i := range requests {
		at := ""
		if batch {
			at = batchPath(i)
		}
		if calls[i], refusal = s.resolve(&requests[i], at); refusal != nil {
			writeError(w, refusal)
			return
		}
	}
	decisions := make([]StoreDecision, len(calls))
	s.store.DecideAll(calls, consume, decisions)
	out := make([]byte, 0, 192*len(calls))
	if !batch {
		p, d := calls[0].policy, &decisions[0]
		wait := d.ResetMs
		if !d.Allowed {
			wait = d.RetryAfterMs
		}
		h := w.Header()
		h["RateLimit-Policy"] = []string{p.rateLimitPolicy}
		limit := append(append(out, p.rateLimitPrefix...), jsvalue.FormatNumber(d.Remaining)...)
		limit = append(append(limit, ";t="...), jsvalue.FormatNumber(jsCeil(wait/1000))...)
		h["RateLimit"] = []string{string(limit)}
		out = appendDecision(out[:0], p, d)
	} else {
		out = append(out, '[')
		for i := range calls {
			if i > 0 {
				out = append(out, ',')
			}
			out = appendDecision(out, calls[i].policy, &decisions[i])
		}
		out = append(out, ']')
	}
	writeJSON(w, http.StatusOK, out)
}

// appendDecision writes a decision as JSON.stringify writes Profile B's DecisionResponse.
func appendDecision(b []byte, p *Policy, d *StoreDecision) []byte {
	if d.Allowed {
		b = append(b, `{"allowed":true,"policy":`...)
	} else {
		b = append(b, `{"allowed":false,"policy":`...)
	}
	b = jsvalue.AppendString(b, p.Name)
	b = append(b, `,"algorithm":"`...)
	b = append(b, p.Algorithm...)
	b = append(b, `","limit":`...)
	b = append(b, p.limitText...)
	b = append(b, `,"remaining":`...)
	b = jsvalue.AppendNumber(b, d.Remaining)
	b = append(b, `,"retryAfterMs":`...)
	b = jsvalue.AppendNumber(b, d.RetryAfterMs)
	b = append(b, `,"resetMs":`...)
	b = jsvalue.AppendNumber(b, d.ResetMs)
	b = append(b, `,"now":`...)
	b = jsvalue.AppendNumber(b, d.Now)
	b = append(b, `,"store":"`...)
	b = append(b, d.Store...)
	return append(b, `"}`...)
}

func writeError(w http.ResponseWriter, e *apiError) {
	b := make([]byte, 0, 64+len(e.message))
	b = append(b, `{"error":`...)
	b = jsvalue.AppendString(b, e.code)
	b = append(b, `,"message":`...)
	b = jsvalue.AppendString(b, e.message)
	writeJSON(w, e.status, append(b, '}'))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
