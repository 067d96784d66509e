package experiments

import (
	"reflect"

	"gopkg.in/yaml.v3"
)

// integerProblems finds integer fields written as non-integers. yaml.v3 silently
// truncates a float into an int field (batch_size: 16.5 becomes 16), which is
// exactly the kind of quiet change strict parsing exists to refuse.
func integerProblems(ix *nodeIndex) []Problem {
	if ix.root == nil {
		return nil
	}
	var out []Problem
	var walk func(path string, n *yaml.Node, t reflect.Type)
	walk = func(path string, n *yaml.Node, t reflect.Type) {
		switch t.Kind() {
		case reflect.Struct:
			if n.Kind != yaml.MappingNode {
				return
			}
			fields := map[string]reflect.Type{}
			for f := range t.Fields() {
				fields[yamlKey(f)] = f.Type
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if ft, ok := fields[k]; ok {
					walk(joinPath(path, k), n.Content[i+1], ft)
				}
			}
		case reflect.Slice:
			if n.Kind != yaml.SequenceNode {
				return
			}
			for i, item := range n.Content {
				walk(indexPath(path, i), item, t.Elem())
			}
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" {
				out = append(out, Problem{Field: path, Line: n.Line, Message: "want an integer, got " + describeNode(n)})
			}
		}
	}
	walk("", ix.root, reflect.TypeFor[Spec]())
	return out
}
