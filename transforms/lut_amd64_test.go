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
