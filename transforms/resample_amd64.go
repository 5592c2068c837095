//go:build amd64 && !purego

package transforms

//go:noescape
func verticalAVX2(out *uint8, n int, rows *[7]*uint8, k *int32, taps int)

//go:noescape
func horizontal2AVX2(srow0, srow1, trow0, trow1 *uint8, outW int, start *int, weights *int32, taps int)

// horizontalSIMD resamples a row as horizontalKernels[c.ksize] would, not
// mirrored (resizeBox reverses c instead), and reports whether it did: it
// needs AVX2 and windows of at least 2 pixels, all of c.ksize (fixedWindows).
func horizontalSIMD(srow, trow []uint8, c *coefficients) bool {
	return horizontalPairSIMD(srow, srow, trow, trow, c) // the row as both
}

// horizontalPairSIMD resamples two rows of the same width as two
// horizontalSIMD calls would, in one pass (they share c's windows and
// weights), and reports whether it did.
func horizontalPairSIMD(srow0, srow1, trow0, trow1 []uint8, c *coefficients) bool {
	outW := len(trow0) / 3
	if !simdOn.Load() || c.ksize < 2 || outW == 0 || len(srow1) != len(srow0) || len(trow1) < 3*outW {
		return false
	}
	last := c.start[outW-1]
	_ = srow0[(max(c.start[0], last)+c.ksize)*3-1] // every window inside both rows
	_ = c.weights[outW*c.ksize-1]
	horizontal2AVX2(&srow0[0], &srow1[0], &trow0[0], &trow1[0], outW, &c.start[0], &c.weights[0], c.ksize)
	return true
}

// verticalSIMD combines len(k) rows into out as verticalKernels[len(k)]
// would, and returns how many leading values it wrote (a multiple of 32;
// none without AVX2): the caller does the rest.
func verticalSIMD(out []uint8, rows *[7][]uint8, k []int32) int {
	n := len(out) &^ 31
	if !simdOn.Load() || n == 0 || len(k) > len(rows) {
		return 0
	}
	var ptrs [7]*uint8
	for j := range k {
		ptrs[j] = &rows[j][:n][0]
	}
	verticalAVX2(&out[0], n, &ptrs, &k[0], len(k))
	return n
}
