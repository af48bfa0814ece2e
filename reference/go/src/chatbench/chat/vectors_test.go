package chat

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"testing"
)

// The message vectors of test/vectors/messages.json, run on the hub without sockets: a
// connection's outbox is read directly.

type vector struct {
	Name   string                   `json:"name"`
	Before []string                 `json:"before"`
	Frame  string                   `json:"frame"`
	Binary bool                     `json:"binary"`
	Reply  []map[string]interface{} `json:"reply"`
}

func defaultSettings() Settings {
	s, err := LoadSettings(func(string) string { return "" })
	if err != nil {
		panic(err)
	}
	return s
}

// testConn is a connection with no socket and no writer: what is queued stays in its outbox.
func testConn(h *Hub) *Conn {
	return h.newConn(nil)
}

// drained returns the text frames queued for c since the last call.
func drained(c *Conn) []string {
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	var frames []string
	for _, it := range c.out.queue {
		if it.kind == itemText {
			frames = append(frames, string(it.data))
		}
	}
	c.out.queue = nil
	c.out.pending = 0
	return frames
}

// comparable drops an error frame's free message, after checking it and retryAfterMs.
func comparable(t *testing.T, frame string) map[string]interface{} {
	var m map[string]interface{}
	if err := json.Unmarshal([]byte(frame), &m); err != nil {
		t.Fatalf("not JSON: %q", frame)
	}
	if m["type"] == "error" {
		if msg, _ := m["message"].(string); msg == "" {
			t.Errorf("error without message: %s", frame)
		}
		delete(m, "message")
		if m["code"] == "rate_limited" {
			if r, _ := m["retryAfterMs"].(float64); r <= 0 || r != math.Trunc(r) {
				t.Errorf("bad retryAfterMs: %s", frame)
			}
			delete(m, "retryAfterMs")
		} else if _, ok := m["retryAfterMs"]; ok {
			t.Errorf("retryAfterMs on %s", frame)
		}
	}
	return m
}

func TestMessageVectors(t *testing.T) {
	raw, err := os.ReadFile("../../../../../test/vectors/messages.json")
	if err != nil {
		t.Skip("test/vectors/messages.json not found:", err)
	}
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range file.Vectors {
		v := v
		t.Run(v.Name, func(t *testing.T) {
			h := NewHub(defaultSettings())
			c := testConn(h)
			for _, f := range v.Before {
				h.handleFrame(c, []byte(f), false)
			}
			drained(c)
			h.handleFrame(c, []byte(v.Frame), v.Binary)
			got := []map[string]interface{}{}
			for _, f := range drained(c) {
				got = append(got, comparable(t, f))
			}
			want := v.Reply
			if want == nil {
				want = []map[string]interface{}{}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("frame %.200q\n got %v\nwant %v", v.Frame, got, want)
			}
		})
	}
}

func TestBroadcastOrderAndSharedBytes(t *testing.T) {
	h := NewHub(defaultSettings())
	a, b := testConn(h), testConn(h)
	h.handleFrame(a, []byte(`{"type":"join","room":"r","user":"a"}`), false)
	h.handleFrame(b, []byte(`{"type":"join","room":"r","user":"b"}`), false)
	drained(a)
	drained(b)
	h.handleFrame(a, []byte(`{"type":"chat","room":"r","text":"hi \u2028 \"x\" \u0001","id":"1","ts":-0}`), false)
	want := `{"type":"chat","room":"r","user":"a","text":"hi ` + "\u2028" + ` \"x\" \u0001","id":"1","ts":0,"seq":1}`
	ga, gb := drained(a), drained(b)
	if len(ga) != 1 || ga[0] != want || len(gb) != 1 || gb[0] != want {
		t.Fatalf("got %q and %q, want %q", ga, gb, want)
	}
	h.forget(b)
	if got := drained(a); len(got) != 1 || got[0] != `{"type":"leave","room":"r","user":"b","members":1}` {
		t.Fatalf("leave on disconnect: %q", got)
	}
	if h.Rooms() != 1 || h.Connections() != 1 {
		t.Fatalf("rooms %d connections %d", h.Rooms(), h.Connections())
	}
}
