//go:build !amd64 || purego

package transforms

// vbmiOn is false where the assembly is not built.
func vbmiOn() bool { return false }

// mapBytesSIMD leaves every byte to the Go loop here.
func mapBytesSIMD(out, in []uint8, lut *[256]uint8) int { return 0 }

// toTensorSIMD leaves every pixel to the Go loop here.
func toTensorSIMD(r, g, b []float32, pix []uint8, pre *[256]uint8, norm *Normalize) int { return 0 }
