package transforms

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
)

// A baseline (sequential, Huffman, 8-bit) JPEG decoder that computes what
// libjpeg-turbo computes with PIL's settings: the ISLOW inverse DCT here, then
// the fancy chroma upsampling and colour conversion of jpeg_color.go. Kinds it
// does not handle (progressive, arithmetic-coded, 12-bit, CMYK, RGB-coded)
// report errJPEGUnsupported and go to Go's image/jpeg instead.

// errJPEGUnsupported marks a JPEG this decoder leaves to image/jpeg.
var errJPEGUnsupported = errors.New("JPEG kind left to image/jpeg")

// unzig maps a zig-zag position to its row-major position in a block.
var unzig = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

type jpegComponent struct {
	id           uint8
	h, v         int // sampling factors
	tq           int // quantisation table
	dcT, acT     int // Huffman tables of the current scan
	pred         int32
	plane        []uint8
	stride, rows int // the plane's size: whole MCUs
	scanned      bool
	// The blocks [bx0, bx1) × [by0, by1) that the wanted region needs (its
	// samples and, for chroma upsampling, their neighbours); others are
	// entropy-decoded but not transformed.
	bx0, bx1, by0, by1 int
}

type jpegDecoder struct {
	data            []byte
	quant           [4][64]int32 // zig-zag order
	quantSet        [4]bool
	dc, ac          [4]*huffTable // nil: not defined by this image
	comps           []jpegComponent
	w, h            int
	hmax, vmax      int
	mcusX, mcusY    int
	restartInterval int
	jfif            bool
	adobe           bool
	adobeTransform  byte
	blk             [64]int32
	crop            func(w, h int) image.Rectangle
	region          image.Rectangle
}

// decodeBaselineJPEG decodes data (which starts with SOI) or returns
// errJPEGUnsupported, a pixel-limit error, or a format error. With crop set,
// it is told the image's size and returns the region of the image it wants;
// only the blocks that region needs are transformed, and the region is
// returned with the planes (the rest of the planes is undefined). Without,
// the region is the whole image.
func decodeBaselineJPEG(data []byte, limit int, crop func(w, h int) image.Rectangle) (image.Image, image.Rectangle, error) {
	d := &jpegDecoder{data: data, crop: crop}
	m, err := d.decode(limit)
	if err != nil {
		return nil, image.Rectangle{}, err
	}
	return m, d.region, nil
}

func (d *jpegDecoder) decode(limit int) (image.Image, error) {
	data := d.data
	pos := 2
	for {
		marker, next, err := d.nextMarker(pos)
		if err != nil {
			return nil, err
		}
		pos = next
		if marker == 0xD9 { // EOI
			break
		}
		if marker >= 0xD0 && marker <= 0xD8 || marker == 0x01 { // RSTn, SOI, TEM: no length
			continue
		}
		if pos+2 > len(data) {
			return nil, errJPEGTruncated
		}
		n := int(binary.BigEndian.Uint16(data[pos:]))
		if n < 2 || pos+n > len(data) {
			return nil, fmt.Errorf("marker 0x%02X: bad segment length %d", marker, n)
		}
		seg := data[pos+2 : pos+n]
		pos += n
		switch {
		case marker == 0xC0 || marker == 0xC1:
			if err := d.readFrame(seg, limit); err != nil {
				return nil, err
			}
		case marker >= 0xC2 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8:
			return nil, errJPEGUnsupported // progressive, lossless, arithmetic
		case marker == 0xC4:
			if err := d.readHuffman(seg); err != nil {
				return nil, err
			}
		case marker == 0xDB:
			if err := d.readQuant(seg); err != nil {
				return nil, err
			}
		case marker == 0xDD:
			if len(seg) < 2 {
				return nil, errors.New("short DRI segment")
			}
			d.restartInterval = int(binary.BigEndian.Uint16(seg))
		case marker == 0xE0:
			d.jfif = d.jfif || len(seg) >= 5 && string(seg[:5]) == "JFIF\x00"
		case marker == 0xEE:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.adobeTransform = true, seg[11]
			}
		case marker == 0xDA:
			if pos, err = d.readScan(seg, pos); err != nil {
				return nil, err
			}
		}
	}
	return d.image()
}

// nextMarker finds the marker at or after pos (skipping fill bytes and, as
// libjpeg does, stray bytes) and returns its code and the position after it.
func (d *jpegDecoder) nextMarker(pos int) (byte, int, error) {
	for {
		if pos+1 >= len(d.data) {
			if d.comps != nil && d.allScanned() {
				return 0xD9, len(d.data), nil // a missing EOI after complete scans
			}
			return 0, 0, errJPEGTruncated
		}
		if d.data[pos] == 0xFF && d.data[pos+1] != 0 && d.data[pos+1] != 0xFF {
			return d.data[pos+1], pos + 2, nil
		}
		pos++
	}
}

func (d *jpegDecoder) allScanned() bool {
	for _, c := range d.comps {
		if !c.scanned {
			return false
		}
	}
	return true
}

func (d *jpegDecoder) readFrame(seg []byte, limit int) error {
	if d.comps != nil {
		return errors.New("two frame headers")
	}
	if len(seg) < 6 {
		return errors.New("short SOF segment")
	}
	if seg[0] != 8 {
		return errJPEGUnsupported // 12-bit
	}
	d.h, d.w = int(binary.BigEndian.Uint16(seg[1:])), int(binary.BigEndian.Uint16(seg[3:]))
	if d.h == 0 {
		return errJPEGUnsupported // height given later by a DNL marker
	}
	if err := checkSize(d.w, d.h, limit); err != nil {
		return err
	}
	nc := int(seg[5])
	if nc != 1 && nc != 3 {
		return errJPEGUnsupported // CMYK, YCCK, or unusual
	}
	if len(seg) < 6+3*nc {
		return errors.New("short SOF segment")
	}
	d.comps = make([]jpegComponent, nc)
	d.hmax, d.vmax = 1, 1
	for i := range d.comps {
		c := &d.comps[i]
		b := seg[6+3*i:]
		c.id, c.h, c.v, c.tq = b[0], int(b[1]>>4), int(b[1]&15), int(b[2])
		if nc == 1 {
			c.h, c.v = 1, 1 // a lone component is never interleaved
		}
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return fmt.Errorf("component %d: bad sampling %dx%d or table %d", i, c.h, c.v, c.tq)
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	d.mcusX, d.mcusY = (d.w+8*d.hmax-1)/(8*d.hmax), (d.h+8*d.vmax-1)/(8*d.vmax)
	d.region = image.Rect(0, 0, d.w, d.h)
	if d.crop != nil {
		if r := d.crop(d.w, d.h); r.In(d.region) && !r.Empty() {
			d.region = r
		}
	}
	for i := range d.comps {
		c := &d.comps[i]
		c.stride, c.rows = d.mcusX*c.h*8, d.mcusY*c.v*8
		c.plane = getBuffer(c.stride * c.rows)
		// The region in the component's samples, one more on each side.
		x0, x1 := d.region.Min.X*c.h/d.hmax-1, (d.region.Max.X*c.h+d.hmax-1)/d.hmax+1
		y0, y1 := d.region.Min.Y*c.v/d.vmax-1, (d.region.Max.Y*c.v+d.vmax-1)/d.vmax+1
		c.bx0, c.bx1 = max(x0, 0)/8, (x1+7)/8
		c.by0, c.by1 = max(y0, 0)/8, (y1+7)/8
	}
	return nil
}

func (d *jpegDecoder) readQuant(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, int(seg[0]&15)
		if tq > 3 || pq > 1 {
			return fmt.Errorf("bad DQT table %d, precision %d", tq, pq)
		}
		n := 64 << pq
		if len(seg) < 1+n {
			return errors.New("short DQT segment")
		}
		for k := 0; k < 64; k++ {
			v := int32(seg[1+k])
			if pq == 1 {
				v = int32(int16(binary.BigEndian.Uint16(seg[1+2*k:]))) // libjpeg keeps it in a short
			}
			d.quant[tq][k] = v
		}
		d.quantSet[tq] = true
		seg = seg[1+n:]
	}
	return nil
}

func (d *jpegDecoder) readHuffman(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errors.New("short DHT segment")
		}
		class, id := seg[0]>>4, int(seg[0]&15)
		if class > 1 || id > 3 {
			return fmt.Errorf("bad DHT table class %d id %d", class, id)
		}
		total := 0
		for _, n := range seg[1:17] {
			total += int(n)
		}
		if total > 256 || len(seg) < 17+total {
			return errors.New("bad DHT segment length")
		}
		t, err := huffTables.table(seg[1:17+total], class == 1)
		if err != nil {
			return err
		}
		if class == 1 {
			d.ac[id] = t
		} else {
			d.dc[id] = t
		}
		seg = seg[17+total:]
	}
	return nil
}

// readScan decodes one scan whose header is seg and whose entropy-coded
// data starts at pos; it returns the position after that data.
func (d *jpegDecoder) readScan(seg []byte, pos int) (int, error) {
	if d.comps == nil {
		return 0, errors.New("scan before the frame header")
	}
	if len(seg) < 1 {
		return 0, errors.New("short SOS segment")
	}
	ns := int(seg[0])
	if ns < 1 || ns > len(d.comps) || len(seg) < 4+2*ns {
		return 0, errors.New("bad SOS segment")
	}
	scan := make([]*jpegComponent, 0, ns)
	for i := 0; i < ns; i++ {
		id, tables := seg[1+2*i], seg[2+2*i]
		var c *jpegComponent
		for j := range d.comps {
			if d.comps[j].id == id {
				c = &d.comps[j]
			}
		}
		if c == nil {
			return 0, fmt.Errorf("scan names unknown component %d", id)
		}
		c.dcT, c.acT = int(tables>>4), int(tables&15)
		if c.dcT > 3 || c.acT > 3 || d.dc[c.dcT] == nil || d.ac[c.acT] == nil {
			return 0, errors.New("scan uses an undefined Huffman table")
		}
		if !d.quantSet[c.tq] {
			return 0, errors.New("scan uses an undefined quantisation table")
		}
		c.pred, c.scanned = 0, true
		scan = append(scan, c)
	}
	if ss, se, a := seg[1+2*ns], seg[2+2*ns], seg[3+2*ns]; ss != 0 || se != 63 || a != 0 {
		return 0, errJPEGUnsupported
	}
	br := &bitReader{data: d.data, pos: pos}
	if err := d.decodeScan(br, scan); err != nil {
		return 0, err
	}
	if br.overrun() {
		return 0, errJPEGTruncated
	}
	return br.pos, nil
}

// decodeScan decodes the MCUs of one scan into the components' planes.
func (d *jpegDecoder) decodeScan(br *bitReader, scan []*jpegComponent) error {
	mx, my := d.mcusX, d.mcusY
	if len(scan) == 1 { // non-interleaved: one block per MCU, the component's own size
		c := scan[0]
		mx = ((d.w*c.h+d.hmax-1)/d.hmax + 7) / 8
		my = ((d.h*c.v+d.vmax-1)/d.vmax + 7) / 8
	}
	rst := 0
	for y := 0; y < my; y++ {
		for x := 0; x < mx; x++ {
			if n := y*mx + x; d.restartInterval > 0 && n > 0 && n%d.restartInterval == 0 {
				if err := br.restart(rst); err != nil {
					return err
				}
				rst = (rst + 1) & 7
				for _, c := range scan {
					c.pred = 0
				}
			}
			if len(scan) == 1 {
				if err := d.decodeBlock(br, scan[0], x*8, y*8); err != nil {
					return err
				}
				continue
			}
			for _, c := range scan {
				for by := 0; by < c.v; by++ {
					for bx := 0; bx < c.h; bx++ {
						if err := d.decodeBlock(br, c, (x*c.h+bx)*8, (y*c.v+by)*8); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

// decodeBlock decodes one block's coefficients, dequantises them and writes
// its inverse DCT at (px, py) of the component's plane.
func (d *jpegDecoder) decodeBlock(br *bitReader, c *jpegComponent, px, py int) error {
	q := &d.quant[c.tq]
	blk := &d.blk
	// The bit buffer in locals, so that it stays in registers from one code
	// to the next (through br it would go to memory and back every code);
	// br has it again around each call.
	acc, n := br.acc, br.n
	if n < 32 {
		var ok bool
		if acc, n, ok = br.refill8(acc, n); !ok {
			acc, n = br.refill(acc, n)
		}
	}
	if e := d.dc[c.dcT].fastValue[acc>>(64-huffLookahead)]; e != 0 {
		acc <<= uint(e) & 63
		n -= uint(e & 0xFF)
		c.pred += e >> 16
	} else {
		br.acc, br.n = acc, n
		s, err := br.decode(d.dc[c.dcT])
		if err != nil {
			return err
		}
		if s != 0 {
			if s > 15 {
				return errJPEGBadHuffman
			}
			c.pred += extend(br.bits(int(s)), int(s))
		}
		acc, n = br.acc, br.n
	}
	blk[0] = int32(int16(c.pred)) * q[0] // libjpeg keeps coefficients in shorts
	ac := d.ac[c.acT]
	last := 0
	for k := 1; k < 64; {
		if n < 32 {
			var ok bool
			if acc, n, ok = br.refill8(acc, n); !ok {
				acc, n = br.refill(acc, n)
			}
		}
		if e := ac.fastValue[acc>>(64-huffLookahead)]; e != 0 {
			k += int(e>>8) & 0xFF
			acc <<= uint(e) & 63 // the length, the entry's low byte: no masking on the chain
			l := uint(e & 0xFF)
			n -= l
			if uint(k) > 63 {
				if e == fastACEndOfBlock|int32(l) {
					break
				}
				return errJPEGBadHuffman
			}
			blk[unzig[k]&63] = (e >> 16) * q[k]
			last = k
			k++
			continue
		}
		br.acc, br.n = acc, n
		rs, err := br.decode(ac)
		if err != nil {
			return err
		}
		r, s := int(rs>>4), int(rs&15)
		if s == 0 {
			acc, n = br.acc, br.n
			if r != 15 {
				break // end of block
			}
			k += 16
			continue
		}
		k += r
		if uint(k) > 63 {
			return errJPEGBadHuffman
		}
		blk[unzig[k]&63] = extend(br.bits(s), s) * q[k]
		acc, n = br.acc, br.n
		last = k
		k++
	}
	br.acc, br.n = acc, n
	if bx, by := px/8, py/8; bx < c.bx0 || bx >= c.bx1 || by < c.by0 || by >= c.by1 {
		*blk = [64]int32{} // outside the wanted region
		return nil
	}
	out := c.plane[py*c.stride+px:]
	if last == 0 {
		v := idctDCOnly(blk[0])
		for r := 0; r < 8; r++ {
			row := out[r*c.stride : r*c.stride+8 : r*c.stride+8]
			row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] = v, v, v, v, v, v, v, v
		}
		blk[0] = 0
		return nil
	}
	if !idctSIMD(blk, out, c.stride) {
		idctISlow(blk, out, c.stride)
	}
	*blk = [64]int32{}
	return nil
}

// image wraps the planes as image/jpeg would: Gray or YCbCr.
func (d *jpegDecoder) image() (image.Image, error) {
	if d.comps == nil || !d.allScanned() {
		return nil, errJPEGUnsupported // let image/jpeg say what is missing
	}
	rect := image.Rect(0, 0, d.w, d.h)
	c := d.comps
	if len(c) == 1 {
		return &image.Gray{Pix: c[0].plane, Stride: c[0].stride, Rect: rect}, nil
	}
	if d.rgbCoded() {
		return nil, errJPEGUnsupported
	}
	var ratio image.YCbCrSubsampleRatio
	same := c[1].h == c[2].h && c[1].v == c[2].v
	switch {
	case same && c[0].h == c[1].h && c[0].v == c[1].v:
		ratio = image.YCbCrSubsampleRatio444
	case !same || c[1].h != 1 || c[1].v != 1 || c[0].h != d.hmax || c[0].v != d.vmax:
		return nil, errJPEGUnsupported
	case d.hmax == 2 && d.vmax == 1:
		ratio = image.YCbCrSubsampleRatio422
	case d.hmax == 2 && d.vmax == 2:
		ratio = image.YCbCrSubsampleRatio420
	case d.hmax == 1 && d.vmax == 2:
		ratio = image.YCbCrSubsampleRatio440
	case d.hmax == 4 && d.vmax == 1:
		ratio = image.YCbCrSubsampleRatio411
	case d.hmax == 4 && d.vmax == 2:
		ratio = image.YCbCrSubsampleRatio410
	default:
		return nil, errJPEGUnsupported
	}
	if ratio == image.YCbCrSubsampleRatio444 && c[0].stride != c[1].stride {
		return nil, errJPEGUnsupported
	}
	return &image.YCbCr{Y: c[0].plane, Cb: c[1].plane, Cr: c[2].plane, YStride: c[0].stride,
		CStride: c[1].stride, SubsampleRatio: ratio, Rect: rect}, nil
}

// rgbCoded applies libjpeg's rule for a 3-component JPEG's colour space:
// JFIF means YCbCr; else an Adobe marker's transform 0 means RGB; else
// component ids 'R', 'G', 'B' mean RGB.
func (d *jpegDecoder) rgbCoded() bool {
	switch {
	case d.jfif:
		return false
	case d.adobe:
		return d.adobeTransform == 0
	}
	return d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B'
}
