package transforms

// The inverse DCT that libjpeg-turbo runs by default (JDCT_ISLOW, jidctint.c:
// the Loeffler–Ligtenberg–Moschytz algorithm in 13-bit fixed point, two
// passes with 2 extra bits between them) and so the one PIL's pixels come
// from. It runs in 32-bit integers as libjpeg-turbo's SIMD versions (what
// PIL runs on x86-64) do; on real images they equal its C version. Go's
// image/jpeg uses another IDCT that rounds differently by a level here and
// there.

const (
	idctConstBits = 13
	idctPass1Bits = 2

	fix0298631336 = 2446
	fix0390180644 = 3196
	fix0541196100 = 4433
	fix0765366865 = 6270
	fix0899976223 = 7373
	fix1175875602 = 9633
	fix1501321110 = 12299
	fix1847759065 = 15137
	fix1961570560 = 16069
	fix2053119869 = 16819
	fix2562915447 = 20995
	fix3072711026 = 25172
)

// idctRangeLimit maps a pass-2 result (masked to 10 bits) to a sample:
// +128 and clamped to [0, 255], wrapping as libjpeg's table does for values
// beyond ±512 (which only corrupt data produces).
var idctRangeLimit [1024]uint8

func init() {
	for i := range idctRangeLimit {
		switch {
		case i < 128:
			idctRangeLimit[i] = uint8(i + 128)
		case i < 512:
			idctRangeLimit[i] = 255
		case i < 896:
			idctRangeLimit[i] = 0
		default:
			idctRangeLimit[i] = uint8(i - 896)
		}
	}
}

func descale(x int32, n uint) int32 { return (x + 1<<(n-1)) >> n }

// idctDCOnly is the output value of a block whose only non-zero coefficient
// is the (dequantized) DC: what the full transform gives for it.
func idctDCOnly(dc int32) uint8 {
	return idctRangeLimit[descale(dc<<idctPass1Bits, idctPass1Bits+3)&1023]
}

// idctISlow transforms the dequantized coefficients in natural (row-major)
// order into 8×8 samples at out[0:], rows stride apart.
func idctISlow(in *[64]int32, out []uint8, stride int) {
	var ws [64]int32
	for col := 0; col < 8; col++ {
		if in[8+col]|in[16+col]|in[24+col]|in[32+col]|in[40+col]|in[48+col]|in[56+col] == 0 {
			dc := in[col] << idctPass1Bits
			for r := 0; r < 8; r++ {
				ws[r*8+col] = dc
			}
			continue
		}
		// Even part.
		z2, z3 := in[16+col], in[48+col]
		z1 := (z2 + z3) * fix0541196100
		tmp2 := z1 - z3*fix1847759065
		tmp3 := z1 + z2*fix0765366865
		z2, z3 = in[col], in[32+col]
		tmp0 := (z2 + z3) << idctConstBits
		tmp1 := (z2 - z3) << idctConstBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		// Odd part.
		tmp0, tmp1, tmp2, tmp3 = in[56+col], in[40+col], in[24+col], in[8+col]
		o0, o1, o2, o3 := oddPart(tmp0, tmp1, tmp2, tmp3)
		const sh = idctConstBits - idctPass1Bits
		ws[0*8+col] = descale(tmp10+o3, sh)
		ws[7*8+col] = descale(tmp10-o3, sh)
		ws[1*8+col] = descale(tmp11+o2, sh)
		ws[6*8+col] = descale(tmp11-o2, sh)
		ws[2*8+col] = descale(tmp12+o1, sh)
		ws[5*8+col] = descale(tmp12-o1, sh)
		ws[3*8+col] = descale(tmp13+o0, sh)
		ws[4*8+col] = descale(tmp13-o0, sh)
	}
	for row := 0; row < 8; row++ {
		w := ws[row*8 : row*8+8 : row*8+8]
		o := out[row*stride : row*stride+8 : row*stride+8]
		if w[1]|w[2]|w[3]|w[4]|w[5]|w[6]|w[7] == 0 {
			v := idctRangeLimit[descale(w[0], idctPass1Bits+3)&1023]
			o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7] = v, v, v, v, v, v, v, v
			continue
		}
		z2, z3 := w[2], w[6]
		z1 := (z2 + z3) * fix0541196100
		tmp2 := z1 - z3*fix1847759065
		tmp3 := z1 + z2*fix0765366865
		tmp0 := (w[0] + w[4]) << idctConstBits
		tmp1 := (w[0] - w[4]) << idctConstBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		o0, o1, o2, o3 := oddPart(w[7], w[5], w[3], w[1])
		const sh = idctConstBits + idctPass1Bits + 3
		o[0] = idctRangeLimit[descale(tmp10+o3, sh)&1023]
		o[7] = idctRangeLimit[descale(tmp10-o3, sh)&1023]
		o[1] = idctRangeLimit[descale(tmp11+o2, sh)&1023]
		o[6] = idctRangeLimit[descale(tmp11-o2, sh)&1023]
		o[2] = idctRangeLimit[descale(tmp12+o1, sh)&1023]
		o[5] = idctRangeLimit[descale(tmp12-o1, sh)&1023]
		o[3] = idctRangeLimit[descale(tmp13+o0, sh)&1023]
		o[4] = idctRangeLimit[descale(tmp13-o0, sh)&1023]
	}
}

// oddPart is the odd half of both passes, from the inputs at positions
// 7, 5, 3 and 1; it returns the terms added to and subtracted from
// positions 3/4, 2/5, 1/6 and 0/7.
func oddPart(tmp0, tmp1, tmp2, tmp3 int32) (int32, int32, int32, int32) {
	z1, z2 := tmp0+tmp3, tmp1+tmp2
	z3, z4 := tmp0+tmp2, tmp1+tmp3
	z5 := (z3 + z4) * fix1175875602
	tmp0 *= fix0298631336
	tmp1 *= fix2053119869
	tmp2 *= fix3072711026
	tmp3 *= fix1501321110
	z1 *= -fix0899976223
	z2 *= -fix2562915447
	z3 = z3*-fix1961570560 + z5
	z4 = z4*-fix0390180644 + z5
	return tmp0 + z1 + z3, tmp1 + z2 + z4, tmp2 + z2 + z3, tmp3 + z1 + z4
}
