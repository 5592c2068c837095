package torch

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzDecodeTensors: any pickle program and storages, packed the way
// torch.save packs them, give tensors or an error, never a crash; and what
// decodes encodes again to a file that decodes to the same names and shapes
// and encodes to the same bytes. The zip layer is built by the harness (its
// checksums would stop nearly every mutation before the unpickler).
func FuzzDecodeTensors(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "state_dict.pt"))
	if err != nil {
		f.Fatal(err)
	}
	pkl, records := unpackArchive(f, data)
	f.Add(pkl, records)
	x := MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	defer x.Close()
	n := MustFromSlice([]int64{7})
	defer n.Close()
	view := x.Narrow(1, 1, 2) // a strided view: offset 1, strides (3, 1)
	defer view.Close()
	half, flags := x.ToDtype(Float16), x.ToDtype(Bool)
	defer half.Close()
	defer flags.Close()
	for _, ts := range [][]NamedTensor{
		{{Name: "x", Tensor: x}, {Name: "n", Tensor: n}},
		{{Name: "half", Tensor: half}, {Name: "flag", Tensor: flags}},
		{{Name: "view", Tensor: view}},
		{},
	} {
		enc, err := EncodeTensors(ts)
		if err != nil {
			f.Fatal(err)
		}
		pkl, records := unpackArchive(f, enc)
		f.Add(pkl, records)
	}
	// Views: a strided one, and two sharing a storage.
	for _, views := range [][]fileView{
		{{name: "v", key: "0", numel: 6, offset: 1, shape: []int64{2, 2}, stride: []int64{3, 1}}},
		{{"a", "0", 4, 0, []int64{4}, []int64{1}}, {"b", "0", 4, 2, []int64{2}, []int64{1}}},
	} {
		pkl, records := unpackArchive(f, archiveOf(f, views, map[string]int{"0": int(views[0].numel)}))
		f.Add(pkl, records)
	}
	f.Fuzz(func(t *testing.T, pkl, records []byte) {
		ts, err := DecodeTensors(packArchive(t, pkl, records))
		if err != nil {
			if ts != nil {
				t.Fatalf("tensors and an error: %v", err)
			}
			// Messages quote names from the file, nothing more.
			if n := len(err.Error()); n > 1000+4*len(pkl) {
				t.Fatalf("an error message of %d bytes from a pickle of %d", n, len(pkl))
			}
			return
		}
		defer CloseNamed(ts)
		enc, err := EncodeTensors(ts)
		if err != nil {
			t.Fatalf("decoded tensors do not encode: %v", err)
		}
		back, err := DecodeTensors(enc)
		if err != nil {
			t.Fatalf("encoded tensors do not decode: %v", err)
		}
		defer CloseNamed(back)
		if len(back) != len(ts) {
			t.Fatalf("%d tensors decoded, %d after encoding", len(ts), len(back))
		}
		for i := range ts {
			if back[i].Name != ts[i].Name || !slices.Equal(back[i].Tensor.Shape(), ts[i].Tensor.Shape()) {
				t.Fatalf("%q %v became %q %v", ts[i].Name, ts[i].Tensor.Shape(), back[i].Name, back[i].Tensor.Shape())
			}
		}
		again, err := EncodeTensors(back)
		if err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("encoding is not a fixed point (%v)", err)
		}
	})
}

// unpackArchive splits a torch.save file into the fuzz arguments: data.pkl
// and the storages data/0, data/1, ... as records (a 2-byte little-endian
// length, then the bytes).
func unpackArchive(tb testing.TB, data []byte) ([]byte, []byte) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		tb.Fatal(err)
	}
	var pkl []byte
	storages := map[string][]byte{}
	for _, f := range zr.File {
		b, err := readZipFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		if strings.HasSuffix(f.Name, "/data.pkl") {
			pkl = b
		} else if dir, key := filepath.Split(f.Name); strings.HasSuffix(dir, "/data/") {
			storages[key] = b
		}
	}
	var records []byte
	for k := 0; ; k++ {
		b, ok := storages[strconv.Itoa(k)]
		if !ok {
			break
		}
		records = binary.LittleEndian.AppendUint16(records, uint16(len(b)))
		records = append(records, b...)
	}
	return pkl, records
}

// packArchive is unpackArchive's inverse, lenient: a record cut short takes
// what is left.
func packArchive(tb testing.TB, pkl, records []byte) []byte {
	var buf bytes.Buffer
	z := alignedZip{w: zip.NewWriter(&buf)}
	z.add("data.pkl", pkl)
	for k := 0; len(records) >= 2; k++ {
		n := min(int(binary.LittleEndian.Uint16(records)), len(records)-2)
		z.add("data/"+strconv.Itoa(k), records[2:2+n])
		records = records[2+n:]
	}
	if z.err == nil {
		z.err = z.w.Close()
	}
	if z.err != nil {
		tb.Fatal(z.err)
	}
	return buf.Bytes()
}
