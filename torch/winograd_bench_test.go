package torch

import (
	"testing"
	"time"
)

// resnet34DefaultWinograd lists the weights of the 26 convolutions dogbreed's
// default backbone runs on Winograd (192 MiB of Winograd weights): how many
// of each [out, in] channel count.
var resnet34DefaultWinograd = []struct {
	count   int
	out, in int64
}{{6, 64, 64}, {7, 128, 128}, {11, 256, 256}, {2, 512, 512}}

// BenchmarkWinogradWeights makes the Winograd weights of dogbreed's default
// backbone, what its first batch pays once (design note 19), by the shim's
// transform and by oneDNN's reorder, each into fresh memory as a plan does;
// ms/backbone is that time alone (the setup of each shape left out).
func BenchmarkWinogradWeights(b *testing.B) {
	if err := oneDNNWinograd(); err != nil {
		b.Skipf("no Winograd weights to make here: %v", err)
	}
	for _, c := range []struct {
		name string
		own  bool
	}{{"Shim", true}, {"OneDNNReorder", false}} {
		b.Run(c.name, func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				for _, shape := range resnet34DefaultWinograd {
					d, err := winogradWeightsTime(shape.out, shape.in, c.own, shape.count)
					if err != nil {
						b.Fatal(err)
					}
					total += d
				}
			}
			b.ReportMetric(float64(total.Microseconds())/1e3/float64(b.N), "ms/backbone")
		})
	}
}
