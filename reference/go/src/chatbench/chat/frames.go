package chat

import (
	"strconv"

	"chatbench/jsvalue"
)

// Server frames, written exactly as Profile B's JSON.stringify writes them (field order,
// escaping, numbers). Each is serialised once, whatever the number of recipients.

func joinFrame(room, user string, members int) []byte {
	return memberFrame(`{"type":"join","room":`, room, user, members)
}

func leaveFrame(room, user string, members int) []byte {
	return memberFrame(`{"type":"leave","room":`, room, user, members)
}

func memberFrame(head, room, user string, members int) []byte {
	b := make([]byte, 0, len(head)+len(room)+len(user)+32)
	b = append(b, head...)
	b = jsvalue.AppendString(b, room)
	b = append(b, `,"user":`...)
	b = jsvalue.AppendString(b, user)
	b = append(b, `,"members":`...)
	b = strconv.AppendInt(b, int64(members), 10)
	return append(b, '}')
}

func chatFrame(room, user string, m *message, seq int64) []byte {
	b := make([]byte, 0, 64+len(room)+len(user)+len(m.text)+len(m.id))
	b = append(b, `{"type":"chat","room":`...)
	b = jsvalue.AppendString(b, room)
	b = append(b, `,"user":`...)
	b = jsvalue.AppendString(b, user)
	b = append(b, `,"text":`...)
	b = jsvalue.AppendString(b, m.text)
	if m.hasID {
		b = append(b, `,"id":`...)
		b = jsvalue.AppendString(b, m.id)
	}
	if m.hasTS {
		b = append(b, `,"ts":`...)
		b = jsvalue.AppendJSONNumber(b, m.ts)
	}
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	return append(b, '}')
}

func pongFrame(ts float64) []byte {
	b := make([]byte, 0, 40)
	b = append(b, `{"type":"pong","ts":`...)
	b = jsvalue.AppendJSONNumber(b, ts)
	return append(b, '}')
}

func errorFrame(e *frameError) []byte {
	b := make([]byte, 0, 96+len(e.message)+len(e.ref))
	b = append(b, `{"type":"error","code":`...)
	b = jsvalue.AppendString(b, e.code)
	b = append(b, `,"message":`...)
	b = jsvalue.AppendString(b, e.message)
	if e.hasRef {
		b = append(b, `,"ref":`...)
		b = jsvalue.AppendString(b, e.ref)
	}
	if e.code == "rate_limited" {
		b = append(b, `,"retryAfterMs":`...)
		b = strconv.AppendInt(b, e.retryAfterMs, 10)
	}
	return append(b, '}')
}

var roomErrorMessages = map[string]string{
	"invalid_message": "user differs from the user of this connection",
	"not_joined":      "not a member of this room",
	"already_joined":  "already a member of this room",
	"too_many_rooms":  "too many rooms for one connection",
}

// roomError is a refusal by the room rules, with the frame's id as ref.
func roomError(code string, m *message) *frameError {
	e := &frameError{code: code, message: roomErrorMessages[code]}
	if m.hasID {
		e.ref, e.hasRef = m.id, true
	}
	return e
}
