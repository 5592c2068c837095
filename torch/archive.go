package torch

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"
)

// namedRef is one entry of a tensor dict read from a torch.save archive.
type namedRef struct {
	name string
	ref  tensorRef
}

// readTorchArchive parses torch.save's zip format: <prefix>/data.pkl holds the
// pickled object, <prefix>/data/<key> the raw bytes of each storage. The
// object must be a dict of string → tensor. It returns the entries in order
// and the storages by key, each checked to hold its elements.
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
	for i, k := range dict.keys {
		name, ok := k.(string)
		if !ok {
			return nil, nil, fmt.Errorf("dict key %v is a %s, not a string", k, pyTypeName(k))
		}
		ref, ok := dict.vals[i].(tensorRef)
		if !ok {
			return nil, nil, fmt.Errorf("entry %q is a %s, not a tensor", name, pyTypeName(dict.vals[i]))
		}
		if _, done := storages[ref.storage.key]; !done {
			b, err := readZipFile(files[prefix+"data/"+ref.storage.key])
			if err != nil {
				return nil, nil, fmt.Errorf("entry %q: storage %s: %v", name, ref.storage.key, err)
			}
			if want := ref.storage.numel * int64(ref.storage.dtype.Size()); int64(len(b)) != want {
				return nil, nil, fmt.Errorf("entry %q: storage %s holds %d bytes, %d %s elements need %d",
					name, ref.storage.key, len(b), ref.storage.numel, ref.storage.dtype, want)
			}
			storages[ref.storage.key] = b
		}
		refs = append(refs, namedRef{name: name, ref: ref})
	}
	return refs, storages, nil
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
