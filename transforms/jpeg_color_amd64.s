//go:build amd64 && !purego

#include "textflag.h"

// convert420Row's inner loop (jpeg_color.go) with AVX2: libjpeg's fancy
// 2×2 upsampling's horizontal half and its YCbCr→RGB conversion, computed
// with the arithmetic its tables hold (so the bytes are the same), for 16
// pixels (8 chroma samples) at a time.

// CHROMA computes the chroma of the left (into L) and right (into R) pixel
// of each of 8 pairs from the column sums at S, less 128:
// (3·s[i] + s[i∓1] + 8 or 7) >> 4. The sums are at most 1020, so the
// results are at most 255 (libjpeg's & 255 does nothing). Clobbers Y0, Y3.
#define CHROMA(S, L, R) \
	VMOVDQU (S), Y0; \
	VPSLLD  $1, Y0, Y3; \
	VPADDD  Y0, Y3, Y3; \
	VPADDD  -4(S), Y3, L; \
	VPADDD  4(S), Y3, R; \
	VPADDD  ·ycc8<>(SB), L, L; \
	VPADDD  ·ycc7<>(SB), R, R; \
	VPSRLD  $4, L, L; \
	VPSRLD  $4, R, R; \
	VPSUBD  ·ycc128<>(SB), L, L; \
	VPSUBD  ·ycc128<>(SB), R, R

// func convert420AVX2(yrow *uint8, cb, cr *int32, out *uint8, groups int)
// Pixels 2i and 2i+1 (i < 8·groups) take the column sums cb[i-1..i+1] and
// cr[i-1..i+1]: cb[-1] and cb[8·groups] must exist.
TEXT ·convert420AVX2(SB), NOSPLIT, $0-40
	MOVQ yrow+0(FP), SI
	MOVQ cb+8(FP), R8
	MOVQ cr+16(FP), R9
	MOVQ out+24(FP), DI
	MOVQ groups+32(FP), CX

cloop:
	TESTQ CX, CX
	JE    cdone

	CHROMA(R8, Y1, Y2)
	CHROMA(R9, Y4, Y5)

	// Blue: cbB = (FIX(1.772)·cb + ½) >> 16, into Y6 (L), Y7 (R).
	VPMULLD ·yccFixB<>(SB), Y1, Y6
	VPMULLD ·yccFixB<>(SB), Y2, Y7
	VPADDD  ·yccHalf<>(SB), Y6, Y6
	VPADDD  ·yccHalf<>(SB), Y7, Y7
	VPSRAD  $16, Y6, Y6
	VPSRAD  $16, Y7, Y7

	// Red: crR = (FIX(1.402)·cr + ½) >> 16, into Y8 (L), Y9 (R).
	VPMULLD ·yccFixR<>(SB), Y4, Y8
	VPMULLD ·yccFixR<>(SB), Y5, Y9
	VPADDD  ·yccHalf<>(SB), Y8, Y8
	VPADDD  ·yccHalf<>(SB), Y9, Y9
	VPSRAD  $16, Y8, Y8
	VPSRAD  $16, Y9, Y9

	// Green: (−FIX(0.34414)·cb + ½ − FIX(0.71414)·cr) >> 16, into Y1 (L), Y2 (R).
	VPMULLD ·yccFixGCb<>(SB), Y1, Y1
	VPMULLD ·yccFixGCb<>(SB), Y2, Y2
	VPMULLD ·yccFixGCr<>(SB), Y4, Y4
	VPMULLD ·yccFixGCr<>(SB), Y5, Y5
	VPADDD  Y4, Y1, Y1
	VPADDD  Y5, Y2, Y2
	VPADDD  ·yccHalf<>(SB), Y1, Y1
	VPADDD  ·yccHalf<>(SB), Y2, Y2
	VPSRAD  $16, Y1, Y1
	VPSRAD  $16, Y2, Y2

	// Luma: the pairs' left pixels into Y4, right into Y5.
	VMOVDQU   (SI), X3
	VPSHUFB   ·yccEvenOdd<>(SB), X3, X3
	VPMOVZXBD X3, Y4
	VPSRLDQ   $8, X3, X3
	VPMOVZXBD X3, Y5
	VPADDD    Y4, Y8, Y8
	VPADDD    Y5, Y9, Y9
	VPADDD    Y4, Y1, Y1
	VPADDD    Y5, Y2, Y2
	VPADDD    Y4, Y6, Y6
	VPADDD    Y5, Y7, Y7

	// To bytes, clamped to [0, 255] by the saturating packs: each channel's
	// 16 values in the order L0-3 R0-3 L4-7 R4-7.
	VPACKSSDW   Y9, Y8, Y8
	VEXTRACTI128 $1, Y8, X9
	VPACKUSWB   X9, X8, X8
	VPACKSSDW   Y2, Y1, Y1
	VEXTRACTI128 $1, Y1, X2
	VPACKUSWB   X2, X1, X1
	VPACKSSDW   Y7, Y6, Y6
	VEXTRACTI128 $1, Y6, X7
	VPACKUSWB   X7, X6, X6

	// Interleaved as RGB: 48 bytes in three blocks.
	VPSHUFB ·yccR0<>(SB), X8, X10
	VPSHUFB ·yccG0<>(SB), X1, X11
	VPOR    X11, X10, X10
	VPSHUFB ·yccB0<>(SB), X6, X11
	VPOR    X11, X10, X10
	VMOVDQU X10, (DI)
	VPSHUFB ·yccR1<>(SB), X8, X10
	VPSHUFB ·yccG1<>(SB), X1, X11
	VPOR    X11, X10, X10
	VPSHUFB ·yccB1<>(SB), X6, X11
	VPOR    X11, X10, X10
	VMOVDQU X10, 16(DI)
	VPSHUFB ·yccR2<>(SB), X8, X10
	VPSHUFB ·yccG2<>(SB), X1, X11
	VPOR    X11, X10, X10
	VPSHUFB ·yccB2<>(SB), X6, X11
	VPOR    X11, X10, X10
	VMOVDQU X10, 32(DI)

	ADDQ $16, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $48, DI
	DECQ CX
	JMP  cloop

cdone:
	VZEROUPPER
	RET

// The shuffles that interleave the channels (byte 0x80: none of this
// channel), the luma's even-odd split, and the constants, eight of each.
DATA ·yccR0<>+0(SB)/8, $0x8001808004808000
DATA ·yccR0<>+8(SB)/8, $0x0680800280800580
GLOBL ·yccR0<>(SB), RODATA|NOPTR, $16
DATA ·yccR1<>+0(SB)/8, $0x8080078080038080
DATA ·yccR1<>+8(SB)/8, $0x800980800c808008
GLOBL ·yccR1<>(SB), RODATA|NOPTR, $16
DATA ·yccR2<>+0(SB)/8, $0x0e80800a80800d80
DATA ·yccR2<>+8(SB)/8, $0x80800f80800b8080
GLOBL ·yccR2<>(SB), RODATA|NOPTR, $16
DATA ·yccG0<>+0(SB)/8, $0x0180800480800080
DATA ·yccG0<>+8(SB)/8, $0x8080028080058080
GLOBL ·yccG0<>(SB), RODATA|NOPTR, $16
DATA ·yccG1<>+0(SB)/8, $0x8007808003808006
DATA ·yccG1<>+8(SB)/8, $0x0980800c80800880
GLOBL ·yccG1<>(SB), RODATA|NOPTR, $16
DATA ·yccG2<>+0(SB)/8, $0x80800a80800d8080
DATA ·yccG2<>+8(SB)/8, $0x800f80800b80800e
GLOBL ·yccG2<>(SB), RODATA|NOPTR, $16
DATA ·yccB0<>+0(SB)/8, $0x8080048080008080
DATA ·yccB0<>+8(SB)/8, $0x8002808005808001
GLOBL ·yccB0<>(SB), RODATA|NOPTR, $16
DATA ·yccB1<>+0(SB)/8, $0x0780800380800680
DATA ·yccB1<>+8(SB)/8, $0x80800c8080088080
GLOBL ·yccB1<>(SB), RODATA|NOPTR, $16
DATA ·yccB2<>+0(SB)/8, $0x800a80800d808009
DATA ·yccB2<>+8(SB)/8, $0x0f80800b80800e80
GLOBL ·yccB2<>(SB), RODATA|NOPTR, $16
DATA ·yccEvenOdd<>+0(SB)/8, $0x0e0c0a0806040200
DATA ·yccEvenOdd<>+8(SB)/8, $0x0f0d0b0907050301
GLOBL ·yccEvenOdd<>(SB), RODATA|NOPTR, $16
DATA ·ycc8<>+0(SB)/4, $0x00000008
DATA ·ycc8<>+4(SB)/4, $0x00000008
DATA ·ycc8<>+8(SB)/4, $0x00000008
DATA ·ycc8<>+12(SB)/4, $0x00000008
DATA ·ycc8<>+16(SB)/4, $0x00000008
DATA ·ycc8<>+20(SB)/4, $0x00000008
DATA ·ycc8<>+24(SB)/4, $0x00000008
DATA ·ycc8<>+28(SB)/4, $0x00000008
GLOBL ·ycc8<>(SB), RODATA|NOPTR, $32
DATA ·ycc7<>+0(SB)/4, $0x00000007
DATA ·ycc7<>+4(SB)/4, $0x00000007
DATA ·ycc7<>+8(SB)/4, $0x00000007
DATA ·ycc7<>+12(SB)/4, $0x00000007
DATA ·ycc7<>+16(SB)/4, $0x00000007
DATA ·ycc7<>+20(SB)/4, $0x00000007
DATA ·ycc7<>+24(SB)/4, $0x00000007
DATA ·ycc7<>+28(SB)/4, $0x00000007
GLOBL ·ycc7<>(SB), RODATA|NOPTR, $32
DATA ·ycc128<>+0(SB)/4, $0x00000080
DATA ·ycc128<>+4(SB)/4, $0x00000080
DATA ·ycc128<>+8(SB)/4, $0x00000080
DATA ·ycc128<>+12(SB)/4, $0x00000080
DATA ·ycc128<>+16(SB)/4, $0x00000080
DATA ·ycc128<>+20(SB)/4, $0x00000080
DATA ·ycc128<>+24(SB)/4, $0x00000080
DATA ·ycc128<>+28(SB)/4, $0x00000080
GLOBL ·ycc128<>(SB), RODATA|NOPTR, $32
DATA ·yccHalf<>+0(SB)/4, $0x00008000
DATA ·yccHalf<>+4(SB)/4, $0x00008000
DATA ·yccHalf<>+8(SB)/4, $0x00008000
DATA ·yccHalf<>+12(SB)/4, $0x00008000
DATA ·yccHalf<>+16(SB)/4, $0x00008000
DATA ·yccHalf<>+20(SB)/4, $0x00008000
DATA ·yccHalf<>+24(SB)/4, $0x00008000
DATA ·yccHalf<>+28(SB)/4, $0x00008000
GLOBL ·yccHalf<>(SB), RODATA|NOPTR, $32
DATA ·yccFixR<>+0(SB)/4, $0x000166e9
DATA ·yccFixR<>+4(SB)/4, $0x000166e9
DATA ·yccFixR<>+8(SB)/4, $0x000166e9
DATA ·yccFixR<>+12(SB)/4, $0x000166e9
DATA ·yccFixR<>+16(SB)/4, $0x000166e9
DATA ·yccFixR<>+20(SB)/4, $0x000166e9
DATA ·yccFixR<>+24(SB)/4, $0x000166e9
DATA ·yccFixR<>+28(SB)/4, $0x000166e9
GLOBL ·yccFixR<>(SB), RODATA|NOPTR, $32
DATA ·yccFixB<>+0(SB)/4, $0x0001c5a2
DATA ·yccFixB<>+4(SB)/4, $0x0001c5a2
DATA ·yccFixB<>+8(SB)/4, $0x0001c5a2
DATA ·yccFixB<>+12(SB)/4, $0x0001c5a2
DATA ·yccFixB<>+16(SB)/4, $0x0001c5a2
DATA ·yccFixB<>+20(SB)/4, $0x0001c5a2
DATA ·yccFixB<>+24(SB)/4, $0x0001c5a2
DATA ·yccFixB<>+28(SB)/4, $0x0001c5a2
GLOBL ·yccFixB<>(SB), RODATA|NOPTR, $32
DATA ·yccFixGCb<>+0(SB)/4, $0xffffa7e6
DATA ·yccFixGCb<>+4(SB)/4, $0xffffa7e6
DATA ·yccFixGCb<>+8(SB)/4, $0xffffa7e6
DATA ·yccFixGCb<>+12(SB)/4, $0xffffa7e6
DATA ·yccFixGCb<>+16(SB)/4, $0xffffa7e6
DATA ·yccFixGCb<>+20(SB)/4, $0xffffa7e6
DATA ·yccFixGCb<>+24(SB)/4, $0xffffa7e6
DATA ·yccFixGCb<>+28(SB)/4, $0xffffa7e6
GLOBL ·yccFixGCb<>(SB), RODATA|NOPTR, $32
DATA ·yccFixGCr<>+0(SB)/4, $0xffff492e
DATA ·yccFixGCr<>+4(SB)/4, $0xffff492e
DATA ·yccFixGCr<>+8(SB)/4, $0xffff492e
DATA ·yccFixGCr<>+12(SB)/4, $0xffff492e
DATA ·yccFixGCr<>+16(SB)/4, $0xffff492e
DATA ·yccFixGCr<>+20(SB)/4, $0xffff492e
DATA ·yccFixGCr<>+24(SB)/4, $0xffff492e
DATA ·yccFixGCr<>+28(SB)/4, $0xffff492e
GLOBL ·yccFixGCr<>(SB), RODATA|NOPTR, $32

// func chromaSumsAVX2(near, far *uint8, sums *int32, n int)
// sums[x] = 3·near[x] + far[x] for x < n; n is a multiple of 8.
TEXT ·chromaSumsAVX2(SB), NOSPLIT, $0-32
	MOVQ near+0(FP), SI
	MOVQ far+8(FP), DX
	MOVQ sums+16(FP), DI
	MOVQ n+24(FP), CX
	SHRQ $3, CX

sumloop:
	TESTQ CX, CX
	JE    sumdone
	VPMOVZXBD (SI), Y0
	VPMOVZXBD (DX), Y1
	VPSLLD    $1, Y0, Y2
	VPADDD    Y2, Y0, Y0
	VPADDD    Y1, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $8, SI
	ADDQ      $8, DX
	ADDQ      $32, DI
	DECQ      CX
	JMP       sumloop

sumdone:
	VZEROUPPER
	RET
