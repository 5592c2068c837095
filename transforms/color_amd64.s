//go:build amd64 && !purego

#include "textflag.h"
#include "simd_amd64.h"

// saturation's loop (color.go) with AVX2, eight pixels at a time: Pillow's
// luma in fixed point, then the blend l + a·(v − l) in float32 (a product,
// then a sum, each rounded as Go and C round them), truncated and clamped
// to [0, 255].

// CHANNEL8 gathers one channel of the eight pixels whose first 16 bytes
// are in X0 and last 8 in X1 (shuffles lo and hi pick its bytes) into yd,
// 32 bits each; xd is yd's low half, xt is clobbered.
#define CHANNEL8(lo, hi, xd, xt, yd) \
	VPSHUFB   lo, X0, xd; \
	VPSHUFB   hi, X1, xt; \
	VPOR      xt, xd, xd; \
	VPMOVZXBD xd, yd

// LUMA8 reads eight pixels (24 bytes) at SI: their R, G and B values into
// Y2, Y3 and Y4 (32 bits each) and their luma, Pillow's
// (19595·r + 38470·g + 7471·b + 0x8000) >> 16, into Y5. It uses Y0, Y1, Y6.
#define LUMA8 \
	VMOVDQU   (SI), X0; \
	VMOVQ     16(SI), X1; \
	CHANNEL8(·satRLo<>(SB), ·satRHi<>(SB), X2, X3, Y2); \
	CHANNEL8(·satGLo<>(SB), ·satGHi<>(SB), X3, X4, Y3); \
	CHANNEL8(·satBLo<>(SB), ·satBHi<>(SB), X4, X5, Y4); \
	VPMULLD   ·lumaR<>(SB), Y2, Y5; \
	VPMULLD   ·lumaG<>(SB), Y3, Y6; \
	VPADDD    Y6, Y5, Y5; \
	VPMULLD   ·lumaB<>(SB), Y4, Y6; \
	VPADDD    Y6, Y5, Y5; \
	VPADDD    ·lumaHalf<>(SB), Y5, Y5; \
	VPSRLD    $16, Y5, Y5

// func saturationAVX2(dst, src *uint8, pixels int, a float32)
// pixels is a multiple of 8; dst may be src.
TEXT ·saturationAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         pixels+16(FP), CX
	VBROADCASTSS a+24(FP), Y15
	VMOVUPS      ·float255<>(SB), Y13
	SHRQ         $3, CX

sloop:
	TESTQ CX, CX
	JE    sdone

	LUMA8
	VCVTDQ2PS Y5, Y6

	// Each channel: float32(a·float32(v − l)) + float32(l), truncated
	// toward zero. Below 0 that gives 0 or a negative integer, above 255 an
	// integer over 255 (the sum is first capped, so none is beyond int32):
	// the saturating packs below clamp both to [0, 255], as clampFloat8.
	VPSUBD     Y5, Y2, Y2
	VCVTDQ2PS  Y2, Y2
	VMULPS     Y15, Y2, Y2
	VADDPS     Y6, Y2, Y2
	VMINPS     Y13, Y2, Y2
	VCVTTPS2DQ Y2, Y2
	VPSUBD     Y5, Y3, Y3
	VCVTDQ2PS  Y3, Y3
	VMULPS     Y15, Y3, Y3
	VADDPS     Y6, Y3, Y3
	VMINPS     Y13, Y3, Y3
	VCVTTPS2DQ Y3, Y3
	VPSUBD     Y5, Y4, Y4
	VCVTDQ2PS  Y4, Y4
	VMULPS     Y15, Y4, Y4
	VADDPS     Y6, Y4, Y4
	VMINPS     Y13, Y4, Y4
	VCVTTPS2DQ Y4, Y4

	// Back to 24 interleaved bytes: per 128-bit lane R0-3 G0-3 B0-3 B0-3,
	// shuffled to four RGB pixels, the lanes' 12 bytes joined.
	VPACKUSDW Y3, Y2, Y2
	VPACKUSDW Y4, Y4, Y4
	VPACKUSWB Y4, Y2, Y2
	VPSHUFB   ·satInterleave<>(SB), Y2, Y2
	VMOVDQU   ·satOrder<>(SB), Y3
	VPERMD    Y2, Y3, Y2
	VMOVDQU   X2, (DI)
	VEXTRACTI128 $1, Y2, X3
	VMOVQ     X3, 16(DI)

	ADDQ $24, SI
	ADDQ $24, DI
	DECQ CX
	JMP  sloop

sdone:
	VZEROUPPER
	RET

// func lumaSumAVX2(src *uint8, pixels int) uint64
// The sum of the lumas (LUMA8) of pixels pixels at src; pixels is a
// multiple of 8, at most 1<<22 (so no 32-bit lane, nor the sum, wraps).
TEXT ·lumaSumAVX2(SB), NOSPLIT, $0-24
	MOVQ   src+0(FP), SI
	MOVQ   pixels+8(FP), CX
	SHRQ   $3, CX
	VPXOR  Y7, Y7, Y7

lloop:
	TESTQ CX, CX
	JE    ldone
	LUMA8
	VPADDD Y5, Y7, Y7
	ADDQ   $24, SI
	DECQ   CX
	JMP    lloop

ldone:
	VEXTRACTI128 $1, Y7, X0
	VPADDD       X0, X7, X7
	VPSHUFD      $0x4e, X7, X0
	VPADDD       X0, X7, X7
	VPSHUFD      $0xb1, X7, X0
	VPADDD       X0, X7, X7
	VMOVD        X7, AX
	MOVQ         AX, ret+16(FP)
	VZEROUPPER
	RET

DATA ·satRLo<>+0(SB)/8, $0x80800f0c09060300
DATA ·satRLo<>+8(SB)/8, $0x8080808080808080
GLOBL ·satRLo<>(SB), RODATA|NOPTR, $16
DATA ·satRHi<>+0(SB)/8, $0x0502808080808080
DATA ·satRHi<>+8(SB)/8, $0x8080808080808080
GLOBL ·satRHi<>(SB), RODATA|NOPTR, $16
DATA ·satGLo<>+0(SB)/8, $0x8080800d0a070401
DATA ·satGLo<>+8(SB)/8, $0x8080808080808080
GLOBL ·satGLo<>(SB), RODATA|NOPTR, $16
DATA ·satGHi<>+0(SB)/8, $0x0603008080808080
DATA ·satGHi<>+8(SB)/8, $0x8080808080808080
GLOBL ·satGHi<>(SB), RODATA|NOPTR, $16
DATA ·satBLo<>+0(SB)/8, $0x8080800e0b080502
DATA ·satBLo<>+8(SB)/8, $0x8080808080808080
GLOBL ·satBLo<>(SB), RODATA|NOPTR, $16
DATA ·satBHi<>+0(SB)/8, $0x0704018080808080
DATA ·satBHi<>+8(SB)/8, $0x8080808080808080
GLOBL ·satBHi<>(SB), RODATA|NOPTR, $16
DATA ·satInterleave<>+0(SB)/8, $0x0602090501080400
DATA ·satInterleave<>+8(SB)/8, $0x808080800b07030a
DATA ·satInterleave<>+16(SB)/8, $0x0602090501080400
DATA ·satInterleave<>+24(SB)/8, $0x808080800b07030a
GLOBL ·satInterleave<>(SB), RODATA|NOPTR, $32
DATA ·satOrder<>+0(SB)/4, $0
DATA ·satOrder<>+4(SB)/4, $1
DATA ·satOrder<>+8(SB)/4, $2
DATA ·satOrder<>+12(SB)/4, $4
DATA ·satOrder<>+16(SB)/4, $5
DATA ·satOrder<>+20(SB)/4, $6
DATA ·satOrder<>+24(SB)/4, $3
DATA ·satOrder<>+28(SB)/4, $7
GLOBL ·satOrder<>(SB), RODATA|NOPTR, $32
SPLAT32(·lumaR<>, $0x00004c8b)
SPLAT32(·lumaG<>, $0x00009646)
SPLAT32(·lumaB<>, $0x00001d2f)
SPLAT32(·lumaHalf<>, $0x00008000)
SPLAT32(·float255<>, $0x437f0000)
