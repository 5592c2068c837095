//go:build !amd64 || purego

package transforms

// idctSIMD leaves the transform to idctISlow here.
func idctSIMD(in *[64]int32, out []uint8, stride int) bool { return false }
