package dataset

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Sample is one image of a dataset.
type Sample struct {
	Path  string // the image file
	ID    string // the file name without extension (Kaggle's id)
	Label int    // index into the dataset's Classes; -1 when unknown (test set)
}

// Dataset is a list of samples with the class names their labels index.
type Dataset struct {
	Classes []string
	Samples []Sample
}

// Len returns the number of samples.
func (d *Dataset) Len() int { return len(d.Samples) }

// ImageExtensions are the file extensions torchvision's ImageFolder accepts
// (compared case-insensitively).
var ImageExtensions = []string{".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"}

// IsImageFile reports whether name has one of ImageExtensions.
func IsImageFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range ImageExtensions {
		if ext == e {
			return true
		}
	}
	return false
}

// stem returns the id of an image file: its name up to the first dot, as
// d2l's reorg code takes it (train_file.split('.')[0]).
func stem(name string) string {
	name = filepath.Base(name)
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[:i]
	}
	return name
}

// classIndex maps class names to their index.
func classIndex(classes []string) map[string]int {
	m := make(map[string]int, len(classes))
	for i, c := range classes {
		m[c] = i
	}
	return m
}

// Subset returns a dataset of the first n samples (all when n ≥ Len), for
// quick experiments.
func (d *Dataset) Subset(n int) *Dataset {
	if n >= len(d.Samples) {
		return d
	}
	return &Dataset{Classes: d.Classes, Samples: d.Samples[:n]}
}

// String summarises the dataset.
func (d *Dataset) String() string {
	return fmt.Sprintf("Dataset(%d samples, %d classes)", len(d.Samples), len(d.Classes))
}
