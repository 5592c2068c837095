package dataset

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tunetorch/tunetorch/transforms"
)

// ImageCache keeps decoded images in memory, up to a budget in bytes, so
// that the epochs after the first skip reading and decoding their files: a
// loader given one (LoaderConfig.Cache) only transforms a cached image, with
// the same random draws and the same result. Decoding is about half of the
// loader's work (the chapter's train pipeline on a 500×375 JPEG: about 3.3 ms
// on one core, 1.7 ms of it after decoding), and the loader bounds training
// where the backbone is fast, as on a GPU.
//
// Images are kept per file, first come first kept, at 3 bytes a pixel; once
// the budget is spent the others are decoded every time, as without a cache.
// Nothing is evicted: shuffled epochs read every image as often, so a fixed
// subset serves as well as any policy. A file is known by its identity
// (device and inode where the system has them), so that the hard links
// ReorgKaggle makes (train/ and train_valid/) share one image, and one cache
// can serve several loaders. A file whose size or modification time has
// changed is decoded again. It is safe for concurrent use.
//
// A cached image is handed to the transform again every epoch, so the
// transform must not modify its input image; the transforms package's do
// not.
type ImageCache struct {
	budget int64

	mu     sync.RWMutex
	images map[fileID]cachedImage
	bytes  int64

	hits, misses atomic.Int64
}

// fileID identifies a file: its device and inode, or its path where the
// system has no inodes.
type fileID struct {
	dev, ino uint64
	path     string
}

// fileVersion tells a file's content apart from an earlier one's.
type fileVersion struct {
	size  int64
	mtime time.Time
}

type cachedImage struct {
	img *transforms.Image
	ver fileVersion
}

// size is the bytes the entry holds (0 for none).
func (e cachedImage) size() int64 {
	if e.img == nil {
		return 0
	}
	return int64(len(e.img.Pix))
}

// cacheKey is a file at one version, as found when a sample is loaded.
type cacheKey struct {
	id  fileID
	ver fileVersion
}

// ImageCacheStats describes a cache's content and use.
type ImageCacheStats struct {
	Images int   // images held
	Bytes  int64 // their pixels' bytes
	Budget int64 // the most Bytes may reach
	Hits   int64 // loads served from the cache
	Misses int64 // loads that read and decoded a file
}

// NewImageCache returns an empty cache that holds at most budget bytes of
// pixels.
func NewImageCache(budget int64) (*ImageCache, error) {
	if budget <= 0 {
		return nil, fmt.Errorf("dataset: image cache budget %d bytes must be positive", budget)
	}
	return &ImageCache{budget: budget, images: map[fileID]cachedImage{}}, nil
}

// Stats returns what the cache holds and how often it served a load.
func (c *ImageCache) Stats() ImageCacheStats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return ImageCacheStats{Images: len(c.images), Bytes: c.bytes, Budget: c.budget,
		Hits: c.hits.Load(), Misses: c.misses.Load()}
}

// String summarises the stats for a log line.
func (s ImageCacheStats) String() string {
	const mib = 1 << 20
	return fmt.Sprintf("%d images, %.0f of %.0f MiB, %d hits, %d misses",
		s.Images, float64(s.Bytes)/mib, float64(s.Budget)/mib, s.Hits, s.Misses)
}

// key finds the file at path as it is now.
func (c *ImageCache) key(path string) (cacheKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return cacheKey{}, err
	}
	return cacheKey{id: identify(path, fi), ver: fileVersion{size: fi.Size(), mtime: fi.ModTime()}}, nil
}

// lookup returns the image cached for k, or nil (a miss) with whether an
// image could still be added.
func (c *ImageCache) lookup(k cacheKey) (img *transforms.Image, room bool) {
	c.mu.RLock()
	e, ok := c.images[k.id]
	room = c.bytes < c.budget
	c.mu.RUnlock()
	if ok && e.ver == k.ver {
		c.hits.Add(1)
		return e.img, false
	}
	c.misses.Add(1)
	return nil, room
}

// add keeps img for k if it fits in what is left of the budget, in place of
// an image of an earlier version of the file, and returns the image the
// cache holds for k (the same pixels as img) and true, or img and false
// when it keeps none. The cache keeps its own copy of the pixels, of
// exactly their size: a decoder's buffer may be larger.
func (c *ImageCache) add(k cacheKey, img *transforms.Image) (*transforms.Image, bool) {
	own := &transforms.Image{W: img.W, H: img.H, Pix: slices.Clone(img.Pix)}
	size := int64(len(own.Pix))
	c.mu.Lock()
	defer c.mu.Unlock()
	old, held := c.images[k.id]
	if held && old.ver == k.ver {
		return old.img, true
	}
	if freed := old.size(); c.bytes-freed+size <= c.budget {
		c.images[k.id] = cachedImage{img: own, ver: k.ver}
		c.bytes += size - freed
		return own, true
	}
	return img, false
}
