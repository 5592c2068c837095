//go:build amd64 && !purego

package transforms

//go:noescape
func saturationAVX2(dst, src *uint8, pixels int, a float32)

//go:noescape
func lumaSumAVX2(src *uint8, pixels int) uint64

// lumaSumChunk is how many pixels one lumaSumAVX2 call sums at most.
const lumaSumChunk = 1 << 22

// lumaSumSIMD sums the lumas of pix's whole groups of 8 pixels with AVX2
// and returns that sum and the pixels left for the Go loop (all of pix
// without AVX2).
func lumaSumSIMD(pix []uint8) (uint64, []uint8) {
	n := len(pix) / 3 &^ 7
	if !simdOn.Load() || n == 0 {
		return 0, pix
	}
	var sum uint64
	for done := 0; done < n; {
		k := min(n-done, lumaSumChunk)
		sum += lumaSumAVX2(&pix[3*done], k)
		done += k
	}
	return sum, pix[3*n:]
}

// saturationSIMD does what it can of saturation (factor a) with AVX2: the
// table first, in a pass of its own where it is not the identity, then whole
// groups of 8 pixels. It returns what is left for the Go loop: the values
// still to read and where they go, and the table they still need.
func saturationSIMD(out, in []uint8, lut *[256]uint8, a float32) ([]uint8, []uint8, *[256]uint8) {
	n := len(in) / 3 &^ 7
	if !simdOn.Load() || n == 0 {
		return in, out, lut
	}
	if !isIdentity(lut) {
		mapBytes(out, in, lut)
		in, lut = out, &identity
	}
	_ = out[n*3-1]
	saturationAVX2(&out[0], &in[0], n, a)
	return in[n*3:], out[n*3:], lut
}
