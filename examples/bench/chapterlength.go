package main

import (
	"fmt"
	"slices"
	"strings"
)

// The pipeline efficiency over the chapter's length (its 10 epochs). The
// 3-epoch runs of the table weigh what a run pays once (the one validation
// pass above all) about three times as much; these runs, made after the
// rest, measure the efficiency as a user training the chapter's model meets
// it.

// chapterEpochs is the chapter's num_epochs: what --chapter-epochs defaults
// to on a CPU.
const chapterEpochs = 10

// epochsTag is what the What of a chapter-length run says of its n epochs.
func epochsTag(n int) string { return fmt.Sprintf("+epochs=%d", n) }

// isChapterLength reports whether what is a chapter-length run's.
func isChapterLength(what string) bool { return strings.Contains(what, "+epochs=") }

// chapterLengthEpochs is how many epochs the chapter-length runs train: the
// --chapter-epochs given, else the chapter's on a CPU and none on a GPU
// (whose bench runs within a lent machine's minutes); 0 also where the
// table's runs already train that long.
func (c config) chapterLengthEpochs() int {
	if n := onCPUByDefault(c, c.chapterEpochs, chapterEpochs); n != c.epochs {
		return n
	}
	return 0
}

// chapterLengthSentence gives the efficiency of each variant's
// chapter-length training runs (divided by the backbone-only runs on either
// side of each, as the table's) and, where the backbone's threads take every
// core and a loader run measured the loader, their bound: a paragraph, or ""
// without such runs. perRun is markdown's.
func chapterLengthSentence(c config, all []result, perRun func(what string, f func(t result, backbone float64) float64) []float64) string {
	epochs := c.chapterLengthEpochs()
	if epochs == 0 {
		return ""
	}
	tag := epochsTag(epochs)
	var whats []string // the variants' What after "train", in the order run
	for _, r := range all {
		if r.Side != "Go" || !strings.HasPrefix(r.What, "train") || !strings.HasSuffix(r.What, tag) {
			continue
		}
		if what := strings.TrimSpace(strings.TrimPrefix(r.What, "train")); !slices.Contains(whats, what) {
			whats = append(whats, what)
		}
	}
	var parts, bounds []string
	perImage := loaderCPUPerImage(all, "loader")
	for _, what := range whats {
		base := strings.TrimSpace(strings.TrimSuffix(what, tag))
		name := leverName(base)
		e := perRun(what, func(t result, backbone float64) float64 { return t.ExamplesPerSec / backbone })
		if len(e) == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.2f (%s)", name, median(e), joinFormatted(e, "%.3f")))
		if c.boundApplies() && perImage > 0 && loaderOf(base) == "loader" {
			b := perRun(what, func(t result, backbone float64) float64 {
				return efficiencyBound(t, backbone, perImage, c.threads)
			})
			if len(b) > 0 {
				bounds = append(bounds, fmt.Sprintf("%s %.2f", name, median(b)))
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	s := fmt.Sprintf("\nOver the chapter's %d epochs (after the runs above, each training run between two backbone-only runs with the same backbone, in its own process; median, then each run's): %s.",
		epochs, strings.Join(parts, "; "))
	if len(bounds) > 0 {
		s += fmt.Sprintf(" Their bound, as above: %s.", strings.Join(bounds, ", "))
	}
	return s + "\n"
}

// leverName is the short name of the training variant whose What adds
// what: "plain" for none.
func leverName(what string) string {
	if what == "" {
		return "plain"
	}
	for _, v := range trainLevers {
		if v.what == what {
			return v.name
		}
	}
	return what
}
