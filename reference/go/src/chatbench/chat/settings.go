package chat

import (
	"fmt"
	"regexp"
	"strings"
)

// Settings are the chat's settings (README, Settings), read from the environment as Profile B
// reads them (src/core/config/settings.ts).
type Settings struct {
	Port                  int
	Host                  string
	MaxFrameBytes         int
	MaxRoomsPerConnection int
	RateLimitCapacity     int
	RateLimitRefillPerSec int
	KeepaliveIntervalMs   int
	MaxBufferedBytes      int
	ShutdownGraceMs       int
}

type intSetting struct {
	env      string
	def      int
	min, max int
	field    func(*Settings) *int
}

var intSettings = []intSetting{
	{"PORT", 3000, 0, 65535, func(s *Settings) *int { return &s.Port }},
	{"MAX_FRAME_BYTES", 4096, 64, 1048576, func(s *Settings) *int { return &s.MaxFrameBytes }},
	{"MAX_ROOMS_PER_CONNECTION", 8, 1, 1024, func(s *Settings) *int { return &s.MaxRoomsPerConnection }},
	{"RATE_LIMIT_CAPACITY", 10, 1, 1000000, func(s *Settings) *int { return &s.RateLimitCapacity }},
	{"RATE_LIMIT_REFILL_PER_SEC", 10, 1, 1000000, func(s *Settings) *int { return &s.RateLimitRefillPerSec }},
	{"KEEPALIVE_INTERVAL_MS", 30000, 10, 3600000, func(s *Settings) *int { return &s.KeepaliveIntervalMs }},
	{"MAX_BUFFERED_BYTES", 1048576, 1024, 1073741824, func(s *Settings) *int { return &s.MaxBufferedBytes }},
	{"SHUTDOWN_GRACE_MS", 5000, 0, 9000, func(s *Settings) *int { return &s.ShutdownGraceMs }},
	// Profile A's settings, checked by Profile B too, unused here
	{"CHAT_BUS_NODE_TIMEOUT_MS", 3000, 150, 600000, nil},
	{"CLUSTER_WORKERS", 0, 0, 256, nil},
}

var choiceSettings = []struct {
	env     string
	choices []string
}{
	{"LOG_LEVEL", []string{"info", "debug", "warn", "error", "silent"}},
	{"CHAT_BUS", []string{"local", "redis"}},
	{"HTTP_PLATFORM", []string{"express", "fastify"}},
}

var (
	digitsPattern = regexp.MustCompile(`^[0-9]+$`)
	hostPattern   = regexp.MustCompile(`^[A-Za-z0-9.:_-]+$`)
)

// jsTrim trims as ECMAScript's String.prototype.trim: white space and line terminators.
func jsTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		switch r {
		case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
			return true
		}
		return r >= 0x2000 && r <= 0x200a
	})
}

// LoadSettings reads the settings through getenv; an empty variable is an unset one. The error
// names every bad variable, in Profile B's words.
func LoadSettings(getenv func(string) string) (Settings, error) {
	var s Settings
	var problems []string
	for _, spec := range intSettings {
		raw := getenv(spec.env)
		v := spec.def
		if raw != "" {
			t := jsTrim(raw)
			ok := digitsPattern.MatchString(t) && len(strings.TrimLeft(t, "0")) <= 10
			if ok {
				v = 0
				for _, c := range t {
					v = v*10 + int(c-'0')
				}
				ok = v >= spec.min && v <= spec.max
			}
			if !ok {
				problems = append(problems, fmt.Sprintf("%s must be an integer from %d to %d, got '%s'", spec.env, spec.min, spec.max, raw))
				continue
			}
		}
		if spec.field != nil {
			*spec.field(&s) = v
		}
	}
	for _, spec := range choiceSettings {
		raw := jsTrim(getenv(spec.env))
		if raw == "" {
			continue
		}
		found := false
		for _, c := range spec.choices {
			found = found || c == raw
		}
		if !found {
			problems = append(problems, fmt.Sprintf("%s must be one of %s, got '%s'", spec.env, strings.Join(spec.choices, ", "), getenv(spec.env)))
		}
	}
	s.Host = "127.0.0.1"
	if raw := getenv("HOST"); raw != "" {
		s.Host = jsTrim(raw)
	}
	if !hostPattern.MatchString(s.Host) {
		problems = append(problems, fmt.Sprintf("HOST must be a host name or IP address, got '%s'", getenv("HOST")))
	}
	if len(problems) > 0 {
		return s, fmt.Errorf("invalid settings:\n  %s", strings.Join(problems, "\n  "))
	}
	return s, nil
}
