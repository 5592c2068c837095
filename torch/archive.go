package torch

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"math"
	"math/bits"
	"path"
	"slices"
	"strings"
)

// namedRef is one entry of a tensor dict read from a torch.save archive.
type namedRef struct {
	name string
	ref  tensorRef
}

// deflateMaxRatio bounds how far a zip record can inflate: DEFLATE's largest
// ratio is about 1032:1 (torch.save stores its records uncompressed; torch.load
// reads deflated ones too). A storage said to hold more is refused unread.
const deflateMaxRatio = 1032

// viewBudget bounds the elements the decoded tensors hold together, as a
// multiple of the elements of the storages they view. Each tensor is copied
// out of its storage, so views that share one (tied weights) or repeat it (a
// zero stride: an expanded buffer) cost a copy each: a few are fine, a
// million copies of one element, or thousands of views of one storage, from
// a small file would take more memory than the machine has.
const viewBudget = 8

// readTorchArchive parses torch.save's zip format: <prefix>/data.pkl holds the
// pickled object, <prefix>/data/<key> the raw bytes of each storage. The
// object must be a dict of string → tensor. It returns the entries in order
// and the storages by key, each checked to hold its elements and each
// entry's view checked to lie inside its storage.
func readTorchArchive(data []byte) ([]namedRef, map[string][]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if len(data) >= 2 && data[0] == 0x80 {
			return nil, nil, fmt.Errorf("legacy (pre-1.6, non-zip) torch.save format: re-save it with a current torch.save")
		}
		return nil, nil, fmt.Errorf("not a torch.save file (%v)", err)
	}
	files := map[string]*zip.File{}
	prefix := ""
	for _, f := range zr.File {
		files[f.Name] = f
		if dir, base := path.Split(f.Name); base == "data.pkl" && strings.Count(f.Name, "/") == 1 {
			prefix = dir
		}
	}
	if prefix == "" {
		if _, ok := files["constants.pkl"]; ok || hasSuffix(files, "/constants.pkl") {
			return nil, nil, fmt.Errorf("this is a TorchScript module (torch.jit.save), not a dict of tensors: load it with torch.Load")
		}
		return nil, nil, fmt.Errorf("zip archive without data.pkl: not written by torch.save")
	}
	pkl, err := readZipFile(files[prefix+"data.pkl"])
	if err != nil {
		return nil, nil, err
	}
	obj, err := unpickle(pkl)
	if err != nil {
		return nil, nil, err
	}
	dict, ok := obj.(*pickleDict)
	if !ok {
		return nil, nil, fmt.Errorf("the file holds a %s, not a dict of name -> tensor", pyTypeName(obj))
	}
	refs := make([]namedRef, 0, len(dict.keys))
	storages := map[string][]byte{}
	described := map[string]storageRef{} // each storage as its first entry describes it
	var storageElems, viewElems uint64
	for i, k := range dict.keys {
		name, ok := k.(string)
		if !ok {
			return nil, nil, fmt.Errorf("dict key %s is a %s, not a string", shortRepr(k), pyTypeName(k))
		}
		ref, ok := dict.vals[i].(tensorRef)
		if !ok {
			return nil, nil, fmt.Errorf("entry %q is a %s, not a tensor", name, pyTypeName(dict.vals[i]))
		}
		st := ref.storage
		if first, done := described[st.key]; done && first != st {
			return nil, nil, fmt.Errorf("entry %q: storage %s of %d %s elements, an earlier entry's of %d %s",
				name, st.key, st.numel, st.dtype, first.numel, first.dtype)
		} else if !done {
			b, err := readStorage(files[prefix+"data/"+st.key], st, uint64(len(data)))
			if err != nil {
				return nil, nil, fmt.Errorf("entry %q: storage %s: %v", name, st.key, err)
			}
			storages[st.key] = b
			described[st.key] = st
			storageElems += uint64(st.numel)
		}
		n, err := ref.elements()
		if err != nil {
			return nil, nil, fmt.Errorf("entry %q: %v", name, err)
		}
		if viewElems += uint64(n); viewElems > viewBudget*storageElems {
			return nil, nil, fmt.Errorf("entry %q: the tensors so far hold %d elements, more than %d times the %d of their storages (copies of views sharing storage)",
				name, viewElems, viewBudget, storageElems)
		}
		refs = append(refs, namedRef{name: name, ref: ref})
	}
	return refs, storages, nil
}

// readStorage reads the record of st: it must hold st's elements exactly,
// which is checked on the record's stated size before anything is read.
func readStorage(f *zip.File, st storageRef, archiveLen uint64) ([]byte, error) {
	size := uint64(st.dtype.Size())
	if uint64(st.numel) > deflateMaxRatio*archiveLen/size {
		return nil, fmt.Errorf("%d %s elements: more than a %d-byte file can hold", st.numel, st.dtype, archiveLen)
	}
	want := uint64(st.numel) * size
	if f != nil && f.UncompressedSize64 != want {
		return nil, fmt.Errorf("holds %d bytes, %d %s elements need %d", f.UncompressedSize64, st.numel, st.dtype, want)
	}
	return readZipFile(f)
}

// elements checks that the view lies inside its storage (sizes, strides and
// offset not negative, no overflow) and returns its element count.
func (r tensorRef) elements() (int64, error) {
	bad := func(what string) (int64, error) {
		return 0, fmt.Errorf("a view of shape %v, strides %v at offset %d %s", r.shape, r.stride, r.offset, what)
	}
	negative := func(v int64) bool { return v < 0 }
	if r.offset < 0 || slices.ContainsFunc(r.shape, negative) || slices.ContainsFunc(r.stride, negative) {
		return bad("has a negative size, stride or offset")
	}
	if slices.Contains(r.shape, 0) {
		return 0, nil
	}
	n, last := int64(1), r.offset // element count, last element's position
	for i, d := range r.shape {
		s := r.stride[i]
		hi, lo := bits.Mul64(uint64(d-1), uint64(s))
		if hi != 0 || lo > math.MaxInt64-uint64(last) {
			return bad("overflows")
		}
		last += int64(lo)
		if hi, lo := bits.Mul64(uint64(n), uint64(d)); hi != 0 || lo > math.MaxInt64 {
			return bad("has more elements than an int64 counts")
		}
		n *= d
	}
	if last >= r.storage.numel {
		return bad(fmt.Sprintf("reaches element %d of a storage of %d", last, r.storage.numel))
	}
	return n, nil
}

func hasSuffix(files map[string]*zip.File, suffix string) bool {
	for name := range files {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

func readZipFile(f *zip.File) ([]byte, error) {
	if f == nil {
		return nil, fmt.Errorf("record missing from the archive")
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", f.Name, err)
	}
	return b, nil
}
