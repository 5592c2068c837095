package torch

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// fileView is one entry of a hand-made torch.save file: a float32 view of
// the storage "key".
type fileView struct {
	name, key     string
	numel, offset int64
	shape, stride []int64
}

// archiveOf writes a torch.save archive of views over float32 storages
// holding 0, 1, 2, ... (storages maps each key to its record's element count,
// which may differ from what the views say).
func archiveOf(t testing.TB, views []fileView, storages map[string]int) []byte {
	p := pickler{}
	p.proto()
	p.op('}')
	p.op('(')
	for _, v := range views {
		p.str(v.name)
		p.view("FloatStorage", v.key, v.numel, v.offset, v.shape, v.stride)
	}
	p.op('u')
	p.op('.')
	var out bytes.Buffer
	z := alignedZip{w: zip.NewWriter(&out)}
	z.add("data.pkl", p.buf.Bytes())
	for key, n := range storages {
		var b []byte
		for i := range n {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(i)))
		}
		z.add("data/"+key, b)
	}
	require.NoError(t, z.err)
	require.NoError(t, z.w.Close())
	return out.Bytes()
}

func TestDecodeTensorsReadsAStridedView(t *testing.T) {
	data := archiveOf(t, []fileView{{name: "v", key: "0", numel: 6, offset: 1, shape: []int64{2, 2}, stride: []int64{3, 1}}},
		map[string]int{"0": 6})
	ts, err := DecodeTensors(data)
	require.NoError(t, err)
	defer CloseNamed(ts)
	require.Equal(t, []int64{2, 2}, ts[0].Tensor.Shape())
	require.Equal(t, []float32{1, 2, 4, 5}, ts[0].Tensor.Float32s())
}

// A corrupt or hostile file gets an error naming the entry and what is wrong
// with it: no crash, no read outside a storage, no allocation past what the
// file's size allows.
func TestDecodeTensorsRefusesBadViews(t *testing.T) {
	for _, tc := range []struct {
		what     string
		views    []fileView
		storages map[string]int
		want     string
	}{
		{"a view past its storage's end",
			[]fileView{{name: "w", key: "0", numel: 6, offset: 1, shape: []int64{2, 3}, stride: []int64{3, 1}}},
			map[string]int{"0": 6}, `entry "w": a view of shape [2 3], strides [3 1] at offset 1 reaches element 6 of a storage of 6`},
		{"a zero stride expanding one element to a million",
			[]fileView{{name: "w", key: "0", numel: 1, shape: []int64{1 << 20}, stride: []int64{0}}},
			map[string]int{"0": 1}, `entry "w": the tensors so far hold 1048576 elements, more than 8 times the 1 of their storages`},
		{"sizes whose product overflows",
			[]fileView{{name: "w", key: "0", numel: 1, shape: []int64{1 << 32, 1 << 32}, stride: []int64{0, 0}}},
			map[string]int{"0": 1}, `entry "w": a view of shape [4294967296 4294967296], strides [0 0] at offset 0 has more elements than an int64 counts`},
		{"strides whose extent overflows",
			[]fileView{{name: "w", key: "0", numel: 4, shape: []int64{3}, stride: []int64{1 << 62}}},
			map[string]int{"0": 4}, `entry "w": a view of shape [3], strides [4611686018427387904] at offset 0 overflows`},
		{"a negative stride",
			[]fileView{{name: "w", key: "0", numel: 4, shape: []int64{2}, stride: []int64{-1}}},
			map[string]int{"0": 4}, `entry "w": a view of shape [2], strides [-1] at offset 0 has a negative size, stride or offset`},
		{"a storage record of another size",
			[]fileView{{name: "w", key: "0", numel: 1, shape: []int64{1}, stride: []int64{1}}},
			map[string]int{"0": 2}, `entry "w": storage 0: holds 8 bytes, 1 float32 elements need 4`},
		{"a storage larger than the file could hold",
			[]fileView{{name: "w", key: "0", numel: 1 << 60, shape: []int64{1}, stride: []int64{1}}},
			map[string]int{"0": 1}, `entry "w": storage 0: 1152921504606846976 float32 elements: more than a`},
		{"one storage described two ways",
			[]fileView{{"a", "0", 4, 0, []int64{4}, []int64{1}}, {"b", "0", 1 << 20, 0, []int64{1 << 20}, []int64{1}}},
			map[string]int{"0": 4}, `entry "b": storage 0 of 1048576 float32 elements, an earlier entry's of 4 float32`},
		{"nine full views of one storage",
			[]fileView{{"a", "0", 4, 0, []int64{4}, []int64{1}}, {"b", "0", 4, 0, []int64{4}, []int64{1}},
				{"c", "0", 4, 0, []int64{4}, []int64{1}}, {"d", "0", 4, 0, []int64{4}, []int64{1}},
				{"e", "0", 4, 0, []int64{4}, []int64{1}}, {"f", "0", 4, 0, []int64{4}, []int64{1}},
				{"g", "0", 4, 0, []int64{4}, []int64{1}}, {"h", "0", 4, 0, []int64{4}, []int64{1}},
				{"i", "0", 4, 0, []int64{4}, []int64{1}}},
			map[string]int{"0": 4}, `entry "i": the tensors so far hold 36 elements, more than 8 times the 4 of their storages`},
	} {
		t.Run(tc.what, func(t *testing.T) {
			ts, err := DecodeTensors(archiveOf(t, tc.views, tc.storages))
			require.Nil(t, ts)
			require.ErrorContains(t, err, tc.want)
		})
	}
	// Two views of one storage (tied weights) are read, each a copy; so is a
	// buffer expanded 8 times over (a zero stride), at the budget.
	ts, err := DecodeTensors(archiveOf(t, []fileView{{"a", "0", 4, 0, []int64{4}, []int64{1}}, {"b", "0", 4, 2, []int64{2}, []int64{1}}},
		map[string]int{"0": 4}))
	require.NoError(t, err)
	defer CloseNamed(ts)
	require.Equal(t, []float32{0, 1, 2, 3}, ts[0].Tensor.Float32s())
	require.Equal(t, []float32{2, 3}, ts[1].Tensor.Float32s())
	expanded, err := DecodeTensors(archiveOf(t, []fileView{{"x", "0", 2, 0, []int64{8, 2}, []int64{0, 1}}}, map[string]int{"0": 2}))
	require.NoError(t, err)
	defer CloseNamed(expanded)
	require.Equal(t, []int64{8, 2}, expanded[0].Tensor.Shape())
	require.Equal(t, []float32{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, expanded[0].Tensor.Float32s())
}

// Python's dicts take tuples as keys; Go cannot compare them as interface
// values, so the unpickler refuses them instead of panicking.
func TestDecodeTensorsRefusesTupleKeys(t *testing.T) {
	pkl := []byte{0x80, 2, '}', '(', ')', 'K', 1, ')', 'K', 2, 'u', '.'}
	_, err := DecodeTensors(packArchive(t, pkl, nil))
	require.ErrorContains(t, err, "dict key of type tuple")
}

// A pickle that nests one tuple in the next through its memo, twice at each
// level, is 2^20 values deep in 150 bytes: the error describes it in a line
// (printed whole it would be megabytes; 2^40 in 300 bytes would take more
// memory than the machine has).
func TestDecodeTensorsDescribesNestedValuesShortly(t *testing.T) {
	pkl := []byte{0x80, 2, ')', 'q', 0} // (), memo[0]
	for range 20 {
		pkl = append(pkl, 'h', 0, 'h', 0, 0x86, 'q', 0) // memo[0] = (memo[0], memo[0])
	}
	pkl = append(pkl, 'Q', '.') // BINPERSID on it
	_, err := DecodeTensors(packArchive(t, pkl, nil))
	require.ErrorContains(t, err, "unsupported persistent id (((a tuple of 2), (a tuple of 2)), ((a tuple of 2), (a tuple of 2)))")
	require.Less(t, len(err.Error()), 200)
}
