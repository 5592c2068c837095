package finetune_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/finetune"
	"github.com/tunetorch/tunetorch/internal/demodata"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// Example is the chapter in a page: the Kaggle data split into train and
// valid, the chapter's augmentation, a head trained with validation on the
// frozen backbone, a fresh head retrained on train+valid, and the test set's
// softmax probabilities written as a submission.
//
// It runs on a small generated dataset in the Kaggle layout and a tiny
// TorchScript backbone at 32 px, so that it runs as a test. For the chapter,
// point dataset.DogBreedLayout at the Kaggle data, load a ResNet-34 exported
// by scripts/export_backbone.py, and use 224 px crops (Resize 256, CenterCrop
// 224 for the test transform), batches of 128 and 10 epochs, as
// examples/dogbreed does.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tunetorch-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// labels.csv, train/ and test/, as Kaggle ships them: 4 breeds here.
	if err := demodata.Generate(demodata.Config{Dir: dir, Classes: demodata.Breeds()[:4], Scale: 0.2,
		MinSide: 40, MaxSide: 72, TestImages: 6, Seed: 1}); err != nil {
		log.Fatal(err)
	}
	split, err := dataset.SplitKaggle(dataset.DogBreedLayout(dir), 0.1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d training, %d validation, %d test images, breeds %v\n",
		split.Train.Len(), split.Valid.Len(), split.Test.Len(), split.Train.Classes)

	augment := transforms.MustCompose(transforms.NewRandomResizedCrop(32), transforms.RandomHorizontalFlip{P: 0.5},
		transforms.ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4},
		transforms.ToTensor{}, transforms.ImageNetNormalize)
	evaluate := transforms.MustCompose(transforms.ResizeShorter(36), transforms.CenterCropSquare(32),
		transforms.ToTensor{}, transforms.ImageNetNormalize)
	loader := func(ds *dataset.Dataset, t transforms.Transform, training bool) *dataset.Loader {
		l, err := dataset.NewLoader(ds, dataset.LoaderConfig{BatchSize: 16, Shuffle: training, DropLast: training,
			Transform: t, Seed: 1})
		if err != nil {
			log.Fatal(err)
		}
		return l
	}

	// The frozen backbone and the chapter's head, k→256→ReLU→classes, with
	// k read from the backbone (1000 for ResNet-34).
	net, err := finetune.LoadNet("testdata/tiny_backbone.pt", finetune.NetConfig{
		Classes: len(split.Train.Classes), InputSize: 32, Device: torch.CPU, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()
	cfg := finetune.TrainConfig{Epochs: 2, LR: 1e-4, WeightDecay: 1e-4, Momentum: 0.9, LRPeriod: 2, LRDecay: 0.9,
		CacheValidFeatures: true} // Log: os.Stdout prints a line per epoch
	hist, err := finetune.Train(ctx, net, loader(split.Train, augment, true), loader(split.Valid, evaluate, false), cfg)
	if err != nil {
		log.Fatal(err)
	}
	last := hist.Epochs[len(hist.Epochs)-1]
	fmt.Printf("trained %d epochs, the losses finite: %v\n", len(hist.Epochs),
		!math.IsNaN(last.TrainLoss+last.ValidLoss) && !math.IsInf(last.TrainLoss+last.ValidLoss, 0))

	// The chapter then retrains a fresh head on train+valid and predicts.
	if err := net.ResetHead(1); err != nil {
		log.Fatal(err)
	}
	if _, err := finetune.Train(ctx, net, loader(split.TrainValid, augment, true), nil, cfg); err != nil {
		log.Fatal(err)
	}
	preds, err := finetune.Predict(ctx, net, loader(split.Test, evaluate, false))
	if err != nil {
		log.Fatal(err)
	}
	out := filepath.Join(dir, "submission.csv")
	if err := finetune.WriteSubmission(out, split.TrainValid.Classes, preds); err != nil {
		log.Fatal(err)
	}

	f, err := os.Open(out)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("submission.csv: %d rows after the header %v\n", len(rows)-1, rows[0])
	sumsToOne := true
	for _, row := range rows[1:] {
		sum := 0.0
		for _, v := range row[1:] {
			p, err := strconv.ParseFloat(v, 64)
			if err != nil {
				log.Fatal(err)
			}
			sum += p
		}
		sumsToOne = sumsToOne && math.Abs(sum-1) < 1e-4
	}
	fmt.Println("each row's probabilities sum to 1:", sumsToOne)
	// Output:
	// 82 training, 4 validation, 6 test images, breeds [affenpinscher afghan_hound african_hunting_dog airedale]
	// trained 2 epochs, the losses finite: true
	// submission.csv: 6 rows after the header [id affenpinscher afghan_hound african_hunting_dog airedale]
	// each row's probabilities sum to 1: true
}
