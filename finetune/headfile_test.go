package finetune

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/torch"
)

// A head file says how wide its hidden layer is and which classes its rows
// are; a list of names that does not match the rows is an error naming the
// file, found before a Net is sized from it.
func TestReadHeadConfigSizesTheHeadFromTheFile(t *testing.T) {
	dir := t.TempDir()
	net := tinyNet(t, 4) // a hidden layer of 32
	names := []string{"akita", "beagle", "corgi", "dingo"}
	path := filepath.Join(dir, "head.pt")
	require.NoError(t, SaveHead(path, net, names))
	classes, hidden, err := ReadHeadConfig(path)
	require.NoError(t, err)
	require.Equal(t, names, classes)
	require.Equal(t, 32, hidden)

	three := torch.MustFromSlice([]byte(strings.Join(names[:3], "\n")), int64(len(strings.Join(names[:3], "\n"))))
	defer three.Close()
	bad := filepath.Join(dir, "bad.pt")
	require.NoError(t, torch.SaveTensors(bad, append(net.Head.NamedParameters(), torch.NamedTensor{Name: "classes", Tensor: three})))
	_, _, err = ReadHeadConfig(bad)
	require.EqualError(t, err, bad+": the file names 3 classes, its output layer has 4")

	noHead := filepath.Join(dir, "nohead.pt")
	require.NoError(t, torch.SaveTensors(noHead, []torch.NamedTensor{{Name: "classes", Tensor: three}}))
	_, _, err = ReadHeadConfig(noHead)
	require.EqualError(t, err, noHead+": weights 0.weight [] and 2.weight [] are not a head Linear→ReLU→Linear")
}
