package limiter

import (
	"strings"
	"testing"
)

// The Lua scripts are copies of the TypeScript profiles' (src/core/limiter/redis/limiter-script.ts):
// the same semantics in Redis for every server sharing it. A change on one side fails here.
func TestScriptsAreTheTypeScriptProfilesScripts(t *testing.T) {
	text := repoFile(t, "src/core/limiter/redis/limiter-script.ts")
	for name, script := range map[string]string{"LIMITER_SCRIPT": limiterScript, "INSTANCES_SCRIPT": instancesScript} {
		start := strings.Index(string(text), "export const "+name+" = `")
		if start < 0 {
			t.Fatalf("%s not found in limiter-script.ts", name)
		}
		body := string(text)[start+len("export const "+name+" = `"):]
		body = body[:strings.Index(body, "`;")]
		if body != script {
			t.Errorf("%s differs from limiter-script.ts's", name)
		}
	}
}
