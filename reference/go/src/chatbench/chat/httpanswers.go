package chat

import (
	"chatbench/jsvalue"

	"strconv"
	"unicode/utf8"
)

// JSONContentType is the content type of every JSON answer of Profile B.
const JSONContentType = "application/json; charset=utf-8"

// HealthBody is GET /health's body.
var HealthBody = []byte(`{"status":"ok"}`)

// NotFoundBody is the body of a 404 for a route that does not exist, as Profile B writes it:
// {"error":"not_found","message":"Cannot <METHOD> <path>"}. The raw request-target's bytes are
// read as Latin-1, as Node's HTTP parser reads them.
func NotFoundBody(method, path string) []byte {
	msg := make([]byte, 0, len(method)+len(path)+8)
	msg = append(msg, "Cannot "...)
	msg = appendLatin1(msg, method)
	msg = append(msg, ' ')
	msg = appendLatin1(msg, path)
	b := make([]byte, 0, len(msg)+48)
	b = append(b, `{"error":"not_found","message":`...)
	b = jsvalue.AppendString(b, string(msg))
	return append(b, '}')
}

func appendLatin1(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] < utf8.RuneSelf {
			b = append(b, s[i])
		} else {
			b = utf8.AppendRune(b, rune(s[i]))
		}
	}
	return b
}

// ContentLength is a body length as a header value.
func ContentLength(body []byte) string { return strconv.Itoa(len(body)) }
