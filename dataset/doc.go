// Package dataset reads image datasets in pure Go: Kaggle-style labels.csv
// files, the chapter's train/valid split (d2l's reorg_train_valid, on disk
// or in memory), torchvision-style ImageFolder trees, and a parallel Loader
// that decodes, transforms and batches images into NCHW float32 buffers,
// optionally keeping the decoded images for later epochs (ImageCache).
//
// A Loader's output depends only on its seed, the epoch and each sample's
// index, never on the number of workers.
package dataset
