package finetune

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/internal/demodata"
	"github.com/tunetorch/tunetorch/internal/testenv"
	"github.com/tunetorch/tunetorch/torch"
)

const distBatch = 4

// distData splits the dataset at dir and trims the training set to whole
// global batches, so the ranks' shards and a single process see the same
// global batches.
func distData(t testing.TB, dir string, world int) *dataset.Split {
	s, err := dataset.SplitKaggle(dataset.DogBreedLayout(dir), 0.25)
	require.NoError(t, err)
	n := s.Train.Len()
	s.Train = s.Train.Subset(n - n%(world*distBatch))
	return s
}

func distConfig(g *torch.ProcessGroup) TrainConfig {
	cfg := chapterConfig(3)
	cfg.Group, cfg.CacheValidFeatures = g, true
	return cfg
}

// TestDistributedRank is a rank started by TestTwoRanksTrainLikeOneProcess
// (and its NCCL twin: with TT_FT_BACKEND=nccl the rank trains on its GPU,
// cuda:LOCAL_RANK, with TF32 off).
func TestDistributedRank(t *testing.T) {
	dir := os.Getenv("TT_FT_DATA")
	if dir == "" {
		t.Skip("runs only as a rank started by TestTwoRanksTrainLikeOneProcess")
	}
	dc, ok, err := torch.DistributedFromEnv()
	require.NoError(t, err)
	require.True(t, ok)
	dc.Timeout = 30 * time.Second
	dc.Backend = os.Getenv("TT_FT_BACKEND")
	dev := torch.CPU
	if dc.Backend == "nccl" {
		dev = torch.CUDA(dc.LocalRank)
		torch.SetAllowTF32(false)
	}
	g, err := torch.NewProcessGroup(dc)
	require.NoError(t, err)
	defer g.Close()
	s := distData(t, dir, g.Size())
	mk := func(ds *dataset.Dataset, shuffle, even bool) *dataset.Loader {
		l, err := dataset.NewLoader(ds, dataset.LoaderConfig{BatchSize: distBatch, Shuffle: shuffle, DropLast: shuffle, Seed: 5,
			Transform: evalTransform(), Workers: 2, Rank: g.Rank(), WorldSize: g.Size(), EvenShards: even})
		require.NoError(t, err)
		return l
	}
	// Each rank starts from its own head (seed = rank): the broadcast must align them.
	net, err := LoadNet(tinyBackbone, NetConfig{Classes: len(s.Train.Classes), Hidden: 32, InputSize: 32, Seed: uint64(1 + g.Rank()),
		Device: dev})
	require.NoError(t, err)
	defer net.Close()
	cfg := distConfig(g)
	if os.Getenv("TT_FT_KILL") != "" {
		cfg.OnStep = func(epoch, batch int, _ float64) {
			if g.Rank() == 1 && epoch == 1 && batch == 1 {
				os.Exit(7) // rank 1 dies in the middle of epoch 2
			}
		}
		start := time.Now()
		_, err := Train(context.Background(), net, mk(s.Train, true, true), mk(s.Valid, false, false), cfg)
		fmt.Printf("RESULT after %.1fs: %v\n", time.Since(start).Seconds(), err)
		require.Error(t, err)
		return
	}
	h, err := Train(context.Background(), net, mk(s.Train, true, true), mk(s.Valid, false, false), cfg)
	require.NoError(t, err)
	out, _ := json.Marshal(map[string]any{"head": headValues(net), "train_loss": h.Epochs[2].TrainLoss,
		"valid_loss": h.Epochs[2].ValidLoss, "examples": h.Epochs[2].Examples})
	fmt.Printf("RESULT %s\n", out)
}

type rankResult struct {
	Head      [][]float32 `json:"head"`
	TrainLoss float64     `json:"train_loss"`
	ValidLoss float64     `json:"valid_loss"`
	Examples  int         `json:"examples"`
}

func distDataset(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, demodata.Generate(demodata.Config{Dir: dir, Classes: demodata.Breeds()[:4], Scale: 0.15, MinSide: 40, MaxSide: 72, TestImages: 1, Seed: 8}))
	return dir
}

// requireGloo skips a test of Gloo process groups on a shim built without
// gloo's headers (against a pip wheel), saying so.
func requireGloo(t *testing.T) {
	t.Helper()
	if !torch.GlooAvailable() {
		t.Skipf("this shim has no Gloo (libtorch %s)", torch.Version())
	}
}

func TestARankDyingMidEpochFailsTheOther(t *testing.T) {
	requireGloo(t)
	start := time.Now()
	outs, errs := testenv.StartRanks(t, "TestDistributedRank", 2, "TT_FT_DATA="+distDataset(t), "TT_FT_KILL=1")
	require.Error(t, errs[1], "rank 1 exits with status 7")
	require.NoError(t, errs[0], "rank 0 must return an error, not hang or crash:\n%s", outs[0])
	require.Contains(t, outs[0], "RESULT after")
	require.Contains(t, outs[0], "all_reduce")
	require.Less(t, time.Since(start), 2*time.Minute)
	i := strings.Index(outs[0], "RESULT")
	t.Logf("rank 0: %s", strings.SplitN(outs[0][i:], "\n", 2)[0])
}

func TestTwoRanksTrainLikeOneProcess(t *testing.T) {
	requireGloo(t)
	ranksTrainLikeOneProcess(t, "gloo", 1e-5)
}

// The same over NCCL, each rank on its own GPU (one process trains on the
// CPU for the comparison): where two GPUs exist and the shim has NCCL.
func TestTwoRanksOverNCCLTrainLikeOneProcess(t *testing.T) {
	if !torch.NCCLAvailable() {
		t.Skipf("this shim has no NCCL: libtorch %s", torch.Version())
	}
	if n := torch.CUDADeviceCount(); n < 2 {
		t.Skipf("NCCL needs a GPU per rank: 2 ranks, %d GPU(s)", n)
	}
	ranksTrainLikeOneProcess(t, "nccl", 1e-4)
}

// ranksTrainLikeOneProcess trains two ranks over backend and one process
// over the same global batches: the ranks' heads must be identical, and
// within tol (relative) of the single process's.
func ranksTrainLikeOneProcess(t *testing.T, backend string, tol float64) {
	dir := distDataset(t)
	outs, errs := testenv.StartRanks(t, "TestDistributedRank", 2, "TT_FT_DATA="+dir, "TT_FT_BACKEND="+backend)
	results := make([]rankResult, 2)
	for r := range 2 {
		require.NoError(t, errs[r], "rank %d:\n%s", r, outs[r])
		i := strings.Index(outs[r], "RESULT ")
		require.GreaterOrEqual(t, i, 0, outs[r])
		line := strings.SplitN(outs[r][i+len("RESULT "):], "\n", 2)[0]
		require.NoError(t, json.Unmarshal([]byte(line), &results[r]))
	}
	require.Equal(t, results[0].Head, results[1].Head, "the ranks' heads must be identical")
	require.Equal(t, results[0].TrainLoss, results[1].TrainLoss)

	// One process over the same global batches (twice the batch size, same order).
	s := distData(t, dir, 2)
	single := tinyNet(t, len(s.Train.Classes))
	tl, err := dataset.NewLoader(s.Train, dataset.LoaderConfig{BatchSize: 2 * distBatch, Shuffle: true, DropLast: true, Seed: 5, Transform: evalTransform()})
	require.NoError(t, err)
	h, err := Train(context.Background(), single, tl, loader(t, s.Valid, evalTransform(), false, 4), distConfig(nil))
	require.NoError(t, err)
	worst := 0.0
	for i, p := range headValues(single) {
		for j, v := range p {
			d := math.Abs(float64(v - results[0].Head[i][j]))
			worst = math.Max(worst, d)
			require.LessOrEqual(t, d, tol*(1+math.Abs(float64(v))), "parameter %d[%d]", i, j)
		}
	}
	require.Equal(t, h.Epochs[2].Examples, results[0].Examples, "examples summed over the ranks")
	require.InDelta(t, h.Epochs[2].TrainLoss, results[0].TrainLoss, tol*h.Epochs[2].TrainLoss)
	require.InDelta(t, h.Epochs[2].ValidLoss, results[0].ValidLoss, tol*h.Epochs[2].ValidLoss, "validation reduced over the ranks")
	t.Logf("2 ranks (%s) vs 1 process: max parameter difference %.2g", backend, worst)
}
