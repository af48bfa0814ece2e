// Package jsvalue writes numbers and strings as JavaScript does (Number#toString,
// JSON.stringify), so that the Go server's frames, answers and messages are byte for byte the
// TypeScript profiles'. Both the chat and the limiter write with it.
package jsvalue

import (
	"math"
	"strconv"
	"strings"
)

const hexDigits = "0123456789abcdef"

// FormatNumber is AppendNumber as a string.
func FormatNumber(x float64) string { return string(AppendNumber(nil, x)) }

// AppendNumber appends x as JavaScript's Number#toString writes it: integers plainly, otherwise
// the shortest digits that read back as x, in fixed notation from 1e-6 up to below 1e21 and in
// exponential notation (`1e+21`, `1.5e-7`) outside; -0 is 0; NaN, Infinity, -Infinity.
// (JSON.stringify writes null for the last three: AppendJSONNumber.)
func AppendNumber(b []byte, x float64) []byte {
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
		// the shortest digits, zeros after them: 123456789012345680000, not ...683968
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	}
	if x < 0 {
		b = append(b, '-')
		x = -x
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], x, 'e', -1, 64) // d.ddddde±XX
	mark := strings.IndexByte(string(e), 'e')
	digits := make([]byte, 0, 20)
	for _, c := range e[:mark] {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	exp, _ := strconv.Atoi(string(e[mark+1:]))
	k, n := len(digits), exp+1 // the value is 0.digits × 10^n
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

// AppendJSONNumber appends x as JSON.stringify writes a number: as AppendNumber, but null for
// NaN and the infinities.
func AppendJSONNumber(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return append(b, "null"...)
	}
	return AppendNumber(b, x)
}

// AppendString appends s as JSON.stringify writes a string: `"` and `\` escaped, the control
// characters below U+0020 as \b \f \n \r \t or \u00xx, everything else as it is (U+2028,
// U+2029, `<`, `>` and `&` included). s is WTF-8: UTF-8 in which a lone surrogate (from a JSON
// escape such as "\ud800") is its three bytes, written back as \udxxx, as JSON.stringify writes
// a lone surrogate.
func AppendString(b []byte, s string) []byte {
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
