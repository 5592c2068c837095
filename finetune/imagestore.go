package finetune

import (
	"fmt"
	"sync"
	"weak"

	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// imageStore keeps decoded images on a device (NetConfig.DeviceImageBytes),
// so that the augmentation on the device reads each epoch's crops there
// instead of having them copied from the host: an image crosses once, the
// first time a plan names it as its Source (dataset's RegionPlans), and
// later plans of it send only their taps. Images are kept first come first
// kept, in one uint8 tensor of pixels (3 bytes each) that grows by doubling
// up to the budget (while it grows, the old and the new tensor are both
// held: up to 1.5× the budget); once it is spent, the crops of the images
// it does not hold are copied from the host. An image is
// known by its identity (the cache's *transforms.Image, held weakly: the
// store keeps no host memory alive). Safe for concurrent use; the threads
// that use it queue their work on the device's one stream, so an image's
// copy is queued before any work that reads it.
type imageStore struct {
	dev    torch.Device
	budget int64 // the most pixels the store may hold
	first  int64 // the first capacity, in pixels (minStorePixels)
	// zeros makes a tensor of pixels on dev (torch.Zeros; tests fail it).
	zeros func(pixels int64) (*torch.Tensor, error)

	mu     sync.Mutex
	pixels *torch.Tensor // [capacity, 3] uint8 on dev; nil until the first image
	used   int64         // pixels held, from the front of pixels
	at     map[weak.Pointer[transforms.Image]]int64
	// stopped says why the store took no more images before its budget
	// was spent (the device had no memory for it to grow, say); nil if not.
	stopped error
}

// minStorePixels is the first capacity of a store (64 MiB of pixels, or
// the budget when smaller, or the first batch's images when larger).
const minStorePixels = 64 << 20 / 3

// newImageStore returns an empty store of budget bytes on dev.
func newImageStore(dev torch.Device, budget int64) *imageStore {
	zeros := func(pixels int64) (*torch.Tensor, error) { return torch.Zeros([]int64{pixels, 3}, torch.Uint8, dev) }
	return &imageStore{dev: dev, budget: budget / 3, first: minStorePixels, zeros: zeros,
		at: map[weak.Pointer[transforms.Image]]int64{}}
}

// storedCrops says where plans' crops are in a store: in pixels, a view of
// its pixels; crop i's row y starts at pixel first[i] + y·stride[i].
type storedCrops struct {
	pixels        *torch.Tensor
	first, stride []int64
}

// locate finds the crops of plans in the store, copying there (all in one
// copy) the Source images it does not hold yet and has room for. It
// returns the indices of the plans whose crops it holds, in order, and
// where those are (c.first and c.stride, one per held plan); the others (a
// plan with its own Crop, an image the budget has no room for) are left to
// the caller. With none held c.pixels is nil, else the caller closes it.
// When the images cannot be copied (the device has no memory for the store
// to grow, say), the store keeps what it holds and takes no more images
// (see stats), and the batch's new images are left to the caller: training
// goes on, its crops copied from the host.
func (s *imageStore) locate(plans []transforms.AugmentPlan) (c storedCrops, held []int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var offsets []int64
	var fresh []*transforms.Image // images to copy, at s.used onwards in order
	added := int64(0)
	for i := range plans {
		src := plans[i].Source
		if src == nil || plans[i].Crop != nil {
			continue
		}
		key := weak.Make(src)
		off, ok := s.at[key]
		if !ok {
			size := int64(src.W * src.H)
			if s.used+added+size > s.budget || len(src.Pix) != src.W*src.H*3 {
				continue
			}
			off = s.used + added
			s.at[key] = off
			fresh, added = append(fresh, src), added+size
		}
		held, offsets = append(held, i), append(offsets, off)
	}
	if err := s.flush(fresh, added); err != nil {
		s.stopped, s.budget = err, s.used
		k := 0
		for j, i := range held {
			if offsets[j] < s.used { // held before this batch
				held[k], offsets[k] = i, offsets[j]
				k++
			}
		}
		held, offsets = held[:k], offsets[:k]
	}
	if len(held) == 0 {
		return storedCrops{}, nil, nil
	}
	c = storedCrops{first: make([]int64, len(held)), stride: make([]int64, len(held))}
	for k, i := range held {
		p := &plans[i]
		w := int64(p.Source.W)
		c.first[k] = offsets[k] + int64(p.Region.Min.Y)*w + int64(p.Region.Min.X)
		c.stride[k] = w
	}
	c.pixels = s.pixels.Narrow(0, 0, s.used) // a handle of its own: the store may grow meanwhile
	return c, held, nil
}

// flush copies images (added pixels in all), already entered in s.at at
// s.used onwards, to the device in one copy, growing the store first when
// needed. On failure they are forgotten.
func (s *imageStore) flush(images []*transforms.Image, added int64) (err error) {
	if len(images) == 0 {
		return nil
	}
	defer func() {
		if err != nil {
			for _, img := range images {
				delete(s.at, weak.Make(img))
			}
		}
	}()
	defer torch.Recover(&err)
	if err := s.reserve(s.used + added); err != nil {
		return err
	}
	host := make([]uint8, 0, added*3)
	for _, img := range images {
		host = append(host, img.Pix...)
	}
	t, err := torch.FromSliceOn(host, s.dev, added, 3)
	if err != nil {
		return err
	}
	defer t.Close()
	dst := s.pixels.Narrow(0, s.used, added)
	defer dst.Close()
	if err := dst.CopyFrom(t); err != nil {
		return err
	}
	s.used += added
	return nil
}

// reserve makes the store's capacity at least need pixels (need ≤ budget),
// doubling it, and keeps what it holds.
func (s *imageStore) reserve(need int64) error {
	capacity := int64(0)
	if s.pixels != nil {
		capacity = s.pixels.Shape()[0]
	}
	if need <= capacity {
		return nil
	}
	grown := max(min(s.budget, s.first), 2*capacity, 1)
	for grown < need {
		grown *= 2
	}
	grown = min(grown, s.budget)
	bigger, err := s.zeros(grown)
	if err != nil {
		return fmt.Errorf("keeping %d MiB of images on %s: %w", grown*3>>20, s.dev, err)
	}
	if s.used > 0 {
		dst, src := bigger.Narrow(0, 0, s.used), s.pixels.Narrow(0, 0, s.used)
		defer dst.Close()
		defer src.Close()
		if err := dst.CopyFrom(src); err != nil {
			bigger.Close()
			return err
		}
	}
	if s.pixels != nil {
		s.pixels.Close() // views handed out keep its memory until they are closed
	}
	s.pixels = bigger
	return nil
}

// stats returns the images and bytes the store holds, and why it stopped
// taking images before its budget was spent (nil if it did not).
func (s *imageStore) stats() (images int, bytes int64, stopped error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.at), s.used * 3, s.stopped
}

// close frees the store's device memory.
func (s *imageStore) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pixels != nil {
		s.pixels.Close()
		s.pixels = nil
	}
	s.used, s.at = 0, map[weak.Pointer[transforms.Image]]int64{}
}
