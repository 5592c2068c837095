package transforms_test

import (
	"fmt"
	"log"
	"math/rand/v2"

	"github.com/tunetorch/tunetorch/transforms"
)

// Example runs the chapter's two pipelines on a JPEG. The pipeline prints as
// torchvision's repr, and the test transform (Resize 256, CenterCrop 224,
// ToTensor, Normalize) gives torchvision's values to the bit: PIL +
// torchvision 0.14 give -1.381540, -1.773109 and 0.775076 for this image too.
// The training augmentation draws from the generator it is given and from
// nothing else.
func Example() {
	test := transforms.MustCompose(transforms.ResizeShorter(256), transforms.CenterCropSquare(224),
		transforms.ToTensor{}, transforms.ImageNetNormalize)
	train := transforms.MustCompose(transforms.NewRandomResizedCrop(224), transforms.RandomHorizontalFlip{P: 0.5},
		transforms.ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4},
		transforms.ToTensor{}, transforms.ImageNetNormalize)
	fmt.Println(test)

	img, err := transforms.DecodeFile("testdata/images/j00_500x375_420.jpg", transforms.DecodeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("decoded %dx%d\n", img.W, img.H)
	t, err := test.ImageToTensor(img, nil)
	if err != nil {
		log.Fatal(err)
	}
	plane := t.H * t.W
	fmt.Printf("test: %dx%dx%d, first value of each channel %.6f %.6f %.6f\n",
		t.C, t.H, t.W, t.Data[0], t.Data[plane], t.Data[2*plane])

	a, err := train.ImageToTensor(img, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		log.Fatal(err)
	}
	b, err := train.ImageToTensor(img, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		log.Fatal(err)
	}
	same := len(a.Data) == len(b.Data)
	for i := 0; same && i < len(a.Data); i++ {
		same = a.Data[i] == b.Data[i]
	}
	fmt.Printf("train: %dx%dx%d, the same seed gives the same tensor: %v\n", a.C, a.H, a.W, same)
	// Output:
	// Compose(
	//     Resize(size=256, interpolation=bilinear, max_size=None, antialias=None)
	//     CenterCrop(size=(224, 224))
	//     ToTensor()
	//     Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
	// )
	// decoded 500x375
	// test: 3x224x224, first value of each channel -1.381540 -1.773109 0.775076
	// train: 3x224x224, the same seed gives the same tensor: true
}
