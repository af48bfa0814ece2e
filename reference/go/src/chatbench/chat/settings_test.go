package chat

import (
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSettings(t *testing.T) {
	s, err := LoadSettings(env(map[string]string{"PORT": " 0012 ", "HOST": " ::1 ", "RATE_LIMIT_CAPACITY": "\u00a03"}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Port != 12 || s.Host != "::1" || s.RateLimitCapacity != 3 || s.MaxFrameBytes != 4096 || s.ShutdownGraceMs != 5000 {
		t.Fatalf("%+v", s)
	}
	_, err = LoadSettings(env(map[string]string{"MAX_FRAME_BYTES": "lots", "KEEPALIVE_INTERVAL_MS": "-5", "HTTP_PLATFORM": "bogus",
		"PORT": "99999999999999999999", "HOST": "a b"}))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, want := range []string{"MAX_FRAME_BYTES must be an integer from 64 to 1048576, got 'lots'", "KEEPALIVE_INTERVAL_MS",
		"HTTP_PLATFORM must be one of express, fastify, got 'bogus'", "PORT", "HOST"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %s", err, want)
		}
	}
}

func TestRoutePath(t *testing.T) {
	for in, want := range map[string]string{
		"/health?x": "/health", "/health#x": "/health", "http://h:1/health?q": "/health", "http://h:1": "/",
		"http://h:1?x": "/", "*": "*", "health": "health", "/%68ealth": "/%68ealth", "//health": "//health",
	} {
		if got := RoutePath(in); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	if RequestPath("/ws#f?x=1") != "/ws#f" || RequestPath("/ws?") != "/ws" {
		t.Error("RequestPath")
	}
}
