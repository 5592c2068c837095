//go:build amd64 && !purego

#include "textflag.h"
#include "simd_amd64.h"

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

// SCALED sets OL and OR to (fix·IL + ½) >> 16 and (fix·IR + ½) >> 16.
#define SCALED(fix, IL, IR, OL, OR) \
	VPMULLD fix, IL, OL; \
	VPMULLD fix, IR, OR; \
	VPADDD  ·yccHalf<>(SB), OL, OL; \
	VPADDD  ·yccHalf<>(SB), OR, OR; \
	VPSRAD  $16, OL, OL; \
	VPSRAD  $16, OR, OR

// BLOCK writes the 16 output bytes at off(DI): red, green and blue (X8, X1,
// X6) shuffled by their masks into place, OR-ed. Clobbers X10, X11.
#define BLOCK(mr, mg, mb, off) \
	VPSHUFB mr, X8, X10; \
	VPSHUFB mg, X1, X11; \
	VPOR    X11, X10, X10; \
	VPSHUFB mb, X6, X11; \
	VPOR    X11, X10, X10; \
	VMOVDQU X10, off(DI)

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

	// Blue: cbB = (FIX(1.772)·cb + ½) >> 16, into Y6 (L), Y7 (R); red:
	// crR = (FIX(1.402)·cr + ½) >> 16, into Y8 (L), Y9 (R).
	SCALED(·yccFixB<>(SB), Y1, Y2, Y6, Y7)
	SCALED(·yccFixR<>(SB), Y4, Y5, Y8, Y9)

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
	BLOCK(·yccR0<>(SB), ·yccG0<>(SB), ·yccB0<>(SB), 0)
	BLOCK(·yccR1<>(SB), ·yccG1<>(SB), ·yccB1<>(SB), 16)
	BLOCK(·yccR2<>(SB), ·yccG2<>(SB), ·yccB2<>(SB), 32)

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
SPLAT32(·ycc8<>, $0x00000008)
SPLAT32(·ycc7<>, $0x00000007)
SPLAT32(·ycc128<>, $0x00000080)
SPLAT32(·yccHalf<>, $0x00008000)
SPLAT32(·yccFixR<>, $0x000166e9)
SPLAT32(·yccFixB<>, $0x0001c5a2)
SPLAT32(·yccFixGCb<>, $0xffffa7e6)
SPLAT32(·yccFixGCr<>, $0xffff492e)

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
