package chat

import (
	"math"
	"unicode/utf8"
)

// msgType is a client frame's type once it is known; typeRejected counts a frame refused before
// its type was known (binary, bad_json, type not a known string).
type msgType uint8

const (
	typeJoin msgType = iota
	typeChat
	typePing
	typePong
	typeLeave
	typeRejected
)

var typeNames = [...]string{"join", "chat", "ping", "pong", "leave", "rejected"}

func lookupType(s string) (msgType, bool) {
	switch s {
	case "join":
		return typeJoin, true
	case "chat":
		return typeChat, true
	case "ping":
		return typePing, true
	case "pong":
		return typePong, true
	case "leave":
		return typeLeave, true
	}
	return typeRejected, false
}

// Field limits: part of the wire format (docs/CONTRACT.md), not settings.
const (
	defaultRoom  = "public"
	roomMaxChars = 64
	userMaxChars = 32
	textMaxChars = 1024
	idMaxChars   = 64
)

// message is a valid client message.
type message struct {
	typ   msgType
	room  string // defaultRoom when absent
	user  string
	text  string
	id    string
	hasID bool
	ts    float64
	hasTS bool
}

// frameError is a refusal: the error frame's code, message, and ref (the client's valid id).
type frameError struct {
	code         string
	message      string
	ref          string
	hasRef       bool
	retryAfterMs int64
}

func newError(code, msg string, id value) *frameError {
	e := &frameError{code: code, message: msg}
	if isContractText(id, idMaxChars) {
		e.ref, e.hasRef = id.str, true
	}
	return e
}

// isContractText: a well-formed string of 1 to max code points.
func isContractText(v value, max int) bool {
	if v.kind != stringValue || !v.wellFormed || len(v.str) == 0 {
		return false
	}
	return len(v.str) <= max || utf8.RuneCountInString(v.str) <= max
}

// matchName reports whether s matches ^[A-Za-z0-9_.-]{1,max}$.
func matchName(v value, max int) bool {
	s := v.str
	if v.kind != stringValue || len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// isTraceparent: ^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$.
func isTraceparent(v value) bool {
	s := v.str
	if v.kind != stringValue || len(s) != 55 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 2 || i == 35 || i == 52 {
			if c != '-' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// allowed fields per type, besides type and traceparent.
const (
	fRoom = 1 << iota
	fUser
	fText
	fID
	fTS
)

var allowedFields = [...]int{
	typeJoin:  fRoom | fUser | fID,
	typeChat:  fRoom | fText | fID | fTS,
	typePing:  fTS | fID,
	typePong:  fTS | fID,
	typeLeave: fRoom | fID,
}

// decodeFrame is steps 1 to 3 of the order of processing for a text frame: JSON, an object, a
// known type, then every field. It returns the frame's type (typeRejected when the type was not
// known) and either the message or its error.
func decodeFrame(text []byte) (msgType, message, *frameError) {
	d, ok := parseObject(text)
	if !ok {
		return typeRejected, message{}, &frameError{code: "bad_json", message: "frame is not valid JSON or not a JSON object"}
	}
	if d.typ.kind != stringValue {
		return typeRejected, message{}, newError("invalid_message", "type must be a string", d.id)
	}
	t, known := lookupType(d.typ.str)
	if !known || !d.typ.wellFormed {
		return typeRejected, message{}, newError("unknown_type", "unknown message type", d.id)
	}
	m, err := validate(t, &d)
	return t, m, err
}

func validate(t msgType, d *decoded) (message, *frameError) {
	invalid := func(msg string) (message, *frameError) {
		return message{}, newError("invalid_message", msg, d.id)
	}
	allowed := allowedFields[t]
	if d.hasUnknownKey {
		return invalid("unknown field")
	}
	present := 0
	for _, f := range [...]struct {
		v   *value
		bit int
	}{{&d.room, fRoom}, {&d.user, fUser}, {&d.text, fText}, {&d.id, fID}, {&d.ts, fTS}} {
		if f.v.kind != absent {
			present |= f.bit
		}
	}
	if present&^allowed != 0 {
		return invalid("unknown field for this type")
	}
	if d.id.kind != absent && !isContractText(d.id, idMaxChars) {
		return invalid("id must be a string of 1 to 64 characters")
	}
	if d.ts.kind != absent && !(d.ts.kind == numberValue && !math.IsInf(d.ts.num, 0) && !math.IsNaN(d.ts.num)) {
		return invalid("ts must be a finite number")
	}
	if d.traceparent.kind != absent && !isTraceparent(d.traceparent) {
		return invalid("traceparent must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)")
	}
	if d.room.kind != absent && !matchName(d.room, roomMaxChars) {
		return invalid("room must match ^[A-Za-z0-9_.-]{1,64}$")
	}
	m := message{typ: t, room: defaultRoom}
	if d.room.kind != absent {
		m.room = d.room.str
	}
	switch t {
	case typeJoin:
		if !matchName(d.user, userMaxChars) {
			return invalid("user must match ^[A-Za-z0-9_.-]{1,32}$")
		}
		m.user = d.user.str
	case typeChat:
		if !isContractText(d.text, textMaxChars) {
			return invalid("text must be a string of 1 to 1024 characters")
		}
		m.text = d.text.str
	}
	if d.id.kind != absent {
		m.id, m.hasID = d.id.str, true
	}
	if d.ts.kind != absent {
		m.ts, m.hasTS = d.ts.num, true
	}
	return m, nil
}
