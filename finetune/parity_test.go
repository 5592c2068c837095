package finetune

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/internal/testenv"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// TestTrainingMatchesThePyTorchChapterLoop trains the head in Go and with the
// chapter's PyTorch loop (scripts/golden/finetune_parity.py) on the same
// backbone file, the same initial head and the same batches (augmentation
// off), and compares every step's loss and the final head.
func TestTrainingMatchesThePyTorchChapterLoop(t *testing.T) {
	_, split := smallKaggle(t, 4, 0.12)
	checkParity(t, tinyNet(t, 4), tinyBackbone, loader(t, split.Train, evalTransform(), true, 8), 1e-4)
}

// TestDefaultCPUBackboneTrainsAsTheChapterLoop: the same with the ResNet-34
// and dogbreed's CPU defaults, which the bench's 2× is measured with (frozen
// and optimised where verified; every 3×3 stride-1 convolution Winograd,
// its direct weights let go, where oneDNN has the kernels; the ReLUs and
// sums fused where the shim can), against the chapter's loop on the
// backbone as exported: the issue asks for the same losses within 1e-3.
func TestDefaultCPUBackboneTrainsAsTheChapterLoop(t *testing.T) {
	_, split := smallKaggle(t, 4, 0.12)
	const batch = 8
	cfg := NetConfig{Classes: 4, InputSize: 64, Device: torch.CPU, Seed: 1, OptimizeBackbone: torch.OptimizeForInferenceVerified()}
	cfg.Winograd, cfg.FuseConvolutions = WinogradPays(cfg), FusionPays(cfg)
	if cfg.Winograd {
		cfg.ReleaseDirectWeights = batch
	}
	net, err := LoadNet(testenv.ResNet34(t), cfg)
	require.NoError(t, err)
	defer net.Close()
	t.Logf("optimised %v, %d Winograd convolutions (%d without their direct weights), %d fused",
		cfg.OptimizeBackbone, net.WinogradConvolutions, net.DirectWeightsReleased, net.FusedConvolutions)
	if cfg.Winograd {
		require.Equal(t, 29, net.WinogradConvolutions)
		require.Equal(t, 29, net.DirectWeightsReleased)
	}
	tr := transforms.MustCompose(transforms.ResizeShorter(72), transforms.CenterCropSquare(64), transforms.ToTensor{}, transforms.ImageNetNormalize)
	checkParity(t, net, testenv.ResNet34(t), loader(t, split.Train, tr, true, batch), 1e-3)
	if cfg.Winograd {
		winograd, _, err := net.Backbone.WinogradCounts()
		require.NoError(t, err)
		require.Positive(t, winograd, "convolutions of the training batches that ran Winograd")
	}
}

// checkParity trains net's head for three of the chapter's epochs on train
// (augmentation off) and the chapter's PyTorch loop on backbone (the file,
// as exported) from the same head and batches; every step's summed loss and
// the final head must agree within tol (relative).
func checkParity(t *testing.T, net *Net, backbone string, train *dataset.Loader, tol float64) {
	t.Helper()
	py := testenv.Python(t)
	cfg := chapterConfig(3)
	bs := train.Config().BatchSize
	dir := t.TempDir()

	// What both sides start from: the head, all images, each epoch's order.
	headFile := filepath.Join(dir, "head0.pt")
	require.NoError(t, torch.SaveTensors(headFile, net.Head.NamedParameters()))
	all, err := dataset.NewLoader(train.Dataset(), dataset.LoaderConfig{BatchSize: 1000, Transform: train.Config().Transform})
	require.NoError(t, err)
	var data []torch.NamedTensor
	for b, err := range all.Batches(context.Background(), 0) {
		require.NoError(t, err)
		x := torch.MustFromSlice(b.Images, int64(b.N), int64(b.C), int64(b.H), int64(b.W))
		y := torch.MustFromSlice(b.Labels, int64(b.N))
		data = append(data, torch.NamedTensor{Name: "x", Tensor: x}, torch.NamedTensor{Name: "y", Tensor: y})
	}
	for e := range cfg.Epochs {
		order := make([]int64, 0)
		for _, i := range train.Order(e) {
			order = append(order, int64(i))
		}
		data = append(data, torch.NamedTensor{Name: fmt.Sprintf("order.%d", e), Tensor: torch.MustFromSlice(order, int64(len(order)))})
	}
	conf := torch.MustFromSlice([]float64{float64(cfg.Epochs), float64(bs), cfg.LR, cfg.WeightDecay, cfg.Momentum, float64(cfg.LRPeriod), cfg.LRDecay}, 7)
	data = append(data, torch.NamedTensor{Name: "config", Tensor: conf})
	dataFile := filepath.Join(dir, "data.pt")
	require.NoError(t, torch.SaveTensors(dataFile, data))
	torch.CloseNamed(data)

	var goLosses []float64
	cfg.OnStep = func(_, _ int, loss float64) { goLosses = append(goLosses, loss) }
	_, err = Train(context.Background(), net, train, nil, cfg)
	require.NoError(t, err)

	lossFile, headOut := filepath.Join(dir, "losses.json"), filepath.Join(dir, "head_py.pt")
	out, err := exec.Command(py, testenv.Script("finetune_parity.py"), backbone, dataFile, headFile, lossFile, headOut).CombinedOutput()
	require.NoError(t, err, "%s", out)
	raw, err := os.ReadFile(lossFile)
	require.NoError(t, err)
	var pyLosses []float64
	require.NoError(t, json.Unmarshal(raw, &pyLosses))
	require.Len(t, goLosses, len(pyLosses))
	require.Equal(t, cfg.Epochs*train.NumBatches(), len(goLosses))
	worst := 0.0
	for i := range pyLosses {
		rel := math.Abs(goLosses[i]-pyLosses[i]) / math.Max(1e-12, math.Abs(pyLosses[i]))
		worst = math.Max(worst, rel)
		require.LessOrEqual(t, rel, tol, "step %d: Go %.7g, PyTorch %.7g", i, goLosses[i], pyLosses[i])
	}
	pyHead, err := torch.LoadTensors(headOut)
	require.NoError(t, err)
	defer torch.CloseNamed(pyHead)
	mine := net.Head.NamedParameters()
	require.Len(t, pyHead, len(mine))
	worstP := 0.0
	for i, p := range pyHead {
		require.Equal(t, mine[i].Name, p.Name)
		a, b := mine[i].Tensor.Float32s(), p.Tensor.Float32s()
		for j := range a {
			d := math.Abs(float64(a[j] - b[j]))
			worstP = math.Max(worstP, d)
			require.LessOrEqual(t, d, tol*(1+math.Abs(float64(b[j]))), "%s[%d]", p.Name, j)
		}
	}
	t.Logf("%d steps: max relative loss difference %.2g, max parameter difference %.2g", len(pyLosses), worst, worstP)
}
