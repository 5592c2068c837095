//go:build amd64 && !purego

package transforms

//go:noescape
func convert420AVX2(yrow *uint8, cb, cr *int32, out *uint8, groups int)

//go:noescape
func chromaSumsAVX2(near, far *uint8, sums *int32, n int)

// chromaSumsSIMD computes h2v2Sums' sums[x] = 3·near[x] + far[x] for x in
// [x0, x1) with AVX2, in whole groups of 8, and returns the first x it left
// (x0 where it did none).
func chromaSumsSIMD(near, far []uint8, sums []int32, x0, x1 int) int {
	n := (x1 - x0) &^ 7
	if !simdOn.Load() || n == 0 {
		return x0
	}
	_, _, _ = near[x0+n-1], far[x0+n-1], sums[x0+n-1]
	chromaSumsAVX2(&near[x0], &far[x0], &sums[x0], n)
	return x0 + n
}

// convert420SIMD converts pairs of convert420Row's pixels from output column
// o (even, at least 2) on, in groups of 8 pairs whose neighbouring column
// sums all exist, and returns the column after the last it wrote (o where
// it wrote none).
func convert420SIMD(yrow []uint8, sumsCb, sumsCr []int32, out []uint8, o, x0, x1 int) int {
	cx := o / 2
	groups := min((len(sumsCb)-1-cx)/8, (x1-o)/16)
	if !simdOn.Load() || cx < 1 || groups <= 0 {
		return o
	}
	end := cx + 8*groups // the last column sum read
	_, _ = sumsCb[end], sumsCr[end]
	_ = yrow[o+16*groups-1]
	_ = out[(o-x0+16*groups)*3-1]
	convert420AVX2(&yrow[o], &sumsCb[cx], &sumsCr[cx], &out[(o-x0)*3], groups)
	return o + 16*groups
}
