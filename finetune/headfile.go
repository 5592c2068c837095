package finetune

import (
	"fmt"
	"strings"

	"github.com/tunetorch/tunetorch/torch"
)

// SaveHead writes the trained head and its class names to path in
// torch.save's format: the head's state_dict entries ("0.weight", ...) plus
// "classes", the names as UTF-8 bytes separated by newlines (a uint8 tensor).
func SaveHead(path string, net *Net, classes []string) error {
	if len(classes) != net.Classes {
		return fmt.Errorf("finetune: %d class names for a head of %d classes", len(classes), net.Classes)
	}
	joined := []byte(strings.Join(classes, "\n"))
	names := torch.MustFromSlice(joined, int64(len(joined)))
	defer names.Close()
	ts := append(net.Head.NamedParameters(), torch.NamedTensor{Name: "classes", Tensor: names})
	return torch.SaveTensors(path, ts)
}

// LoadHead reads a file written by SaveHead into net's head and returns the
// class names. A head of another shape is an error naming the file.
func LoadHead(path string, net *Net) ([]string, error) {
	ts, classes, err := readHeadFile(path)
	if err != nil {
		return nil, err
	}
	defer torch.CloseNamed(ts)
	if len(classes) != net.Classes {
		return nil, fmt.Errorf("%s: the file names %d classes, the head has %d", path, len(classes), net.Classes)
	}
	var params []torch.NamedTensor
	for _, nt := range ts {
		if nt.Name != "classes" {
			params = append(params, nt)
		}
	}
	if err := torch.LoadParameters(net.Head, params); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return classes, nil
}

// ReadHeadClasses returns the class names stored in a head file, to size a
// Net before LoadHead.
func ReadHeadClasses(path string) ([]string, error) {
	classes, _, err := ReadHeadConfig(path)
	return classes, err
}

// ReadHeadConfig returns the class names stored in a head file and the width
// of its hidden layer, to size a Net before LoadHead (NetConfig's Classes and
// Hidden). The names must match the output layer's rows.
func ReadHeadConfig(path string) (classes []string, hidden int, err error) {
	ts, classes, err := readHeadFile(path)
	if err != nil {
		return nil, 0, err
	}
	defer torch.CloseNamed(ts)
	shapes := map[string][]int64{}
	for _, nt := range ts {
		shapes[nt.Name] = nt.Tensor.Shape()
	}
	in, out := shapes["0.weight"], shapes["2.weight"]
	if len(in) != 2 || len(out) != 2 || out[1] != in[0] {
		return nil, 0, fmt.Errorf("%s: weights 0.weight %v and 2.weight %v are not a head Linear→ReLU→Linear", path, in, out)
	}
	if out[0] != int64(len(classes)) {
		return nil, 0, fmt.Errorf("%s: the file names %d classes, its output layer has %d", path, len(classes), out[0])
	}
	return classes, int(in[0]), nil
}

// readHeadFile returns the entries of a head file (the caller closes them)
// and the class names it stores.
func readHeadFile(path string) ([]torch.NamedTensor, []string, error) {
	ts, err := torch.LoadTensors(path)
	if err != nil {
		return nil, nil, err
	}
	for _, nt := range ts {
		if nt.Name == "classes" {
			b, err := torch.Data[uint8](nt.Tensor)
			if err != nil {
				torch.CloseNamed(ts)
				return nil, nil, fmt.Errorf("%s: classes: %w", path, err)
			}
			return ts, strings.Split(string(b), "\n"), nil
		}
	}
	torch.CloseNamed(ts)
	return nil, nil, fmt.Errorf("%s: no \"classes\" entry: not a head file written by dogbreed --save-head", path)
}
