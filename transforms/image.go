package transforms

import "fmt"

// Image is an 8-bit RGB image: Pix holds H rows of W pixels, 3 bytes each
// (R, G, B), top row first.
type Image struct {
	W, H int
	Pix  []uint8
}

// NewImage returns a black image of the given size.
func NewImage(w, h int) *Image {
	if w < 0 || h < 0 {
		panic(fmt.Sprintf("transforms: negative image size %dx%d", w, h))
	}
	return &Image{W: w, H: h, Pix: make([]uint8, w*h*3)}
}

// newImageUncleared returns a w×h image whose pixels are recycled memory
// (see bufferPool): its maker must write every one.
func newImageUncleared(w, h int) *Image {
	return &Image{W: w, H: h, Pix: getBuffer(w * h * 3)}
}

// At returns the pixel at column x, row y.
func (m *Image) At(x, y int) (r, g, b uint8) {
	i := (y*m.W + x) * 3
	return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
}

// Clone returns a copy that shares no memory with m.
func (m *Image) Clone() *Image {
	return &Image{W: m.W, H: m.H, Pix: append([]uint8(nil), m.Pix...)}
}

// Crop returns the w×h region whose top-left corner is (left, top), as
// PIL's crop((left, top, left+w, top+h)) does: pixels outside the image are
// black.
func (m *Image) Crop(top, left, h, w int) *Image {
	out := NewImage(w, h)
	for y := 0; y < h; y++ {
		sy := top + y
		if sy < 0 || sy >= m.H {
			continue
		}
		x0, x1 := max(0, -left), min(w, m.W-left)
		if x0 >= x1 {
			continue
		}
		copy(out.Pix[(y*w+x0)*3:(y*w+x1)*3], m.Pix[(sy*m.W+left+x0)*3:(sy*m.W+left+x1)*3])
	}
	return out
}

// FlipHorizontal returns the mirror image (left and right swapped).
func (m *Image) FlipHorizontal() *Image {
	out := NewImage(m.W, m.H)
	for y := 0; y < m.H; y++ {
		row := m.Pix[y*m.W*3 : (y+1)*m.W*3]
		orow := out.Pix[y*m.W*3 : (y+1)*m.W*3]
		for x := 0; x < m.W; x++ {
			j := (m.W - 1 - x) * 3
			orow[x*3], orow[x*3+1], orow[x*3+2] = row[j], row[j+1], row[j+2]
		}
	}
	return out
}
