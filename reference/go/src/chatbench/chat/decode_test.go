package chat

import (
	"strings"
	"testing"
)

func TestDecodeCodes(t *testing.T) {
	for frame, want := range map[string]string{
		"":                                      "bad_json",
		" ":                                     "bad_json",
		"\ufeff{}":                              "bad_json",
		`{"type":"ping"}{"type":"ping"}`:        "bad_json",
		` {"type":"ping"} `:                     "",
		`{"a":1e999999}`:                        "invalid_message",
		`{"type":"ping","ts":1e400}`:            "invalid_message",
		`{"type":"pIng"}`:                       "unknown_type",
		`{"type":"\u0070ing"}`:                  "",
		`{"type":"ping","type":"chat"}`:         "invalid_message",
		`{"type":"chat","text":"\ud800"}`:       "invalid_message",
		`{"type":"chat","text":"\ud83d\ude00"}`: "",
		`{"type":"chat","text":"x","id":"\udfff"}`:       "invalid_message",
		`{"type":"ping","__proto__":1}`:                  "invalid_message",
		`{"type":"ping","ts":01}`:                        "bad_json",
		`{"type":"ping","ts":1.}`:                        "bad_json",
		`{"type":"ping","x":[1,{"a":[]},"s",true,null]}`: "invalid_message",
		`{"type":"ping","x":[1,]}`:                       "bad_json",
		`{"type":"ping","x":{"a" 1}}`:                    "bad_json",
		`{"type":"ping","x":"` + "\x01" + `"}`:           "bad_json",
		`{"type":"ping","x":"\x"}`:                       "bad_json",
		`{"type":"ping",}`:                               "bad_json",
		`{"type":"ping","id":` + strings.Repeat("[", 3000) + strings.Repeat("]", 3000) + `}`:           "invalid_message",
		`{"type":"ping","id":` + strings.Repeat(`{"a":`, 3000) + "1" + strings.Repeat("}", 3000) + `}`: "invalid_message",
		`{"type":"ping","id":` + strings.Repeat("[", 3000) + strings.Repeat("]", 2999) + `}`:           "bad_json",
	} {
		_, _, err := decodeFrame([]byte(frame))
		got := ""
		if err != nil {
			got = err.code
		}
		if got != want {
			t.Errorf("%.80q: got %q, want %q", frame, got, want)
		}
	}
}

func TestRefIsAValidID(t *testing.T) {
	_, _, err := decodeFrame([]byte(`{"type":"nope","id":"` + strings.Repeat("😀", 64) + `"}`))
	if err == nil || !err.hasRef {
		t.Fatal("64 astral characters are a valid id")
	}
	_, _, err = decodeFrame([]byte(`{"type":"nope","id":"` + strings.Repeat("😀", 65) + `"}`))
	if err == nil || err.hasRef {
		t.Fatal("65 characters are not")
	}
}
