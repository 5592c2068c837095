package transforms

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// withoutDHT returns the JPEG data with its DHT segments (before the first
// scan) left out.
func withoutDHT(t *testing.T, data []byte) []byte {
	out := append([]byte(nil), data[:2]...)
	pos := 2
	for {
		require.Less(t, pos+4, len(data))
		require.Equal(t, byte(0xFF), data[pos])
		marker, n := data[pos+1], int(binary.BigEndian.Uint16(data[pos+2:]))
		if marker == 0xDA {
			return append(out, data[pos:]...)
		}
		if marker != 0xC4 {
			out = append(out, data[pos:pos+2+n]...)
		}
		pos += 2 + n
	}
}

// The tables are shared between images by their bytes, never by their
// number: an image that uses a table it does not define is an error even
// when an image decoded before defined it.
func TestHuffmanTablesAreSharedOnlyByTheirBytes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "images", "j00_500x375_420.jpg"))
	require.NoError(t, err)
	first, err := Decode(data, DecodeOptions{})
	require.NoError(t, err)
	again, err := Decode(data, DecodeOptions{})
	require.NoError(t, err)
	require.Equal(t, first.Pix, again.Pix)

	_, _, err = decodeBaselineJPEG(withoutDHT(t, data), DefaultMaxPixels, nil)
	require.ErrorContains(t, err, "undefined Huffman table")
}

// The cache gives the table build makes of the bytes, once per class and
// bytes; a bad table is refused, not kept; the cache stays bounded.
func TestHuffmanTableCache(t *testing.T) {
	c := huffTableCache{tables: make(map[string]*huffTable)}
	// One code of each length 1..n: counts[i] = 1 for i < n.
	spec := func(n int, first byte) []byte {
		s := make([]byte, 16+n)
		for i := range n {
			s[i], s[16+i] = 1, first+byte(i)
		}
		return s
	}
	a, err := c.table(spec(3, 0), false)
	require.NoError(t, err)
	b, err := c.table(spec(3, 0), false)
	require.NoError(t, err)
	require.Same(t, a, b, "the same bytes, the same table")
	ac, err := c.table(spec(3, 0), true)
	require.NoError(t, err)
	require.NotSame(t, a, ac, "a DC and an AC table differ in their lookahead entries")
	other, err := c.table(spec(3, 5), false)
	require.NoError(t, err)
	require.NotSame(t, a, other)
	require.Equal(t, uint8(5), other.symbols[0])

	var fresh huffTable
	require.NoError(t, fresh.build([16]int{1, 1, 1}, []uint8{0, 1, 2}, false))
	require.Equal(t, fresh, *a, "what build makes of the bytes")

	// A table with more codes than fit their lengths is refused and not kept.
	bad := make([]byte, 16+3)
	bad[0] = 3
	_, err = c.table(bad, false)
	require.ErrorContains(t, err, "more codes than fit")
	_, err = c.table(bad, false)
	require.Error(t, err)

	// Bounded: a dataset of distinct tables empties it instead of growing it.
	for i := range 2 * huffTableCacheSize {
		s := spec(16, 0)
		s[16] = byte(i)
		s[17] = byte(i >> 8)
		_, err := c.table(s, true)
		require.NoError(t, err, fmt.Sprint(i))
		require.LessOrEqual(t, len(c.tables), huffTableCacheSize)
	}
}
