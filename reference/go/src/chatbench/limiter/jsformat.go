package limiter

import (
	"math"
	"strconv"
	"strings"
)

// formatNumber writes x as JavaScript's Number#toString does (and so JSON.stringify).
func formatNumber(x float64) string {
	return string(appendNumber(nil, x))
}

func jsCeil(x float64) float64 { return math.Ceil(x) }

func jsFloor(x float64) float64 { return math.Floor(x) }

// appendNumber appends x as JavaScript writes it: integers plainly, the shortest digits that
// read back as x, exponent form below 1e-6 and from 1e21.
func appendNumber(b []byte, x float64) []byte {
	switch {
	case x == 0:
		return append(b, '0')
	case math.IsNaN(x):
		return append(b, "NaN"...)
	case math.IsInf(x, 1):
		return append(b, "Infinity"...)
	case math.IsInf(x, -1):
		return append(b, "-Infinity"...)
	}
	if x == math.Trunc(x) && math.Abs(x) < 1e21 {
		return strconv.AppendFloat(b, x, 'f', 0, 64)
	}
	if x < 0 {
		b = append(b, '-')
		x = -x
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], x, 'e', -1, 64)
	mark := strings.IndexByte(string(e), 'e')
	digits := make([]byte, 0, 20)
	for _, c := range e[:mark] {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	exp, _ := strconv.Atoi(string(e[mark+1:]))
	k, n := len(digits), exp+1
	switch {
	case k <= n && n <= 21:
		b = append(b, digits...)
		for i := k; i < n; i++ {
			b = append(b, '0')
		}
	case 0 < n && n <= 21:
		b = append(b, digits[:n]...)
		b = append(b, '.')
		b = append(b, digits[n:]...)
	case -6 < n && n <= 0:
		b = append(b, "0."...)
		for i := n; i < 0; i++ {
			b = append(b, '0')
		}
		b = append(b, digits...)
	default:
		b = append(b, digits[0])
		if k > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if n-1 >= 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, int64(n-1), 10)
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as JSON.stringify writes a string. s is WTF-8: UTF-8 in which a
// lone surrogate (from a JSON escape) is its three bytes, written back as \udxxx.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x80 {
			i++
			continue
		}
		if c >= 0x80 {
			if c == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 {
				b = append(b, s[start:i]...)
				unit := rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
				b = append(b, '\\', 'u', hexDigits[unit>>12], hexDigits[unit>>8&0xF], hexDigits[unit>>4&0xF], hexDigits[unit&0xF])
				i += 3
				start = i
				continue
			}
			i++
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// latin1 reads a header value's bytes as Node does (each byte one character), as UTF-8.
func latin1(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			var b strings.Builder
			for j := 0; j < len(s); j++ {
				b.WriteRune(rune(s[j]))
			}
			return b.String()
		}
	}
	return s
}
