package torch

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
)

// This file holds a small Python unpickler: the subset of protocols 2–5 that
// torch.save and libtorch's pickle_save emit for dicts of tensors. libtorch's
// own C++ unpickler cannot read them: it turns every collections.OrderedDict,
// the type of each state_dict, into None.

// pickleTuple is a Python tuple.
type pickleTuple []any

// pickleList is a Python list.
type pickleList struct{ items []any }

// pickleDict is a Python dict or OrderedDict, in insertion order.
type pickleDict struct {
	keys  []any
	vals  []any
	index map[any]int // key → position in keys
}

// set adds k → v, or replaces k's value. Keys are the scalars a dict in a
// tensor file uses; any other key (a tuple, a list, a tensor) is an error:
// Go cannot compare some of them, and no tensor dict needs them.
func (d *pickleDict) set(k, v any) error {
	switch k.(type) {
	case nil, string, int64, float64, bool:
	default:
		return fmt.Errorf("dict key of type %s (only str, int, float, bool and None keys are read)", pyTypeName(k))
	}
	if i, ok := d.index[k]; ok {
		d.vals[i] = v
		return nil
	}
	if d.index == nil {
		d.index = map[any]int{}
	}
	d.index[k] = len(d.keys)
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
	return nil
}

// pickleGlobal is a module-level name such as torch._utils._rebuild_tensor_v2.
type pickleGlobal struct{ module, name string }

// String returns the dotted name, e.g. "collections.OrderedDict".
func (g pickleGlobal) String() string { return g.module + "." + g.name }

// storageRef is a persistent id naming a tensor storage in the archive.
type storageRef struct {
	dtype Dtype
	key   string
	numel int64
}

// tensorRef is a tensor described by _rebuild_tensor_v2: a strided view of a storage.
type tensorRef struct {
	storage storageRef
	offset  int64
	shape   []int64
	stride  []int64
}

var storageDtypes = map[string]Dtype{
	"FloatStorage": Float32, "DoubleStorage": Float64, "HalfStorage": Float16,
	"BFloat16Storage": BFloat16, "LongStorage": Int64, "IntStorage": Int32,
	"ByteStorage": Uint8, "BoolStorage": Bool,
}

type markObj struct{}

// unpickle runs the pickle program in data and returns the object it builds.
func unpickle(data []byte) (any, error) {
	u := unpickler{data: data, memo: map[int]any{}}
	v, err := u.run()
	if err != nil {
		return nil, fmt.Errorf("pickle at byte %d: %w", u.pos, err)
	}
	return v, nil
}

type unpickler struct {
	data  []byte
	pos   int
	stack []any
	memo  map[int]any
}

func (u *unpickler) read(n int) ([]byte, error) {
	if n < 0 || u.pos+n > len(u.data) {
		return nil, fmt.Errorf("unexpected end of data")
	}
	b := u.data[u.pos : u.pos+n]
	u.pos += n
	return b, nil
}

func (u *unpickler) readLine() (string, error) {
	for i := u.pos; i < len(u.data); i++ {
		if u.data[i] == '\n' {
			s := string(u.data[u.pos:i])
			u.pos = i + 1
			return s, nil
		}
	}
	return "", fmt.Errorf("unexpected end of data in a text line")
}

func (u *unpickler) uint(n int) (uint64, error) {
	b, err := u.read(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 {
		return nil, fmt.Errorf("stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 {
		return nil, fmt.Errorf("stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark pops everything above the topmost MARK, and the mark.
func (u *unpickler) popMark() ([]any, error) {
	for i := len(u.stack) - 1; i >= 0; i-- {
		if _, ok := u.stack[i].(markObj); ok {
			items := append([]any(nil), u.stack[i+1:]...)
			u.stack = u.stack[:i]
			return items, nil
		}
	}
	return nil, fmt.Errorf("no MARK on the stack")
}

// popItems pops everything above the topmost MARK (with mark), else the top n items.
func (u *unpickler) popItems(n int, mark bool) ([]any, error) {
	if mark {
		return u.popMark()
	}
	if len(u.stack) < n {
		return nil, fmt.Errorf("stack underflow")
	}
	items := append([]any(nil), u.stack[len(u.stack)-n:]...)
	u.stack = u.stack[:len(u.stack)-n]
	return items, nil
}

func (u *unpickler) memoize(idx int) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	u.memo[idx] = v
	return nil
}

func (u *unpickler) get(idx int) error {
	v, ok := u.memo[idx]
	if !ok {
		return fmt.Errorf("memo entry %d missing", idx)
	}
	u.push(v)
	return nil
}

func (u *unpickler) run() (any, error) {
	for {
		opb, err := u.read(1)
		if err != nil {
			return nil, err
		}
		if err := u.step(opb[0]); err != nil {
			if err == errStop {
				return u.pop()
			}
			return nil, err
		}
	}
}

var errStop = fmt.Errorf("STOP")

func (u *unpickler) step(op byte) error {
	switch op {
	case 0x80: // PROTO
		_, err := u.read(1)
		return err
	case 0x95: // FRAME
		_, err := u.read(8)
		return err
	case '.': // STOP
		return errStop
	case '(':
		u.push(markObj{})
	case ')':
		u.push(pickleTuple{})
	case '}':
		u.push(&pickleDict{})
	case ']':
		u.push(&pickleList{})
	case 'N':
		u.push(nil)
	case 0x88:
		u.push(true)
	case 0x89:
		u.push(false)
	case 'K', 'M', 'J': // BININT1, BININT2, BININT
		n := map[byte]int{'K': 1, 'M': 2, 'J': 4}[op]
		v, err := u.uint(n)
		if err != nil {
			return err
		}
		if op == 'J' {
			u.push(int64(int32(uint32(v))))
		} else {
			u.push(int64(v))
		}
	case 0x8a: // LONG1
		n, err := u.uint(1)
		if err != nil {
			return err
		}
		b, err := u.read(int(n))
		if err != nil {
			return err
		}
		v, err := decodeLong(b)
		if err != nil {
			return err
		}
		u.push(v)
	case 'G': // BINFLOAT, big-endian
		b, err := u.read(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case 'X', 0x8c, 0x8d: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
		n := map[byte]int{'X': 4, 0x8c: 1, 0x8d: 8}[op]
		l, err := u.uint(n)
		if err != nil {
			return err
		}
		if l > uint64(len(u.data)) {
			return fmt.Errorf("string length %d past the end", l)
		}
		b, err := u.read(int(l))
		if err != nil {
			return err
		}
		u.push(string(b))
	case 'q', 'r': // BINPUT, LONG_BINPUT
		n := map[byte]int{'q': 1, 'r': 4}[op]
		idx, err := u.uint(n)
		if err != nil {
			return err
		}
		return u.memoize(int(idx))
	case 0x94: // MEMOIZE
		return u.memoize(len(u.memo))
	case 'h', 'j': // BINGET, LONG_BINGET
		n := map[byte]int{'h': 1, 'j': 4}[op]
		idx, err := u.uint(n)
		if err != nil {
			return err
		}
		return u.get(int(idx))
	case 't':
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(pickleTuple(items))
	case 0x85, 0x86, 0x87: // TUPLE1..3
		items, err := u.popItems(int(op-0x84), false)
		if err != nil {
			return err
		}
		u.push(pickleTuple(items))
	case 'a', 'e': // APPEND, APPENDS
		items, err := u.popItems(1, op == 'e')
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		l, ok := t.(*pickleList)
		if !ok {
			return fmt.Errorf("APPEND to a %T", t)
		}
		l.items = append(l.items, items...)
	case 's', 'u': // SETITEM, SETITEMS
		items, err := u.popItems(2, op == 'u')
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		d, ok := t.(*pickleDict)
		if !ok {
			return fmt.Errorf("SETITEM on a %T", t)
		}
		if len(items)%2 != 0 {
			return fmt.Errorf("odd number of items for SETITEMS")
		}
		for i := 0; i < len(items); i += 2 {
			if err := d.set(items[i], items[i+1]); err != nil {
				return err
			}
		}
	case 'c': // GLOBAL
		mod, err := u.readLine()
		if err != nil {
			return err
		}
		name, err := u.readLine()
		if err != nil {
			return err
		}
		u.push(pickleGlobal{mod, name})
	case 0x93: // STACK_GLOBAL
		name, err := u.pop()
		if err != nil {
			return err
		}
		mod, err := u.pop()
		if err != nil {
			return err
		}
		ms, ok1 := mod.(string)
		ns, ok2 := name.(string)
		if !ok1 || !ok2 {
			return fmt.Errorf("STACK_GLOBAL with non-string names")
		}
		u.push(pickleGlobal{ms, ns})
	case 'R': // REDUCE
		args, err := u.pop()
		if err != nil {
			return err
		}
		fn, err := u.pop()
		if err != nil {
			return err
		}
		g, ok := fn.(pickleGlobal)
		tup, ok2 := args.(pickleTuple)
		if !ok || !ok2 {
			return fmt.Errorf("REDUCE of %T with %T", fn, args)
		}
		v, err := reduceGlobal(g, tup)
		if err != nil {
			return err
		}
		u.push(v)
	case 'b': // BUILD: object state; an OrderedDict's _metadata is not needed
		if _, err := u.pop(); err != nil {
			return err
		}
	case 'Q': // BINPERSID
		pid, err := u.pop()
		if err != nil {
			return err
		}
		ref, err := persistentStorage(pid)
		if err != nil {
			return err
		}
		u.push(ref)
	default:
		return fmt.Errorf("unsupported pickle opcode 0x%02x", op)
	}
	return nil
}

// decodeLong reads a little-endian two's-complement integer (LONG1).
func decodeLong(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, nil
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if !v.IsInt64() {
		return 0, fmt.Errorf("integer out of range")
	}
	return v.Int64(), nil
}

// persistentStorage reads ('storage', torch.XStorage, key, location, numel).
func persistentStorage(pid any) (storageRef, error) {
	t, ok := pid.(pickleTuple)
	if !ok || len(t) < 5 || t[0] != "storage" {
		return storageRef{}, fmt.Errorf("unsupported persistent id %s", shortRepr(pid))
	}
	g, ok := t[1].(pickleGlobal)
	if !ok || g.module != "torch" {
		return storageRef{}, fmt.Errorf("unsupported storage type %s", shortRepr(t[1]))
	}
	dt, ok := storageDtypes[g.name]
	if !ok {
		return storageRef{}, fmt.Errorf("unsupported storage type torch.%s", g.name)
	}
	key, ok1 := t[2].(string)
	numel, ok2 := t[4].(int64)
	if !ok1 || !ok2 || numel < 0 {
		return storageRef{}, fmt.Errorf("malformed storage id %s", shortRepr(t))
	}
	return storageRef{dtype: dt, key: key, numel: numel}, nil
}

func intTuple(v any) ([]int64, bool) {
	t, ok := v.(pickleTuple)
	if !ok {
		return nil, false
	}
	out := make([]int64, len(t))
	for i, x := range t {
		if out[i], ok = x.(int64); !ok {
			return nil, false
		}
	}
	return out, true
}

// reduceGlobal calls the few callables a tensor dict's pickle uses.
func reduceGlobal(g pickleGlobal, args pickleTuple) (any, error) {
	switch g.String() {
	case "collections.OrderedDict", "builtins.dict":
		return &pickleDict{}, nil
	case "torch._utils._rebuild_tensor_v2":
		if len(args) < 4 {
			return nil, fmt.Errorf("_rebuild_tensor_v2 with %d arguments", len(args))
		}
		st, ok := args[0].(storageRef)
		off, ok1 := args[1].(int64)
		shape, ok2 := intTuple(args[2])
		stride, ok3 := intTuple(args[3])
		if !ok || !ok1 || !ok2 || !ok3 || len(shape) != len(stride) {
			return nil, fmt.Errorf("malformed _rebuild_tensor_v2 arguments")
		}
		return tensorRef{storage: st, offset: off, shape: shape, stride: stride}, nil
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		if len(args) < 1 {
			return nil, fmt.Errorf("%s without arguments", g)
		}
		return args[0], nil
	case "torch.jit._pickle.restore_type_tag":
		if len(args) < 1 {
			return nil, fmt.Errorf("%s without arguments", g)
		}
		return args[0], nil
	}
	return nil, fmt.Errorf("unsupported object %s in the pickle (only dicts of tensors are read)", g)
}
