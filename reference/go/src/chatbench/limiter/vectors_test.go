package limiter

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// test/vectors/limiter.json on the pure algorithms, as
// src/core/limiter/algorithms/vectors.spec.ts reads it: each case on a fresh state, each step
// at its own now.
func TestVectors(t *testing.T) {
	text := repoFile(t, "test/vectors/limiter.json")
	doc, err := parseJSONDocument(text)
	if err != nil {
		t.Fatal(err)
	}
	root := doc.(*object)
	policies, err := ParsePolicies(root)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Policy{}
	algorithms := map[string]bool{}
	for _, p := range policies {
		byName[p.Name] = p
	}
	cases := root.get("cases").([]interface{})
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, raw := range cases {
		c := raw.(*object)
		name := c.get("name").(string)
		p := byName[c.get("policy").(string)]
		algorithms[p.Algorithm] = true
		steps := c.get("steps").([]interface{})
		state := InitialState(p, steps[0].(*object).get("now").(float64))
		for i, rawStep := range steps {
			step := rawStep.(*object)
			want := step.get("expect").(*object)
			d := Decide(&state, p, step.get("now").(float64), step.get("cost").(float64), step.get("op") == "consume")
			if d.Allowed != want.get("allowed").(bool) || d.Remaining != want.get("remaining").(float64) ||
				d.RetryAfterMs != want.get("retryAfterMs").(float64) || d.ResetMs != want.get("resetMs").(float64) {
				t.Errorf("%s, step %d: got %+v, want %v", name, i, d, want.values)
			}
		}
	}
	if !algorithms[TokenBucket] || !algorithms[SlidingWindow] {
		t.Errorf("the vectors must hold cases for both algorithms: %v", algorithms)
	}
}

// repoFile reads a file of the repository by its path from the repository's root (five levels
// above this package's directory), or fails the test.
func repoFile(t *testing.T, path string) []byte {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	text, err := os.ReadFile(filepath.Join(filepath.Dir(here), "../../../../..", path))
	if err != nil {
		t.Fatal(err)
	}
	return text
}
