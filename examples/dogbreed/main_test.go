package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/demodata"
	"github.com/tunetorch/tunetorch/internal/testenv"
	"github.com/tunetorch/tunetorch/torch"
)

const tinyBackbone = "../../finetune/testdata/tiny_backbone.pt"

var (
	sharedOnce sync.Once
	sharedDir  string
	sharedErr  error
)

// sharedData is a small generated dataset (small images) that the tests
// which do not test generation itself share.
func sharedData(t *testing.T) string {
	sharedOnce.Do(func() {
		sharedDir, sharedErr = os.MkdirTemp("", "dogbreed-test-*")
		if sharedErr == nil {
			sharedErr = demodata.Generate(demodata.Config{Dir: sharedDir, Scale: 0.03, MinSide: 40, MaxSide: 64, Seed: 4})
		}
	})
	require.NoError(t, sharedErr)
	return sharedDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

// demoOptions are flags for a short run on the shared dataset.
func demoOptions(t *testing.T, extra ...string) *options {
	t.Helper()
	return runOptions(t, sharedData(t), extra...)
}

func runOptions(t *testing.T, data string, extra ...string) *options {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"--demo", "--demo-scale", "0.03", "--data-dir", data, "--model", tinyBackbone,
		"--input-size", "48", "--epochs", "2", "--out", filepath.Join(dir, "submission.csv"),
		"--plot", filepath.Join(dir, "loss.png"), "--save-head", filepath.Join(dir, "head.pt")}, extra...)
	o, err := parseFlags(args)
	require.NoError(t, err)
	return o
}

// TestEndToEndOnDemoData runs the whole chapter on a tiny generated dataset
// with a tiny TorchScript backbone and checks the submission.
func TestEndToEndOnDemoData(t *testing.T) {
	o := runOptions(t, filepath.Join(t.TempDir(), "data"))
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), o, &out))
	log := out.String()
	require.Contains(t, log, "generating the demo dataset")
	require.Regexp(t, `(?m)^train loss \d+\.\d+, valid loss \d+\.\d+$`, log)
	require.Regexp(t, `(?m)^\d+\.\d examples/sec on \[cpu\]$`, log)

	data, err := os.ReadFile(o.out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	breeds := demodata.Breeds()
	require.Equal(t, "id,"+strings.Join(breeds, ","), lines[0])
	tests, err := os.ReadDir(filepath.Join(o.dataDir, "test"))
	require.NoError(t, err)
	require.Len(t, lines, 1+len(tests))
	for i, line := range lines[1:] {
		fields := strings.Split(line, ",")
		require.Len(t, fields, 1+len(breeds))
		require.Equal(t, strings.TrimSuffix(tests[i].Name(), ".jpg"), fields[0], "rows follow the sorted test ids")
		sum := 0.0
		for _, f := range fields[1:] {
			v, err := strconv.ParseFloat(f, 64)
			require.NoError(t, err)
			sum += v
		}
		require.InDelta(t, 1, sum, 1e-4, "row %d", i)
	}
	for _, f := range []string{o.plot, o.saveHead, filepath.Join(o.dataDir, "train_valid_test", "valid")} {
		_, err := os.Stat(f)
		require.NoError(t, err, f)
	}
}

func TestBadInputsGiveClearErrorsAndKeepOutputs(t *testing.T) {
	o := runOptions(t, filepath.Join(t.TempDir(), "data"), "--skip-final")
	require.NoError(t, os.WriteFile(o.out, []byte("previous submission"), 0o644))

	// A data dir without labels.csv (and no --demo).
	o.demo = false
	require.NoError(t, os.MkdirAll(o.dataDir, 0o755))
	err := run(context.Background(), o, &bytes.Buffer{})
	require.ErrorContains(t, err, "labels.csv")

	// A missing backbone file.
	o2 := demoOptions(t)
	o2.model = filepath.Join(t.TempDir(), "nope.pt")
	err = run(context.Background(), o2, &bytes.Buffer{})
	require.ErrorContains(t, err, "nope.pt")
	require.ErrorContains(t, err, "export_backbone.py")

	// A backbone whose output is not [N, k].
	o3 := demoOptions(t)
	o3.model = "../../finetune/testdata/conv_backbone.pt"
	err = run(context.Background(), o3, &bytes.Buffer{})
	require.ErrorContains(t, err, "want [N, k]")

	// An empty test folder.
	o4 := runOptions(t, filepath.Join(t.TempDir(), "data"))
	require.NoError(t, demodata.Generate(demodata.Config{Dir: o4.dataDir, Classes: demodata.Breeds()[:3], Scale: 0.05, MinSide: 40, MaxSide: 60}))
	tests, _ := os.ReadDir(filepath.Join(o4.dataDir, "test"))
	for _, f := range tests {
		require.NoError(t, os.Remove(filepath.Join(o4.dataDir, "test", f.Name())))
	}
	err = run(context.Background(), o4, &bytes.Buffer{})
	require.ErrorContains(t, err, "no test image")

	// An unwritable output path: the error names it, the old file stays.
	o5 := demoOptions(t)
	o5.out = filepath.Join(t.TempDir(), "missing-dir", "submission.csv")
	err = run(context.Background(), o5, &bytes.Buffer{})
	require.ErrorContains(t, err, o5.out)
	prev, err := os.ReadFile(o.out)
	require.NoError(t, err)
	require.Equal(t, "previous submission", string(prev))
}

func TestFlagErrors(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"--epochs -1", "--epochs -1"},
		{"--batch-size -3", "--batch-size -3"},
		{"--batch-size 0", "--batch-size 0"},
		{"--lr 0", "--lr 0"},
		{"--lr -1", "--lr -1"},
		{"--resume", "--resume needs --checkpoint"},
		{"--workers 0", "--workers"},
		{"--prefetch-threads 0", "--prefetch-threads 0 must be at least 1"},
		{"--streams 0", "--streams 0 must be at least 1"},
		{"--prefetch 0", "--prefetch 0 must be positive"},
		{"--prefetch -2", "--prefetch -2 must be positive"},
		{"extra", "unexpected argument"},
		{"--bf16 --fp16", "exclude each other"},
	} {
		_, err := parseFlags(strings.Fields(c.args))
		require.ErrorContains(t, err, c.want, c.args)
	}
	o, err := parseFlags([]string{"--device", "gpu"})
	require.NoError(t, err)
	err = run(context.Background(), o, &bytes.Buffer{})
	require.ErrorContains(t, err, `invalid device "gpu"`)
	if !torch.CUDAAvailable() {
		o := demoOptions(t, "--fp16")
		require.ErrorContains(t, run(context.Background(), o, &bytes.Buffer{}), "float16 autocast needs a GPU")
	}
	o, err = parseFlags([]string{"--device", "cuda:3"})
	require.NoError(t, err)
	err = run(context.Background(), o, &bytes.Buffer{})
	require.ErrorContains(t, err, "cuda:3")
}

func TestSkipBadImages(t *testing.T) {
	o := runOptions(t, filepath.Join(t.TempDir(), "data"), "--skip-final")
	require.NoError(t, demodata.Generate(demodata.Config{Dir: o.dataDir, Classes: demodata.Breeds()[:3], Scale: 0.06, MinSide: 40, MaxSide: 60}))
	train, err := os.ReadDir(filepath.Join(o.dataDir, "train"))
	require.NoError(t, err)
	bad := filepath.Join(o.dataDir, "train", train[0].Name())
	require.NoError(t, os.WriteFile(bad, []byte("truncated"), 0o644))

	// By default the bad image stops the run, naming the file.
	err = run(context.Background(), o, &bytes.Buffer{})
	require.ErrorContains(t, err, train[0].Name())

	// With --skip-bad-images it is reported once and skipped.
	o.skipBad = true
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), o, &out))
	require.Equal(t, 1, strings.Count(out.String(), "warning: skipping a bad image"), out.String())
	require.Contains(t, out.String(), train[0].Name())
	require.Contains(t, out.String(), "skipped 1 bad image(s)")
}

func TestBatchLargerThanADatasetIsShrunkWithANote(t *testing.T) {
	o := demoOptions(t, "--skip-final", "--batch-size", "100000")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), o, &out))
	require.Contains(t, out.String(), "note: batch size 100000 is larger than the")
}

// TestReplicatedBackboneRun runs the program with the backbone on two CPU
// replicas: the code path of --device all on a multi-GPU machine.
func TestReplicatedBackboneRun(t *testing.T) {
	o := demoOptions(t, "--device", "cpu,cpu", "--epochs", "1", "--skip-final")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), o, &out))
	require.Contains(t, out.String(), "examples/sec on [cpu, cpu]")
	o, err := parseFlags([]string{"--device", "cpu,gpu"})
	require.NoError(t, err)
	require.ErrorContains(t, run(context.Background(), o, &bytes.Buffer{}), `invalid device "gpu"`)
}

// TestStreamsRunSaysSoAndTrainsTheSame: --streams 2 runs the backbone on
// two streams, says so in the header line, and trains as one stream does
// (the same losses, the same submission).
func TestStreamsRunSaysSoAndTrainsTheSame(t *testing.T) {
	runLog := func(extra ...string) (string, []byte) {
		o := demoOptions(t, append([]string{"--epochs", "1"}, extra...)...)
		var out bytes.Buffer
		require.NoError(t, run(context.Background(), o, &out))
		sub, err := os.ReadFile(o.out)
		require.NoError(t, err)
		return out.String(), sub
	}
	one, oneSub := runLog()
	two, twoSub := runLog("--streams", "2")
	require.Contains(t, two, "2 streams)")
	require.NotContains(t, one, "streams)")
	losses := regexp.MustCompile(`(train|valid) loss \d+\.\d+`)
	require.NotEmpty(t, losses.FindAllString(one, -1))
	require.Equal(t, losses.FindAllString(one, -1), losses.FindAllString(two, -1))
	require.Equal(t, oneSub, twoSub)
}

// TestGPUDefaultsFollowTheDeviceUnlessGiven: channels-last, byte batches,
// the augmentation on the device and the inputs made ahead are on with the
// model on a GPU unless the flag says otherwise, off on the CPU (but for
// channels-last under --bf16).
func TestGPUDefaultsFollowTheDeviceUnlessGiven(t *testing.T) {
	for _, d := range []struct {
		flag string
		want func(*options, torch.Device) bool
	}{
		{"channels-last", (*options).wantChannelsLast},
		{"pixel-batches", (*options).wantPixelBatches},
		{"augment-on-device", (*options).wantAugmentOnDevice},
		{"prefetch-inputs", (*options).wantPrefetchInputs},
	} {
		for _, c := range []struct {
			args      []string
			cpu, cuda bool
		}{
			{nil, false, true},
			{[]string{"--" + d.flag}, true, true},
			{[]string{"--" + d.flag + "=false"}, false, false},
		} {
			o, err := parseFlags(c.args)
			require.NoError(t, err)
			require.Equal(t, c.cpu, d.want(o, torch.CPU), "%s %v on the CPU", d.flag, c.args)
			require.Equal(t, c.cuda, d.want(o, torch.CUDA(0)), "%s %v on a GPU", d.flag, c.args)
		}
	}
	// Under --bf16 on the CPU, channels-last is the default (oneDNN's bf16
	// convolutions read NHWC).
	o, err := parseFlags([]string{"--bf16"})
	require.NoError(t, err)
	require.True(t, o.wantChannelsLast(torch.CPU))
	o = demoOptions(t, "--channels-last", "--bf16", "--epochs", "1", "--skip-final")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), o, &out))
	require.Contains(t, out.String(), " (bfloat16 autocast, channels-last): ")
}

// TestWinogradMemoryFlag: auto (the default), "all", or a size; anything
// else is an error that names the value.
func TestWinogradMemoryFlag(t *testing.T) {
	o, err := parseFlags(nil)
	require.NoError(t, err)
	require.Equal(t, int64(autoWinogradMemory), o.winogradBytes)
	for _, c := range []struct {
		v    string
		want int64
	}{{"auto", autoWinogradMemory}, {"all", 0}, {"128MiB", 128 << 20}, {"2GB", 2e9}} {
		o, err := parseFlags([]string{"--winograd-memory", c.v})
		require.NoError(t, err, c.v)
		require.Equal(t, c.want, o.winogradBytes, c.v)
	}
	for _, bad := range []string{"off", "0", "-1MiB", "lots"} {
		_, err := parseFlags([]string{"--winograd-memory", bad})
		require.ErrorContains(t, err, fmt.Sprintf("--winograd-memory %q: want auto, all, or a size such as 128MiB", bad))
	}
}

// TestWinogradDefaultFollowsTheMachine: with the ResNet-34 on a CPU that has
// oneDNN's Winograd kernels, all 29 of its 3×3 stride-1 convolutions run
// them by default, their direct weights let go; with
// --release-direct-weights=false, 26 (their first three stages', two of
// their fourth's: --winograd-memory auto's bound where the direct weights
// stay, 192MiB), with the same losses, and all 29 with --winograd-memory
// all; none with --winograd=false; elsewhere none do, and asking is an
// error that says why, as is --release-direct-weights without them.
func TestWinogradDefaultFollowsTheMachine(t *testing.T) {
	runLog := resnetRun(t)
	log, err := runLog()
	require.NoError(t, err)
	why := torch.WinogradAvailable()
	if why != nil {
		require.NotContains(t, log, "Winograd convolutions")
		// (--optimize-backbone given: off by default on libtorch 2.0-2.10.)
		_, err := runLog("--winograd", "--optimize-backbone")
		require.ErrorContains(t, err, why.Error())
		_, err = runLog("--release-direct-weights")
		require.ErrorContains(t, err, "--release-direct-weights applies to the Winograd convolutions, off here")
		return
	}
	require.Contains(t, log, "29 Winograd convolutions, 29 of them without their direct weights): ")
	kept, err := runLog("--release-direct-weights=false")
	require.NoError(t, err)
	require.Contains(t, kept, "26 Winograd convolutions): ")
	require.NotEmpty(t, lossLines(log))
	require.Equal(t, lossLines(kept), lossLines(log), "the losses with the direct weights let go")
	kept, err = runLog("--release-direct-weights=false", "--winograd-memory", "all")
	require.NoError(t, err)
	require.Contains(t, kept, "29 Winograd convolutions): ")
	log, err = runLog("--winograd=false")
	require.NoError(t, err)
	require.NotContains(t, log, "Winograd convolutions")
	_, err = runLog("--winograd=false", "--release-direct-weights")
	require.ErrorContains(t, err, "--release-direct-weights applies to the Winograd convolutions, off here")
	_, err = runLog("--winograd", "--optimize-backbone=false")
	require.ErrorContains(t, err, "they need OptimizeBackbone")
}

// TestFusionDefaultFollowsTheShim: with the ResNet-34 on a CPU, 33 of its
// convolutions take the ReLU or residual sum after them in by default, none
// with --fuse-convolutions=false; with a shim built without oneDNN's
// convolution none do, and asking is an error that says why.
func TestFusionDefaultFollowsTheShim(t *testing.T) {
	resnetRunLog := resnetRun(t)
	runLog := func(extra ...string) (string, error) {
		return resnetRunLog(append([]string{"--optimize-backbone"}, extra...)...)
	}
	const fused = "33 convolutions with their ReLU or sum fused"
	if why := torch.FusionAvailable(); why != nil {
		_, err := runLog("--fuse-convolutions")
		require.ErrorContains(t, err, why.Error())
		return
	}
	log, err := runLog()
	require.NoError(t, err)
	require.Contains(t, log, fused)
	log, err = runLog("--fuse-convolutions=false")
	require.NoError(t, err)
	require.NotContains(t, log, "fused")
}

// The run says so when the torch package replaced OpenBLAS's fallback
// kernels, and nothing when OpenBLAS's own choice stands.
func TestBLASNote(t *testing.T) {
	require.Equal(t, "OpenBLAS: the SkylakeX kernels, in place of the Prescott fallback it picked for this CPU (OPENBLAS_CORETYPE chooses)",
		blasNote("SkylakeX", "Prescott"))
	require.Empty(t, blasNote("Haswell", ""))
	require.Empty(t, blasNote("", ""))
}

// --bf16 with the model on a CPU that has no bfloat16 instructions gets a
// note (it runs slower than float32 there); with them, on a GPU, or without
// --bf16, none.
func TestBF16NoteWithoutTheInstructions(t *testing.T) {
	require.Contains(t, bf16Note(true, torch.CPU, false), "note: --bf16 on a CPU without bfloat16 instructions")
	require.Empty(t, bf16Note(true, torch.CPU, true))
	require.Empty(t, bf16Note(false, torch.CPU, false))
	require.Empty(t, bf16Note(true, torch.CUDA(0), false))
}

// lossLines returns a run log's summary lines ("train loss ..."), in order.
// resnetRun returns a function that runs dogbreed on the demo data with
// the ResNet-34 for one epoch, no retraining, and the flags given, and
// returns its log.
func resnetRun(t *testing.T) func(extra ...string) (string, error) {
	resnet := testenv.ResNet34(t)
	return func(extra ...string) (string, error) {
		o := demoOptions(t, append([]string{"--model", resnet, "--epochs", "1", "--skip-final"}, extra...)...)
		var out bytes.Buffer
		err := run(context.Background(), o, &out)
		return out.String(), err
	}
}

func lossLines(log string) []string {
	return regexp.MustCompile(`(?m)^train loss .*$`).FindAllString(log, -1)
}
