package limiter

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// parseYAMLDocument reads a policies file in YAML with go-yaml v3 (Debian's
// golang-gopkg-yaml.v3-dev), typed by the YAML 1.2 core schema as the `yaml` npm package reads
// it for the TypeScript profiles: mappings become *object (keys in order; a repeated key is an
// error, as there), numbers float64, and null, booleans and strings as themselves.
func parseYAMLDocument(text string) (interface{}, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 { // an empty file
		return nil, nil
	}
	return yamlValue(&doc)
}

func yamlValue(n *yaml.Node) (interface{}, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return yamlValue(n.Content[0])
	case yaml.AliasNode:
		return yamlValue(n.Alias)
	case yaml.SequenceNode:
		list := make([]interface{}, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := yamlValue(item)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.MappingNode:
		o := newObject()
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := yamlValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			if o.set(n.Content[i].Value, v) {
				return nil, fmt.Errorf("line %d: map keys must be unique", n.Content[i].Line)
			}
		}
		return o, nil
	}
	return yamlScalar(n)
}

func yamlScalar(n *yaml.Node) (interface{}, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		err := n.Decode(&b)
		return b, err
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			// an integer past 64 bits: the nearest double, as JavaScript reads it
			var big float64
			if _, scanErr := fmt.Sscan(n.Value, &big); scanErr != nil {
				return nil, err
			}
			return big, nil
		}
		return f, nil
	case "!!str":
		return n.Value, nil
	}
	return nil, errors.New("line " + fmt.Sprint(n.Line) + ": unsupported YAML tag " + n.ShortTag())
}
