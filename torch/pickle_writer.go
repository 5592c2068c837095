package torch

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"strconv"
	"unsafe"
)

// This file writes dicts of tensors in the format Python's torch.save writes
// for a state_dict: a zip archive whose data.pkl (pickle protocol 2) holds a
// dict of torch._utils._rebuild_tensor_v2 calls on persistent storages, and
// whose data/<key> records hold the storages' bytes, 64-byte aligned. It uses
// only the globals torch.load(weights_only=True) accepts, the default since
// PyTorch 2.6 (libtorch's pickle_save tags dicts with
// torch.jit._pickle.restore_type_tag, which it refuses).

// storageClasses names the storage class torch.save pickles for each dtype.
var storageClasses = func() map[Dtype]string {
	m := make(map[Dtype]string, len(storageDtypes))
	for name, dt := range storageDtypes {
		m[dt] = name
	}
	return m
}()

// archivePrefix is the folder of every record, as torch.save names it when
// writing to a buffer.
const archivePrefix = "archive/"

// writeTorchArchive returns the torch.save archive of ts, each tensor with a
// storage of its own holding its elements in row-major order.
func writeTorchArchive(ts []NamedTensor) ([]byte, error) {
	seen := make(map[string]bool, len(ts))
	storages := make([][]byte, len(ts))
	p := pickler{}
	p.proto()
	p.op('}') // EMPTY_DICT
	if len(ts) > 0 {
		p.op('(') // MARK
	}
	for i, nt := range ts {
		if seen[nt.Name] {
			return nil, fmt.Errorf("duplicate name %q", nt.Name)
		}
		seen[nt.Name] = true
		class, ok := storageClasses[nt.Tensor.Dtype()]
		if !ok {
			return nil, fmt.Errorf("entry %q: dtype %s has no torch.save storage type here", nt.Name, nt.Tensor.Dtype())
		}
		b, err := rawBytes(nt.Tensor)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", nt.Name, err)
		}
		storages[i] = b
		p.str(nt.Name)
		p.tensor(class, strconv.Itoa(i), nt.Tensor.Shape())
	}
	if len(ts) > 0 {
		p.op('u') // SETITEMS
	}
	p.op('.') // STOP

	var out bytes.Buffer
	z := alignedZip{w: zip.NewWriter(&out)}
	z.add("data.pkl", p.buf.Bytes())
	z.add("byteorder", []byte("little"))
	for i, b := range storages {
		z.add("data/"+strconv.Itoa(i), b)
	}
	z.add("version", []byte("3\n"))
	if z.err == nil {
		z.err = z.w.Close()
	}
	if z.err != nil {
		return nil, z.err
	}
	return out.Bytes(), nil
}

// rawBytes copies t's elements, row-major, from any device, as bytes.
func rawBytes(t *Tensor) ([]byte, error) {
	dt := t.Dtype()
	b := make([]byte, t.Numel()*int64(dt.Size()))
	var dst unsafe.Pointer
	if len(b) > 0 {
		dst = unsafe.Pointer(&b[0])
	}
	return b, copyOut(t, dst, len(b), dt)
}

// pickler emits the pickle opcodes torch.save's state_dicts use.
type pickler struct{ buf bytes.Buffer }

func (p *pickler) op(code byte) { p.buf.WriteByte(code) }

func (p *pickler) proto() { p.buf.Write([]byte{0x80, 2}) }

// global pushes module.name (GLOBAL).
func (p *pickler) global(module, name string) {
	p.op('c')
	p.buf.WriteString(module + "\n" + name + "\n")
}

// str pushes a str (BINUNICODE).
func (p *pickler) str(s string) {
	p.op('X')
	p.buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(s))))
	p.buf.WriteString(s)
}

// int pushes an int in the shortest form Python's pickler uses.
func (p *pickler) int(v int64) {
	switch {
	case v >= 0 && v <= math.MaxUint8:
		p.buf.Write([]byte{'K', byte(v)}) // BININT1
	case v >= 0 && v <= math.MaxUint16:
		p.op('M') // BININT2
		p.buf.Write(binary.LittleEndian.AppendUint16(nil, uint16(v)))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		p.op('J') // BININT
		p.buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(int32(v))))
	default:
		p.buf.Write([]byte{0x8a, 8}) // LONG1, eight bytes of two's complement
		p.buf.Write(binary.LittleEndian.AppendUint64(nil, uint64(v)))
	}
}

// ints pushes a tuple of ints.
func (p *pickler) ints(vs []int64) {
	if len(vs) == 0 {
		p.op(')') // EMPTY_TUPLE
		return
	}
	p.op('(')
	for _, v := range vs {
		p.int(v)
	}
	p.op('t') // TUPLE
}

// tensor pushes _rebuild_tensor_v2(storage, 0, shape, contiguous strides,
// False, OrderedDict()) for a storage of class named key on the CPU.
func (p *pickler) tensor(class, key string, shape []int64) {
	numel := int64(1)
	strides := make([]int64, len(shape))
	for i := len(shape) - 1; i >= 0; i-- {
		strides[i] = numel
		numel *= shape[i]
	}
	p.view(class, key, numel, 0, shape, strides)
}

// view pushes _rebuild_tensor_v2(storage, offset, shape, strides, False,
// OrderedDict()) for a storage of numel elements of class named key on the
// CPU.
func (p *pickler) view(class, key string, numel, offset int64, shape, strides []int64) {
	p.global("torch._utils", "_rebuild_tensor_v2")
	p.op('(')
	p.op('(') // the persistent id: ('storage', class, key, location, numel)
	p.str("storage")
	p.global("torch", class)
	p.str(key)
	p.str("cpu")
	p.int(numel)
	p.op('t')
	p.op('Q') // BINPERSID
	p.int(offset)
	p.ints(shape)
	p.ints(strides)
	p.op(0x89) // NEWFALSE: requires_grad
	p.global("collections", "OrderedDict")
	p.op(')')
	p.op('R') // REDUCE: the empty backward_hooks
	p.op('t')
	p.op('R')
}

// alignedZip writes stored records whose data start on 64-byte boundaries,
// padding the local header's extra field as PyTorch's writer does (so
// torch.load(mmap=True) can map them).
type alignedZip struct {
	w      *zip.Writer
	offset int64
	err    error
}

func (z *alignedZip) add(name string, data []byte) {
	if z.err != nil {
		return
	}
	name = archivePrefix + name
	const localHeader, padHeader = 30, 4
	pad := (64 - (z.offset+localHeader+int64(len(name))+padHeader)%64) % 64
	extra := make([]byte, padHeader+pad)
	binary.LittleEndian.PutUint16(extra, 0x4246) // "FB", PyTorch's padding field
	binary.LittleEndian.PutUint16(extra[2:], uint16(pad))
	fw, err := z.w.CreateRaw(&zip.FileHeader{
		Name: name, Method: zip.Store, Extra: extra, CRC32: crc32.ChecksumIEEE(data),
		CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data)),
	})
	if err == nil {
		_, err = fw.Write(data)
	}
	z.err = err
	z.offset += localHeader + int64(len(name)) + int64(len(extra)) + int64(len(data))
}
