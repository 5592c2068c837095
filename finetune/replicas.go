package finetune

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
)

// Several devices, as the chapter's nn.DataParallel over all GPUs: the
// frozen backbone is replicated on each device, every batch is cut into
// contiguous shares (torch.chunk's sizes), each replica computes the features
// of its share in its own goroutine, and the features are gathered on the
// head's device. The head is tiny and trains in one place, so only the
// features cross devices, never gradients.

// replica is one copy of the backbone and the device it runs on.
type replica struct {
	m        *torch.Module
	dev      torch.Device
	winograd int // convolutions swapped for Winograd ones (NetConfig.Winograd)
	fused    int // convolutions that took a ReLU or residual sum in (NetConfig.FuseConvolutions)
	released int // Winograd convolutions that let go of their direct weights (NetConfig.ReleaseDirectWeights)
}

// makeReplicas puts a copy of backbone (on cfg.Device, in eval mode, in its
// memory format, not yet frozen) on each of devices; the first one is
// backbone itself when it is already there. With cfg.OptimizeBackbone each
// is frozen and optimised where it runs (freezing turns parameters into
// constants, which no longer move with the module), with cfg.Winograd
// its 3×3 stride-1 convolutions swapped for Winograd ones, and with
// cfg.FuseConvolutions the ReLUs and residual sums after its convolutions
// folded into them. The replicas own what
// they hold: backbone is closed unless one of them holds it.
func makeReplicas(backbone *torch.Module, devices []torch.Device, cfg NetConfig) (_ []replica, err error) {
	var out []replica
	kept := false
	defer func() {
		if err != nil {
			for _, r := range out {
				r.m.Close()
			}
		}
		if err != nil || !kept {
			backbone.Close()
		}
	}()
	for i, d := range devices {
		m := backbone
		if i > 0 || d != cfg.Device {
			if m, err = backbone.Clone(); err != nil {
				return nil, fmt.Errorf("finetune: replicating the backbone: %w", err)
			}
			if err := m.To(d); err != nil {
				m.Close()
				return nil, fmt.Errorf("finetune: replicating the backbone on %s: %w", d, err)
			}
		}
		if cfg.OptimizeBackbone {
			// Not optimised under autocast on a CPU: see NetConfig.OptimizeBackbone.
			frozen, err := m.Freeze(cfg.BackboneDtype == torch.Float32 || d.IsCUDA())
			if m != backbone {
				m.Close()
			}
			if err != nil {
				return nil, fmt.Errorf("finetune: %w: %w", ErrOptimizeBackbone, err)
			}
			m = frozen
		}
		r := replica{m: m, dev: d}
		if cfg.Winograd {
			if r.winograd, err = m.UseWinogradKernel(cfg.WinogradKernel, cfg.WinogradBytes); err != nil {
				m.Close()
				return nil, fmt.Errorf("finetune: Winograd convolutions: %w", err)
			}
		}
		if cfg.FuseConvolutions {
			if r.fused, err = m.FuseConvolutions(); err != nil {
				m.Close()
				return nil, fmt.Errorf("finetune: fused convolutions: %w", err)
			}
		}
		if cfg.ReleaseDirectWeights != 0 {
			if r.released, err = m.ReleaseDirectWeights(cfg.ReleaseDirectWeights); err != nil {
				m.Close()
				return nil, fmt.Errorf("finetune: releasing the direct weights: %w", err)
			}
		}
		kept = kept || m == backbone
		out = append(out, r)
	}
	return out, nil
}

// chunks splits n samples into at most k contiguous shares as torch.chunk
// does: ⌈n/k⌉ each, the last one smaller, fewer shares when n is small.
func chunks(n, k int) [][2]int {
	size := (n + k - 1) / k
	var out [][2]int
	for lo := 0; lo < n; lo += size {
		out = append(out, [2]int{lo, min(lo+size, n)})
	}
	return out
}

// replicatedFeatures computes a batch's features on the replicas and
// gathers them, in batch order, on the net's device.
func (n *Net) replicatedFeatures(b *dataset.Batch) (*torch.Tensor, error) {
	shares := chunks(b.N, len(n.replicas))
	outs := make([]*torch.Tensor, len(shares))
	errs := make([]error, len(shares))
	var wg sync.WaitGroup
	for i, sh := range shares {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // see Train: one thread per replica's libtorch calls
			defer runtime.UnlockOSThread()
			outs[i], errs[i] = n.shareFeatures(n.replicas[i], b, sh[0], sh[1])
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			torch.CloseAll(outs...)
			return nil, fmt.Errorf("finetune: the backbone replica on %s: %w", n.replicas[i].dev, err)
		}
	}
	defer torch.CloseAll(outs...)
	return torch.Cat(outs, 0), nil
}

// shareFeatures runs replica r on samples [lo, hi) of b and returns their
// features on the net's device (one device: the whole batch).
func (n *Net) shareFeatures(r replica, b *dataset.Batch, lo, hi int) (_ *torch.Tensor, err error) {
	defer torch.Recover(&err)
	x, err := n.input(r.dev, b, lo, hi)
	if err != nil {
		return nil, err
	}
	defer x.Close()
	return n.forward(r, x)
}

// input is the backbone's input for samples [lo, hi) of b on dev: the
// batch's images, bytes or augmentation plans carried there and made the
// normalized NCHW float32 batch (channels-last when the net is).
func (n *Net) input(dev torch.Device, b *dataset.Batch, lo, hi int) (*torch.Tensor, error) {
	switch {
	case b.Plans != nil:
		return planInput(b, lo, hi, dev, n.ChannelsLast, n.images[dev])
	case b.Pixels != nil:
		return pixelInput(b, lo, hi, dev, n.ChannelsLast)
	default:
		return floatInput(b, lo, hi, dev, n.ChannelsLast)
	}
}

// forward runs replica r's backbone on x, an input on its device, and
// returns the features on the net's device.
func (n *Net) forward(r replica, x *torch.Tensor) (*torch.Tensor, error) {
	f, err := r.m.ForwardAutocast(n.BackboneDtype, x)
	if err != nil {
		return nil, err
	}
	if s := f.Shape(); len(s) != 2 || s[1] != int64(n.FeatureDim) {
		f.Close()
		return nil, fmt.Errorf("the backbone gave %v for %d images, want [%d, %d]", s, x.Shape()[0], x.Shape()[0], n.FeatureDim)
	}
	if r.dev == n.Device {
		return f, nil
	}
	defer f.Close()
	return f.To(n.Device)
}
