package transforms

import (
	"bytes"
	"fmt"
	"strconv"
)

// Netpbm (PPM/PGM, binary P5/P6 and plain P2/P3) with maxval 255, which the
// standard library does not read.

func isNetpbm(data []byte) bool {
	return len(data) >= 2 && data[0] == 'P' && (data[1] == '2' || data[1] == '3' || data[1] == '5' || data[1] == '6')
}

// netpbmReader reads whitespace-separated header tokens, skipping # comments.
type netpbmReader struct {
	data []byte
	pos  int
}

func (r *netpbmReader) token() (string, error) {
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		if c == '#' {
			if i := bytes.IndexByte(r.data[r.pos:], '\n'); i >= 0 {
				r.pos += i + 1
				continue
			}
			r.pos = len(r.data)
			break
		}
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			r.pos++
			continue
		}
		start := r.pos
		for r.pos < len(r.data) && !bytes.ContainsRune([]byte(" \t\n\r#"), rune(r.data[r.pos])) {
			r.pos++
		}
		return string(r.data[start:r.pos]), nil
	}
	return "", fmt.Errorf("truncated netpbm header")
}

func (r *netpbmReader) number(what string) (int, error) {
	t, err := r.token()
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(t)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("netpbm %s %q is not a number", what, t)
	}
	return v, nil
}

func decodeNetpbm(data []byte, limit int) (*Image, error) {
	r := &netpbmReader{data: data, pos: 2}
	kind := data[1]
	w, err := r.number("width")
	if err != nil {
		return nil, err
	}
	h, err := r.number("height")
	if err != nil {
		return nil, err
	}
	maxval, err := r.number("maxval")
	if err != nil {
		return nil, err
	}
	if err := checkSize(w, h, limit); err != nil {
		return nil, err
	}
	if maxval != 255 {
		return nil, fmt.Errorf("netpbm maxval %d is not supported (only 255)", maxval)
	}
	channels := 1
	if kind == '3' || kind == '6' {
		channels = 3
	}
	n := w * h * channels
	samples := make([]uint8, n)
	if kind == '5' || kind == '6' {
		r.pos++ // the single whitespace after maxval
		if r.pos+n > len(data) {
			return nil, fmt.Errorf("truncated netpbm data: %d of %d bytes", max(0, len(data)-r.pos), n)
		}
		copy(samples, data[r.pos:r.pos+n])
	} else {
		for i := range samples {
			v, err := r.number("sample")
			if err != nil {
				return nil, fmt.Errorf("netpbm sample %d: %w", i, err)
			}
			if v > maxval {
				return nil, fmt.Errorf("netpbm sample %d is %d, over maxval %d", i, v, maxval)
			}
			samples[i] = uint8(v)
		}
	}
	img := NewImage(w, h)
	if channels == 3 {
		copy(img.Pix, samples)
		return img, nil
	}
	for i, v := range samples {
		img.Pix[3*i], img.Pix[3*i+1], img.Pix[3*i+2] = v, v, v
	}
	return img, nil
}
