package torch

import (
	"fmt"
	"testing"
)

// BenchmarkMatMulOnBLASCores times float32 matrix products on the OpenBLAS
// kernel set in use (BLASCore) and on OpenBLAS's Prescott fallback, side by
// side: 1024² by 1024², and the fine-tuned head's first layer on a batch
// of 32 (32×1000 by 1000×256). OpenBLAS runs on the package's one thread.
func BenchmarkMatMulOnBLASCores(b *testing.B) {
	start, _ := BLASCore()
	if start == "" {
		b.Skip("libtorch's BLAS is not OpenBLAS here")
	}
	defer setBLASCore(start)
	for _, s := range []struct {
		name    string
		m, k, n int64
	}{{"1024x1024x1024", 1024, 1024, 1024}, {"head-32x1000x256", 32, 1000, 256}} {
		x, w := randnMatrices(b, s.m, s.k, s.n)
		for _, core := range []string{start, "Prescott"} {
			b.Run(fmt.Sprintf("%s/core=%s", s.name, core), func(b *testing.B) {
				if !setBLASCore(core) {
					b.Skipf("this OpenBLAS cannot switch to %s", core)
				}
				for b.Loop() {
					x.MatMul(w).Close()
				}
				b.ReportMetric(float64(2*s.m*s.k*s.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
