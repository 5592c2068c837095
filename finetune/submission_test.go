package finetune

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// An id or class name with a comma or a quote is quoted, so that every row
// still has its id and one probability per class.
func TestSubmissionQuotesFieldsThatNeedIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "submission.csv")
	classes := []string{"plain", "with,comma", `with "quote"`}
	p := &Predictions{IDs: []string{"a,b", " leading space", "ok"},
		Probs: [][]float32{{0.5, 0.25, 0.25}, {1, 0, 0}, {0, 0, 1}}}
	require.NoError(t, WriteSubmission(path, classes, p))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, [][]string{
		{"id", "plain", "with,comma", `with "quote"`},
		{"a,b", "0.5", "0.25", "0.25"},
		{" leading space", "1", "0", "0"},
		{"ok", "0", "0", "1"},
	}, rows)
}
