package dataset

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
)

// These tests need file permissions to hold: run as root, testenv.Unprivileged
// runs each again as user nobody.

func TestUnreadableImageStopsTheLoaderOrIsSkipped(t *testing.T) {
	if !testenv.Unprivileged(t) {
		return
	}
	ds := jpegFolder(t, 9)
	bad := ds.Samples[4].Path
	require.NoError(t, os.Chmod(bad, 0))

	l, err := NewLoader(ds, LoaderConfig{BatchSize: 3, Workers: 2, Transform: trainTransform()})
	require.NoError(t, err)
	var gotErr error
	for _, err := range l.Batches(context.Background(), 0) {
		if err != nil {
			gotErr = err
			break
		}
	}
	require.ErrorIs(t, gotErr, fs.ErrPermission)
	require.Contains(t, gotErr.Error(), bad)

	var mu sync.Mutex
	var skipped []string
	l, err = NewLoader(ds, LoaderConfig{BatchSize: 3, Workers: 2, Transform: trainTransform(), SkipBadImages: true,
		OnSkip: func(path string, err error) { mu.Lock(); skipped = append(skipped, path); mu.Unlock() }})
	require.NoError(t, err)
	n := 0
	for _, b := range collect(t, l, 0) {
		n += b.N
	}
	require.Equal(t, 8, n)
	require.Equal(t, []string{bad}, skipped)
}

func TestUnreadableLabelsFileIsAnErrorNamingIt(t *testing.T) {
	if !testenv.Unprivileged(t) {
		return
	}
	path := writeFile(t, t.TempDir(), "labels.csv", "id,breed\na,pug\n")
	require.NoError(t, os.Chmod(path, 0))
	_, err := ReadCSVLabels(path)
	require.ErrorIs(t, err, fs.ErrPermission)
	require.Contains(t, err.Error(), path)
}

func TestUnreadableClassFolderIsAnErrorNamingIt(t *testing.T) {
	if !testenv.Unprivileged(t) {
		return
	}
	root := t.TempDir()
	writeFile(t, root, filepath.Join("cat", "a.jpg"), "x")
	writeFile(t, root, filepath.Join("dog", "b.jpg"), "x")
	dog := filepath.Join(root, "dog")
	require.NoError(t, os.Chmod(dog, 0))
	t.Cleanup(func() { os.Chmod(dog, 0o755) })
	_, err := ImageFolder(root)
	require.ErrorIs(t, err, fs.ErrPermission)
	require.Contains(t, err.Error(), dog)
}

func TestReorgIntoAReadOnlyFolderLeavesEverythingAsItWas(t *testing.T) {
	if !testenv.Unprivileged(t) {
		return
	}
	dir := smallKaggleDir(t)
	layout := DogBreedLayout(dir)
	_, err := ReorgKaggle(context.Background(), layout, 0.1)
	require.NoError(t, err)
	before := treeSnapshot(t, dir)
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { os.Chmod(dir, 0o755) })

	_, err = ReorgKaggle(context.Background(), layout, 0.2)
	require.ErrorIs(t, err, fs.ErrPermission)
	require.Contains(t, err.Error(), dir)
	require.Equal(t, before, treeSnapshot(t, dir), "the previous tree and the inputs are as they were")
}

func TestReorgWithAnUnreadableTestFolderNamesIt(t *testing.T) {
	if !testenv.Unprivileged(t) {
		return
	}
	dir := smallKaggleDir(t)
	layout := DogBreedLayout(dir)
	_, err := ReorgKaggle(context.Background(), layout, 0.25)
	require.NoError(t, err)
	before := treeSnapshot(t, dir)
	bad := filepath.Join(dir, "test")
	require.NoError(t, os.Chmod(bad, 0))
	t.Cleanup(func() { os.Chmod(bad, 0o755) })

	_, err = ReorgKaggle(context.Background(), layout, 0.5)
	require.ErrorIs(t, err, fs.ErrPermission)
	require.Contains(t, err.Error(), bad)
	require.NoError(t, os.Chmod(bad, 0o755))
	require.Equal(t, before, treeSnapshot(t, dir), "the previous tree is as it was, no temporary tree left")
}

// treeSnapshot maps every file and folder below dir to its content ("" for
// folders): inputs, the reorganised tree and any temporary folder.
func treeSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			m[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(path)
		m[rel] = string(b)
		return err
	})
	require.NoError(t, err)
	return m
}

// smallKaggleDir writes a Kaggle-style folder of 8 labelled and 3 test
// "images" (the reorganisation does not decode them). The tests here run from
// a temporary folder, so testdata/ is out of reach.
func smallKaggleDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	labels := "id,breed\n"
	for i, breed := range []string{"pug", "pug", "pug", "pug", "corgi", "corgi", "corgi", "corgi"} {
		id := fmt.Sprintf("a%d", i)
		labels += id + "," + breed + "\n"
		writeFile(t, dir, filepath.Join("train", id+".jpg"), "image "+id)
	}
	writeFile(t, dir, "labels.csv", labels)
	for _, id := range []string{"t1", "t2", "t3"} {
		writeFile(t, dir, filepath.Join("test", id+".jpg"), "test image "+id)
	}
	return dir
}
