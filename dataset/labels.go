package dataset

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Labels maps an image id (the file name without extension) to its label.
type Labels map[string]string

// ReadCSVLabels reads a two-column CSV file with a header (Kaggle's
// labels.csv: id,breed). A UTF-8 byte-order mark, CRLF line ends and quoted
// fields are accepted. Errors name the file and line: a row without two
// fields, an empty id or label, an id given twice, an id containing a path
// separator or "..", or an empty file.
func ReadCSVLabels(path string) (Labels, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	labels, err := parseLabels(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return labels, nil
}

func parseLabels(data []byte) (Labels, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty file: want a header line (id,label) and one row per image")
	}
	if err != nil {
		return nil, csvError(err)
	}
	if len(header) != 2 {
		return nil, fmt.Errorf("line 1: header has %d fields, want 2 (id,label)", len(header))
	}
	labels := Labels{}
	firstLine := map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) != 2 {
			return nil, fmt.Errorf("line %d: %d fields, want 2 (id,label)", line, len(rec))
		}
		id, label := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		switch {
		case id == "":
			return nil, fmt.Errorf("line %d: empty id", line)
		case label == "":
			return nil, fmt.Errorf("line %d: empty label for id %q", line, id)
		case strings.ContainsAny(id, `/\`) || strings.Contains(id, ".."):
			return nil, fmt.Errorf("line %d: id %q must be a plain file name (no path separator or \"..\")", line, id)
		case strings.ContainsAny(label, `/\`) || label == "." || label == "..":
			return nil, fmt.Errorf("line %d: label %q cannot be a folder name", line, label)
		}
		if first, dup := firstLine[id]; dup {
			return nil, fmt.Errorf("line %d: id %q already given on line %d", line, id, first)
		}
		firstLine[id] = line
		labels[id] = label
	}
	if len(labels) == 0 {
		return nil, errors.New("no rows after the header")
	}
	return labels, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d: %v", pe.Line, pe.Err)
	}
	return err
}
