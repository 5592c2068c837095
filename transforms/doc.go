// Package transforms holds torchvision's image transforms, in pure Go (no
// cgo), with the same names, parameters and results: Compose,
// RandomResizedCrop, RandomHorizontalFlip, ColorJitter, Lighting, Resize,
// CenterCrop, ToTensor and Normalize.
//
// Images are 8-bit RGB (Image). Geometric and colour transforms reproduce
// Pillow 9.4, which torchvision uses for PIL images, to the bit: resizing is
// Pillow's antialiased bilinear filter in fixed point (horizontal pass first),
// colour adjustments are ImageEnhance's blends with its truncations. After
// ToTensor the data is a float32 CHW Tensor for Normalize and Lighting.
//
// Random transforms draw from the *rand.Rand passed to Apply and from nothing
// else, so a pipeline's output depends only on that generator's seed.
//
// Decode reads JPEG, PNG, GIF, BMP, TIFF, WebP, PPM and PGM files into an
// Image the way PIL's convert("RGB") does. Baseline JPEGs are decoded by this
// package as libjpeg-turbo decodes them for PIL (same IDCT, chroma upsampling
// and colour conversion: the same pixels); other JPEG kinds go through Go's
// image/jpeg with libjpeg's upsampling and conversion.
//
// On amd64 CPUs with AVX2 the hottest loops (the JPEG inverse DCT, the 4:2:0
// chroma upsampling and colour conversion, the resampling passes, the
// saturation blend) run in assembly that
// computes the same bytes as the Go code, several values per instruction;
// elsewhere, or built with the tag purego, the Go code runs.
//
// Compose.DecodeApply decodes a file and runs a pipeline with the same
// result as Decode then Apply, but decodes only what the pipeline keeps when
// it starts with RandomResizedCrop, or with Resize then CenterCrop.
package transforms
