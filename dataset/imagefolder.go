package dataset

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// ImageFolder reads a torchvision ImageFolder tree: each subfolder of root
// is a class (classes sorted by name), and every image file below it (by
// extension, searched recursively, sorted) is a sample of that class.
// Symbolic links to folders are not followed (no loops). A class folder
// with no image is an error naming it, as in torchvision; hidden folders
// (names starting with ".") are not classes.
func ImageFolder(root string) (*Dataset, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var classes []string
	for _, e := range entries {
		if e.IsDir() && e.Name()[0] != '.' {
			classes = append(classes, e.Name())
		}
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("%s: no class folders (want one subfolder per class)", root)
	}
	sort.Strings(classes)
	ds := &Dataset{Classes: classes}
	for i, c := range classes {
		files, err := imageFiles(filepath.Join(root, c))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%s: class folder %q holds no image (extensions %v)", root, c, ImageExtensions)
		}
		for _, f := range files {
			ds.Samples = append(ds.Samples, Sample{Path: f, ID: stem(f), Label: i})
		}
	}
	return ds, nil
}

// imageFiles lists the image files below dir, sorted by path.
func imageFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && IsImageFile(d.Name()) {
			files = append(files, path)
		} else if d.Type()&fs.ModeSymlink != 0 && IsImageFile(d.Name()) {
			// A link to a file counts; a link to a folder is not followed.
			if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
				files = append(files, path)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}
