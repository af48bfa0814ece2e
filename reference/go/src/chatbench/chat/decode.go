package chat

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// valueKind is what a member of a client frame's object holds, as far as the contract cares.
type valueKind uint8

const (
	absent valueKind = iota
	stringValue
	numberValue
	otherValue // null, a boolean, an object or an array
)

// value is one member's value. A string holding a lone surrogate (a JSON escape such as
// "\ud800") is kept with wellFormed false and its surrogates written as U+FFFD.
type value struct {
	kind       valueKind
	str        string
	wellFormed bool
	num        float64
}

// decoded is a client frame's JSON object: the members the contract names (the last of a
// repeated key counts, as with JSON.parse) and the first other key, if any.
type decoded struct {
	typ, room, user, text, id, ts, traceparent value
	unknownKey                                 string
	hasUnknownKey                              bool
}

// jsonParser reads JSON text as JSON.parse does (RFC 8259: no BOM, no comments, whitespace is
// space, tab, LF and CR). Nesting is skipped without recursion, so depth costs no stack.
type jsonParser struct {
	s   []byte
	pos int
	buf []byte
	// stack of open brackets while skipping a nested value
	stack []byte
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// parseObject parses text, which must be exactly one JSON object (whitespace around it allowed).
// ok is false when the text is not JSON or its JSON is not an object (bad_json).
func parseObject(text []byte) (d decoded, ok bool) {
	p := jsonParser{s: text}
	p.skipSpace()
	if p.pos >= len(p.s) || p.s[p.pos] != '{' {
		return d, false
	}
	p.pos++
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
	} else {
		for {
			p.skipSpace()
			key, _, kok := p.parseString()
			if !kok {
				return d, false
			}
			p.skipSpace()
			if p.pos >= len(p.s) || p.s[p.pos] != ':' {
				return d, false
			}
			p.pos++
			p.skipSpace()
			v, vok := p.parseValue()
			if !vok {
				return d, false
			}
			d.set(key, v)
			p.skipSpace()
			if p.pos >= len(p.s) {
				return d, false
			}
			if p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.s[p.pos] == '}' {
				p.pos++
				break
			}
			return d, false
		}
	}
	p.skipSpace()
	return d, p.pos == len(p.s)
}

func (d *decoded) set(key string, v value) {
	switch key {
	case "type":
		d.typ = v
	case "room":
		d.room = v
	case "user":
		d.user = v
	case "text":
		d.text = v
	case "id":
		d.id = v
	case "ts":
		d.ts = v
	case "traceparent":
		d.traceparent = v
	default:
		if !d.hasUnknownKey {
			d.hasUnknownKey = true
			d.unknownKey = key
		}
	}
}

// parseValue parses one value at p.pos: strings and numbers are kept, anything else is checked
// and skipped.
func (p *jsonParser) parseValue() (value, bool) {
	if p.pos >= len(p.s) {
		return value{}, false
	}
	switch c := p.s[p.pos]; {
	case c == '"':
		s, wf, ok := p.parseString()
		return value{kind: stringValue, str: s, wellFormed: wf}, ok
	case c == '-' || (c >= '0' && c <= '9'):
		f, ok := p.parseNumber()
		return value{kind: numberValue, num: f}, ok
	default:
		return value{kind: otherValue}, p.skipValue()
	}
}

func (p *jsonParser) literal(word string) bool {
	if len(p.s)-p.pos < len(word) || string(p.s[p.pos:p.pos+len(word)]) != word {
		return false
	}
	p.pos += len(word)
	return true
}

// parseNumber reads a JSON number; one out of the range of doubles reads as ±Inf (JSON.parse's
// Infinity), one below it as 0.
func (p *jsonParser) parseNumber() (float64, bool) {
	start := p.pos
	if p.s[p.pos] == '-' {
		p.pos++
	}
	if p.pos >= len(p.s) {
		return 0, false
	}
	if p.s[p.pos] == '0' {
		p.pos++
	} else if p.s[p.pos] >= '1' && p.s[p.pos] <= '9' {
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
		}
	} else {
		return 0, false
	}
	if p.pos < len(p.s) && p.s[p.pos] == '.' {
		p.pos++
		if !p.digits() {
			return 0, false
		}
	}
	if p.pos < len(p.s) && (p.s[p.pos] == 'e' || p.s[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.s) && (p.s[p.pos] == '+' || p.s[p.pos] == '-') {
			p.pos++
		}
		if !p.digits() {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(string(p.s[start:p.pos]), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	return f, true
}

func (p *jsonParser) digits() bool {
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	return p.pos > start
}

func hexValue(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.s)-p.pos < 4 {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		h := hexValue(p.s[p.pos+i])
		if h < 0 {
			return 0, false
		}
		r = r<<4 | h
	}
	p.pos += 4
	return r, true
}

// parseString reads a JSON string at p.pos (which must be `"`). wellFormed is false when an
// escape left a lone surrogate (written as U+FFFD in s). The text is valid UTF-8 already.
func (p *jsonParser) parseString() (s string, wellFormed bool, ok bool) {
	if p.pos >= len(p.s) || p.s[p.pos] != '"' {
		return "", false, false
	}
	p.pos++
	start := p.pos
	// fast path: no escape
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '"' {
			s = string(p.s[start:p.pos])
			p.pos++
			return s, true, true
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", false, false
		}
		p.pos++
	}
	b := append(p.buf[:0], p.s[start:p.pos]...)
	wellFormed = true
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '"':
			p.pos++
			p.buf = b
			return string(b), wellFormed, true
		case c < 0x20:
			return "", false, false
		case c != '\\':
			b = append(b, c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.s) {
			return "", false, false
		}
		e := p.s[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", false, false
			}
			if utf16.IsSurrogate(r) {
				if r < 0xdc00 && len(p.s)-p.pos >= 6 && p.s[p.pos] == '\\' && p.s[p.pos+1] == 'u' {
					save := p.pos
					p.pos += 2
					r2, ok2 := p.hex4()
					if ok2 && r2 >= 0xdc00 && r2 <= 0xdfff {
						b = utf8.AppendRune(b, utf16.DecodeRune(r, r2))
						continue
					}
					p.pos = save
				}
				wellFormed = false
				b = utf8.AppendRune(b, utf8.RuneError)
				continue
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", false, false
		}
	}
	return "", false, false
}

// skipValue checks and skips one value that is not a string or a number at its top: null, true,
// false, an object or an array, nested to any depth.
func (p *jsonParser) skipValue() bool {
	p.stack = p.stack[:0]
	for {
		p.skipSpace()
		if p.pos >= len(p.s) {
			return false
		}
		// one value
		switch c := p.s[p.pos]; {
		case c == '"':
			if _, _, ok := p.parseString(); !ok {
				return false
			}
		case c == '-' || (c >= '0' && c <= '9'):
			if _, ok := p.parseNumber(); !ok {
				return false
			}
		case c == 'n':
			if !p.literal("null") {
				return false
			}
		case c == 't':
			if !p.literal("true") {
				return false
			}
		case c == 'f':
			if !p.literal("false") {
				return false
			}
		case c == '[':
			p.pos++
			p.skipSpace()
			if p.pos < len(p.s) && p.s[p.pos] == ']' {
				p.pos++
				break
			}
			p.stack = append(p.stack, ']')
			continue
		case c == '{':
			p.pos++
			p.skipSpace()
			if p.pos < len(p.s) && p.s[p.pos] == '}' {
				p.pos++
				break
			}
			p.stack = append(p.stack, '}')
			if !p.memberKey() {
				return false
			}
			continue
		default:
			return false
		}
		// after a value: close brackets, or go on with the next element / member
		for {
			if len(p.stack) == 0 {
				return true
			}
			p.skipSpace()
			if p.pos >= len(p.s) {
				return false
			}
			top := p.stack[len(p.stack)-1]
			c := p.s[p.pos]
			if c == top {
				p.pos++
				p.stack = p.stack[:len(p.stack)-1]
				continue
			}
			if c != ',' {
				return false
			}
			p.pos++
			if top == '}' && !p.memberKey() {
				return false
			}
			break
		}
	}
}

// memberKey reads `"key":` inside an object being skipped.
func (p *jsonParser) memberKey() bool {
	p.skipSpace()
	if _, _, ok := p.parseString(); !ok {
		return false
	}
	p.skipSpace()
	if p.pos >= len(p.s) || p.s[p.pos] != ':' {
		return false
	}
	p.pos++
	return true
}
