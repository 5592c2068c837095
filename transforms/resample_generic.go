//go:build !amd64 || purego

package transforms

// horizontalSIMD does nothing here: the Go kernels resample.
func horizontalSIMD(srow, trow []uint8, c *coefficients) bool { return false }

// horizontalPairSIMD does nothing here: the Go kernels resample.
func horizontalPairSIMD(srow0, srow1, trow0, trow1 []uint8, c *coefficients) bool { return false }

// verticalSIMD does nothing here: the Go kernels resample.
func verticalSIMD(out []uint8, rows *[7][]uint8, k []int32) int { return 0 }
