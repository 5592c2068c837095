package finetune

import (
	"testing"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/internal/testenv"
	"github.com/tunetorch/tunetorch/torch"
)

// benchmarkBackbone measures the ResNet-34 fixture's forward on a ready
// 32×3×224×224 batch, as the training loop runs it (no grad).
func benchmarkBackbone(b *testing.B, cfg NetConfig) {
	cfg.Classes, cfg.Device = 10, torch.CPU
	net, err := LoadNet(testenv.ResNet34(b), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer net.Close()
	batch := &dataset.Batch{N: 32, C: 3, H: 224, W: 224, Images: make([]float32, 32*3*224*224)}
	for b.Loop() {
		f, err := net.Features(batch)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.ReportMetric(float64(32*b.N)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkResNet34Forward(b *testing.B) { benchmarkBackbone(b, NetConfig{}) }

func BenchmarkResNet34ForwardOptimized(b *testing.B) {
	benchmarkBackbone(b, NetConfig{OptimizeBackbone: true})
}

func BenchmarkResNet34ForwardBF16(b *testing.B) {
	benchmarkBackbone(b, NetConfig{BackboneDtype: torch.BFloat16})
}
