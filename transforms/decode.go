package transforms

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // registers GIF
	"image/jpeg"
	_ "image/png" // registers PNG
	"os"

	_ "golang.org/x/image/bmp"  // registers BMP
	_ "golang.org/x/image/tiff" // registers TIFF
	_ "golang.org/x/image/webp" // registers WebP
)

// DefaultMaxPixels is Pillow's decompression-bomb limit (Image.MAX_IMAGE_PIXELS,
// 89,478,485 pixels): larger images are refused before they are decoded.
const DefaultMaxPixels = 1024 * 1024 * 1024 / 4 / 3

// DecodeOptions tune Decode.
type DecodeOptions struct {
	// MaxPixels refuses images with more pixels (width × height) than this,
	// read from the header before any pixel is decoded. 0 means DefaultMaxPixels;
	// a negative value turns the guard off.
	MaxPixels int
}

// ErrTooLarge is returned (wrapped) for images over the pixel limit.
var ErrTooLarge = errors.New("image exceeds the pixel limit (decompression-bomb guard)")

// DecodeFile reads and decodes the image at path. Errors name the file.
func DecodeFile(path string, opts DecodeOptions) (*Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	img, err := Decode(data, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// Decode decodes a JPEG, PNG, GIF (first frame), BMP, TIFF, WebP, PPM or PGM
// image into RGB as PIL's Image.open(...).convert("RGB") does: grey is
// replicated, palettes are looked up, alpha is dropped (not composited), and
// EXIF orientation is ignored (as torchvision does). Baseline JPEGs are
// decoded as libjpeg-turbo decodes them for PIL (same inverse DCT, "fancy"
// chroma upsampling, fixed-point colour conversion); other JPEG kinds
// (progressive, CMYK) use Go's image/jpeg with the same upsampling and colour
// conversion.
func Decode(data []byte, opts DecodeOptions) (*Image, error) {
	return DecodeCropped(data, opts, nil)
}

// DecodeCropped decodes the region of an image that crop picks: crop is
// called once with the image's size, read from its header, and returns the
// region wanted (a rectangle from the top-left corner; parts outside the
// image are black, as PIL's crop makes them). The result equals
// Decode(data, opts).Crop(region) but, for baseline JPEGs, only the blocks
// the region needs are transformed and only the region is converted to RGB.
// A nil crop decodes the whole image.
func DecodeCropped(data []byte, opts DecodeOptions, crop func(w, h int) image.Rectangle) (*Image, error) {
	if len(data) == 0 {
		return nil, errors.New("empty file")
	}
	limit := opts.MaxPixels
	if limit == 0 {
		limit = DefaultMaxPixels
	}
	crop = cropOnce(crop)
	if isNetpbm(data) {
		img, err := decodeNetpbm(data, limit)
		if err != nil {
			return nil, err
		}
		return cropImage(img, crop), nil
	}
	if len(data) > 2 && data[0] == 0xFF && data[1] == 0xD8 {
		m, region, err := decodeBaselineJPEG(data, limit, crop)
		if err == nil {
			out := toRGBRegion(m, region)
			releasePlanes(m)
			if b := m.Bounds(); crop != nil && region == b {
				out = cropImage(out, crop) // a region reaching outside the image
			}
			return out, nil
		}
		if errors.Is(err, ErrTooLarge) {
			return nil, err
		}
		// Other kinds, and damaged files, go to image/jpeg, whose errors say what is wrong.
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not a readable image: %w", err)
	}
	if err := checkSize(cfg.Width, cfg.Height, limit); err != nil {
		return nil, err
	}
	var src image.Image
	if format == "jpeg" {
		src, err = jpeg.Decode(bytes.NewReader(data))
	} else {
		src, _, err = image.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("corrupt or truncated %s image: %w", format, err)
	}
	return cropImage(toRGB(src), crop), nil
}

// cropOnce makes crop answer the same for the same size without calling the
// caller's function again (a decoder that gives up hands over to another
// one, which asks again): random crops are drawn once.
func cropOnce(crop func(w, h int) image.Rectangle) func(w, h int) image.Rectangle {
	if crop == nil {
		return nil
	}
	var asked image.Point
	var answer image.Rectangle
	called := false
	return func(w, h int) image.Rectangle {
		if !called || asked != image.Pt(w, h) {
			asked, answer, called = image.Pt(w, h), crop(w, h), true
		}
		return answer
	}
}

// cropImage returns the region crop picks from img (img itself for nil or
// the whole image).
func cropImage(img *Image, crop func(w, h int) image.Rectangle) *Image {
	if crop == nil {
		return img
	}
	r := crop(img.W, img.H)
	if r == image.Rect(0, 0, img.W, img.H) {
		return img
	}
	return img.Crop(r.Min.Y, r.Min.X, r.Dy(), r.Dx())
}

func checkSize(w, h, limit int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("image has no pixels (%dx%d)", w, h)
	}
	if limit > 0 && int64(w)*int64(h) > int64(limit) {
		return fmt.Errorf("%dx%d = %d pixels: %w of %d", w, h, int64(w)*int64(h), ErrTooLarge, limit)
	}
	return nil
}

// toRGBRegion converts the region r (in coordinates from the image's
// top-left corner) of a decoded image to RGB, following PIL's convert("RGB").
func toRGBRegion(src image.Image, r image.Rectangle) *Image {
	if m, ok := src.(*image.YCbCr); ok {
		out := &Image{W: r.Dx(), H: r.Dy(), Pix: getBuffer(r.Dx() * r.Dy() * 3)}
		ycbcrToRGB(m, out, r)
		return out
	}
	out := toRGB(src)
	if r != image.Rect(0, 0, out.W, out.H) {
		out = out.Crop(r.Min.Y, r.Min.X, r.Dy(), r.Dx())
	}
	return out
}

// toRGB converts a decoded image to RGB, following PIL's convert("RGB").
func toRGB(src image.Image) *Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	out := NewImage(w, h)
	switch m := src.(type) {
	case *image.YCbCr:
		ycbcrToRGB(m, out, image.Rect(0, 0, w, h))
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			for x, v := range row {
				i := (y*w + x) * 3
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = v, v, v
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := 0; x < w; x++ {
				i := (y*w + x) * 3
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
	case *image.Paletted:
		var lut [256][3]uint8
		for i, c := range m.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			lut[i] = [3]uint8{n.R, n.G, n.B}
		}
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			for x, v := range row {
				i := (y*w + x) * 3
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = lut[v][0], lut[v][1], lut[v][2]
			}
		}
	case *image.CMYK:
		// PIL's cmyk2rgb: v = 255-k; out = v - v·c/255 (rounded as MULDIV255).
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := 0; x < w; x++ {
				i := (y*w + x) * 3
				nk := 255 - int(row[4*x+3])
				for c := 0; c < 3; c++ {
					out.Pix[i+c] = clipInt(nk - mulDiv255(int(row[4*x+c]), nk))
				}
			}
		}
	default:
		// 16-bit and other models: PIL keeps the most significant byte of each
		// 16-bit sample and drops alpha without compositing.
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBA64Model.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
				i := (y*w + x) * 3
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8)
			}
		}
	}
	return out
}

func mulDiv255(a, b int) int {
	t := a*b + 128
	return ((t >> 8) + t) >> 8
}
