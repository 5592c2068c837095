package torch

import (
	"fmt"
	"strings"
)

// pyTypeName names v's Python type, for error messages.
func pyTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case string:
		return "str"
	case int64:
		return "int"
	case float64:
		return "float"
	case bool:
		return "bool"
	case pickleTuple:
		return "tuple"
	case *pickleList:
		return "list"
	case *pickleDict:
		return "dict"
	case tensorRef:
		return "tensor"
	}
	return fmt.Sprintf("%T", v)
}

// reprLimit is about how many characters shortRepr writes.
const reprLimit = 80

// shortRepr describes v for an error message in about reprLimit characters.
// A pickle can nest one value in another many times over (through its memo),
// so printing a value whole could take time and memory exponential in the
// file's length.
func shortRepr(v any) string {
	var b strings.Builder
	writeRepr(&b, v, 2)
	return b.String()
}

func writeRepr(b *strings.Builder, v any, depth int) {
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case string:
		if len(x) > reprLimit/2 {
			x = x[:reprLimit/2] + "..."
		}
		fmt.Fprintf(b, "%q", x)
	case int64, float64, bool:
		fmt.Fprint(b, x)
	case pickleGlobal:
		b.WriteString(x.String())
	case pickleTuple:
		if depth == 0 {
			fmt.Fprintf(b, "(a tuple of %d)", len(x))
			return
		}
		b.WriteByte('(')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			if b.Len() > reprLimit {
				fmt.Fprintf(b, "... %d more", len(x)-i)
				break
			}
			writeRepr(b, e, depth-1)
		}
		b.WriteByte(')')
	default:
		fmt.Fprintf(b, "a %s", pyTypeName(v))
	}
}
