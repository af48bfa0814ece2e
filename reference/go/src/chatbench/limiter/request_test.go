package limiter

import (
	"chatbench/jsvalue"

	"strings"
	"testing"
)

// checkText runs a body's text through the reader and the request checks, as the handler does.
func checkText(text string) string {
	r := jsonReader{s: text}
	body, err := r.parseBody()
	if err != nil {
		return "bad_json"
	}
	_, _, refusal := checkBody(body, r.items, r.count)
	if refusal != nil {
		return refusal.message
	}
	return "ok"
}

func TestRequestChecksInJavaScriptOrder(t *testing.T) {
	deep := strings.Repeat("[", 100000) + `"a"` + strings.Repeat("]", 100000)
	for _, c := range []struct{ body, want string }{
		{`{"policy":"p","subject":{"ip":"a"}}`, "ok"},
		{`{"b":1,"5":2,"3":1,"policy":"x"}`, "3 is not a field"},
		{`{"policy":"p","subject":{"user":5,"x":1,"user":"a"}}`, "subject.x is not a field"},
		{`{"policy":"p","subject":{"user":"a","x":1,"user":5}}`, "subject.user " + subjectValueRule},
		{`{"policy":"p","subject":{"ip":"a","\ud800":"b"}}`, "subject.\xed\xa0\x80 is not a field"},
		{`{"policy":"tiny\udfff","subject":{"ip":"a"}}`, "policy " + policyRule},
		{`{"policy":"p","subject":{"ip":"\ud83d\ude00"}}`, "ok"},
		{`{"policy":"p","subject":{"ip":` + deep + `}}`, "subject.ip " + subjectValueRule},
		{`{"policy":"p","subject":{"ip":` + deep[1:] + `}}`, "bad_json"},
		{`{"policy":"p","subject":{"ip":"a"},"cost":9007199254740992}`, "cost " + costRule},
		{`[{"policy":"p","subject":{"ip":"a"}},5]`, "[1] must be an object"},
		{`[]`, "a batch must hold at least one request"},
		{`"x"`, "bad_json"},
		{`{"policy":01}`, "bad_json"},
	} {
		if got := checkText(c.body); got != c.want {
			t.Errorf("%.60s: got %q, want %q", c.body, got, c.want)
		}
	}
}

func TestWritesAsJavaScript(t *testing.T) {
	for x, want := range map[float64]string{0: "0", 1e21: "1e+21", 123456789012: "123456789012", 0.000001: "0.000001",
		1e-7: "1e-7", 0.00025: "0.00025", 1.5: "1.5", -2: "-2", 1.2345678901234567e-5: "0.000012345678901234568"} {
		if got := jsvalue.FormatNumber(x); got != want {
			t.Errorf("jsvalue.FormatNumber(%v) = %s, want %s", x, got, want)
		}
	}
	if got := string(jsvalue.AppendString(nil, "a\"\\\n\x01\xed\xa0\x80é")); got != `"a\"\\\n\u0001\ud800é"` {
		t.Errorf("appendJSONString: %s", got)
	}
	if got := string(decodeUTF8([]byte{0xff, 0xfe, 0x41, 0xe2, 0x82, 0x41, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98})); got != "\ufffd\ufffdA\ufffdA\ufffd\ufffd\ufffd\ufffd" {
		t.Errorf("decodeUTF8: %q", got)
	}
}
