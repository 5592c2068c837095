package torch

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

type sgdGolden struct {
	Cases []struct {
		Config struct {
			LR          float64 `json:"lr"`
			Momentum    float64 `json:"momentum"`
			Dampening   float64 `json:"dampening"`
			WeightDecay float64 `json:"weight_decay"`
			Nesterov    bool    `json:"nesterov"`
		} `json:"config"`
		Init  []goldenTensor   `json:"init"`
		Grads [][]goldenTensor `json:"grads"`
		After [][]goldenTensor `json:"after"`
	} `json:"cases"`
}

// setGrad gives p the gradient g by backpropagating sum(p·g).
func setGrad(t *testing.T, p *Tensor, g goldenTensor) {
	gt := g.tensor(t)
	prod := p.Mul(gt)
	s := prod.Sum()
	s.Backward()
	CloseAll(gt, prod, s)
}

func TestSGDMatchesTorchOptimSGD(t *testing.T) {
	var g sgdGolden
	readGolden(t, "sgd.json", &g)
	require.Len(t, g.Cases, 4)
	for ci, c := range g.Cases {
		t.Run(fmt.Sprintf("%+v", c.Config), func(t *testing.T) {
			w := c.Init[0].tensor(t).SetRequiresGrad(true)
			b := c.Init[1].tensor(t).SetRequiresGrad(true)
			defer CloseAll(w, b)
			opt, err := NewSGD([]*Tensor{w, b}, SGDConfig{
				LR: c.Config.LR, Momentum: c.Config.Momentum, Dampening: c.Config.Dampening,
				WeightDecay: c.Config.WeightDecay, Nesterov: c.Config.Nesterov})
			require.NoError(t, err)
			defer opt.Close()
			for step := range c.Grads {
				opt.ZeroGrad()
				setGrad(t, w, c.Grads[step][0])
				setGrad(t, b, c.Grads[step][1])
				opt.Step()
				requireClose(t, c.After[step][0], w, 1e-6, fmt.Sprintf("case %d step %d weight", ci, step+1))
				requireClose(t, c.After[step][1], b, 1e-6, fmt.Sprintf("case %d step %d bias", ci, step+1))
			}
			if c.Config.Momentum > 0 {
				require.NotNil(t, opt.MomentumBuffers()[0])
			}
		})
	}
}

func TestSGDSkipsParametersWithoutGradient(t *testing.T) {
	w := MustFromSlice([]float32{1, 2}, 2).SetRequiresGrad(true)
	defer w.Close()
	opt, err := NewSGD([]*Tensor{w}, SGDConfig{LR: 0.1, Momentum: 0.9})
	require.NoError(t, err)
	defer opt.Close()
	opt.Step()
	require.Equal(t, []float32{1, 2}, w.Float32s())
	require.Nil(t, opt.MomentumBuffers()[0])
}

func TestSGDMomentumBuffersRestoreGivesSameTrajectory(t *testing.T) {
	run := func(restoreAfter int) []float32 {
		w := MustFromSlice([]float32{1, -2, 3}, 3).SetRequiresGrad(true)
		defer w.Close()
		opt, err := NewSGD([]*Tensor{w}, SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01})
		require.NoError(t, err)
		grad := goldenTensor{Shape: []int64{3}, Dtype: "float32", Data: []float64{0.5, -1, 0.25}}
		for step := 0; step < 4; step++ {
			if step == restoreAfter {
				// Simulate a checkpoint: copy the buffers out, build a new optimizer, restore.
				saved := []*Tensor{opt.MomentumBuffers()[0].Clone()}
				opt.Close()
				opt, err = NewSGD([]*Tensor{w}, SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01})
				require.NoError(t, err)
				require.NoError(t, opt.SetMomentumBuffers(saved))
				CloseAll(saved...)
			}
			opt.ZeroGrad()
			setGrad(t, w, grad)
			opt.Step()
		}
		opt.Close()
		return w.Float32s()
	}
	require.Equal(t, run(-1), run(2))
}

func TestSGDConfigValidation(t *testing.T) {
	for _, c := range []struct {
		cfg  SGDConfig
		want string
	}{
		{SGDConfig{LR: -1}, "invalid learning rate"},
		{SGDConfig{LR: 1, Momentum: -0.1}, "invalid momentum"},
		{SGDConfig{LR: 1, WeightDecay: -1}, "invalid weight decay"},
		{SGDConfig{LR: 1, Nesterov: true}, "Nesterov"},
	} {
		_, err := NewSGD(nil, c.cfg)
		require.ErrorContains(t, err, c.want)
	}
	w := MustFromSlice([]float32{1, 2}, 2)
	defer w.Close()
	opt, err := NewSGD([]*Tensor{w}, SGDConfig{LR: 0.5})
	require.NoError(t, err)
	opt.SetLR(0.25)
	require.Equal(t, 0.25, opt.LR())
	bad := MustFromSlice([]float32{1, 2, 3}, 3)
	defer bad.Close()
	require.ErrorContains(t, opt.SetMomentumBuffers([]*Tensor{bad}), "has shape [3], its parameter [2]")
	require.ErrorContains(t, opt.SetMomentumBuffers(nil), "0 momentum buffers for 1 parameters")
}

// Restored buffers are copies in their parameters' dtype, as torch.optim's
// load_state_dict casts them.
func TestSetMomentumBuffersCastsAndCopies(t *testing.T) {
	w := MustFromSlice([]float32{1, 2}, 2)
	defer w.Close()
	opt, err := NewSGD([]*Tensor{w}, SGDConfig{LR: 0.5, Momentum: 0.9})
	require.NoError(t, err)
	defer opt.Close()
	wide := MustFromSlice([]float64{0.5, -1.5}, 2)
	defer wide.Close()
	require.NoError(t, opt.SetMomentumBuffers([]*Tensor{wide}))
	require.Equal(t, Float32, opt.MomentumBuffers()[0].Dtype())
	require.Equal(t, []float32{0.5, -1.5}, opt.MomentumBuffers()[0].Float32s())
	kept := MustFromSlice([]float32{3, 4}, 2)
	require.NoError(t, opt.SetMomentumBuffers([]*Tensor{kept}))
	require.NoError(t, kept.CopyFrom(wide))
	kept.Close()
	require.Equal(t, []float32{3, 4}, opt.MomentumBuffers()[0].Float32s())
}
