package finetune

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/tunetorch/tunetorch/torch"
)

// A checkpoint is one torch.save-format file (PyTorch's torch.load reads it):
//   head.<name>        the head's parameters ("head.0.weight", ...)
//   sgd.momentum.<i>   SGD's momentum buffers, once they exist
//   state.int          int64 [version, epoch, batch, examples, schedule steps, feature width, classes]
//   state.float        float64 [loss sum, seconds, learning rate, seconds waiting for data]
//                      (version 1 files, without the last, are read too)
//   history.epochs     float64 [epochs × 9] (EpochStats fields in order)
//   history.train, history.valid   float64 [points × 2] (the loss curves)
// The loaders' randomness is a function of (seed, epoch, sample), so the
// position (epoch, batch) is all the RNG state a resumed run needs.

const checkpointVersion = 2

func saveCheckpoint(path string, t *trainer) (err error) {
	defer torch.Recover(&err)
	var owned []*torch.Tensor
	defer func() { torch.CloseAll(owned...) }()
	add := func(ts *[]torch.NamedTensor, name string, x *torch.Tensor) {
		owned = append(owned, x)
		*ts = append(*ts, torch.NamedTensor{Name: name, Tensor: x})
	}
	var ts []torch.NamedTensor
	for _, p := range t.net.Head.NamedParameters() {
		ts = append(ts, torch.NamedTensor{Name: "head." + p.Name, Tensor: p.Tensor})
	}
	for i, b := range t.opt.MomentumBuffers() {
		if b != nil {
			ts = append(ts, torch.NamedTensor{Name: "sgd.momentum." + strconv.Itoa(i), Tensor: b})
		}
	}
	p := t.pos
	add(&ts, "state.int", torch.MustFromSlice([]int64{checkpointVersion, int64(p.epoch), int64(p.batch), int64(p.count),
		int64(t.sched.Epoch()), int64(t.net.FeatureDim), int64(t.net.Classes)}, 7))
	add(&ts, "state.float", torch.MustFromSlice([]float64{p.lossSum, p.seconds, t.sched.LR(), p.dataWait}, 4))
	var ep []float64
	for _, s := range t.hist.Epochs {
		ep = append(ep, float64(s.Epoch), s.TrainLoss, s.ValidLoss, s.ValidTop1, s.ValidTop5, s.LR, float64(s.Examples), s.Seconds, s.ExamplesPerSec)
	}
	add(&ts, "history.epochs", torch.MustFromSlice(ep, int64(len(t.hist.Epochs)), 9))
	add(&ts, "history.train", torch.MustFromSlice(flatten(t.hist.TrainCurve), int64(len(t.hist.TrainCurve)), 2))
	add(&ts, "history.valid", torch.MustFromSlice(flatten(t.hist.ValidCurve), int64(len(t.hist.ValidCurve)), 2))
	if err := torch.SaveTensors(path, ts); err != nil {
		return fmt.Errorf("finetune: checkpoint: %w", err)
	}
	return nil
}

func flatten(ps []Point) []float64 {
	out := make([]float64, 0, 2*len(ps))
	for _, p := range ps {
		out = append(out, p.X, p.Y)
	}
	return out
}

func points(v []float64) []Point {
	out := make([]Point, len(v)/2)
	for i := range out {
		out[i] = Point{X: v[2*i], Y: v[2*i+1]}
	}
	return out
}

// resume restores the head, the optimizer, the schedule, the position and
// the history from cfg.Checkpoint. A missing file starts from scratch.
func (t *trainer) resume() (err error) {
	defer torch.Recover(&err)
	path := t.cfg.Checkpoint
	ts, err := torch.LoadTensors(path)
	if errors.Is(err, fs.ErrNotExist) {
		if t.cfg.Log != nil {
			fmt.Fprintf(t.cfg.Log, "no checkpoint at %s: starting from scratch\n", path)
		}
		return nil
	}
	if err != nil {
		return err
	}
	defer torch.CloseNamed(ts)
	byName := map[string]*torch.Tensor{}
	var head []torch.NamedTensor
	for _, nt := range ts {
		byName[nt.Name] = nt.Tensor
		if name, ok := strings.CutPrefix(nt.Name, "head."); ok {
			head = append(head, torch.NamedTensor{Name: name, Tensor: nt.Tensor})
		}
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("finetune: checkpoint %s: %s", path, fmt.Sprintf(format, a...))
	}
	si, sf := byName["state.int"], byName["state.float"]
	if si == nil || sf == nil || si.Dtype() != torch.Int64 || sf.Dtype() != torch.Float64 || si.Numel() != 7 {
		return bad("not a tunetorch training checkpoint (state entries missing)")
	}
	st, fl := si.Int64s(), sf.Float64s()
	if st[0] < 1 || st[0] > checkpointVersion {
		return bad("format version %d, this build reads 1 to %d", st[0], checkpointVersion)
	}
	if want := [...]int{1: 3, 2: 4}[st[0]]; len(fl) != want {
		return bad("format version %d has %d state.float values, not %d", st[0], len(fl), want)
	}
	fl = append(fl, 0) // a version 1 file did not count the wait for data
	if int(st[5]) != t.net.FeatureDim || int(st[6]) != t.net.Classes {
		return bad("it was written for a head on %d features with %d classes; this one has %d features and %d classes",
			st[5], st[6], t.net.FeatureDim, t.net.Classes)
	}
	// The schedule steps once an epoch, so its steps are the epoch; the
	// position is checked before the schedule is stepped to it.
	epoch, batch, count, steps := st[1], st[2], st[3], st[4]
	if epoch < 0 || batch < 0 || count < 0 || steps != epoch {
		return bad("a corrupt position: epoch %d, batch %d, %d examples, %d schedule steps", epoch, batch, count, steps)
	}
	if epoch > int64(t.cfg.Epochs) {
		return bad("it is at epoch %d, past this run's %d epochs", epoch, t.cfg.Epochs)
	}
	if nb := t.train.NumBatches(); batch > int64(nb) {
		return bad("it is at batch %d of an epoch; this run's epochs have %d batches (another dataset or batch size)", batch, nb)
	}
	history := map[string][]float64{}
	for _, name := range []string{"history.epochs", "history.train", "history.valid"} {
		if x := byName[name]; x != nil {
			if x.Dtype() != torch.Float64 {
				return bad("%s is %s, not float64", name, x.Dtype())
			}
			history[name] = x.Float64s()
		}
	}
	if err := torch.LoadParameters(t.net.Head, head); err != nil {
		return bad("%v", err)
	}
	bufs := make([]*torch.Tensor, len(t.opt.MomentumBuffers()))
	for i := range bufs {
		bufs[i] = byName["sgd.momentum."+strconv.Itoa(i)]
	}
	if err := t.opt.SetMomentumBuffers(bufs); err != nil {
		return bad("%v", err)
	}
	for range steps {
		t.sched.Step()
	}
	t.pos = position{epoch: int(epoch), batch: int(batch), count: int(count), lossSum: fl[0], seconds: fl[1], dataWait: fl[3]}
	if v, ok := history["history.epochs"]; ok {
		for i := 0; i+9 <= len(v); i += 9 {
			t.hist.Epochs = append(t.hist.Epochs, EpochStats{Epoch: int(v[i]), TrainLoss: v[i+1], ValidLoss: v[i+2],
				ValidTop1: v[i+3], ValidTop5: v[i+4], LR: v[i+5], Examples: int(v[i+6]), Seconds: v[i+7], ExamplesPerSec: v[i+8]})
		}
	}
	if v, ok := history["history.train"]; ok {
		t.hist.TrainCurve = points(v)
	}
	if v, ok := history["history.valid"]; ok {
		t.hist.ValidCurve = points(v)
	}
	if t.cfg.Log != nil {
		fmt.Fprintf(t.cfg.Log, "resuming from %s: epoch %d, batch %d\n", path, t.pos.epoch+1, t.pos.batch)
	}
	return nil
}
