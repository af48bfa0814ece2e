package jsvalue

import (
	"math"
	"strconv"
	"testing"
)

func TestNumber(t *testing.T) {
	for in, want := range map[string]string{
		"-0": "0", "-0.0e0": "0", "1.50e3": "1500", "1E-7": "1e-7", "1e21": "1e+21",
		"100000000000000000000": "100000000000000000000", "0.10": "0.1", "-12.50": "-12.5",
		"5e-324": "5e-324", "1000.5": "1000.5", "0.000001": "0.000001", "1.5e-7": "1.5e-7",
		"123456789012345680000": "123456789012345680000", "1.7976931348623157e308": "1.7976931348623157e+308",
		"9007199254740993": "9007199254740992", "-1e-7": "-1e-7", "0.1e1": "1", "12345.678e-2": "123.45678",
	} {
		f, _ := strconv.ParseFloat(in, 64)
		if got := FormatNumber(f); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	if got := FormatNumber(math.Inf(-1)); got != "-Infinity" {
		t.Errorf("-Inf: %s", got)
	}
	if got := string(AppendJSONNumber(nil, math.Inf(1))); got != "null" {
		t.Errorf("JSON Inf: %s", got)
	}
}

func TestString(t *testing.T) {
	got := string(AppendString(nil, "a\"\\\b\f\n\r\t\x00\x1f\x7f<>&\u2028😀\xed\xa0\x80"))
	want := `"a\"\\\b\f\n\r\t\u0000\u001f` + "\x7f<>&\u2028😀" + `\ud800"`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
