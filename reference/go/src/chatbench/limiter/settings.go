package limiter

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// settings are the limiter's variables of the README's settings table
// (src/core/config/settings.ts), with the same defaults and ranges.
type settings struct {
	store            string // memory | redis
	failureMode      string // fail-over | fail-open | fail-closed
	redisURL         string
	redisTimeoutMs   int
	breakerFailures  int
	breakerOpenMs    int
	denyCacheMs      int
	chatCapacity     int
	chatRefillPerSec int
	policiesFile     string
	throttlePolicy   string
}

type intSetting struct {
	env           string
	into          func(*settings) *int
	def, min, max int
}

var intSettings = []intSetting{
	{"RATE_LIMIT_CAPACITY", func(s *settings) *int { return &s.chatCapacity }, 10, 1, 1000000},
	{"RATE_LIMIT_REFILL_PER_SEC", func(s *settings) *int { return &s.chatRefillPerSec }, 10, 1, 1000000},
	{"REDIS_TIMEOUT_MS", func(s *settings) *int { return &s.redisTimeoutMs }, 50, 1, 60000},
	{"BREAKER_FAILURES", func(s *settings) *int { return &s.breakerFailures }, 5, 1, 1000},
	{"BREAKER_OPEN_MS", func(s *settings) *int { return &s.breakerOpenMs }, 1000, 10, 600000},
	{"DENY_CACHE_MS", func(s *settings) *int { return &s.denyCacheMs }, 250, 0, 60000},
}

var (
	digitsOnly  = regexp.MustCompile(`^[0-9]+$`)
	redisURLRe  = regexp.MustCompile(`^rediss?://\S+$`)
	defaultURL  = "redis://127.0.0.1:6379"
	storeChoice = []string{"memory", "redis"}
	modeChoice  = []string{"fail-over", "fail-open", "fail-closed"}
)

// SettingsError is a bad setting: start-up stops with its message and exit code 2.
type SettingsError struct{ Message string }

func (e *SettingsError) Error() string { return e.Message }

func loadSettings(getenv func(string) string) (settings, error) {
	var s settings
	var problems []string
	for _, spec := range intSettings {
		raw := getenv(spec.env)
		if raw == "" {
			*spec.into(&s) = spec.def
			continue
		}
		trimmed := strings.TrimSpace(raw)
		n, err := strconv.Atoi(trimmed)
		if !digitsOnly.MatchString(trimmed) || err != nil || n < spec.min || n > spec.max {
			problems = append(problems, fmt.Sprintf("%s must be an integer from %d to %d, got '%s'", spec.env, spec.min, spec.max, raw))
			continue
		}
		*spec.into(&s) = n
	}
	choice := func(env string, choices []string) string {
		raw := strings.TrimSpace(getenv(env))
		if raw == "" {
			return choices[0]
		}
		if contains(choices, raw) {
			return raw
		}
		problems = append(problems, fmt.Sprintf("%s must be one of %s, got '%s'", env, strings.Join(choices, ", "), getenv(env)))
		return choices[0]
	}
	s.store = choice("LIMITER_STORE", storeChoice)
	s.failureMode = choice("LIMITER_FAILURE_MODE", modeChoice)
	s.redisURL = strings.TrimSpace(getenv("REDIS_URL"))
	if s.redisURL == "" {
		s.redisURL = defaultURL
	}
	if !redisURLRe.MatchString(s.redisURL) {
		problems = append(problems, fmt.Sprintf("REDIS_URL must be a redis:// or rediss:// URL, got '%s'", getenv("REDIS_URL")))
	}
	if s.store == "redis" && strings.TrimSpace(getenv("REDIS_CLUSTER_NODES")) != "" {
		problems = append(problems, "REDIS_CLUSTER_NODES: a Redis Cluster is not supported by this server")
	}
	s.policiesFile = strings.TrimSpace(getenv("POLICIES_FILE"))
	s.throttlePolicy = strings.TrimSpace(getenv("HTTP_THROTTLE_POLICY"))
	if s.throttlePolicy != "" && !PolicyNamePattern.MatchString(s.throttlePolicy) {
		problems = append(problems, fmt.Sprintf("HTTP_THROTTLE_POLICY must be a policy name, got '%s'", getenv("HTTP_THROTTLE_POLICY")))
	}
	if len(problems) > 0 {
		return s, &SettingsError{"invalid settings:\n  " + strings.Join(problems, "\n  ")}
	}
	return s, nil
}

// loadPolicies is load-policies.ts: POLICIES_FILE (.json as JSON, else YAML) or the built-in
// set, then HTTP_THROTTLE_POLICY, then the file's domains section.
func loadPolicies(s settings) ([]*Policy, error) {
	policies := DefaultPolicies(float64(s.chatCapacity), float64(s.chatRefillPerSec))
	var document interface{}
	if s.policiesFile != "" {
		var err error
		if document, err = readPolicyFile(s.policiesFile); err != nil {
			return nil, err
		}
		if policies, err = ParsePolicies(document); err != nil {
			return nil, err
		}
	}
	if s.throttlePolicy != "" {
		found := false
		for _, p := range policies {
			found = found || p.Name == s.throttlePolicy
		}
		if !found {
			return nil, &PolicyError{fmt.Sprintf("HTTP_THROTTLE_POLICY names '%s', which is not a policy", s.throttlePolicy)}
		}
	}
	if err := checkDomains(document, policies); err != nil {
		return nil, err
	}
	for _, p := range policies {
		p.prepare()
	}
	return policies, nil
}

func readPolicyFile(file string) (interface{}, error) {
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, &PolicyError{fmt.Sprintf("POLICIES_FILE '%s' cannot be read: %v", file, err)}
	}
	var document interface{}
	format := "YAML"
	if strings.HasSuffix(file, ".json") {
		format = "JSON"
		document, err = parseJSONDocument(decodeUTF8(text))
	} else {
		document, err = parseYAMLDocument(string(decodeUTF8(text)))
	}
	if err != nil {
		return nil, &PolicyError{fmt.Sprintf("POLICIES_FILE '%s' is not valid %s: %v", file, format, err)}
	}
	return document, nil
}
