//go:build amd64 && !purego

#include "textflag.h"

// The resampling passes of resample.go with AVX2: the same fixed-point sums
// (half + Σ pixel·weight in int32, shifted right by precisionBits and
// clamped to 255), 32 values a step in the vertical pass and one pixel's
// three channels of two rows a step in the horizontal one, so the results
// are identical.

// func verticalAVX2(out *uint8, n int, rows *[7]*uint8, k *int32, taps int)
// out[i] = clip8(half + Σ_j rows[j][i]·k[j]) for i < n; n is a multiple of 32.
TEXT ·verticalAVX2(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ rows+16(FP), SI
	MOVQ k+24(FP), DX
	MOVQ taps+32(FP), R8
	MOVL $0x200000, AX
	MOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0, R9
	// VPERMD's order for the packed bytes: see below.
	VMOVDQU ·packOrder(SB), Y14

vloop:
	CMPQ R9, CX
	JGE  vdone
	VMOVDQA Y15, Y0
	VMOVDQA Y15, Y1
	VMOVDQA Y15, Y2
	VMOVDQA Y15, Y3
	MOVL $0, R10

vtap:
	MOVQ (SI)(R10*8), R11
	ADDQ R9, R11
	VPBROADCASTD (DX)(R10*4), Y4
	VPMOVZXBD (R11), Y5
	VPMOVZXBD 8(R11), Y6
	VPMOVZXBD 16(R11), Y7
	VPMOVZXBD 24(R11), Y8
	VPMULLD Y4, Y5, Y5
	VPMULLD Y4, Y6, Y6
	VPMULLD Y4, Y7, Y7
	VPMULLD Y4, Y8, Y8
	VPADDD Y5, Y0, Y0
	VPADDD Y6, Y1, Y1
	VPADDD Y7, Y2, Y2
	VPADDD Y8, Y3, Y3
	INCQ R10
	CMPQ R10, R8
	JLT  vtap

	// The sums are never negative, so a logical shift is the arithmetic one;
	// the packs saturate, which is the clamp to 255.
	VPSRLD $22, Y0, Y0
	VPSRLD $22, Y1, Y1
	VPSRLD $22, Y2, Y2
	VPSRLD $22, Y3, Y3
	VPACKUSDW Y1, Y0, Y0 // words 0-3 8-11 | 4-7 12-15
	VPACKUSDW Y3, Y2, Y2 // words 16-19 24-27 | 20-23 28-31
	VPACKUSWB Y2, Y0, Y0 // dwords 0 8 16 24 | 4 12 20 28 (bytes)
	VPERMD Y0, Y14, Y0
	VMOVDQU Y0, (DI)(R9*1)
	ADDQ $32, R9
	JMP  vloop

vdone:
	VZEROUPPER
	RET

// packOrder is VPERMD's order for the bytes of VPACKUSDW a,b then c,d and
// VPACKUSWB of the two (32-bit lanes of a, b, c, d in, bytes out lane by
// lane): back to a's, b's, c's and d's values in order. The IDCT uses it too.
DATA ·packOrder+0(SB)/4, $0
DATA ·packOrder+4(SB)/4, $4
DATA ·packOrder+8(SB)/4, $1
DATA ·packOrder+12(SB)/4, $5
DATA ·packOrder+16(SB)/4, $2
DATA ·packOrder+20(SB)/4, $6
DATA ·packOrder+24(SB)/4, $3
DATA ·packOrder+28(SB)/4, $7
GLOBL ·packOrder(SB), RODATA|NOPTR, $32

// func horizontal2AVX2(srow0, srow1, trow0, trow1 *uint8, outW int, start *int, weights *int32, taps int)
// For each output xx < outW and each row r of the two: the three channels
// of pixel xx of trow_r are
// clip8(half + Σ_j srow_r[3·(start[xx]+j)+c]·weights[xx·taps+j]). taps ≥ 2.
// The rows share their windows and weights: row 0 in the low 128-bit lane,
// row 1 in the high one, so each tap takes one multiply for both (one row:
// pass it twice, the same bytes are written twice). It reads no byte
// outside the windows and writes none outside the trows' 3·outW bytes.
TEXT ·horizontal2AVX2(SB), NOSPLIT, $0-64
	MOVQ srow0+0(FP), SI
	MOVQ srow1+8(FP), R13
	SUBQ SI, R13 // row 1's bytes at the same offsets: (AX)(R13*1)
	MOVQ trow0+16(FP), DI
	MOVQ trow1+24(FP), R12
	SUBQ DI, R12
	MOVQ outW+32(FP), CX
	MOVQ start+40(FP), BX
	MOVQ weights+48(FP), DX
	MOVQ taps+56(FP), R8
	MOVL $0x200000, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	DECQ R8 // the taps before the last

h2loop:
	TESTQ CX, CX
	JE    h2done
	MOVQ (BX), AX
	LEAQ (AX)(AX*2), AX
	ADDQ SI, AX // the window's first pixel in row 0
	VMOVDQA Y15, Y0
	MOVQ R8, R10

h2tap:
	VMOVD   (AX), X1            // pixel j's three values and the next one's first, row 0
	VPINSRD $1, (AX)(R13*1), X1, X1 // and row 1
	VPMOVZXBD X1, Y1
	VPBROADCASTD (DX), Y2
	VPMULLD Y2, Y1, Y1
	VPADDD  Y1, Y0, Y0
	ADDQ $3, AX
	ADDQ $4, DX
	DECQ R10
	JNE  h2tap

	// The last pixel: its four bytes read one early (the window's last byte
	// may end the row), then moved down one byte.
	MOVL -1(AX), R11
	SHRL $8, R11
	MOVL -1(AX)(R13*1), R9
	SHRL $8, R9
	VMOVD R11, X1
	VPINSRD $1, R9, X1, X1
	VPMOVZXBD X1, Y1
	VPBROADCASTD (DX), Y2
	VPMULLD Y2, Y1, Y1
	VPADDD  Y1, Y0, Y0
	ADDQ $4, DX

	VPSRLD $22, Y0, Y0
	VPACKUSDW Y0, Y0, Y0 // within each lane
	VPACKUSWB Y0, Y0, Y0
	VMOVD X0, R11
	VEXTRACTI128 $1, Y0, X1
	VMOVD X1, R9
	MOVW R11, (DI)
	SHRL $16, R11
	MOVB R11, 2(DI)
	MOVW R9, (DI)(R12*1)
	SHRL $16, R9
	MOVB R9, 2(DI)(R12*1)
	ADDQ $3, DI
	ADDQ $8, BX
	DECQ CX
	JMP  h2loop

h2done:
	VZEROUPPER
	RET
