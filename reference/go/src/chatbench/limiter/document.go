package limiter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// object is a policies file's mapping: its keys in order (as JavaScript's Object.keys gives
// them for the names a policies file uses) and their values. Values are *object,
// []interface{}, string, float64, bool or nil.
type object struct {
	keys   []string
	values map[string]interface{}
}

func newObject() *object { return &object{values: map[string]interface{}{}} }

func (o *object) get(key string) interface{} { return o.values[key] }

// set adds or replaces key; it reports whether key was already there.
func (o *object) set(key string, v interface{}) bool {
	_, had := o.values[key]
	if !had {
		o.keys = append(o.keys, key)
	}
	o.values[key] = v
	return had
}

// parseJSONDocument reads a policies file in JSON as JSON.parse does (a repeated key: the last
// value, at the first's place).
func parseJSONDocument(text []byte) (interface{}, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	v, err := decodeJSONValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func decodeJSONValue(dec *json.Decoder) (interface{}, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			list := []interface{}{}
			for dec.More() {
				v, err := decodeJSONValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		o := newObject()
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeJSONValue(dec)
			if err != nil {
				return nil, err
			}
			o.set(key.(string), v)
		}
		_, err := dec.Token()
		return o, err
	default:
		return t, nil
	}
}

func errorf(format string, args ...interface{}) error { return fmt.Errorf(format, args...) }

// has reports whether key is there, even with a null value.
func (o *object) has(key string) bool {
	_, ok := o.values[key]
	return ok
}
