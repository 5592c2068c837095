package torch

import (
	"fmt"
	"strconv"
	"strings"
)

// DeviceType is the kind of a device.
type DeviceType int

// The device types.
const (
	DeviceCPU DeviceType = iota
	DeviceCUDA
)

// Device is where a tensor or module lives: the CPU, or one CUDA GPU.
type Device struct {
	Type  DeviceType
	Index int // the GPU's ordinal; 0 for the CPU
}

// CPU is the host processor.
var CPU = Device{Type: DeviceCPU}

// CUDA returns the CUDA GPU with ordinal i.
func CUDA(i int) Device { return Device{Type: DeviceCUDA, Index: i} }

// IsCUDA reports whether d is a CUDA GPU.
func (d Device) IsCUDA() bool { return d.Type == DeviceCUDA }

// String returns "cpu" or "cuda:N", the form ParseDevice reads.
func (d Device) String() string {
	if d.Type == DeviceCUDA {
		return "cuda:" + strconv.Itoa(d.Index)
	}
	return "cpu"
}

// ParseDevice reads "cpu", "cuda" (GPU 0) or "cuda:N". It checks the syntax
// only: whether the device exists is known when something is moved there.
func ParseDevice(s string) (Device, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); {
	case v == "cpu":
		return CPU, nil
	case v == "cuda":
		return CUDA(0), nil
	case strings.HasPrefix(v, "cuda:"):
		i, err := strconv.Atoi(v[len("cuda:"):])
		if err != nil || i < 0 {
			return Device{}, fmt.Errorf("torch: invalid device %q: want cuda:N with N a GPU ordinal ≥ 0", s)
		}
		return CUDA(i), nil
	}
	return Device{}, fmt.Errorf("torch: invalid device %q: want cpu, cuda or cuda:N", s)
}
