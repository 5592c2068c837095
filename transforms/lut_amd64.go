//go:build amd64 && !purego

package transforms

import (
	"math"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// vbmiAvailable: the AVX-512 VBMI assembly (lut_amd64.s) can run here. It
// runs where the AVX2 assembly is on (UseSIMD) and this holds.
var vbmiAvailable = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VBMI

//go:noescape
func mapBytesVBMI(out, in *uint8, n int, lut *[256]uint8)

//go:noescape
func toTensorAVX512(rd, gd, bd *float32, pix *uint8, groups int, lut *[256]uint8, k *tensorConsts)

// vbmiOn reports whether the AVX-512 VBMI assembly is to run.
func vbmiOn() bool { return vbmiAvailable && simdOn.Load() }

// mapBytesSIMD maps the whole groups of 64 bytes of in into out with AVX-512
// VBMI and returns how many bytes it mapped (0 without it).
func mapBytesSIMD(out, in []uint8, lut *[256]uint8) int {
	n := len(in) &^ 63
	if n == 0 || !vbmiOn() {
		return 0
	}
	_ = out[n-1]
	mapBytesVBMI(&out[0], &in[0], n, lut)
	return n
}

// tensorConsts is what toTensorAVX512 divides by and subtracts: 255 and its
// reciprocal, then per channel the mean, the standard deviation and its
// reciprocal, in float32.
type tensorConsts [11]float32

// toTensorSIMD does what it can of toTensor's loop with AVX-512 VBMI: the
// pixels of whole groups of 16 whose 64 bytes from the group's first lie
// in pix, their values mapped by pre (the identity where none is pending).
// It returns how many pixels it converted (0 without it, or where
// its arithmetic does not give a division's values for norm).
func toTensorSIMD(r, g, b []float32, pix []uint8, pre *[256]uint8, norm *Normalize) int {
	if len(pix) < 64 || !vbmiOn() {
		return 0
	}
	k := tensorConstsFor(norm)
	if k == nil {
		return 0
	}
	groups := (len(pix) - 16) / 48
	_, _, _ = r[groups*16-1], g[groups*16-1], b[groups*16-1]
	toTensorAVX512(&r[0], &g[0], &b[0], &pix[0], groups, pre, k)
	return groups * 16
}

// tensorConstsCache holds tensorConstsFor's answers by normalisation, for
// at most keptTensorConsts of them (a program that makes a normalisation per
// image has the others worked out each time, not kept).
var (
	tensorConstsCache sync.Map // tensorNorm → *tensorConsts (nil: not exact)
	tensorConstsKept  atomic.Int32
)

// keptTensorConsts bounds tensorConstsCache.
const keptTensorConsts = 64

// tensorNorm keys tensorConstsCache: a Normalize, or none.
type tensorNorm struct {
	norm Normalize
	set  bool
}

// tensorConstsFor returns toTensorAVX512's constants for norm (nil: no
// normalisation), or nil where its quotients (a product corrected by one
// fused multiply-add, Markstein's way) are not the divisions' for every
// byte value: tried once per norm on the 256 values, so that the assembly
// runs only where it gives toTensor's values to the bit.
func tensorConstsFor(norm *Normalize) *tensorConsts {
	key := tensorNorm{set: norm != nil}
	if norm != nil {
		key.norm = *norm
	}
	if k, ok := tensorConstsCache.Load(key); ok {
		return k.(*tensorConsts)
	}
	k := &tensorConsts{255, float32(1.0 / 255)}
	for c := range 3 {
		mean, std := float32(0), float32(1)
		if norm != nil {
			mean, std = float32(norm.Mean[c]), float32(norm.Std[c])
		}
		k[2+c], k[5+c], k[8+c] = mean, std, float32(1/float64(std))
	}
	if !tensorConstsExact(k, norm) {
		k = nil
	}
	if tensorConstsKept.Add(1) <= keptTensorConsts {
		tensorConstsCache.Store(key, k)
	}
	return k
}

// tensorConstsExact runs toTensorAVX512 with k on every byte value in every
// channel and reports whether it gave tensorValue's results, bit for bit.
func tensorConstsExact(k *tensorConsts, norm *Normalize) bool {
	const n = 256
	pix := make([]uint8, 3*n+16)
	for v := range n {
		pix[3*v], pix[3*v+1], pix[3*v+2] = uint8(v), uint8(v), uint8(v)
	}
	out := make([]float32, 3*n)
	toTensorAVX512(&out[0], &out[n], &out[2*n], &pix[0], n/16, &identity, k)
	for c := range 3 {
		for v := range n {
			if math.Float32bits(out[c*n+v]) != math.Float32bits(tensorValue(uint8(v), c, norm)) {
				return false
			}
		}
	}
	return true
}
