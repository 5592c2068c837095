package dataset

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// kaggleFromGolden lays out testdata/split/labels.csv as a Kaggle folder with
// (empty) train images and a few test images.
func kaggleFromGolden(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	labels, err := os.ReadFile(filepath.Join("testdata", "split", "labels.csv"))
	require.NoError(t, err)
	writeFile(t, dir, "labels.csv", string(labels))
	for _, line := range strings.Split(strings.TrimSpace(string(labels)), "\n")[1:] {
		id := strings.Split(line, ",")[0]
		writeFile(t, dir, filepath.Join("train", id+".jpg"), "image "+id)
	}
	for _, id := range []string{"t3", "t1", "t2"} {
		writeFile(t, dir, filepath.Join("test", id+".jpg"), "test image")
	}
	return dir
}

type splitGolden map[string]struct {
	NValid     int                 `json:"n_valid_per_label"`
	Train      map[string][]string `json:"train"`
	Valid      map[string][]string `json:"valid"`
	TrainValid map[string][]string `json:"train_valid"`
}

func byLabel(d *Dataset) map[string][]string {
	m := map[string][]string{}
	for _, s := range d.Samples {
		m[d.Classes[s.Label]] = append(m[d.Classes[s.Label]], filepath.Base(s.Path))
	}
	return m
}

func TestSplitEqualsD2LReorganisation(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "split", "expected.json"))
	require.NoError(t, err)
	var g splitGolden
	require.NoError(t, json.Unmarshal(data, &g))
	dir := kaggleFromGolden(t)
	for ratio, want := range g {
		r, err := strconv.ParseFloat(ratio, 64)
		require.NoError(t, err)
		s, err := SplitKaggle(DogBreedLayout(dir), r)
		require.NoError(t, err, ratio)
		require.Equal(t, want.NValid, s.NValidPerLabel, ratio)
		require.Equal(t, want.Train, byLabel(s.Train), "train, ratio %s", ratio)
		require.Equal(t, want.Valid, byLabel(s.Valid), "valid, ratio %s", ratio)
		require.Equal(t, want.TrainValid, byLabel(s.TrainValid), "train_valid, ratio %s", ratio)
		require.Equal(t, []string{"affenpinscher", "beagle", "chow", "dingo", "komondor", "pug", "whippet"}, s.Train.Classes)
		require.Equal(t, len(s.TrainValid.Samples), len(s.Train.Samples)+len(s.Valid.Samples))
		var testIDs []string
		for _, smp := range s.Test.Samples {
			testIDs = append(testIDs, smp.ID)
			require.Equal(t, -1, smp.Label)
		}
		require.Equal(t, []string{"t1", "t2", "t3"}, testIDs)
	}
}

func TestReorgOnDiskMatchesInMemoryAndReplacesOldTree(t *testing.T) {
	dir := kaggleFromGolden(t)
	before := snapshot(t, dir)
	mem, err := SplitKaggle(DogBreedLayout(dir), 0.5)
	require.NoError(t, err)
	disk, err := ReorgKaggle(context.Background(), DogBreedLayout(dir), 0.5)
	require.NoError(t, err)
	root := filepath.Join(dir, "train_valid_test")
	for _, part := range []struct {
		name     string
		mem, out *Dataset
	}{{"train", mem.Train, disk.Train}, {"valid", mem.Valid, disk.Valid}, {"train_valid", mem.TrainValid, disk.TrainValid}} {
		// Reading the tree back with ImageFolder gives the in-memory split.
		back, err := ImageFolder(filepath.Join(root, part.name))
		require.NoError(t, err, part.name)
		require.Equal(t, byLabel(part.mem), byLabel(back), part.name)
		require.Equal(t, byLabel(part.mem), byLabel(part.out), part.name)
	}
	test, err := ImageFolder(filepath.Join(root, "test"))
	require.NoError(t, err)
	require.Equal(t, []string{"unknown"}, test.Classes)
	require.Len(t, test.Samples, 3)

	// Hard links where possible: same inode as the input.
	any := disk.Train.Samples[0]
	src, err := os.Stat(filepath.Join(dir, "train", filepath.Base(any.Path)))
	require.NoError(t, err)
	dst, err := os.Stat(any.Path)
	require.NoError(t, err)
	require.True(t, os.SameFile(src, dst), "expected a hard link")

	// Another ratio: the new tree replaces the old one, with no stale file.
	_, err = ReorgKaggle(context.Background(), DogBreedLayout(dir), 0.1)
	require.NoError(t, err)
	valid, err := ImageFolder(filepath.Join(root, "valid"))
	require.NoError(t, err)
	require.Len(t, valid.Samples, 7, "one per class at ratio 0.1")
	// Inputs untouched, no temporary folders left.
	after := snapshot(t, dir)
	for p, c := range before {
		require.Equal(t, c, after[p], p)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	require.Equal(t, []string{"labels.csv", "test", "train", "train_valid_test"}, names)
}

// snapshot maps each input file to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	m := map[string]string{}
	for _, sub := range []string{"train", "test"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		require.NoError(t, err)
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, sub, e.Name()))
			require.NoError(t, err)
			m[filepath.Join(sub, e.Name())] = string(b)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "labels.csv"))
	require.NoError(t, err)
	m["labels.csv"] = string(b)
	return m
}

func TestSplitErrors(t *testing.T) {
	dir := kaggleFromGolden(t)
	l := DogBreedLayout(dir)
	for _, r := range []float64{0, 1, -0.1, 1.5} {
		_, err := SplitKaggle(l, r)
		require.ErrorContains(t, err, "must be in (0, 1)")
	}
	// A class with a single image: it goes to validation and leaves training empty.
	small := t.TempDir()
	writeFile(t, small, "labels.csv", "id,breed\na,pug\nb,pug\nc,chow\n")
	writeFile(t, small, "train/a.jpg", "x")
	writeFile(t, small, "train/b.jpg", "x")
	writeFile(t, small, "train/c.jpg", "x")
	require.NoError(t, os.MkdirAll(filepath.Join(small, "test"), 0o755))
	_, err := SplitKaggle(DogBreedLayout(small), 0.5)
	require.ErrorContains(t, err, `leaves class "chow" with no training image`)

	// An image without a label, and a label without an image.
	writeFile(t, dir, "train/stray.jpg", "x")
	_, err = SplitKaggle(l, 0.1)
	require.ErrorContains(t, err, "1 image(s) have no label in labels.csv: stray.jpg")
	require.NoError(t, os.Remove(filepath.Join(dir, "train", "stray.jpg")))
	entries, _ := os.ReadDir(filepath.Join(dir, "train"))
	gone := entries[0].Name()
	require.NoError(t, os.Remove(filepath.Join(dir, "train", gone)))
	_, err = SplitKaggle(l, 0.1)
	require.ErrorContains(t, err, "1 labelled id(s) have no image")
	require.ErrorContains(t, err, strings.TrimSuffix(gone, ".jpg"))

	// Hidden files in train/ are ignored.
	writeFile(t, dir, "train/"+gone, "x")
	writeFile(t, dir, "train/.DS_Store", "x")
	_, err = SplitKaggle(l, 0.1)
	require.NoError(t, err)

	// Missing inputs.
	for _, p := range []string{"labels.csv", "train", "test"} {
		d := kaggleFromGolden(t)
		require.NoError(t, os.RemoveAll(filepath.Join(d, p)))
		_, err := SplitKaggle(DogBreedLayout(d), 0.1)
		require.ErrorContains(t, err, "needs "+p)
	}
}

func TestImageFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "b/x2.PNG", "")
	writeFile(t, dir, "b/x1.jpg", "")
	writeFile(t, dir, "b/sub/x0.jpeg", "")
	writeFile(t, dir, "b/notes.txt", "")
	writeFile(t, dir, "a/y.webp", "")
	writeFile(t, dir, ".hidden/z.jpg", "")
	require.NoError(t, os.Symlink(filepath.Join(dir, "b"), filepath.Join(dir, "b", "loop")))
	ds, err := ImageFolder(dir)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, ds.Classes)
	var got []string
	for _, s := range ds.Samples {
		rel, _ := filepath.Rel(dir, s.Path)
		got = append(got, rel)
	}
	require.Equal(t, []string{"a/y.webp", "b/sub/x0.jpeg", "b/x1.jpg", "b/x2.PNG"}, got)
	require.Equal(t, "x2", ds.Samples[3].ID)

	writeFile(t, dir, "c/readme.md", "")
	_, err = ImageFolder(dir)
	require.ErrorContains(t, err, `class folder "c" holds no image`)
	_, err = ImageFolder(t.TempDir())
	require.ErrorContains(t, err, "no class folders")
	_, err = ImageFolder(filepath.Join(dir, "missing"))
	require.Error(t, err)
}

func TestReorgCancelledLeavesThePreviousTree(t *testing.T) {
	dir := kaggleFromGolden(t)
	_, err := ReorgKaggle(context.Background(), DogBreedLayout(dir), 0.5)
	require.NoError(t, err)
	before, err := ImageFolder(filepath.Join(dir, "train_valid_test", "valid"))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = ReorgKaggle(ctx, DogBreedLayout(dir), 0.1)
	require.ErrorIs(t, err, context.Canceled)
	after, err := ImageFolder(filepath.Join(dir, "train_valid_test", "valid"))
	require.NoError(t, err)
	require.Equal(t, byLabel(before), byLabel(after), "the 0.5 tree is still there")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 4, "no temporary tree left behind")
}

func TestLabelsWithoutHeaderNameTheLostImage(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "labels.csv", "a1,pug\nb2,pug\nc3,chow\nd4,chow\n") // no "id,breed" line
	for _, id := range []string{"a1", "b2", "c3", "d4"} {
		writeFile(t, dir, "train/"+id+".jpg", "x")
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "test"), 0o755))
	_, err := SplitKaggle(DogBreedLayout(dir), 0.1)
	require.ErrorContains(t, err, "have no label in labels.csv: a1.jpg")
}
