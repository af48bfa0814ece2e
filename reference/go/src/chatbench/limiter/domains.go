package limiter

import (
	"encoding/json"
	"fmt"
	"strings"
)

// checkDomains checks the policies file's `domains` section as src/core/limiter/rls/
// descriptors.ts parseDomains does, so that a file Profile B refuses stops this server too.
// The rules themselves are not kept: this server does not serve Envoy's rate limit service.
func checkDomains(document interface{}, policies []*Policy) error {
	doc, _ := document.(*object)
	if doc == nil || !doc.has("domains") {
		return nil
	}
	section, ok := doc.get("domains").([]interface{})
	if !ok {
		return &PolicyError{"domains must be a list"}
	}
	byName := map[string]*Policy{}
	for _, p := range policies {
		byName[p.Name] = p
	}
	c := &domainChecker{byName: byName}
	names := map[string]bool{}
	for i, raw := range section {
		at := fmt.Sprintf("domains[%d]", i)
		d, isObject := raw.(*object)
		if !isObject {
			c.problems = append(c.problems, at+" must be an object")
			continue
		}
		for _, field := range d.keys {
			if field != "domain" && field != "descriptors" {
				c.problems = append(c.problems, at+"."+field+" is not a field of a domain")
			}
		}
		c.rules(d.get("descriptors"), d.has("descriptors"), at+".descriptors", nil)
		name, isString := d.get("domain").(string)
		switch {
		case !isString || name == "":
			c.problems = append(c.problems, at+".domain must be a non-empty string")
		case names[name]:
			c.problems = append(c.problems, fmt.Sprintf("%s.domain '%s' is used twice", at, name))
		default:
			names[name] = true
		}
	}
	if len(c.problems) > 0 {
		return &PolicyError{"invalid domains:\n  " + strings.Join(c.problems, "\n  ")}
	}
	return nil
}

type domainChecker struct {
	byName   map[string]*Policy
	problems []string
}

var ruleFields = []string{"key", "value", "subject", "policy", "descriptors"}

// rules checks one level of descriptor rules; assigned holds the subject fields filled on the
// path to it.
func (c *domainChecker) rules(v interface{}, present bool, at string, assigned []Field) {
	list, ok := v.([]interface{})
	if !present || !ok || len(list) == 0 {
		c.problems = append(c.problems, at+" must be a non-empty list")
		return
	}
	siblings := map[string]bool{}
	for i, raw := range list {
		here := fmt.Sprintf("%s[%d]", at, i)
		r, isObject := raw.(*object)
		if !isObject {
			c.problems = append(c.problems, here+" must be an object")
			continue
		}
		fail := func(field, rule string) { c.problems = append(c.problems, here+"."+field+" "+rule) }
		for _, field := range r.keys {
			if !contains(ruleFields, field) {
				fail(field, "is not a field of a descriptor")
			}
		}
		key, keyOK := r.get("key").(string)
		keyOK = keyOK && key != ""
		if !keyOK {
			fail("key", "must be a non-empty string")
		}
		value, valueOK := r.get("value").(string)
		if r.has("value") && (!valueOK || value == "") {
			fail("value", "must be a non-empty string (leave it out to match any value)")
		}
		path := assigned
		if r.has("subject") {
			name, _ := r.get("subject").(string)
			f, known := fieldByName(name)
			switch {
			case !known:
				fail("subject", "must be one of user, ip, route, client")
			case fieldIn(assigned, f):
				fail("subject", fmt.Sprintf("'%s' is filled twice on this path", name))
			default:
				path = append(append([]Field(nil), assigned...), f)
			}
		}
		if r.has("policy") {
			name, _ := r.get("policy").(string)
			p := c.byName[name]
			if _, isString := r.get("policy").(string); !isString || p == nil {
				got, _ := json.Marshal(r.get("policy"))
				fail("policy", "must name a policy, got "+string(got))
			} else if !sameFields(p.Scope, path) {
				fail("policy", fmt.Sprintf("'%s' has scope [%s], but this path fills [%s]", p.Name, joinFields(p.Scope), joinFields(path)))
			}
		}
		if !r.has("policy") && !r.has("descriptors") {
			c.problems = append(c.problems, here+" needs a policy or descriptors")
		}
		if r.has("descriptors") {
			c.rules(r.get("descriptors"), true, here+".descriptors", path)
		}
		if !keyOK {
			continue
		}
		id, repeat := key, fmt.Sprintf("%s repeats key '%s' with any value", here, key)
		if r.has("value") {
			id, repeat = key+"\x00"+value, fmt.Sprintf("%s repeats key '%s' and value '%s'", here, key, value)
		} else {
			id = "\x01" + key
		}
		if siblings[id] {
			c.problems = append(c.problems, repeat)
		}
		siblings[id] = true
	}
}

func fieldIn(list []Field, f Field) bool {
	for _, g := range list {
		if g == f {
			return true
		}
	}
	return false
}

func sameFields(scope, path []Field) bool {
	if len(scope) != len(path) {
		return false
	}
	for _, f := range scope {
		if !fieldIn(path, f) {
			return false
		}
	}
	return true
}

func joinFields(fields []Field) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.String()
	}
	return strings.Join(names, ", ")
}
