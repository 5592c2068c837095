package torch_test

import (
	"fmt"
	"log"

	"github.com/tunetorch/tunetorch/torch"
)

// Example differentiates Σx² with autograd: its gradient is 2x.
func Example() {
	x := torch.MustFromSlice([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
	defer x.Close()
	sq := x.Mul(x)
	defer sq.Close()
	y := sq.Sum()
	defer y.Close()
	y.Backward()
	g := x.Grad()
	defer g.Close()
	fmt.Println(y.Item(), g.Float32s())
	// Output: 14 [2 4 6]
}

// ExampleSGD takes two steps of SGD with momentum and weight decay on
// Σw², computing what torch.optim.SGD computes: PyTorch gives the same
// weights, (0.7900, -1.5800) then (0.4351, -0.8702).
func ExampleSGD() {
	w := torch.MustFromSlice([]float32{1, -2}, 2).SetRequiresGrad(true)
	defer w.Close()
	opt, err := torch.NewSGD([]*torch.Tensor{w}, torch.SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 0.1})
	if err != nil {
		log.Fatal(err)
	}
	defer opt.Close()
	for range 2 {
		opt.ZeroGrad()
		sq := w.Mul(w)
		loss := sq.Sum()
		loss.Backward()
		opt.Step()
		v := w.Float32s()
		fmt.Printf("loss %.4f, w (%.4f, %.4f)\n", loss.Item(), v[0], v[1])
		sq.Close()
		loss.Close()
	}
	// Output:
	// loss 5.0000, w (0.7900, -1.5800)
	// loss 3.1205, w (0.4351, -0.8702)
}
