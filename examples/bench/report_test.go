package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The pipeline efficiency divides each training run by the backbone-only
// run of its own repetition (back to back), not the medians of all.
func TestEfficiencyPairsEachRepetition(t *testing.T) {
	all := []result{
		{Side: "Go", What: "backbone", ImagesPerSec: 40, Rep: 1},
		{Side: "Go", What: "train", ExamplesPerSec: 38, WallSeconds: 50, SetupSeconds: 2, Rep: 1},
		{Side: "PyTorch", What: "backbone", ImagesPerSec: 30, Rep: 1},
		{Side: "PyTorch", What: "train", ExamplesPerSec: 25, WallSeconds: 70, SetupSeconds: 1.5, Rep: 1},
		{Side: "Go", What: "backbone", ImagesPerSec: 30, Rep: 2},
		{Side: "Go", What: "train", ExamplesPerSec: 24, WallSeconds: 60, SetupSeconds: 3, Rep: 2},
		{Side: "PyTorch", What: "backbone", ImagesPerSec: 25, Rep: 2},
		{Side: "PyTorch", What: "train", ExamplesPerSec: 20, WallSeconds: 80, SetupSeconds: 1.5, Rep: 2},
		{Side: "Go", What: "backbone +optimize-backbone", ImagesPerSec: 50},
		{Side: "Go", What: "train +optimize-backbone", ExamplesPerSec: 45, WallSeconds: 40},
	}
	md := markdown(config{device: "cpu", classes: 12, batchSize: 32, threads: 2, epochs: 3, batches: 12, reps: 2}, all)
	// 38/40 = 0.95 and 24/30 = 0.80: median 0.875; the medians' ratio
	// (31/35 = 0.886) would read 0.89.
	require.Contains(t, md, "(Go end-to-end ÷ the Go backbone-only run just before it, in each repetition; median of 0.95, 0.80): 0.88.")
	require.Contains(t, md, "(its end-to-end ÷ its backbone-only run just before): frozen + optimized 0.90")
	require.Equal(t, 1, strings.Count(md, "Pipeline efficiency"))
}

// The training runs are timed from the loaded model on both sides; the load
// has its own row, and the efficiency with it counted (Go's runs until stop
// 26) is given too.
func TestModelLoadIsReportedOutsideTheTimedRun(t *testing.T) {
	all := []result{
		{Side: "Go", What: "backbone", ImagesPerSec: 40, Rep: 1},
		{Side: "Go", What: "train", ExamplesPerSec: 38, WallSeconds: 50, SetupSeconds: 0.25, BackboneImages: 1950, Rep: 1},
		{Side: "PyTorch", What: "train", ExamplesPerSec: 25, WallSeconds: 70, SetupSeconds: 0.1, Rep: 1},
		{Side: "Go", What: "backbone", ImagesPerSec: 30, Rep: 2},
		{Side: "Go", What: "train", ExamplesPerSec: 24, WallSeconds: 60, SetupSeconds: 0.35, BackboneImages: 1500, Rep: 2},
		{Side: "PyTorch", What: "train", ExamplesPerSec: 20, WallSeconds: 80, SetupSeconds: 0.1, Rep: 2},
	}
	md := markdown(config{device: "cpu", classes: 12, batchSize: 32, threads: 2, epochs: 3, batches: 12, reps: 2}, all)
	require.Contains(t, md, "| loading the model, before the timed run (Go: + a one-image forward for the feature width) | 0.30 s | 0.10 s | 3.00× |")
	require.Contains(t, md, "| end-to-end wall time (the same span) | 55.0 s | 75.0 s | 0.73× |")
	// 38·50/50.25/40 = 0.945 and 24·60/60.35/30 = 0.795.
	require.Contains(t, md, "until stop 26): 0.87 (0.95, 0.80).")
	// 1950/50/40 = 0.975 and 1500/60/30 = 0.83.
	require.Contains(t, md, "validation pass): 0.90 (0.97, 0.83).")
}

// A training run between two backbone-only runs (a machine's speed drifts)
// is divided by their mean, in a repetition and for a lever.
func TestEfficiencyDividesByTheBackboneRunsOnEitherSide(t *testing.T) {
	all := []result{
		{Side: "Go", What: "backbone", ImagesPerSec: 40, Rep: 1},
		{Side: "Go", What: "train", ExamplesPerSec: 36, WallSeconds: 50, Rep: 1},
		{Side: "Go", What: "backbone", ImagesPerSec: 32, Rep: 1},
		{Side: "PyTorch", What: "backbone", ImagesPerSec: 30, Rep: 1},
		{Side: "PyTorch", What: "train", ExamplesPerSec: 25, WallSeconds: 70, Rep: 1},
		{Side: "Go", What: "backbone +optimize-backbone", ImagesPerSec: 50},
		{Side: "Go", What: "train +optimize-backbone", ExamplesPerSec: 45, WallSeconds: 40},
		{Side: "Go", What: "backbone +optimize-backbone", ImagesPerSec: 40},
	}
	md := markdown(config{device: "cpu", classes: 12, batchSize: 32, threads: 2, epochs: 3, batches: 12, reps: 1, bracket: true}, all)
	// 36 / ((40+32)/2) = 1.00, not 0.90 and 1.13 (median 1.01); 45 / 45 = 1.00.
	require.Contains(t, md, "(Go end-to-end ÷ the mean of the Go backbone-only runs just before and after it, in each repetition; median of 1.00): 1.00.")
	require.Contains(t, md, "(each: a Go backbone-only run, Go's training run and a second backbone-only run back to back, then PyTorch's two)")
	require.Contains(t, md, "(its end-to-end ÷ the mean of its backbone-only runs just before and after): frozen + optimized 1.00")
}

// The machine line's CPU fields come from the first processor's block of
// /proc/cpuinfo, keys and values trimmed ("model" apart from "model name").
func TestParseCPUInfo(t *testing.T) {
	text := "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 207\n" +
		"model name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu avx2\n\n" +
		"processor\t: 1\nmodel name\t: another\n"
	info := parseCPUInfo(text)
	require.Equal(t, "6", info["cpu family"])
	require.Equal(t, "207", info["model"])
	require.Equal(t, "Intel(R) Xeon(R) Processor", info["model name"])
	require.Equal(t, "fpu avx2", info["flags"])
	require.Equal(t, "0", info["processor"], "the first processor's block only")
}

// Where the backbone's threads take every core, the efficiency paragraph
// gives each run's bound: its training images' share of the images through
// the backbone, over 1 + the loader's CPU time per image (its own loader's)
// times the backbone's rate per core; none for a run no loader run measures,
// none where cores are left over.
func TestEfficiencyBoundCountsTheLoaderAndTheValidationPass(t *testing.T) {
	all := []result{
		{Side: "Go", What: "loader", ImagesPerSec: 1000, CPUSecondsPerImage: 0.001},
		{Side: "Go", What: "loader +no-simd", ImagesPerSec: 500, CPUSecondsPerImage: 0.002},
		{Side: "Go", What: "backbone", ImagesPerSec: 50, Rep: 1},
		{Side: "Go", What: "train", ExamplesPerSec: 50, WallSeconds: 30, BackboneImages: 1560, Rep: 1},
		{Side: "Go", What: "backbone", ImagesPerSec: 70, Rep: 1},
		{Side: "Go", What: "backbone +optimize-backbone +int8", ImagesPerSec: 100},
		{Side: "Go", What: "train +optimize-backbone +int8", ExamplesPerSec: 90, WallSeconds: 20, BackboneImages: 1860},
		{Side: "Go", What: "backbone +no-simd", ImagesPerSec: 40},
		{Side: "Go", What: "train +no-simd", ExamplesPerSec: 35, WallSeconds: 50, BackboneImages: 1810},
		{Side: "Go", What: "backbone +cache-images", ImagesPerSec: 40},
		{Side: "Go", What: "train +cache-images", ExamplesPerSec: 38, WallSeconds: 50, BackboneImages: 1960},
	}
	c := config{device: "cpu", classes: 12, batchSize: 32, threads: 2, cores: 2, epochs: 3, batches: 12, reps: 1, bracket: true}
	md := markdown(c, all)
	// Plain: 1500/1560 / (1 + 0.001·60/2) = 0.934; int8: 1800/1860 / (1 +
	// 0.001·100/2) = 0.922; without the assembly, its own loader's 2 ms:
	// 1750/1810 / (1 + 0.002·40/2) = 0.930 (0.948 with the default's 1 ms).
	require.Contains(t, md, "(the loader-only run's, 1.00 ms) from the backbone's threads one for one and the one validation pass is counted: "+
		"plain 0.93, int8 0.92, without the AVX2 assembly 0.93 (a run measured above")
	c.cores = 4
	require.NotContains(t, markdown(c, all), "The most these")
}

// Each repetition's Go training runs, the plain backbone's and dogbreed's
// default's, are divided by the chapter's of the same repetition; a lever
// run outside the repetitions is not.
func TestTrainingRunsArePairedWithTheChaptersOfTheirRepetition(t *testing.T) {
	all := []result{
		{Side: "Go", What: "train", ExamplesPerSec: 30, WallSeconds: 60, Rep: 1},
		{Side: "PyTorch", What: "train", ExamplesPerSec: 20, WallSeconds: 80, Rep: 1},
		{Side: "Go", What: "train " + defaultWhat, ExamplesPerSec: 44, WallSeconds: 40, Rep: 1},
		{Side: "Go", What: "train", ExamplesPerSec: 33, WallSeconds: 60, Rep: 2},
		{Side: "PyTorch", What: "train", ExamplesPerSec: 30, WallSeconds: 80, Rep: 2},
		{Side: "Go", What: "train " + defaultWhat, ExamplesPerSec: 63, WallSeconds: 40, Rep: 2},
		{Side: "Go", What: "train +optimize-backbone +int8", ExamplesPerSec: 90, WallSeconds: 20},
	}
	md := markdown(config{device: "cpu", classes: 12, batchSize: 32, threads: 2, epochs: 3, batches: 12, reps: 2}, all)
	// Plain 30/20 = 1.50, 33/30 = 1.10; Winograd 44/20 = 2.20, 63/30 = 2.10
	// (the medians' ratio: 53.5/25 = 2.14).
	require.Contains(t, md, "Each repetition's Go training run ÷ the chapter's of the same repetition (median, then each repetition's): "+
		"plain 1.30× (1.50×, 1.10×); dogbreed's default 2.15× (2.20×, 2.10×).")
	require.NotContains(t, md, "int8 4.")
	require.Contains(t, md, "(each: Go's backbone-only and training runs back to back, then PyTorch's, then Go's two with dogbreed's default backbone)")
	require.NotContains(t, md, "lowest to highest", "no backbone-only runs")
}

// TestRepetitionsBackboneRunsSpreadIsReported: the lowest and highest rate
// of the repetitions' backbone-only runs, Go's of each backbone and the
// chapter's; single runs (a lever's, the chapter-length ones) stay out.
func TestRepetitionsBackboneRunsSpreadIsReported(t *testing.T) {
	all := []result{
		{Side: "Go", What: "backbone", ImagesPerSec: 28, Rep: 1},
		{Side: "Go", What: "backbone", ImagesPerSec: 25.6, Rep: 1},
		{Side: "Go", What: "backbone", ImagesPerSec: 31.7, Rep: 2},
		{Side: "PyTorch", What: "backbone", ImagesPerSec: 24.5, Rep: 1},
		{Side: "PyTorch", What: "backbone", ImagesPerSec: 21.3, Rep: 2},
		{Side: "Go", What: "backbone " + defaultWhat, ImagesPerSec: 46, Rep: 1},
		{Side: "Go", What: "backbone " + defaultWhat, ImagesPerSec: 71.8, Rep: 2},
		{Side: "Go", What: "backbone " + defaultWhat, ImagesPerSec: 99}, // a lever's single run
		{Side: "Go", What: "backbone " + defaultWhat + " " + epochsTag(10), ImagesPerSec: 10, Rep: 1},
		{Side: "Go", What: "backbone +optimize-backbone +int8", ImagesPerSec: 120},
		{Side: "Go", What: "train", ExamplesPerSec: 30, Rep: 1},
		{Side: "PyTorch", What: "train", ExamplesPerSec: 20, Rep: 1},
	}
	md := markdown(config{device: "cpu", classes: 12, batchSize: 32, threads: 2, epochs: 3, batches: 12, reps: 2}, all)
	require.Contains(t, md, "The repetitions' backbone-only runs, lowest to highest (img/s; the same work each time): "+
		"Go plain 25.6–31.7, Go dogbreed's default 46.0–71.8, the chapter's 21.3–24.5.")
}

// The chapter-length runs (their What tagged with the epochs) have a
// paragraph of their own: each training run divided by the backbone-only
// runs on either side of it, and its bound; they stay out of the table's
// rows, the paired ratios and the repetitions' description.
func TestChapterLengthRunsHaveTheirOwnEfficiency(t *testing.T) {
	tag := " " + epochsTag(10)
	all := []result{
		{Side: "Go", What: "loader", ImagesPerSec: 1000, CPUSecondsPerImage: 0.001},
		{Side: "Go", What: "backbone", ImagesPerSec: 30, Rep: 1},
		{Side: "Go", What: "train", ExamplesPerSec: 30, WallSeconds: 60, Rep: 1},
		{Side: "Go", What: "backbone", ImagesPerSec: 30, Rep: 1},
		{Side: "PyTorch", What: "train", ExamplesPerSec: 20, WallSeconds: 80, Rep: 1},
		{Side: "Go", What: "backbone " + defaultWhat, ImagesPerSec: 50},
		{Side: "Go", What: "train " + defaultWhat, ExamplesPerSec: 44, WallSeconds: 40},
		{Side: "Go", What: "backbone " + defaultWhat, ImagesPerSec: 50},
		// Repetition 1 of the chapter's length: 52 / ((50+54)/2) = 1.000;
		// repetition 2: 45 / 50 = 0.900; int8 120 / 125 = 0.960.
		{Side: "Go", What: "backbone " + defaultWhat + tag, ImagesPerSec: 50, Rep: 1},
		{Side: "Go", What: "train " + defaultWhat + tag, ExamplesPerSec: 52, WallSeconds: 110, BackboneImages: 5780, Rep: 1},
		{Side: "Go", What: "backbone " + defaultWhat + tag, ImagesPerSec: 54, Rep: 1},
		{Side: "Go", What: "backbone +optimize-backbone +int8" + tag, ImagesPerSec: 125, Rep: 1},
		{Side: "Go", What: "train +optimize-backbone +int8" + tag, ExamplesPerSec: 120, WallSeconds: 48, BackboneImages: 5820, Rep: 1},
		{Side: "Go", What: "backbone +optimize-backbone +int8" + tag, ImagesPerSec: 125, Rep: 1},
		{Side: "Go", What: "backbone " + defaultWhat + tag, ImagesPerSec: 50, Rep: 2},
		{Side: "Go", What: "train " + defaultWhat + tag, ExamplesPerSec: 45, WallSeconds: 120, BackboneImages: 5460, Rep: 2},
		{Side: "Go", What: "backbone " + defaultWhat + tag, ImagesPerSec: 50, Rep: 2},
	}
	c := config{device: "cpu", classes: 12, batchSize: 32, threads: 2, cores: 2, epochs: 3, batches: 12, reps: 1, bracket: true,
		chapterEpochs: -1}
	md := markdown(c, all)
	// Bounds: 5720/5780 / (1 + 0.001·52/2) = 0.965 and 5400/5460 / (1 +
	// 0.001·50/2) = 0.965: 0.96; int8 5760/5820 / (1 + 0.001·125/2) = 0.931.
	require.Contains(t, md, "\nOver the chapter's 10 epochs (after the runs above, each training run between two backbone-only runs with the same backbone, "+
		"in its own process; median, then each run's): dogbreed's default 0.95 (1.000, 0.900); int8 0.96 (0.960). "+
		"Their bound, as above: dogbreed's default 0.96, int8 0.93.\n")
	require.Contains(t, md, "| end-to-end, frozen + optimized, every convolution Winograd, ReLUs and sums fused into the convolutions, their direct weights let go once planned "+
		"(dogbreed's default) (CPUs with Winograd kernels only; ÷ the chapter's float32) | 44.0 examples/s |")
	require.Contains(t, md, "(median, then each repetition's): plain 1.50× (1.50×).\n")
	require.Contains(t, md, "(its end-to-end ÷ the mean of its backbone-only runs just before and after): dogbreed's default 0.88.")
	require.Contains(t, md, "then PyTorch's two)", "no default-backbone runs in the repetitions: the chapter-length ones are not")

	c.chapterEpochs = 0
	require.NotContains(t, markdown(c, all), "Over the chapter's")
}

// --chapter-epochs: the chapter's 10 on a CPU unless given, none on a GPU,
// none where the table's runs are already that long.
func TestChapterLengthEpochs(t *testing.T) {
	require.Equal(t, 10, config{device: "cpu", epochs: 3, chapterEpochs: -1}.chapterLengthEpochs())
	require.Equal(t, 0, config{device: "cuda", epochs: 3, chapterEpochs: -1}.chapterLengthEpochs())
	require.Equal(t, 6, config{device: "cuda", epochs: 3, chapterEpochs: 6}.chapterLengthEpochs())
	require.Equal(t, 0, config{device: "cpu", epochs: 3, chapterEpochs: 0}.chapterLengthEpochs())
	require.Equal(t, 0, config{device: "cpu", epochs: 10, chapterEpochs: -1}.chapterLengthEpochs())
}

// The machine line's caches: the first CPU's from level 2 up, data or
// unified, in level order; instruction caches, level 1 and sizes sysfs
// gives in another unit are left out.
func TestCacheSizesReadSysfs(t *testing.T) {
	root := t.TempDir()
	write := func(index, level, typ, size string) {
		dir := filepath.Join(root, "devices/system/cpu/cpu0/cache", index)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for name, v := range map[string]string{"level": level, "type": typ, "size": size} {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o644))
		}
	}
	write("index0", "1", "Data", "48K")
	write("index1", "1", "Instruction", "32K")
	write("index3", "3", "Unified", "266240K")
	write("index5", "2", "Unified", "1280K") // after L3 in sysfs's order
	write("index4", "4", "Unified", "1G")
	require.Equal(t, "L2 1280 KiB, L3 260 MiB", cacheSizes(root))
	require.Equal(t, "", cacheSizes(filepath.Join(root, "none")))
}

// The backbone-only runs time at least 10 s on a CPU unless told
// otherwise (none on a GPU), and the report's first line says so.
func TestBackboneRunsTimeAtLeastTenSecondsOnACPU(t *testing.T) {
	require.Equal(t, 10.0, config{device: "cpu", backboneSeconds: -1}.backboneMinSeconds())
	require.Equal(t, 0.0, config{device: "cuda", backboneSeconds: -1}.backboneMinSeconds())
	require.Equal(t, 3.0, config{device: "cuda", backboneSeconds: 3}.backboneMinSeconds())
	require.Equal(t, 0.0, config{device: "cpu", backboneSeconds: 0}.backboneMinSeconds())
	c := config{device: "cpu", classes: 12, batchSize: 32, threads: 2, epochs: 3, batches: 12, reps: 1, backboneSeconds: -1}
	require.Contains(t, markdown(c, nil), ", backbone-only runs timed over at least 12 batches and 10 s (the validation images")
	c.backboneSeconds = 0
	require.Contains(t, markdown(c, nil), ", 12 timed backbone-only batches (the validation images")
}
