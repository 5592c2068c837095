package transforms

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"strconv"
)

// Size is an output size: Square for a side (Resize: the shorter side), or H
// and W both set.
type Size struct {
	H, W int
}

// Square returns a Size whose sides are both n; for Resize it means "the
// shorter side becomes n".
func Square(n int) Size { return Size{H: n, W: n} }

// Resize scales an image with Pillow's antialiased bilinear filter. With
// Shorter set, the shorter side becomes Shorter and the other keeps the
// aspect ratio (torchvision's Resize(int)); otherwise the image becomes
// exactly H×W (Resize((h, w))).
type Resize struct {
	Shorter int
	H, W    int
}

// ResizeShorter returns Resize(n): the shorter side becomes n.
func ResizeShorter(n int) Resize { return Resize{Shorter: n} }

// ResizeTo returns Resize((h, w)).
func ResizeTo(h, w int) Resize { return Resize{H: h, W: w} }

// outputSize follows torchvision's _compute_resized_output_size.
func (r Resize) outputSize(h, w int) (int, int, error) {
	if r.Shorter > 0 {
		short, long := w, h
		if w > h {
			short, long = h, w
		}
		newShort, newLong := r.Shorter, int(float64(r.Shorter)*float64(long)/float64(short))
		if w <= h {
			return newLong, newShort, nil
		}
		return newShort, newLong, nil
	}
	if r.H <= 0 || r.W <= 0 {
		return 0, 0, fmt.Errorf("transforms: %s: sizes must be positive", r)
	}
	return r.H, r.W, nil
}

// Apply resizes the image.
func (r Resize) Apply(d Data, _ *rand.Rand) (Data, error) {
	img, err := needImage(d, "Resize")
	if err != nil {
		return Data{}, err
	}
	if img.W == 0 || img.H == 0 {
		return Data{}, fmt.Errorf("transforms: Resize of an empty %dx%d image", img.W, img.H)
	}
	h, w, err := r.outputSize(img.H, img.W)
	if err != nil {
		return Data{}, err
	}
	if h == img.H && w == img.W {
		return d, nil
	}
	return Data{Image: resizeRegion(img, 0, 0, img.H, img.W, w, h, false)}, nil
}

// centerCropBox returns the size of r's result for an h×w image and the
// box that c then cuts from it; ok is false when c pads (the crop is larger
// than the resized image) or a size is invalid.
func (r Resize) centerCropBox(h, w int, c CenterCrop) (oh, ow int, box image.Rectangle, ok bool) {
	oh, ow, err := r.outputSize(h, w)
	if err != nil || c.H <= 0 || c.W <= 0 || c.H > oh || c.W > ow || h <= 0 || w <= 0 {
		return 0, 0, image.Rectangle{}, false
	}
	top := int(math.RoundToEven(float64(oh-c.H) / 2))
	left := int(math.RoundToEven(float64(ow-c.W) / 2))
	return oh, ow, image.Rect(left, top, left+c.W, top+c.H), true
}

// Kinds returns image → image.
func (Resize) Kinds() (Kind, Kind) { return KindImage, KindImage }

// String describes the value, as torchvision's repr does.
func (r Resize) String() string {
	size := fmt.Sprintf("(%d, %d)", r.H, r.W)
	if r.Shorter > 0 {
		size = strconv.Itoa(r.Shorter)
	}
	return fmt.Sprintf("Resize(size=%s, interpolation=bilinear, max_size=None, antialias=None)", size)
}

// CenterCrop cuts the central H×W region, padding with black where the image
// is smaller, as torchvision's CenterCrop (the offsets use Python's
// round-half-to-even).
type CenterCrop struct {
	H, W int
}

// CenterCropSquare returns CenterCrop(n).
func CenterCropSquare(n int) CenterCrop { return CenterCrop{H: n, W: n} }

// Apply crops the image.
func (c CenterCrop) Apply(d Data, _ *rand.Rand) (Data, error) {
	img, err := needImage(d, "CenterCrop")
	if err != nil {
		return Data{}, err
	}
	if c.H <= 0 || c.W <= 0 {
		return Data{}, fmt.Errorf("transforms: %s: sizes must be positive", c)
	}
	h, w := img.H, img.W
	if c.W > w || c.H > h {
		// torchvision pads (left/top get the smaller half), then crops.
		padL, padT := 0, 0
		if c.W > w {
			padL = (c.W - w) / 2
		}
		if c.H > h {
			padT = (c.H - h) / 2
		}
		nw, nh := w+max(0, c.W-w), h+max(0, c.H-h)
		img = img.Crop(-padT, -padL, nh, nw)
		h, w = nh, nw
		if c.W == w && c.H == h {
			return Data{Image: img}, nil
		}
	}
	top := int(math.RoundToEven(float64(h-c.H) / 2))
	left := int(math.RoundToEven(float64(w-c.W) / 2))
	return Data{Image: img.Crop(top, left, c.H, c.W)}, nil
}

// Kinds returns image → image.
func (CenterCrop) Kinds() (Kind, Kind) { return KindImage, KindImage }

// String describes the value, as torchvision's repr does.
func (c CenterCrop) String() string { return fmt.Sprintf("CenterCrop(size=(%d, %d))", c.H, c.W) }

// RandomHorizontalFlip mirrors the image with probability P.
type RandomHorizontalFlip struct {
	P float64
}

// Apply flips the image with probability P (one draw from rng).
func (f RandomHorizontalFlip) Apply(d Data, rng *rand.Rand) (Data, error) {
	img, err := needImage(d, "RandomHorizontalFlip")
	if err != nil {
		return Data{}, err
	}
	if rng.Float64() < f.P {
		return Data{Image: img.FlipHorizontal()}, nil
	}
	return d, nil
}

// Kinds returns image → image.
func (RandomHorizontalFlip) Kinds() (Kind, Kind) { return KindImage, KindImage }

// String describes the value, as torchvision's repr does.
func (f RandomHorizontalFlip) String() string { return "RandomHorizontalFlip(p=" + pyFloat(f.P) + ")" }

// RandomResizedCrop crops a random region of random area fraction (in Scale)
// and aspect ratio (log-uniform in Ratio) and resizes it to Size, as
// torchvision's RandomResizedCrop: 10 attempts, then a central crop.
type RandomResizedCrop struct {
	Size  Size
	Scale [2]float64
	Ratio [2]float64
}

// NewRandomResizedCrop returns RandomResizedCrop(size) with torchvision's
// defaults: scale (0.08, 1), ratio (3/4, 4/3).
func NewRandomResizedCrop(size int) RandomResizedCrop {
	return RandomResizedCrop{Size: Square(size), Scale: [2]float64{0.08, 1}, Ratio: [2]float64{3.0 / 4, 4.0 / 3}}
}

// CropParams draws the crop (top, left, height, width) for an image of
// height×width, following RandomResizedCrop.get_params.
func (c RandomResizedCrop) CropParams(height, width int, rng *rand.Rand) (top, left, h, w int) {
	area := float64(height * width)
	logLo, logHi := math.Log(c.Ratio[0]), math.Log(c.Ratio[1])
	for range 10 {
		target := area * uniform(rng, c.Scale[0], c.Scale[1])
		aspect := math.Exp(uniform(rng, logLo, logHi))
		w = int(math.RoundToEven(math.Sqrt(target * aspect)))
		h = int(math.RoundToEven(math.Sqrt(target / aspect)))
		if 0 < w && w <= width && 0 < h && h <= height {
			top = rng.IntN(height - h + 1)
			left = rng.IntN(width - w + 1)
			return top, left, h, w
		}
	}
	inRatio := float64(width) / float64(height)
	lo, hi := min(c.Ratio[0], c.Ratio[1]), max(c.Ratio[0], c.Ratio[1])
	switch {
	case inRatio < lo:
		w = width
		h = int(math.RoundToEven(float64(w) / lo))
	case inRatio > hi:
		h = height
		w = int(math.RoundToEven(float64(h) * hi))
	default:
		w, h = width, height
	}
	return (height - h) / 2, (width - w) / 2, h, w
}

func uniform(rng *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }

// Apply crops and resizes the image.
func (c RandomResizedCrop) Apply(d Data, rng *rand.Rand) (Data, error) {
	return c.apply(d, rng, nil)
}

// apply draws the crop, then asks flip (when given) whether to mirror, and
// does crop, resize and mirror in one resampling.
func (c RandomResizedCrop) apply(d Data, rng *rand.Rand, flip *RandomHorizontalFlip) (Data, error) {
	img, err := needImage(d, "RandomResizedCrop")
	if err != nil {
		return Data{}, err
	}
	if err := c.validate(); err != nil {
		return Data{}, err
	}
	top, left, h, w, err := c.cropOf(img, rng)
	if err != nil {
		return Data{}, err
	}
	mirror := flip != nil && rng.Float64() < flip.P
	return Data{Image: ResizedCrop(img, top, left, h, w, c.Size.H, c.Size.W, mirror)}, nil
}

// cropOf draws the crop of img (CropParams); an empty image is an error.
func (c RandomResizedCrop) cropOf(img *Image, rng *rand.Rand) (top, left, h, w int, err error) {
	if img.W == 0 || img.H == 0 {
		return 0, 0, 0, 0, fmt.Errorf("transforms: RandomResizedCrop of an empty %dx%d image", img.W, img.H)
	}
	top, left, h, w = c.CropParams(img.H, img.W, rng)
	return top, left, h, w, nil
}

// decodeCrop decodes the crop it draws from an image file's size (read from
// its header): the same draws and pixels as cropOf on the decoded image,
// decoding only what the crop needs (DecodeCropped). Decoding errors are
// returned as *DecodeError.
func (c RandomResizedCrop) decodeCrop(data []byte, opts DecodeOptions, rng *rand.Rand) (*Image, error) {
	img, err := DecodeCropped(data, opts, func(width, height int) image.Rectangle {
		top, left, h, w := c.CropParams(height, width, rng)
		return image.Rect(left, top, left+w, top+h)
	})
	if err != nil {
		return nil, &DecodeError{err}
	}
	return img, nil
}

func (c RandomResizedCrop) validate() error {
	if c.Size.H <= 0 || c.Size.W <= 0 {
		return fmt.Errorf("transforms: %s: sizes must be positive", c)
	}
	if !(0 < c.Scale[0] && c.Scale[0] <= c.Scale[1]) || !(0 < c.Ratio[0] && c.Ratio[0] <= c.Ratio[1]) {
		return fmt.Errorf("transforms: %s: scale and ratio must be increasing positive ranges", c)
	}
	return nil
}

// Kinds returns image → image.
func (RandomResizedCrop) Kinds() (Kind, Kind) { return KindImage, KindImage }

// String describes the value, as torchvision's repr does.
func (c RandomResizedCrop) String() string {
	// torchvision 0.14 rounds scale and ratio to 4 places, and closes the
	// parenthesis before antialias too.
	return fmt.Sprintf("RandomResizedCrop(size=(%d, %d), scale=(%s, %s), ratio=(%s, %s), interpolation=bilinear), antialias=None)",
		c.Size.H, c.Size.W, pyFloat(pyRound4(c.Scale[0])), pyFloat(pyRound4(c.Scale[1])),
		pyFloat(pyRound4(c.Ratio[0])), pyFloat(pyRound4(c.Ratio[1])))
}

// ResizedCrop is torchvision's F.resized_crop on a PIL image: the h×w region
// at (top, left), resized to outH×outW with Pillow's bilinear filter, then
// mirrored if mirror is set. The region is clipped to the image; parts
// outside it are black, as PIL's crop makes them.
func ResizedCrop(img *Image, top, left, h, w, outH, outW int, mirror bool) *Image {
	if top < 0 || left < 0 || top+h > img.H || left+w > img.W {
		img, top, left = img.Crop(top, left, h, w), 0, 0
	}
	if h == outH && w == outW {
		out := img.Crop(top, left, h, w)
		if mirror {
			out = out.FlipHorizontal()
		}
		return out
	}
	return resizeRegion(img, top, left, h, w, outW, outH, mirror)
}
