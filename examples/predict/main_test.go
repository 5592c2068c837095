package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/finetune"
	"github.com/tunetorch/tunetorch/internal/demodata"
	"github.com/tunetorch/tunetorch/torch"
)

const tinyBackbone = "../../finetune/testdata/tiny_backbone.pt"

func TestPredictPrintsTopK(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, demodata.Generate(demodata.Config{Dir: dir, Classes: demodata.Breeds()[:4], Scale: 0.03, MinSide: 40, MaxSide: 60, TestImages: 3}))
	// A hidden layer of 48, not the default 256: predict sizes the head from the file.
	net, err := finetune.LoadNet(tinyBackbone, finetune.NetConfig{Classes: 4, Hidden: 48, InputSize: 48, Device: torch.CPU})
	require.NoError(t, err)
	head := filepath.Join(dir, "head.pt")
	require.NoError(t, finetune.SaveHead(head, net, demodata.Breeds()[:4]))
	net.Close()

	var out bytes.Buffer
	require.NoError(t, run([]string{"--model", tinyBackbone, "--head", head, "--input-size", "48", "--k", "2", filepath.Join(dir, "test")}, &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3*3, "3 images × (name + 2 classes)")
	require.True(t, strings.HasSuffix(lines[0], ".jpg"))
	require.Regexp(t, `^\s+\d+\.\d\d%  (affenpinscher|afghan_hound|african_hunting_dog|airedale)$`, lines[1])

	err = run([]string{"--model", tinyBackbone, "--head", filepath.Join(dir, "labels.csv"), filepath.Join(dir, "test")}, &out)
	require.ErrorContains(t, err, "labels.csv")
	err = run([]string{"--model", tinyBackbone, "--head", head, filepath.Join(dir, "missing.jpg")}, &out)
	require.ErrorContains(t, err, "missing.jpg")
	empty := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(empty, "notes.txt"), nil, 0o644))
	err = run([]string{"--model", tinyBackbone, "--head", head, empty}, &out)
	require.ErrorContains(t, err, "no image file")
}
