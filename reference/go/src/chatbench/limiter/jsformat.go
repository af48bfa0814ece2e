package limiter

import (
	"math"
	"strings"
)

func jsCeil(x float64) float64 { return math.Ceil(x) }

func jsFloor(x float64) float64 { return math.Floor(x) }

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
