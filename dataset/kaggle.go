package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Split is the chapter's reorganisation of a Kaggle dataset: Train and Valid
// partition the labelled images, TrainValid holds all of them, Test the
// unlabelled ones (class "unknown").
type Split struct {
	Train, Valid, TrainValid, Test *Dataset
	// NValidPerLabel is how many images of each class went to Valid.
	NValidPerLabel int
}

// KaggleLayout names the inputs of a Kaggle competition folder.
type KaggleLayout struct {
	Dir    string // the data folder
	Labels string // labels.csv, relative to Dir
	Train  string // the labelled images' folder, relative to Dir
	Test   string // the unlabelled images' folder, relative to Dir
}

// DogBreedLayout is the layout of the dog-breed competition's data.
func DogBreedLayout(dir string) KaggleLayout {
	return KaggleLayout{Dir: dir, Labels: "labels.csv", Train: "train", Test: "test"}
}

// kaggleFile is one training image with its label.
type kaggleFile struct {
	name, label string
}

// SplitKaggle computes the chapter's split in memory, without touching the
// disk, with d2l's semantics: n is the number of images of the rarest label,
// nValid = max(1, floor(n·validRatio)); going through the training images
// (in sorted order, where the original follows os.listdir), each image
// goes to Valid while its label has fewer than nValid there, else to Train;
// every image is also in TrainValid. Classes are the sorted label names.
func SplitKaggle(l KaggleLayout, validRatio float64) (*Split, error) {
	files, classes, n, err := readKaggle(l, validRatio)
	if err != nil {
		return nil, err
	}
	nValid := max(1, int(math.Floor(float64(n)*validRatio)))
	idx := classIndex(classes)
	s := &Split{NValidPerLabel: nValid}
	s.Train = &Dataset{Classes: classes}
	s.Valid = &Dataset{Classes: classes}
	s.TrainValid = &Dataset{Classes: classes}
	inValid := map[string]int{}
	trainDir := filepath.Join(l.Dir, l.Train)
	for _, f := range files {
		smp := Sample{Path: filepath.Join(trainDir, f.name), ID: stem(f.name), Label: idx[f.label]}
		s.TrainValid.Samples = append(s.TrainValid.Samples, smp)
		if inValid[f.label] < nValid {
			s.Valid.Samples = append(s.Valid.Samples, smp)
			inValid[f.label]++
		} else {
			s.Train.Samples = append(s.Train.Samples, smp)
		}
	}
	// d2l's layout is read back with ImageFolder: samples grouped by class.
	for _, d := range []*Dataset{s.Train, s.Valid, s.TrainValid} {
		sort.SliceStable(d.Samples, func(i, j int) bool { return d.Samples[i].Label < d.Samples[j].Label })
	}
	counts := make([]int, len(classes))
	for _, smp := range s.Train.Samples {
		counts[smp.Label]++
	}
	for i, c := range counts {
		if c == 0 {
			return nil, fmt.Errorf("%s: valid ratio %g leaves class %q with no training image (%d per class go to validation, the rarest class has %d)",
				l.Dir, validRatio, classes[i], nValid, n)
		}
	}
	testFiles, err := listImages(filepath.Join(l.Dir, l.Test))
	if err != nil {
		return nil, err
	}
	s.Test = &Dataset{Classes: []string{"unknown"}}
	for _, name := range testFiles {
		s.Test.Samples = append(s.Test.Samples, Sample{Path: filepath.Join(l.Dir, l.Test, name), ID: stem(name), Label: -1})
	}
	return s, nil
}

// readKaggle checks the inputs and returns the training files (sorted), the
// sorted class names and the size of the rarest class.
func readKaggle(l KaggleLayout, validRatio float64) ([]kaggleFile, []string, int, error) {
	if !(validRatio > 0 && validRatio < 1) {
		return nil, nil, 0, fmt.Errorf("valid ratio %g must be in (0, 1)", validRatio)
	}
	for _, p := range []string{l.Labels, l.Train, l.Test} {
		if _, err := os.Stat(filepath.Join(l.Dir, p)); err != nil {
			return nil, nil, 0, fmt.Errorf("%s: the Kaggle layout needs %s: %w", l.Dir, p, err)
		}
	}
	labels, err := ReadCSVLabels(filepath.Join(l.Dir, l.Labels))
	if err != nil {
		return nil, nil, 0, err
	}
	trainDir := filepath.Join(l.Dir, l.Train)
	names, err := listImages(trainDir)
	if err != nil {
		return nil, nil, 0, err
	}
	seen := make(map[string]bool, len(names))
	var files []kaggleFile
	var unlabelled []string
	for _, name := range names {
		id := stem(name)
		label, ok := labels[id]
		if !ok {
			unlabelled = append(unlabelled, name)
			continue
		}
		seen[id] = true
		files = append(files, kaggleFile{name: name, label: label})
	}
	if len(unlabelled) > 0 {
		return nil, nil, 0, fmt.Errorf("%s: %d image(s) have no label in %s: %s", trainDir, len(unlabelled), l.Labels, firstFew(unlabelled))
	}
	var missing []string
	for id := range labels {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, nil, 0, fmt.Errorf("%s: %d labelled id(s) have no image in %s: %s", filepath.Join(l.Dir, l.Labels), len(missing), trainDir, firstFew(missing))
	}
	count := map[string]int{}
	for _, f := range files {
		count[f.label]++
	}
	classes := make([]string, 0, len(count))
	n := math.MaxInt
	for c, k := range count {
		classes = append(classes, c)
		n = min(n, k)
	}
	sort.Strings(classes)
	return files, classes, n, nil
}

// listImages returns the sorted names of the files in dir, skipping hidden
// ones (".DS_Store" and the like) and folders.
func listImages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || e.IsDir() {
			continue
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}

func firstFew(s []string) string {
	if len(s) > 5 {
		return strings.Join(s[:5], ", ") + fmt.Sprintf(" and %d more", len(s)-5)
	}
	return strings.Join(s, ", ")
}

// ReorgKaggle writes the split to disk in d2l's layout,
// <Dir>/train_valid_test/{train,valid,train_valid}/<label>/ and
// test/unknown/, hard-linking the images where the file system allows and
// copying otherwise. The inputs are never modified. The new tree is built
// beside the old one and swapped in only when complete, so a failure or a
// cancellation of ctx leaves the previous tree as it was, and re-running
// with another ratio leaves no stale files. It returns the split of the new
// tree.
func ReorgKaggle(ctx context.Context, l KaggleLayout, validRatio float64) (*Split, error) {
	s, err := SplitKaggle(l, validRatio)
	if err != nil {
		return nil, err
	}
	final := filepath.Join(l.Dir, "train_valid_test")
	tmp, err := os.MkdirTemp(l.Dir, ".train_valid_test-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // no-op once renamed
	out := &Split{NValidPerLabel: s.NValidPerLabel}
	for _, part := range []struct {
		name string
		src  *Dataset
		dst  **Dataset
	}{{"train", s.Train, &out.Train}, {"valid", s.Valid, &out.Valid}, {"train_valid", s.TrainValid, &out.TrainValid}, {"test", s.Test, &out.Test}} {
		d := &Dataset{Classes: part.src.Classes}
		for _, smp := range part.src.Samples {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("reorganising %s: %w", l.Dir, err)
			}
			label := "unknown"
			if smp.Label >= 0 {
				label = part.src.Classes[smp.Label]
			}
			rel := filepath.Join(part.name, label, filepath.Base(smp.Path))
			if err := linkOrCopy(smp.Path, filepath.Join(tmp, rel)); err != nil {
				return nil, err
			}
			smp.Path = filepath.Join(final, rel)
			d.Samples = append(d.Samples, smp)
		}
		*part.dst = d
	}
	old := final + ".old"
	if err := os.RemoveAll(old); err != nil {
		return nil, err
	}
	if _, err := os.Stat(final); err == nil {
		if err := os.Rename(final, old); err != nil {
			return nil, err
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = os.Rename(old, final)
		return nil, err
	}
	if err := os.RemoveAll(old); err != nil {
		return nil, err
	}
	return out, nil
}

// linkOrCopy hard-links src at dst (creating folders), or copies it when
// links are not possible (another file system, no permission).
func linkOrCopy(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return errors.Join(fmt.Errorf("copy %s", src), err)
	}
	return nil
}
