// Command predict classifies images with a head trained by examples/dogbreed
// (--save-head) on its TorchScript backbone, printing the top-k classes with
// their probabilities.
//
//	predict --model resnet34.pt --head head.pt photo1.jpg photo2.jpg
//	predict --model resnet34.pt --head head.pt --k 3 some/folder
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/finetune"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "predict:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	model := fs.String("model", "build/cache/resnet34.pt", "the TorchScript backbone the head was trained on")
	head := fs.String("head", "head.pt", "the head file written by dogbreed --save-head")
	k := fs.Int("k", 5, "how many classes to print per image")
	size := fs.Int("input-size", 224, "side of the centre crop fed to the backbone")
	device := fs.String("device", "cpu", "cpu, cuda or cuda:N")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: predict [flags] image-or-folder...\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no image given")
	}
	if *k <= 0 {
		return fmt.Errorf("--k %d must be positive", *k)
	}
	dev, err := torch.ParseDevice(*device)
	if err != nil {
		return err
	}
	files, err := imageArgs(fs.Args())
	if err != nil {
		return err
	}
	classes, hidden, err := finetune.ReadHeadConfig(*head)
	if err != nil {
		return err
	}
	net, err := finetune.LoadNet(*model, finetune.NetConfig{Classes: len(classes), Hidden: hidden, InputSize: *size, Device: dev,
		ChannelsLast: finetune.ChannelsLastPays(dev, torch.Float32)})
	if err != nil {
		return err
	}
	defer net.Close()
	if _, err := finetune.LoadHead(*head, net); err != nil {
		return err
	}
	ds := &dataset.Dataset{Classes: classes}
	for _, f := range files {
		ds.Samples = append(ds.Samples, dataset.Sample{Path: f, ID: f, Label: -1})
	}
	tr := transforms.MustCompose(transforms.ResizeShorter(*size*256/224), transforms.CenterCropSquare(*size),
		transforms.ToTensor{}, transforms.ImageNetNormalize)
	l, err := dataset.NewLoader(ds, dataset.LoaderConfig{BatchSize: 16, Transform: tr})
	if err != nil {
		return err
	}
	preds, err := finetune.Predict(context.Background(), net, l)
	if err != nil {
		return err
	}
	for i, p := range preds.Probs {
		fmt.Fprintln(out, preds.IDs[i])
		order := make([]int, len(p))
		for j := range order {
			order[j] = j
		}
		sort.SliceStable(order, func(a, b int) bool { return p[order[a]] > p[order[b]] })
		for _, c := range order[:min(*k, len(order))] {
			fmt.Fprintf(out, "  %6.2f%%  %s\n", 100*p[c], classes[c])
		}
	}
	return nil
}

// imageArgs expands folders into the image files below them (sorted).
func imageArgs(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && dataset.IsImageFile(p) {
				found = append(found, p)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no image file (extensions %v)", a, dataset.ImageExtensions)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}
