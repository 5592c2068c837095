package torch

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestModuleChannelsLast: after ToMemoryFormat(ChannelsLast) the convolution
// weight is laid out NHWC, and the module, fed a channels-last input, still
// computes PyTorch's eval output.
func TestModuleChannelsLast(t *testing.T) {
	m, g := loadTinyCNN(t)
	m.Eval()
	convWeight := func() *Tensor {
		ps := m.NamedParameters()
		t.Cleanup(func() { CloseNamed(ps) })
		for _, p := range ps {
			if p.Name == "conv.weight" {
				return p.Tensor
			}
		}
		t.Fatal("no conv.weight")
		return nil
	}
	require.True(t, convWeight().IsContiguousAs(ContiguousFormat))
	require.False(t, convWeight().IsContiguousAs(ChannelsLast), "a [8,3,3,3] NCHW weight is not NHWC")

	require.NoError(t, m.ToMemoryFormat(ChannelsLast))
	w := convWeight()
	require.True(t, w.IsContiguousAs(ChannelsLast), "the weight was not relaid")
	require.False(t, w.IsContiguousAs(ContiguousFormat))
	require.Equal(t, []int64{8, 3, 3, 3}, w.Shape(), "the shape stays NCHW")

	x := g.Input.tensor(t)
	defer x.Close()
	xl := x.ContiguousAs(ChannelsLast)
	defer xl.Close()
	require.True(t, xl.IsContiguousAs(ChannelsLast))
	require.Equal(t, x.Float32s(), xl.Contiguous().Float32s(), "same values, other strides")
	out, err := m.ForwardNoGrad(xl)
	require.NoError(t, err)
	defer out.Close()
	requireClose(t, g.Eval, out, 1e-5, "channels-last forward")

	// Back to NCHW: the same outputs again.
	require.NoError(t, m.ToMemoryFormat(ContiguousFormat))
	require.True(t, convWeight().IsContiguousAs(ContiguousFormat))
	back, err := m.ForwardNoGrad(x)
	require.NoError(t, err)
	defer back.Close()
	requireClose(t, g.Eval, back, 1e-5, "forward after going back to NCHW")
}

func TestChannelsLastNeedsFourDimensions(t *testing.T) {
	v, err := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	require.NoError(t, err)
	defer v.Close()
	require.False(t, v.IsContiguousAs(ChannelsLast))
	err = func() (err error) {
		defer Recover(&err)
		v.ContiguousAs(ChannelsLast).Close()
		return nil
	}()
	require.ErrorContains(t, err, "contiguous(channels_last)")
	require.ErrorContains(t, err, "rank 4")
	require.Equal(t, "MemoryFormat(7)", MemoryFormat(7).String())
	m, _ := loadTinyCNN(t)
	require.ErrorContains(t, m.ToMemoryFormat(MemoryFormat(7)), "unknown memory format code 7")
}
