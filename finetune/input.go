package finetune

import (
	"fmt"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// floatInput copies images lo..hi-1 of a float32 batch to dev as the
// backbone's input, NCHW, laid out channels-last when asked.
func floatInput(b *dataset.Batch, lo, hi int, dev torch.Device, channelsLast bool) (*torch.Tensor, error) {
	chw := b.C * b.H * b.W
	x, err := torch.FromSliceOn(b.Images[lo*chw:hi*chw], dev, int64(hi-lo), int64(b.C), int64(b.H), int64(b.W))
	if err != nil || !channelsLast {
		return x, err
	}
	defer x.Close()
	return x.ContiguousAs(torch.ChannelsLast), nil
}

// pixelInput copies images lo..hi-1 of a byte batch (dataset's
// PixelBatches: NHWC, a quarter of the float32 bytes) to dev and converts
// them there as ToTensor then Normalize do (see normalizeBytes).
func pixelInput(b *dataset.Batch, lo, hi int, dev torch.Device, channelsLast bool) (*torch.Tensor, error) {
	hwc := b.H * b.W * b.C
	raw, err := torch.FromSliceOn(b.Pixels[lo*hwc:hi*hwc], dev, int64(hi-lo), int64(b.H), int64(b.W), int64(b.C))
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	return normalizeBytes(raw, b, dev, channelsLast)
}

// planInput carries out the augmentation plans lo..hi-1 of a batch
// (dataset's AugmentOnDevice) on dev and converts the images as ToTensor
// then Normalize do (see normalizeBytes). The crops of images store (nil
// for none) holds, or has room for, are read there (dataset's
// RegionPlans); the others are copied there once: the batch's packed crops
// as they are, or packed here when some plans keep theirs as regions.
func planInput(b *dataset.Batch, lo, hi int, dev torch.Device, channelsLast bool, store *imageStore) (*torch.Tensor, error) {
	plans := b.Plans[lo:hi]
	start, end, total, regions := 0, 0, 0, false
	for i, p := range b.Plans {
		if p.Crop == nil {
			regions = regions || lo <= i && i < hi
			continue
		}
		if i < lo {
			start += len(p.Crop.Pix)
		}
		if i < hi {
			end += len(p.Crop.Pix)
		}
		total += len(p.Crop.Pix)
	}
	if total != len(b.Crops) {
		return nil, fmt.Errorf("the plans' crops hold %d bytes, the batch's packed crops %d", total, len(b.Crops))
	}
	var raw *torch.Tensor
	var err error
	if regions {
		var stored storedCrops
		var held []int
		if store != nil {
			if stored, held, err = store.locate(plans); err != nil {
				return nil, err
			}
		}
		if stored.pixels != nil {
			defer stored.pixels.Close()
		}
		raw, err = regionInput(plans, held, stored, dev, lo)
	} else {
		raw, err = augmentOnDevice(plans, b.Crops[start:end], dev)
	}
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	return normalizeBytes(raw, b, dev, channelsLast)
}

// regionInput carries out plans on dev, those at the indices held from
// their crops in the store (where c says), the others from their crops
// copied from the host, and returns the images in the plans' order (as
// augmentOnDevice does). lo is the first plan's index in its batch.
func regionInput(plans []transforms.AugmentPlan, held []int, c storedCrops, dev torch.Device, lo int) (_ *torch.Tensor, err error) {
	defer torch.Recover(&err)
	if len(held) == len(plans) {
		return augmentStored(plans, c, dev, maxGroupElements)
	}
	order := make([]int64, len(plans)) // each plan's row among the stored ones' images, then the others'
	inStore := make([]bool, len(plans))
	kept := make([]transforms.AugmentPlan, len(held))
	for k, i := range held {
		kept[k], order[i], inStore[i] = plans[i], int64(k), true
	}
	var rest []transforms.AugmentPlan
	var crops []uint8
	for i := range plans {
		if inStore[i] {
			continue
		}
		if plans[i].Crop == nil && plans[i].Source == nil {
			return nil, fmt.Errorf("plan %d has no crop", lo+i)
		}
		order[i] = int64(len(held) + len(rest))
		rest, crops = append(rest, plans[i]), plans[i].AppendCrop(crops)
	}
	copied, err := augmentOnDevice(rest, crops, dev)
	if err != nil || len(held) == 0 {
		return copied, err
	}
	defer copied.Close()
	stored, err := augmentStored(kept, c, dev, maxGroupElements)
	if err != nil {
		return nil, err
	}
	defer stored.Close()
	both := torch.Cat([]*torch.Tensor{stored, copied}, 0)
	defer both.Close()
	index, err := torch.FromSliceOn(order, dev, int64(len(order)))
	if err != nil {
		return nil, err
	}
	defer index.Close()
	return both.IndexSelect(0, index), nil
}

// normalizeBytes converts images as bytes on dev (N×H×W×C) as ToTensor
// then Normalize (with b's Mean and Std, when set) do: float32, divided by
// 255, less the mean, divided by the std, per channel. The result is the
// NCHW input the float32 batch would give, laid out channels-last when
// asked (the bytes' own layout) or contiguous.
func normalizeBytes(raw *torch.Tensor, b *dataset.Batch, dev torch.Device, channelsLast bool) (*torch.Tensor, error) {
	var mean, std *torch.Tensor
	if b.Mean != nil {
		var err error
		if mean, err = torch.FromSliceOn(b.Mean, dev, int64(b.C)); err != nil {
			return nil, err
		}
		defer mean.Close()
		if std, err = torch.FromSliceOn(b.Std, dev, int64(b.C)); err != nil {
			return nil, err
		}
		defer std.Close()
	}
	f := raw.ToDtype(torch.Float32)
	defer f.Close()
	x := f.DivScalar(255)
	defer x.Close()
	if mean != nil {
		centred := x.Sub(mean)
		defer centred.Close()
		x = centred.Div(std)
		defer x.Close()
	}
	nchw := x.Permute(0, 3, 1, 2) // a view: NCHW indices over NHWC memory
	defer nchw.Close()
	format := torch.ContiguousFormat
	if channelsLast {
		format = torch.ChannelsLast
	}
	return nchw.ContiguousAs(format), nil
}
