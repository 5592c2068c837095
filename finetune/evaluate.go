package finetune

import (
	"context"
	"fmt"
	"iter"
	"math"
	"runtime"
	"slices"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
)

// Metrics summarise a network on every sample of a dataset.
type Metrics struct {
	N       int     // samples evaluated
	Loss    float64 // mean cross-entropy
	Top1    float64 // fraction whose top class is the label
	Top5    float64 // fraction whose label is among the 5 top classes
	LogLoss float64 // Kaggle's multi-class log loss (probabilities clipped to [1e-15, 1-1e-15])
}

// Features are a dataset's backbone outputs, computed once, e.g. for the
// deterministic validation pass of every epoch.
type Features struct {
	X      *torch.Tensor // [N, k] on the net's device
	Labels *torch.Tensor // [N] int64
	IDs    []string
	Index  []int // dataset index of each row
}

// Close releases the tensors.
func (f *Features) Close() { torch.CloseAll(f.X, f.Labels) }

// ExtractFeatures runs the frozen backbone over every batch of loader (on
// the net's streams, NetConfig.Streams, when it has several).
func ExtractFeatures(ctx context.Context, net *Net, loader *dataset.Loader) (_ *Features, err error) {
	runtime.LockOSThread() // one malloc arena for libtorch's buffers (see Train)
	defer runtime.UnlockOSThread()
	restore, err := net.shareThreads()
	if err != nil {
		return nil, err
	}
	defer restore()
	defer torch.Recover(&err)
	var xs, ys []*torch.Tensor
	defer func() { torch.CloseAll(xs...); torch.CloseAll(ys...) }()
	f := &Features{}
	for b, err := range net.withFeatures(ctx, func(ctx context.Context) iter.Seq2[*dataset.Batch, error] {
		return loader.Batches(ctx, 0)
	}) {
		if err != nil {
			return nil, err
		}
		xs = append(xs, b.feats)
		y, err := batchLabels(b.batch, net.Device)
		if err != nil {
			return nil, err
		}
		ys = append(ys, y)
		f.IDs = append(f.IDs, b.batch.IDs...)
		f.Index = append(f.Index, b.batch.Indices...)
		loader.Recycle(b.batch) // its images are features now; the loader reuses the buffers
	}
	f.X, f.Labels = torch.Cat(xs, 0), torch.Cat(ys, 0)
	return f, nil
}

// Evaluate computes the metrics of net over every sample of loader (the
// chapter's evaluate_loss drops the last partial batch; this does not).
func Evaluate(ctx context.Context, net *Net, loader *dataset.Loader) (Metrics, error) {
	f, err := ExtractFeatures(ctx, net, loader)
	if err != nil {
		return Metrics{}, err
	}
	defer f.Close()
	return EvaluateFeatures(net, f)
}

// EvaluateLoss is the chapter's evaluate_loss: the mean cross-entropy over
// every sample.
func EvaluateLoss(ctx context.Context, net *Net, loader *dataset.Loader) (float64, error) {
	m, err := Evaluate(ctx, net, loader)
	return m.Loss, err
}

// EvaluateFeatures computes the metrics of the head on precomputed features.
func EvaluateFeatures(net *Net, f *Features) (m Metrics, err error) {
	defer torch.Recover(&err)
	logits := net.Head.Infer(f.X)
	defer logits.Close()
	loss := torch.CrossEntropy(logits, f.Labels, torch.ReduceSum)
	defer loss.Close()
	probs := logits.Softmax(1)
	defer probs.Close()
	z, p := logits.Float32s(), probs.Float32s()
	labels := f.Labels.Int64s()
	n, c := len(labels), net.Classes
	m.N = n
	if n == 0 {
		return m, fmt.Errorf("finetune: nothing to evaluate")
	}
	m.Loss = loss.Item() / float64(n)
	top1, top5, logLoss := 0, 0, 0.0
	for i, y := range labels {
		// Ranked by the logits: a confident softmax rounds the other classes'
		// probabilities to 0 in float32, and ties at 0 would rank the label
		// second behind the prediction whatever its logit.
		rank := classesAbove(z[i*c:(i+1)*c], y)
		if rank == 0 {
			top1++
		}
		if rank < 5 {
			top5++
		}
		logLoss -= math.Log(min(max(float64(p[i*c+int(y)]), 1e-15), 1-1e-15))
	}
	m.Top1 = float64(top1) / float64(n)
	m.Top5 = float64(top5) / float64(n)
	m.LogLoss = logLoss / float64(n)
	return m, nil
}

// Predictions are softmax probabilities per sample, in dataset order.
type Predictions struct {
	IDs   []string
	Probs [][]float32 // [sample][class]
}

// Predict returns the softmax probabilities of every sample of loader, in
// the dataset's order, with the sample ids.
func Predict(ctx context.Context, net *Net, loader *dataset.Loader) (*Predictions, error) {
	f, err := ExtractFeatures(ctx, net, loader)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return PredictFeatures(net, f)
}

// PredictFeatures is Predict on precomputed features.
func PredictFeatures(net *Net, f *Features) (_ *Predictions, err error) {
	defer torch.Recover(&err)
	logits := net.Head.Infer(f.X)
	defer logits.Close()
	probs := logits.Softmax(1)
	defer probs.Close()
	flat := probs.Float32s()
	n, c := len(f.IDs), net.Classes
	out := &Predictions{IDs: make([]string, n), Probs: make([][]float32, n)}
	// Back to dataset order, whatever order the loader used.
	pos := rankOf(f.Index)
	for row := range n {
		out.IDs[pos[row]] = f.IDs[row]
		out.Probs[pos[row]] = flat[row*c : (row+1)*c : (row+1)*c]
	}
	return out, nil
}

// rankOf maps each position of idx to the rank of its value.
func rankOf(idx []int) []int {
	sorted := make([]int, len(idx))
	copy(sorted, idx)
	rank := map[int]int{}
	slices.Sort(sorted)
	for r, v := range sorted {
		rank[v] = r
	}
	out := make([]int, len(idx))
	for i, v := range idx {
		out[i] = rank[v]
	}
	return out
}

// classesAbove is how many classes score strictly higher than class y in row.
func classesAbove(row []float32, y int64) int {
	rank := 0
	for _, v := range row {
		if v > row[y] {
			rank++
		}
	}
	return rank
}
