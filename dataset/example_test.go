package dataset_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"log"
	"math"
	"os"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/internal/demodata"
	"github.com/tunetorch/tunetorch/transforms"
)

// Example splits a Kaggle-layout dataset as the chapter's reorg_train_valid
// does (in memory here; ReorgKaggle writes the chapter's train_valid_test
// folders) and reads its training set in augmented batches. The batches
// depend on the seed, the epoch and each image's index only: any number of
// worker goroutines gives the same bytes.
func Example() {
	dir, err := os.MkdirTemp("", "tunetorch-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// labels.csv, train/ and test/ as Kaggle ships them, 3 breeds here.
	if err := demodata.Generate(demodata.Config{Dir: dir, Classes: demodata.Breeds()[:3], Scale: 0.1,
		MinSide: 40, MaxSide: 64, TestImages: 4, Seed: 1}); err != nil {
		log.Fatal(err)
	}
	split, err := dataset.SplitKaggle(dataset.DogBreedLayout(dir), 0.1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("train %d, valid %d (%d per breed), train+valid %d, test %d\n", split.Train.Len(),
		split.Valid.Len(), split.NValidPerLabel, split.TrainValid.Len(), split.Test.Len())

	augment := transforms.MustCompose(transforms.NewRandomResizedCrop(32), transforms.RandomHorizontalFlip{P: 0.5},
		transforms.ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4},
		transforms.ToTensor{}, transforms.ImageNetNormalize)
	epoch := func(workers int) (batches []string, digest uint64) {
		l, err := dataset.NewLoader(split.Train, dataset.LoaderConfig{BatchSize: 8, Shuffle: true, DropLast: true,
			Workers: workers, Seed: 7, Transform: augment})
		if err != nil {
			log.Fatal(err)
		}
		h := fnv.New64a()
		for b, err := range l.Batches(context.Background(), 0) {
			if err != nil {
				log.Fatal(err)
			}
			batches = append(batches, fmt.Sprintf("%dx%dx%dx%d", b.N, b.C, b.H, b.W))
			for _, v := range b.Images {
				bits := math.Float32bits(v)
				h.Write([]byte{byte(bits), byte(bits >> 8), byte(bits >> 16), byte(bits >> 24)})
			}
			l.Recycle(b) // its buffers serve a later batch
		}
		return batches, h.Sum64()
	}
	one, digestOne := epoch(1)
	four, digestFour := epoch(4)
	fmt.Println("batches:", one)
	fmt.Println("the same with 1 and 4 workers:", fmt.Sprint(one) == fmt.Sprint(four) && digestOne == digestFour)
	// Output:
	// train 27, valid 3 (1 per breed), train+valid 30, test 4
	// batches: [8x3x32x32 8x3x32x32 8x3x32x32]
	// the same with 1 and 4 workers: true
}
