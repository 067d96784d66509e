package experiments

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// nodeIndex maps field paths to the YAML nodes they were written at, so that
// problems found on the decoded Spec can be reported at their source line.
type nodeIndex struct {
	root    *yaml.Node            // the top-level mapping, nil if the document is not one
	entries []indexEntry          // every key and value node, in document order
	byPath  map[string]*yaml.Node // path → key node (mapping entries) or item node (sequence items)
	// anchorLine is the line of the first anchor or alias, 0 if none. Specs do
	// not allow them: they would hide values from this index and let a small
	// file expand into a huge one.
	anchorLine int
}

type indexEntry struct {
	path string
	key  bool
	node *yaml.Node
}

func newNodeIndex(doc *yaml.Node) *nodeIndex {
	ix := &nodeIndex{byPath: map[string]*yaml.Node{}}
	if doc == nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return ix
	}
	ix.root = doc.Content[0]
	ix.entries = append(ix.entries, indexEntry{path: "", node: ix.root})
	ix.walk("", ix.root)
	return ix
}

func (ix *nodeIndex) walk(path string, n *yaml.Node) {
	if (n.Anchor != "" || n.Kind == yaml.AliasNode) && ix.anchorLine == 0 {
		ix.anchorLine = n.Line
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			if _, dup := ix.byPath[p]; !dup {
				ix.byPath[p] = k
			}
			ix.entries = append(ix.entries, indexEntry{path: p, key: true, node: k}, indexEntry{path: p, node: v})
			ix.walk(p, k)
			ix.walk(p, v)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p := indexPath(path, i)
			ix.byPath[p] = item
			ix.entries = append(ix.entries, indexEntry{path: p, node: item})
			ix.walk(p, item)
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// present reports whether path was written in the source (with any value).
func (ix *nodeIndex) present(path string) bool {
	_, ok := ix.byPath[path]
	return ok
}

// line is where path was written or, when it was not, where its nearest
// written parent was (a missing required field is reported at its section).
func (ix *nodeIndex) line(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if n, ok := ix.byPath[p]; ok {
			return n.Line
		}
	}
	if ix.root != nil {
		return ix.root.Line
	}
	return 0
}

// parentPath drops the last ".key" or "[i]" of a path.
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexAny(p, ".["); i >= 0 {
		return p[:i]
	}
	return ""
}

// keyAt finds the path of the mapping key named key on line.
func (ix *nodeIndex) keyAt(line int, key string) (string, bool) {
	for _, e := range ix.entries {
		if e.key && e.node.Line == line && e.node.Value == key {
			return e.path, true
		}
	}
	return "", false
}

// valueAt finds the path of the value node on line that yaml described as
// "<tag>< `value`>" in a type error; failing an exact match, the first value on
// the line.
func (ix *nodeIndex) valueAt(line int, described string) (string, bool) {
	first, found := "", false
	for _, e := range ix.entries {
		if e.key || e.node.Line != line {
			continue
		}
		if describeNode(e.node) == described {
			return e.path, true
		}
		if !found {
			first, found = e.path, true
		}
	}
	return first, found
}

// describeNode renders a node the way yaml.v3 does in "cannot unmarshal" errors.
func describeNode(n *yaml.Node) string {
	tag := n.ShortTag()
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		return tag
	}
	v := n.Value
	if len(v) > 10 {
		v = v[:7] + "..."
	}
	return tag + " `" + v + "`"
}
