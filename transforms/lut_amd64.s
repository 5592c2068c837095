//go:build amd64 && !purego

#include "textflag.h"

// Byte tables applied with AVX-512 VBMI, 64 values at a time: VPERMI2B
// looks each value's low 7 bits up in a 128-byte half of the table, the
// value's top bit picks the half (VPMOVB2M, VPBLENDMB).

// LUT64(in, t1, out) writes into out the table's map of the 64 bytes in
// in: the table is in Z0-Z3; in, t1 and K1 are clobbered.
#define LUT64(in, t1, out) \
	VPMOVB2M  in, K1; \
	VMOVDQA64 in, t1; \
	VPERMI2B  Z1, Z0, t1; \
	VPERMI2B  Z3, Z2, in; \
	VPBLENDMB in, t1, K1, out

// LOADLUT reads the 256-byte table at AX into Z0-Z3.
#define LOADLUT \
	VMOVDQU64 (AX), Z0; \
	VMOVDQU64 64(AX), Z1; \
	VMOVDQU64 128(AX), Z2; \
	VMOVDQU64 192(AX), Z3

// func mapBytesVBMI(out, in *uint8, n int, lut *[256]uint8)
// mapBytes (color.go) for n bytes, a multiple of 64; out may be in.
TEXT ·mapBytesVBMI(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DI
	MOVQ in+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ lut+24(FP), AX
	LOADLUT
	SHRQ $6, CX

mloop:
	TESTQ     CX, CX
	JE        mdone
	VMOVDQU64 (SI), Z4
	LUT64(Z4, Z5, Z6)
	VMOVDQU64 Z6, (DI)
	ADDQ      $64, SI
	ADDQ      $64, DI
	DECQ      CX
	JMP       mloop

mdone:
	VZEROUPPER
	RET

// QUOTIENT(x, d, y, t) divides x by d in float32, correctly rounded where
// y, d's rounded reciprocal, makes Markstein's correction exact: q = x·y,
// then q + (x − q·d)·y, each rounded once (toTensorSIMD checks that every
// value it is used for comes out as a division's). t is clobbered.
#define QUOTIENT(x, d, y, t) \
	VMULPS      y, x, t; \
	VFNMADD231PS d, t, x; \
	VFMADD132PS y, t, x

// CHANNEL16(perm, mean, std, rstd, dst) converts one channel of the 16
// pixels whose bytes (mapped) are in Z4 and stores its 16 floats at dst:
// the bytes that the VPERMB indexes perm pick, widened, then
// (v/255 − mean)/std, rstd being std's reciprocal; Z8 is 255, Z9 its
// reciprocal. It uses Z5 and Z6.
#define CHANNEL16(perm, mean, std, rstd, dst) \
	VPERMB    Z4, perm, Z5; \
	VPMOVZXBD X5, Z5; \
	VCVTDQ2PS Z5, Z5; \
	QUOTIENT(Z5, Z8, Z9, Z6); \
	VSUBPS    mean, Z5, Z5; \
	QUOTIENT(Z5, std, rstd, Z6); \
	VMOVUPS   Z5, (dst)

// func toTensorAVX512(rd, gd, bd *float32, pix *uint8, groups int, lut *[256]uint8, k *tensorConsts)
// toTensor's loop (tensor.go) for groups·16 pixels at pix, mapped by lut
// first, into the planes rd, gd and bd (g names a register here). It reads
// 64 bytes from each group's 48, so the caller leaves 16 bytes after the
// last group.
TEXT ·toTensorAVX512(SB), NOSPLIT, $0-56
	MOVQ rd+0(FP), DI
	MOVQ gd+8(FP), R8
	MOVQ bd+16(FP), R9
	MOVQ pix+24(FP), SI
	MOVQ groups+32(FP), CX
	MOVQ lut+40(FP), AX
	MOVQ k+48(FP), BX
	LOADLUT
	VBROADCASTSS 0(BX), Z8   // 255
	VBROADCASTSS 4(BX), Z9   // its reciprocal
	VBROADCASTSS 8(BX), Z10  // the means
	VBROADCASTSS 12(BX), Z11
	VBROADCASTSS 16(BX), Z12
	VBROADCASTSS 20(BX), Z13 // the standard deviations
	VBROADCASTSS 24(BX), Z14
	VBROADCASTSS 28(BX), Z15
	VBROADCASTSS 32(BX), Z16 // their reciprocals
	VBROADCASTSS 36(BX), Z17
	VBROADCASTSS 40(BX), Z18
	VBROADCASTI32X4 ·rgbPick<>+0(SB), Z19
	VBROADCASTI32X4 ·rgbPick<>+16(SB), Z20
	VBROADCASTI32X4 ·rgbPick<>+32(SB), Z21

tloop:
	TESTQ     CX, CX
	JE        tdone
	VMOVDQU64 (SI), Z7
	LUT64(Z7, Z5, Z4)
	CHANNEL16(Z19, Z10, Z13, Z16, DI)
	CHANNEL16(Z20, Z11, Z14, Z17, R8)
	CHANNEL16(Z21, Z12, Z15, Z18, R9)
	ADDQ      $48, SI
	ADDQ      $64, DI
	ADDQ      $64, R8
	ADDQ      $64, R9
	DECQ      CX
	JMP       tloop

tdone:
	VZEROUPPER
	RET

// The VPERMB indexes that gather one channel of 16 RGB pixels into the
// low 16 bytes, 16 each: 0, 3, 6, ... for R, then from 1 for G, from 2 for
// B (read into every 128-bit lane; the lanes above the first pick bytes
// no one reads).
DATA ·rgbPick<>+0(SB)/8, $0x15120f0c09060300
DATA ·rgbPick<>+8(SB)/8, $0x2d2a2724211e1b18
DATA ·rgbPick<>+16(SB)/8, $0x1613100d0a070401
DATA ·rgbPick<>+24(SB)/8, $0x2e2b2825221f1c19
DATA ·rgbPick<>+32(SB)/8, $0x1714110e0b080502
DATA ·rgbPick<>+40(SB)/8, $0x2f2c292623201d1a
GLOBL ·rgbPick<>(SB), RODATA|NOPTR, $48
