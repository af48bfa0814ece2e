package chat

import "time"

const binaryFrameMessage = "binary frames are not accepted; send JSON text frames"

func nowMs() int64 { return time.Now().UnixMilli() }

// handleFrame is one client frame, in the order of processing of docs/CONTRACT.md: decode and
// validate (steps 1-3), a valid ping or pong now and free (4), a token for every other frame (5),
// the validation error (6), the room rules (7).
func (h *Hub) handleFrame(c *Conn, data []byte, binary bool) {
	var (
		t   msgType
		m   message
		err *frameError
	)
	if binary {
		t, err = typeRejected, &frameError{code: "invalid_message", message: binaryFrameMessage}
	} else {
		t, m, err = decodeFrame(data)
	}
	h.counters.framesIn[t].Add(1)
	pingOrPong := t == typePing || t == typePong
	if !pingOrPong {
		ref := err
		if ref == nil {
			ref = &frameError{ref: m.id, hasRef: m.hasID}
		}
		if limited := h.charge(c, ref); limited != nil {
			h.sendError(c, limited)
			return
		}
	}
	if err != nil {
		if pingOrPong {
			// an invalid ping or pong pays its token now
			if limited := h.charge(c, err); limited != nil {
				err = limited
			}
		}
		h.sendError(c, err)
		return
	}
	var refused string
	switch t {
	case typePing:
		ts := m.ts
		if !m.hasTS {
			ts = float64(nowMs())
		}
		h.counters.framesOut[outPong].Add(1)
		c.send(pongFrame(ts))
		return
	case typePong:
		return // liveness only, which every frame already proves
	case typeJoin:
		refused = h.join(c, m.room, m.user)
	case typeChat:
		refused = h.chat(c, &m)
	case typeLeave:
		refused = h.leave(c, m.room)
	}
	if refused != "" {
		h.sendError(c, roomError(refused, &m))
	}
}

// charge takes one token of c's bucket; with none left, the rate_limited error (ref from refOf).
func (h *Hub) charge(c *Conn, refOf *frameError) *frameError {
	ok, retry := c.bucket.take(nowMs())
	if ok {
		return nil
	}
	h.counters.rateLimited.Add(1)
	return &frameError{
		code:         "rate_limited",
		message:      "rate limit exceeded; frame dropped",
		ref:          refOf.ref,
		hasRef:       refOf.hasRef,
		retryAfterMs: retry,
	}
}

func (h *Hub) sendError(c *Conn, e *frameError) {
	h.counters.framesOut[outError].Add(1)
	c.send(errorFrame(e))
}
