//go:build amd64 && !purego

package transforms

//go:noescape
func saturationAVX2(dst, src *uint8, pixels int, a float32)

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
