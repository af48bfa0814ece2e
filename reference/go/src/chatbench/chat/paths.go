package chat

import "strings"

// WSPath is the chat's WebSocket endpoint.
const WSPath = "/ws"

// RequestPath is the path of a raw request-target as an upgrade is matched: everything before
// the first `?`, as sent (a `#` is part of it).
func RequestPath(target string) string {
	if i := strings.IndexByte(target, '?'); i >= 0 {
		return target[:i]
	}
	return target
}

// RoutePath is the path an HTTP request is routed by, as Profile B's routePath gives it: the
// absolute form reduced to its path (`/` when it has none), the target cut at the first `?` or
// `#`, nothing decoded.
func RoutePath(target string) string {
	start := 0
	absolute := false
	if !strings.HasPrefix(target, "/") {
		if n := schemeAuthorityLen(target); n >= 0 {
			start, absolute = n, true
		}
	}
	end := start
	for end < len(target) && target[end] != '?' && target[end] != '#' {
		end++
	}
	if absolute && end == start {
		return "/"
	}
	return target[start:end]
}

// schemeAuthorityLen matches ^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]* and returns its length, or -1.
func schemeAuthorityLen(s string) int {
	if len(s) == 0 || !isAlpha(s[0]) {
		return -1
	}
	i := 1
	for i < len(s) && (isAlpha(s[i]) || s[i] >= '0' && s[i] <= '9' || s[i] == '+' || s[i] == '.' || s[i] == '-') {
		i++
	}
	if !strings.HasPrefix(s[i:], "://") {
		return -1
	}
	i += 3
	for i < len(s) && s[i] != '/' && s[i] != '?' && s[i] != '#' {
		i++
	}
	return i
}

func isAlpha(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
