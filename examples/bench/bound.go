package main

import (
	"fmt"
	"strings"
)

// On a CPU whose cores all run the backbone's threads, the loader's work is
// not hidden behind the backbone: it takes the same cores. These give the
// efficiency a training run could reach at most there, from its own figures.

// loaderOf returns the What of the loader-only run whose CPU time a Go
// training run of the lever what pays per image, or "" where no loader run
// measures it (decoded images cached from the second epoch on; batches or
// augmentation left to a GPU).
func loaderOf(what string) string {
	switch {
	case strings.Contains(what, "+cache-images"), strings.Contains(what, "+pixel-batches"):
		return ""
	case strings.Contains(what, "+no-simd"):
		return "loader +no-simd"
	}
	return "loader"
}

// efficiencyBound returns the most pipeline efficiency the training run t
// could have on threads cores whose backbone-only rate is backbone img/s,
// where loading an image takes cpuPerImage seconds of those cores from the
// backbone one for one and every image through the backbone (the training
// ones and the one validation pass) is loaded once: the training images'
// share of the backbone's work, over 1 + cpuPerImage·backbone/threads. One
// for one, as a backbone-only run leaves its threads next to no idle time
// for the loader to fill (stop 27's perf: libgomp's barrier waits 0.2% of
// its samples), and its threads split each operation evenly. 0 where t lacks
// the figures.
func efficiencyBound(t result, backbone, cpuPerImage float64, threads int) float64 {
	examples := t.ExamplesPerSec * t.WallSeconds
	if examples <= 0 || t.BackboneImages <= 0 || backbone <= 0 || threads <= 0 {
		return 0
	}
	return examples / float64(t.BackboneImages) / (1 + cpuPerImage*backbone/float64(threads))
}

// loaderCPUPerImage is the CPU time an image took in the loader-only runs
// loader (a What; the median over its repetitions), 0 where none ran.
func loaderCPUPerImage(all []result, loader string) float64 {
	return median(fieldOf(all, "Go", loader, func(r result) float64 { return r.CPUSecondsPerImage }))
}

// boundSentence says what efficiencyBound allows each Go training run whose
// loader a loader-only run measured (the median over its repetitions), for
// the efficiency paragraph; perRun is markdown's: f of each training run of
// a lever and the backbone-only rate around it. "" where nothing applies.
func boundSentence(c config, all []result, perRun func(what string, f func(t result, backbone float64) float64) []float64) string {
	var parts []string
	for _, v := range append([]lever{{name: "plain"}}, trainLevers...) {
		loader := loaderOf(v.what)
		perImage := loaderCPUPerImage(all, loader)
		if loader == "" || perImage <= 0 {
			continue
		}
		bounds := perRun(v.what, func(t result, backbone float64) float64 {
			return efficiencyBound(t, backbone, perImage, c.threads)
		})
		if len(bounds) > 0 {
			parts = append(parts, fmt.Sprintf("%s %.2f", v.name, median(bounds)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	measured := "the loader-only run's"
	if perImage := loaderCPUPerImage(all, "loader"); perImage > 0 {
		measured = fmt.Sprintf("the loader-only run's, %.2f ms", 1000*perImage)
	}
	return fmt.Sprintf(" The most these %d cores allow, where loading an image takes its CPU time (%s) from the backbone's threads one for one and the one validation pass is counted: %s"+
		" (a run measured above its bound ran while the machine was faster than in the backbone-only runs around it).",
		c.threads, measured, strings.Join(parts, ", "))
}
