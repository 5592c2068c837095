package demodata

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
)

func TestGenerateKaggleLayout(t *testing.T) {
	dir := t.TempDir()
	classes := Breeds()[:6]
	require.NoError(t, Generate(Config{Dir: dir, Classes: classes, Scale: 0.05, MinSide: 40, MaxSide: 80, Seed: 1}))
	labels, err := dataset.ReadCSVLabels(filepath.Join(dir, "labels.csv"))
	require.NoError(t, err)
	counts := map[string]int{}
	for id, breed := range labels {
		require.Len(t, id, 32)
		counts[breed]++
		_, err := os.Stat(filepath.Join(dir, "train", id+".jpg"))
		require.NoError(t, err)
	}
	require.Len(t, counts, 6)
	for b, n := range counts {
		require.GreaterOrEqual(t, n, 3, b) // round(66·0.05) at least
		require.LessOrEqual(t, n, 7, b)
	}
	s, err := dataset.SplitKaggle(dataset.DogBreedLayout(dir), 0.1)
	require.NoError(t, err)
	require.Len(t, s.Test.Samples, 10)
	sub, err := os.ReadFile(filepath.Join(dir, "sample_submission.csv"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(sub), "id,"+strings.Join(classes, ",")+"\n"))

	// Deterministic: the same config gives the same files.
	dir2 := t.TempDir()
	require.NoError(t, Generate(Config{Dir: dir2, Classes: classes, Scale: 0.05, MinSide: 40, MaxSide: 80, Seed: 1}))
	a, _ := os.ReadFile(filepath.Join(dir, "labels.csv"))
	b, _ := os.ReadFile(filepath.Join(dir2, "labels.csv"))
	require.Equal(t, a, b)
}

func TestBreedsAreTheCompetitions(t *testing.T) {
	b := Breeds()
	require.Len(t, b, 120)
	require.Equal(t, "affenpinscher", b[0])
	require.Equal(t, "yorkshire_terrier", b[119])
}
