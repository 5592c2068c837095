//go:build amd64 && !purego

package transforms

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestToTensorSIMDRunsForTheChaptersNormalisation: the assembly's quotients
// are the divisions' for ImageNet's statistics and for none, so it runs for
// the chapter's pipelines; constants that are not a normalisation's are
// refused.
func TestToTensorSIMDRunsForTheChaptersNormalisation(t *testing.T) {
	skipWithoutVBMI(t)
	require.NotNil(t, tensorConstsFor(&ImageNetNormalize))
	require.NotNil(t, tensorConstsFor(nil))
	require.Nil(t, tensorConstsFor(&Normalize{Std: [3]float64{1, 0, 1}}))
	wrong := *tensorConstsFor(&ImageNetNormalize)
	wrong[5] *= 1.5 // the red channel's standard deviation, not its reciprocal
	require.False(t, tensorConstsExact(&wrong, &ImageNetNormalize))
}

// TestTensorConstsKeptForAtMostABoundOfNormalisations: a normalisation per
// image (here 200) leaves at most keptTensorConsts answers kept, and each
// answer is still given.
func TestTensorConstsKeptForAtMostABoundOfNormalisations(t *testing.T) {
	skipWithoutVBMI(t)
	for i := range 200 {
		norm := Normalize{Mean: [3]float64{float64(i) / 1000, 0.5, 0.5}, Std: [3]float64{0.25, 0.5, 1}}
		require.NotNil(t, tensorConstsFor(&norm), "normalisation %d", i)
	}
	kept := 0
	tensorConstsCache.Range(func(any, any) bool { kept++; return true })
	require.LessOrEqual(t, kept, keptTensorConsts)
}
