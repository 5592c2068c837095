//go:build !amd64 || purego

package transforms

// convert420SIMD writes nothing here: convert420Row's Go loop converts.
func convert420SIMD(yrow []uint8, sumsCb, sumsCr []int32, out []uint8, o, x0, x1 int) int {
	return o
}

// chromaSumsSIMD leaves h2v2Sums' loop to the Go code here.
func chromaSumsSIMD(near, far []uint8, sums []int32, x0, x1 int) int { return x0 }
