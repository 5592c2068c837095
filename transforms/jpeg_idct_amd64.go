//go:build amd64 && !purego

package transforms

//go:noescape
func idctAVX2(in *[64]int32, out *uint8, stride int)

// idctSIMD runs idctISlow's transform with AVX2 and reports whether it did
// (not without AVX2). It overwrites in, which its caller clears anyway.
func idctSIMD(in *[64]int32, out []uint8, stride int) bool {
	if !simdOn.Load() {
		return false
	}
	_ = out[7*stride+7]
	idctAVX2(in, &out[0], stride)
	return true
}
