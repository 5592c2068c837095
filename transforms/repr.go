package transforms

import (
	"math"
	"strconv"
	"strings"
)

// The transforms' String methods print what torchvision 0.14's __repr__
// prints for the same transform, so that a pipeline's description can be
// compared with PyTorch's (repr_golden.json, from
// scripts/golden/repr_golden.py).

// pyFloat formats v as Python's repr of a float: the shortest digits that
// read back as v, with ".0" on a whole number and an exponent from 1e16 or
// below 1e-4.
func pyFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	sci := strconv.FormatFloat(v, 'e', -1, 64) // the shortest digits, "d.ddde±XX"
	exp, err := strconv.Atoi(sci[strings.IndexByte(sci, 'e')+1:])
	if err != nil || exp < -4 || exp >= 16 {
		return sci // Go writes the exponent as Python does: a sign and at least two digits
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// pyList formats vs as Python's repr of a list of floats.
func pyList(vs ...float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = pyFloat(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// pyRound4 is Python's round(v, 4), as torchvision rounds RandomResizedCrop's
// scale and ratio for its repr.
func pyRound4(v float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 4, 64), 64)
	if err != nil {
		return v
	}
	return r
}
