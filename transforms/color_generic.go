//go:build !amd64 || purego

package transforms

// saturationSIMD leaves all of saturation to the Go loop here.
func saturationSIMD(out, in []uint8, lut *[256]uint8, a float32) ([]uint8, []uint8, *[256]uint8) {
	return in, out, lut
}

// lumaSumSIMD leaves every pixel to the Go loop here.
func lumaSumSIMD(pix []uint8) (uint64, []uint8) { return 0, pix }
