package finetune

import "github.com/tunetorch/tunetorch/torch"

// LoaderPrefetch is the dataset.LoaderConfig.Prefetch that suits a loader
// feeding a model on dev: one batch ahead with the model on the CPU, the
// loader's default (2) on a GPU.
//
// On the CPU the loader shares the cores with the backbone and is several
// times faster than it (a 2-core Xeon: about 1,100 images/s against 70 to
// 300 for the backbone), so one batch ready is all the backbone can take;
// a second only holds another batch of float32 images (19 MB at batch 32)
// and the garbage collector's headroom over it: in alternating training
// runs 20-45 MB less peak RSS at the same speed. On a GPU the loader is
// what bounds the input, and a deeper queue smooths its pace.
func LoaderPrefetch(dev torch.Device) int {
	if dev.IsCUDA() {
		return 2
	}
	return 1
}
