package transforms

// The resampling passes unrolled for windows of 2 to 7 source pixels (see
// coefficients.fixedWindows), which is what resizing to 224 pixels from up
// to about 3× that uses. All follow one pattern: out = clip8(half + Σ pixel·weight).

// horizontalKernels[n] resamples a row with n-pixel windows.
var horizontalKernels = [8]func(srow, trow []uint8, c *coefficients){
	2: horizontal2, 3: horizontal3, 4: horizontal4, 5: horizontal5, 6: horizontal6, 7: horizontal7,
}

// verticalKernels[n] combines n rows into one.
var verticalKernels = [8]func(out []uint8, rows *[7][]uint8, k []int32){
	2: vertical2, 3: vertical3, 4: vertical4, 5: vertical5, 6: vertical6, 7: vertical7,
}

func horizontal2(srow, trow []uint8, c *coefficients) {
	outW := len(trow) / 3
	for xx := 0; xx < outW; xx++ {
		k := (*[2]int32)(c.weights[xx*2:])
		p := (*[6]uint8)(srow[c.start[xx]*3:])
		ss0 := half + int32(p[0])*k[0] + int32(p[3])*k[1]
		ss1 := half + int32(p[1])*k[0] + int32(p[4])*k[1]
		ss2 := half + int32(p[2])*k[0] + int32(p[5])*k[1]
		t := (*[3]uint8)(trow[xx*3:])
		t[0], t[1], t[2] = clip8(ss0), clip8(ss1), clip8(ss2)
	}
}

func vertical2(out []uint8, rows *[7][]uint8, k []int32) {
	n := len(out)
	r0, r1 := rows[0][:n], rows[1][:n]
	k0, k1 := k[0], k[1]
	for i := range out {
		out[i] = clip8(half + int32(r0[i])*k0 + int32(r1[i])*k1)
	}
}

func horizontal3(srow, trow []uint8, c *coefficients) {
	outW := len(trow) / 3
	for xx := 0; xx < outW; xx++ {
		k := (*[3]int32)(c.weights[xx*3:])
		p := (*[9]uint8)(srow[c.start[xx]*3:])
		ss0 := half + int32(p[0])*k[0] + int32(p[3])*k[1] + int32(p[6])*k[2]
		ss1 := half + int32(p[1])*k[0] + int32(p[4])*k[1] + int32(p[7])*k[2]
		ss2 := half + int32(p[2])*k[0] + int32(p[5])*k[1] + int32(p[8])*k[2]
		t := (*[3]uint8)(trow[xx*3:])
		t[0], t[1], t[2] = clip8(ss0), clip8(ss1), clip8(ss2)
	}
}

func vertical3(out []uint8, rows *[7][]uint8, k []int32) {
	n := len(out)
	r0, r1, r2 := rows[0][:n], rows[1][:n], rows[2][:n]
	k0, k1, k2 := k[0], k[1], k[2]
	for i := range out {
		out[i] = clip8(half + int32(r0[i])*k0 + int32(r1[i])*k1 + int32(r2[i])*k2)
	}
}

func horizontal4(srow, trow []uint8, c *coefficients) {
	outW := len(trow) / 3
	for xx := 0; xx < outW; xx++ {
		k := (*[4]int32)(c.weights[xx*4:])
		p := (*[12]uint8)(srow[c.start[xx]*3:])
		ss0 := half + int32(p[0])*k[0] + int32(p[3])*k[1] + int32(p[6])*k[2] + int32(p[9])*k[3]
		ss1 := half + int32(p[1])*k[0] + int32(p[4])*k[1] + int32(p[7])*k[2] + int32(p[10])*k[3]
		ss2 := half + int32(p[2])*k[0] + int32(p[5])*k[1] + int32(p[8])*k[2] + int32(p[11])*k[3]
		t := (*[3]uint8)(trow[xx*3:])
		t[0], t[1], t[2] = clip8(ss0), clip8(ss1), clip8(ss2)
	}
}

func vertical4(out []uint8, rows *[7][]uint8, k []int32) {
	n := len(out)
	r0, r1, r2, r3 := rows[0][:n], rows[1][:n], rows[2][:n], rows[3][:n]
	k0, k1, k2, k3 := k[0], k[1], k[2], k[3]
	for i := range out {
		out[i] = clip8(half + int32(r0[i])*k0 + int32(r1[i])*k1 + int32(r2[i])*k2 + int32(r3[i])*k3)
	}
}

func horizontal5(srow, trow []uint8, c *coefficients) {
	outW := len(trow) / 3
	for xx := 0; xx < outW; xx++ {
		k := (*[5]int32)(c.weights[xx*5:])
		p := (*[15]uint8)(srow[c.start[xx]*3:])
		ss0 := half + int32(p[0])*k[0] + int32(p[3])*k[1] + int32(p[6])*k[2] + int32(p[9])*k[3] + int32(p[12])*k[4]
		ss1 := half + int32(p[1])*k[0] + int32(p[4])*k[1] + int32(p[7])*k[2] + int32(p[10])*k[3] + int32(p[13])*k[4]
		ss2 := half + int32(p[2])*k[0] + int32(p[5])*k[1] + int32(p[8])*k[2] + int32(p[11])*k[3] + int32(p[14])*k[4]
		t := (*[3]uint8)(trow[xx*3:])
		t[0], t[1], t[2] = clip8(ss0), clip8(ss1), clip8(ss2)
	}
}

func vertical5(out []uint8, rows *[7][]uint8, k []int32) {
	n := len(out)
	r0, r1, r2, r3, r4 := rows[0][:n], rows[1][:n], rows[2][:n], rows[3][:n], rows[4][:n]
	k0, k1, k2, k3, k4 := k[0], k[1], k[2], k[3], k[4]
	for i := range out {
		out[i] = clip8(half + int32(r0[i])*k0 + int32(r1[i])*k1 + int32(r2[i])*k2 + int32(r3[i])*k3 + int32(r4[i])*k4)
	}
}

func horizontal6(srow, trow []uint8, c *coefficients) {
	outW := len(trow) / 3
	for xx := 0; xx < outW; xx++ {
		k := (*[6]int32)(c.weights[xx*6:])
		p := (*[18]uint8)(srow[c.start[xx]*3:])
		ss0 := half + int32(p[0])*k[0] + int32(p[3])*k[1] + int32(p[6])*k[2] + int32(p[9])*k[3] + int32(p[12])*k[4] + int32(p[15])*k[5]
		ss1 := half + int32(p[1])*k[0] + int32(p[4])*k[1] + int32(p[7])*k[2] + int32(p[10])*k[3] + int32(p[13])*k[4] + int32(p[16])*k[5]
		ss2 := half + int32(p[2])*k[0] + int32(p[5])*k[1] + int32(p[8])*k[2] + int32(p[11])*k[3] + int32(p[14])*k[4] + int32(p[17])*k[5]
		t := (*[3]uint8)(trow[xx*3:])
		t[0], t[1], t[2] = clip8(ss0), clip8(ss1), clip8(ss2)
	}
}

func vertical6(out []uint8, rows *[7][]uint8, k []int32) {
	n := len(out)
	r0, r1, r2, r3, r4, r5 := rows[0][:n], rows[1][:n], rows[2][:n], rows[3][:n], rows[4][:n], rows[5][:n]
	k0, k1, k2, k3, k4, k5 := k[0], k[1], k[2], k[3], k[4], k[5]
	for i := range out {
		out[i] = clip8(half + int32(r0[i])*k0 + int32(r1[i])*k1 + int32(r2[i])*k2 + int32(r3[i])*k3 + int32(r4[i])*k4 + int32(r5[i])*k5)
	}
}

func horizontal7(srow, trow []uint8, c *coefficients) {
	outW := len(trow) / 3
	for xx := 0; xx < outW; xx++ {
		k := (*[7]int32)(c.weights[xx*7:])
		p := (*[21]uint8)(srow[c.start[xx]*3:])
		ss0 := half + int32(p[0])*k[0] + int32(p[3])*k[1] + int32(p[6])*k[2] + int32(p[9])*k[3] + int32(p[12])*k[4] + int32(p[15])*k[5] + int32(p[18])*k[6]
		ss1 := half + int32(p[1])*k[0] + int32(p[4])*k[1] + int32(p[7])*k[2] + int32(p[10])*k[3] + int32(p[13])*k[4] + int32(p[16])*k[5] + int32(p[19])*k[6]
		ss2 := half + int32(p[2])*k[0] + int32(p[5])*k[1] + int32(p[8])*k[2] + int32(p[11])*k[3] + int32(p[14])*k[4] + int32(p[17])*k[5] + int32(p[20])*k[6]
		t := (*[3]uint8)(trow[xx*3:])
		t[0], t[1], t[2] = clip8(ss0), clip8(ss1), clip8(ss2)
	}
}

func vertical7(out []uint8, rows *[7][]uint8, k []int32) {
	n := len(out)
	r0, r1, r2, r3, r4, r5, r6 := rows[0][:n], rows[1][:n], rows[2][:n], rows[3][:n], rows[4][:n], rows[5][:n], rows[6][:n]
	k0, k1, k2, k3, k4, k5, k6 := k[0], k[1], k[2], k[3], k[4], k[5], k[6]
	for i := range out {
		out[i] = clip8(half + int32(r0[i])*k0 + int32(r1[i])*k1 + int32(r2[i])*k2 + int32(r3[i])*k3 + int32(r4[i])*k4 + int32(r5[i])*k5 + int32(r6[i])*k6)
	}
}
