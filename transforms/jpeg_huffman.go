package transforms

import (
	"encoding/binary"
	"errors"
)

// Huffman decoding of a baseline JPEG's entropy-coded data.

// huffLookahead is how many bits the one-step lookup tables cover.
const huffLookahead = 10

var (
	errJPEGBadHuffman = errors.New("corrupt Huffman code")
	errJPEGTruncated  = errors.New("entropy-coded data ends early (truncated file)")
)

// huffTable is one DHT table in canonical form.
type huffTable struct {
	// fast maps the next huffLookahead bits to length<<8 | symbol for the
	// codes that short; 0 means a longer code.
	fast [1 << huffLookahead]uint16
	// fastValue maps them to value<<16 | run<<8 | total bits when the code
	// and its extra bits both fit (for a DC table: the difference, run 0;
	// a difference of 0 has no extra bits), for an AC table's end-of-block
	// code that short to fastACEndOfBlock | its length; 0 otherwise.
	fastValue [1 << huffLookahead]int32
	maxCode   [18]int32 // the largest code of each length, -1 if none; [17] sentinel
	valOff    [17]int32 // symbol index minus code, per length
	symbols   [256]uint8
}

// fastACEndOfBlock marks an end-of-block code in huffTable.fastValue: its run
// (0x80) takes the position past the block's last coefficient, where the
// decoder tells it from a corrupt run by the whole entry.
const fastACEndOfBlock = 0x80 << 8

// build fills t, a zero table, from a DHT table's 16 counts and its
// symbols.
func (t *huffTable) build(counts [16]int, symbols []uint8, ac bool) error {
	copy(t.symbols[:], symbols)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		if n == 0 {
			t.maxCode[l] = -1
		} else {
			t.valOff[l] = k - code
			code += n
			k += n
			t.maxCode[l] = code - 1
			if code > 1<<l {
				return errors.New("corrupt Huffman table: more codes than fit their lengths")
			}
		}
		code <<= 1
	}
	t.maxCode[17] = 1<<31 - 1
	// The lookahead tables.
	code, k = 0, 0
	for l := 1; l <= huffLookahead; l++ {
		for i := 0; i < counts[l-1]; i++ {
			sym := t.symbols[k]
			shift := huffLookahead - l
			for j := int32(0); j < 1<<shift; j++ {
				idx := code<<shift | j
				t.fast[idx] = uint16(l)<<8 | uint16(sym)
				run, size := int32(sym>>4), int(sym&15)
				switch {
				case ac && sym == 0:
					t.fastValue[idx] = fastACEndOfBlock | int32(l)
				case !ac && sym > 15: // no DC size: the slow path refuses it
				case l+size > huffLookahead:
				case size == 0 && !ac: // a DC difference of 0
					t.fastValue[idx] = int32(l)
				case size != 0:
					bits := (idx >> (shift - size)) & (1<<size - 1)
					t.fastValue[idx] = extend(bits, size)<<16 | run<<8 | int32(l+size)
				}
			}
			code++
			k++
		}
		code <<= 1
	}
	return nil
}

// extend turns size magnitude bits into the signed value they code (the
// EXTEND of the JPEG standard, F.2.2.1).
func extend(v int32, size int) int32 {
	if v < 1<<(size-1) {
		return v - (1 << size) + 1
	}
	return v
}

// bitReader reads the entropy-coded segment of a scan: 0xFF00 stands for
// 0xFF; a marker ends the segment, after which zeros are fed, as libjpeg
// does, and counted so that reading past the real data is an error.
type bitReader struct {
	data   []byte
	pos    int
	acc    uint64 // bits, most significant first
	n      uint   // valid bits in acc
	fake   uint   // zero bits fed after the segment's end
	marker bool   // the segment's end (a marker or the end of data) reached
}

// refill8 tops acc, which holds n bits, up with as many whole bytes as it
// has room for, taken at once from the next eight when none of them is 0xFF
// (no stuffed zero, no marker), and reports whether it could; fill does
// the rest. Small enough to inline into the decoder's loop, where acc and n
// live in registers. It never reads past the segment: once it ends, pos
// stays at its marker's 0xFF (or at the data's end).
func (b *bitReader) refill8(acc uint64, n uint) (uint64, uint, bool) {
	if b.pos+8 > len(b.data) {
		return acc, n, false
	}
	x := binary.BigEndian.Uint64(b.data[b.pos:])
	if v := ^x; (v-0x0101010101010101)&^v&0x8080808080808080 != 0 {
		return acc, n, false
	}
	bits := (64 - n) &^ 7
	b.pos += int(bits >> 3)
	return acc | x>>(64-bits)<<(64-n-bits), n + bits, true
}

// refill is fill for a bit buffer kept outside b (acc holding n bits):
// what refill8 cannot do.
func (b *bitReader) refill(acc uint64, n uint) (uint64, uint) {
	b.acc, b.n = acc, n
	b.fill()
	return b.acc, b.n
}

// fill tops acc up to at least 57 bits.
func (b *bitReader) fill() {
	var ok bool
	if b.acc, b.n, ok = b.refill8(b.acc, b.n); ok {
		return
	}
	for b.n <= 56 {
		var c byte
		if !b.marker {
			if b.pos >= len(b.data) {
				b.marker = true
			} else if c = b.data[b.pos]; c != 0xFF {
				b.pos++
			} else if b.pos+1 < len(b.data) && b.data[b.pos+1] == 0 {
				b.pos += 2
			} else {
				b.marker, c = true, 0
			}
		}
		if b.marker {
			b.fake += 8
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// overrun reports whether bits past the segment's end were used.
func (b *bitReader) overrun() bool { return b.fake > b.n }

// bits reads n (1..16) bits; acc must hold them.
func (b *bitReader) bits(n int) int32 {
	v := int32(b.acc >> (64 - n))
	b.acc <<= n
	b.n -= uint(n)
	return v
}

// decode reads one Huffman symbol; acc must hold at least 16 bits.
func (b *bitReader) decode(t *huffTable) (uint8, error) {
	if e := t.fast[b.acc>>(64-huffLookahead)]; e != 0 {
		l := uint(e >> 8)
		b.acc <<= l
		b.n -= l
		return uint8(e), nil
	}
	peek := int32(b.acc >> 48)
	for l := huffLookahead + 1; l <= 16; l++ {
		code := peek >> (16 - l)
		if code <= t.maxCode[l] {
			b.acc <<= uint(l)
			b.n -= uint(l)
			return t.symbols[(t.valOff[l]+code)&255], nil
		}
	}
	return 0, errJPEGBadHuffman
}

// restart discards the bits left at a restart marker, which must be next:
// RSTn with n = want.
func (b *bitReader) restart(want int) error {
	if b.overrun() {
		return errJPEGTruncated
	}
	for b.marker && b.pos+2 < len(b.data) && b.data[b.pos+1] == 0xFF { // fill bytes
		b.pos++
	}
	if !b.marker || b.pos+1 >= len(b.data) || b.data[b.pos+1] != byte(0xD0+want) {
		return errors.New("missing or out-of-order restart marker")
	}
	b.pos += 2
	b.acc, b.n, b.fake, b.marker = 0, 0, 0, false
	return nil
}
