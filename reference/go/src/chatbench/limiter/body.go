package limiter

import (
	"chatbench/jsvalue"

	"errors"
	"io"
	"net/http"
	"strings"
)

// How a decision body is read (src/core/limiter/request-body.ts), in its order: a body at all,
// its charset, its content coding, its size, its UTF-8, its JSON.

var (
	errBadJSON  = &apiError{400, "bad_json", "body is not valid JSON"}
	errTooLarge = &apiError{413, "payload_too_large", "body over 1048576 bytes"}
	errAborted  = errors.New("the client stopped sending")
)

// declaresBody: a Transfer-Encoding, or a Content-Length (0 included).
func declaresBody(r *http.Request) bool {
	return len(r.TransferEncoding) > 0 || r.ContentLength > 0 || len(r.Header["Content-Length"]) > 0
}

// charsetOf reads a Content-Type's charset parameter as the `content-type` package does
// (request-body.ts charsetOf); ok is false when there is none.
func charsetOf(ct string) (string, bool) {
	isOws := func(c byte) bool { return c == ' ' || c == '\t' }
	skipValue := func(i int) int {
		for i < len(ct) && ct[i] != ';' {
			i++
		}
		return i
	}
	i := skipValue(0)
parameter:
	for i < len(ct) {
		i++
		for i < len(ct) && isOws(ct[i]) {
			i++
		}
		nameStart := i
		for i < len(ct) {
			c := ct[i]
			if c == ';' {
				continue parameter
			}
			if c != '=' {
				i++
				continue
			}
			end := i
			for end > nameStart && isOws(ct[end-1]) {
				end--
			}
			isCharset := strings.EqualFold(ct[nameStart:end], "charset")
			for i++; i < len(ct) && isOws(ct[i]); i++ {
			}
			if i < len(ct) && ct[i] == '"' {
				var value strings.Builder
				for i++; i < len(ct); {
					c := ct[i]
					i++
					if c == '"' {
						if isCharset {
							return value.String(), true
						}
						i = skipValue(i)
						break
					}
					if c == '\\' && i < len(ct) {
						c = ct[i]
						i++
					}
					value.WriteByte(c)
				}
				continue parameter
			}
			start := i
			i = skipValue(i)
			if isCharset {
				end := i
				for end > start && isOws(ct[end-1]) {
					end--
				}
				return ct[start:end], true
			}
			continue parameter
		}
	}
	return "", false
}

// bodyEncodingError is the 415 of a charset other than utf-8 or a coding other than identity.
func bodyEncodingError(r *http.Request) *apiError {
	if cts := r.Header["Content-Type"]; len(cts) > 0 {
		if charset, ok := charsetOf(cts[0]); ok && !strings.EqualFold(charset, "utf-8") {
			return &apiError{415, "unsupported_media_type",
				"charset " + string(jsvalue.AppendString(nil, latin1(charset))) + " is not supported: the body must be UTF-8"}
		}
	}
	if codings := r.Header["Content-Encoding"]; len(codings) > 0 {
		encoding := strings.Join(codings, ", ")
		if encoding != "" && !strings.EqualFold(encoding, "identity") {
			return &apiError{415, "unsupported_media_type",
				"content encoding " + string(jsvalue.AppendString(nil, latin1(encoding))) + " is not supported: the body must not be encoded"}
		}
	}
	return nil
}

// readBody reads the body's text (no BOM, ill-formed UTF-8 as U+FFFD); hasBody false when the
// request declares none; errAborted when the client stops sending.
func readBody(r *http.Request) (text string, hasBody bool, refusal *apiError, err error) {
	if !declaresBody(r) {
		return "", false, nil, nil
	}
	if refusal := bodyEncodingError(r); refusal != nil {
		// answered as Profile B does, the rest of the body read and discarded, so that the
		// connection stays open for the next request
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return "", true, nil, errAborted
		}
		return "", true, refusal, nil
	}
	size := 4096 // a chunked body grows from here
	if r.ContentLength >= 0 {
		size = maxBodyBytes + 1
		if r.ContentLength < int64(size) {
			size = int(r.ContentLength) + 1
		}
	}
	buf := make([]byte, 0, size)
	for {
		n, readErr := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > maxBodyBytes {
			return "", true, errTooLarge, nil
		}
		if readErr == io.EOF {
			break
		}
		if readErr != nil {
			return "", true, nil, errAborted
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
	b := decodeUTF8(buf)
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		b = b[3:]
	}
	return string(b), true, nil, nil
}
