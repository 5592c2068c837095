package finetune

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStepLRMatchesPyTorchExactly(t *testing.T) {
	data, err := os.ReadFile("testdata/steplr.json")
	require.NoError(t, err)
	var cases []struct {
		LR       float64   `json:"lr"`
		StepSize int       `json:"step_size"`
		Gamma    float64   `json:"gamma"`
		LRs      []float64 `json:"lrs"`
	}
	require.NoError(t, json.Unmarshal(data, &cases))
	require.Len(t, cases, 3)
	for _, c := range cases {
		s, err := NewStepLR(c.LR, c.StepSize, c.Gamma)
		require.NoError(t, err)
		for e, want := range c.LRs {
			require.Equal(t, want, s.LR(), "lr=%g step=%d gamma=%g epoch %d", c.LR, c.StepSize, c.Gamma, e)
			s.Step()
		}
	}
	_, err = NewStepLR(0.1, 0, 0.9)
	require.ErrorContains(t, err, "period")
	_, err = NewStepLR(-1, 2, 0.9)
	require.ErrorContains(t, err, "learning rate")
}
