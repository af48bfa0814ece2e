package limiter

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// The decision API's JSON reader: JSON.parse's grammar and values, but only what the request
// checks look at is kept (a request's and its subject's members); anything deeper is checked
// for syntax without recursion and kept as its kind. Strings are WTF-8: a lone surrogate
// written as a \u escape is kept as its three WTF-8 bytes.

type kind uint8

const (
	kindNone kind = iota // absent
	kindString
	kindNumber
	kindOther // true, false, null
	kindArray
	kindObject
)

type value struct {
	kind kind
	str  string
	num  float64
	obj  *members // a request's or a subject's members, when kept
}

// members sums up one object as the request checks read it: for each known name its last
// value and where it first came, the first other name, the smallest array-index name.
type members struct {
	vals  [4]value
	first [4]int
	// unknown: the first name that is neither known nor an array index; unknownAt its place.
	unknown   string
	unknownAt int
	// index: the smallest array-index name (JavaScript lists those first), if any.
	index    string
	indexVal uint64
	hasIndex bool
	count    int
}

var (
	requestNames = []string{"policy", "subject", "cost"}
	subjectNames = fieldNames[:]
)

const (
	memberPolicy = iota
	memberSubject
	memberCost
)

var errSyntax = errors.New("body is not valid JSON")

type jsonReader struct {
	s string
	i int
	// items: a batch's first items (more than MAX_BATCH + 1 are counted, not kept).
	items []value
	count int
}

// parseBody reads a whole body: an object or an array; anything else is errSyntax.
func (r *jsonReader) parseBody() (value, error) {
	r.space()
	var v value
	var err error
	switch r.peek() {
	case '{':
		v, err = r.object(requestNames)
	case '[':
		v, err = r.batch()
	default:
		return value{}, errSyntax
	}
	if err != nil {
		return value{}, err
	}
	r.space()
	if r.i != len(r.s) {
		return value{}, errSyntax
	}
	return v, nil
}

func (r *jsonReader) peek() byte {
	if r.i < len(r.s) {
		return r.s[r.i]
	}
	return 0
}

func (r *jsonReader) space() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *jsonReader) batch() (value, error) {
	r.i++
	r.space()
	if r.peek() == ']' {
		r.i++
		return value{kind: kindArray}, nil
	}
	for {
		var v value
		var err error
		r.space()
		if r.peek() == '{' && r.count <= maxBatch {
			v, err = r.object(requestNames)
		} else {
			v, err = r.value(subjectNames, false)
		}
		if err != nil {
			return value{}, err
		}
		if r.count <= maxBatch {
			r.items = append(r.items, v)
		}
		r.count++
		r.space()
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return value{kind: kindArray}, nil
		default:
			return value{}, errSyntax
		}
	}
}

// object reads an object whose members are summed up by names: requestNames (a request, whose
// subject is summed up too) or subjectNames.
func (r *jsonReader) object(names []string) (value, error) {
	r.i++
	m := &members{unknownAt: -1, first: [4]int{-1, -1, -1, -1}}
	r.space()
	if r.peek() == '}' {
		r.i++
		return value{kind: kindObject, obj: m}, nil
	}
	for {
		r.space()
		if r.peek() != '"' {
			return value{}, errSyntax
		}
		key, err := r.string()
		if err != nil {
			return value{}, err
		}
		r.space()
		if r.peek() != ':' {
			return value{}, errSyntax
		}
		r.i++
		known := -1
		for k, name := range names {
			if name == key {
				known = k
				break
			}
		}
		v, err := r.value(names, known == memberSubject && len(names) == len(requestNames))
		if err != nil {
			return value{}, err
		}
		switch {
		case known >= 0:
			m.vals[known] = v
			if m.first[known] < 0 {
				m.first[known] = m.count
			}
		default:
			if n, ok := arrayIndex(key); ok {
				if !m.hasIndex || n < m.indexVal {
					m.index, m.indexVal, m.hasIndex = key, n, true
				}
			} else if m.unknownAt < 0 {
				m.unknown, m.unknownAt = key, m.count
			}
		}
		m.count++
		r.space()
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return value{kind: kindObject, obj: m}, nil
		default:
			return value{}, errSyntax
		}
	}
}

// arrayIndex reports whether key is a canonical array index (0 to 2^32 - 2), which
// JavaScript's Object.keys lists first, in numeric order.
func arrayIndex(key string) (uint64, bool) {
	if key == "" || len(key) > 10 || (key[0] == '0' && len(key) > 1) {
		return 0, false
	}
	n, err := strconv.ParseUint(key, 10, 64)
	return n, err == nil && n <= 1<<32-2
}

// value reads any value; asSubject keeps an object's members under subjectNames.
func (r *jsonReader) value(names []string, asSubject bool) (value, error) {
	r.space()
	switch c := r.peek(); {
	case c == '"':
		s, err := r.string()
		return value{kind: kindString, str: s}, err
	case c == '{' && asSubject:
		return r.object(subjectNames)
	case c == '{' || c == '[':
		k := kindObject
		if c == '[' {
			k = kindArray
		}
		return value{kind: k}, r.skip()
	case c == '-' || (c >= '0' && c <= '9'):
		n, err := r.number()
		return value{kind: kindNumber, num: n}, err
	default:
		return value{kind: kindOther}, r.literal()
	}
}

func (r *jsonReader) literal() error {
	for _, word := range [...]string{"true", "false", "null"} {
		if len(r.s)-r.i >= len(word) && r.s[r.i:r.i+len(word)] == word {
			r.i += len(word)
			return nil
		}
	}
	return errSyntax
}

func (r *jsonReader) digits() int {
	start := r.i
	for r.i < len(r.s) && r.s[r.i] >= '0' && r.s[r.i] <= '9' {
		r.i++
	}
	return r.i - start
}

// number reads a JSON number as JSON.parse does (too large: Infinity).
func (r *jsonReader) number() (float64, error) {
	start := r.i
	if r.peek() == '-' {
		r.i++
	}
	if r.peek() == '0' {
		r.i++
	} else if r.digits() == 0 {
		return 0, errSyntax
	}
	if r.peek() == '.' {
		r.i++
		if r.digits() == 0 {
			return 0, errSyntax
		}
	}
	if c := r.peek(); c == 'e' || c == 'E' {
		r.i++
		if c := r.peek(); c == '+' || c == '-' {
			r.i++
		}
		if r.digits() == 0 {
			return 0, errSyntax
		}
	}
	f, err := strconv.ParseFloat(r.s[start:r.i], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, errSyntax
	}
	return f, nil
}

// string reads a string, unescaped; a string without escapes is a slice of the body.
func (r *jsonReader) string() (string, error) {
	r.i++
	start := r.i
	for r.i < len(r.s) {
		c := r.s[r.i]
		switch {
		case c == '"':
			r.i++
			return r.s[start : r.i-1], nil
		case c == '\\':
			return r.escaped(start)
		case c < 0x20:
			return "", errSyntax
		}
		r.i++
	}
	return "", errSyntax
}

func (r *jsonReader) escaped(start int) (string, error) {
	b := make([]byte, 0, r.i-start+16)
	b = append(b, r.s[start:r.i]...)
	for r.i < len(r.s) {
		c := r.s[r.i]
		switch {
		case c == '"':
			r.i++
			return string(b), nil
		case c < 0x20:
			return "", errSyntax
		case c != '\\':
			b = append(b, c)
			r.i++
			continue
		}
		r.i++
		if r.i >= len(r.s) {
			return "", errSyntax
		}
		e := r.s[r.i]
		r.i++
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
			unit, ok := r.hex4()
			if !ok {
				return "", errSyntax
			}
			if unit >= 0xD800 && unit <= 0xDBFF && len(r.s)-r.i >= 6 && r.s[r.i] == '\\' && r.s[r.i+1] == 'u' {
				save := r.i
				r.i += 2
				if low, ok := r.hex4(); ok && low >= 0xDC00 && low <= 0xDFFF {
					b = utf8.AppendRune(b, 0x10000+(unit-0xD800)<<10+(low-0xDC00))
					continue
				}
				r.i = save
			}
			if unit >= 0xD800 && unit <= 0xDFFF {
				// WTF-8: the surrogate's three bytes
				b = append(b, byte(0xE0|unit>>12), byte(0x80|(unit>>6)&0x3F), byte(0x80|unit&0x3F))
			} else {
				b = utf8.AppendRune(b, unit)
			}
		default:
			return "", errSyntax
		}
	}
	return "", errSyntax
}

func (r *jsonReader) hex4() (rune, bool) {
	if len(r.s)-r.i < 4 {
		return 0, false
	}
	var v rune
	for _, c := range []byte(r.s[r.i : r.i+4]) {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | rune(d)
	}
	r.i += 4
	return v, true
}

// skip checks the syntax of an array or object nested at any depth, with a stack of its own.
func (r *jsonReader) skip() error {
	var stack []byte
	for {
		// a value
		r.space()
		switch c := r.peek(); {
		case c == '{' || c == '[':
			r.i++
			r.space()
			closing := byte('}')
			if c == '[' {
				closing = ']'
			}
			if r.peek() == closing {
				r.i++
				break
			}
			stack = append(stack, c)
			if c == '{' {
				if err := r.key(); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			if err := r.skipString(); err != nil {
				return err
			}
		case c == '-' || (c >= '0' && c <= '9'):
			if _, err := r.number(); err != nil {
				return err
			}
		default:
			if err := r.literal(); err != nil {
				return err
			}
		}
		// after a value: close what ends here, or go on to the next member
		for {
			if len(stack) == 0 {
				return nil
			}
			r.space()
			top := stack[len(stack)-1]
			c := r.peek()
			if c == ',' {
				r.i++
				if top == '{' {
					if err := r.key(); err != nil {
						return err
					}
				}
				break
			}
			if (c == ']' && top == '[') || (c == '}' && top == '{') {
				r.i++
				stack = stack[:len(stack)-1]
				continue
			}
			return errSyntax
		}
	}
}

// key reads a member's name and its ':'.
func (r *jsonReader) key() error {
	r.space()
	if r.peek() != '"' {
		return errSyntax
	}
	if err := r.skipString(); err != nil {
		return err
	}
	r.space()
	if r.peek() != ':' {
		return errSyntax
	}
	r.i++
	return nil
}

func (r *jsonReader) skipString() error {
	for r.i++; r.i < len(r.s); r.i++ {
		switch c := r.s[r.i]; {
		case c == '"':
			r.i++
			return nil
		case c < 0x20:
			return errSyntax
		case c == '\\':
			r.i++
			if r.i >= len(r.s) {
				return errSyntax
			}
			switch r.s[r.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				r.i++
				if _, ok := r.hex4(); !ok {
					return errSyntax
				}
				r.i--
			default:
				return errSyntax
			}
		}
	}
	return errSyntax
}
