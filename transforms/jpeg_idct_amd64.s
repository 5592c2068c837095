//go:build amd64 && !purego

#include "textflag.h"
#include "simd_amd64.h"

// idctISlow (jpeg_idct.go) with AVX2: each pass works on all eight columns
// (pass 1) or rows (pass 2) at once, one 32-bit lane each, with the same
// 32-bit arithmetic (products and sums wrap as Go's int32 do), so the
// samples are the same.
//
// A pass whose eight inputs all fit in 16 bits (a real image's always do)
// runs PASS16: its inputs paired in the halves of each lane and multiplied
// by pairs of constants with VPMADDWD, each output's products summed two at
// a time (the Go code's sums regrouped: the same integers, and the same
// wrapped int32 results besides). Its shortcuts for a column or row without
// AC inputs then give what the full sums give, so none is needed. Other
// passes run PASS, where such a column or row takes the Go code's shortcut
// value, chosen lane by lane.

// PASS computes one pass's eight sums, before descaling, from the eight
// input vectors at B, 32(B), ... 224(B) (input k of every lane): outputs
// 0..7 into Y10 Y12 Y4 Y6 Y7 Y5 Y13 Y11. It leaves Y14 and Y15 alone.
#define PASS(B) \
	VMOVDQU 64(B), Y2; \
	VMOVDQU 192(B), Y3; \
	VPADDD  Y3, Y2, Y0; \
	VPMULLD ·idct0541<>(SB), Y0, Y0; \
	VPMULLD ·idctM1847<>(SB), Y3, Y3; \
	VPADDD  Y3, Y0, Y4; \
	VPMULLD ·idct0765<>(SB), Y2, Y2; \
	VPADDD  Y2, Y0, Y5; \
	VMOVDQU (B), Y2; \
	VMOVDQU 128(B), Y3; \
	VPADDD  Y3, Y2, Y0; \
	VPSLLD  $13, Y0, Y0; \
	VPSUBD  Y3, Y2, Y1; \
	VPSLLD  $13, Y1, Y1; \
	VPADDD  Y5, Y0, Y6; \
	VPSUBD  Y5, Y0, Y9; \
	VPADDD  Y4, Y1, Y7; \
	VPSUBD  Y4, Y1, Y8; \
	VMOVDQU 224(B), Y0; \
	VMOVDQU 160(B), Y1; \
	VMOVDQU 96(B), Y2; \
	VMOVDQU 32(B), Y3; \
	VPADDD  Y3, Y0, Y10; \
	VPADDD  Y2, Y1, Y11; \
	VPADDD  Y2, Y0, Y12; \
	VPADDD  Y3, Y1, Y13; \
	VPADDD  Y13, Y12, Y4; \
	VPMULLD ·idct1175<>(SB), Y4, Y4; \
	VPMULLD ·idct0298<>(SB), Y0, Y0; \
	VPMULLD ·idct2053<>(SB), Y1, Y1; \
	VPMULLD ·idct3072<>(SB), Y2, Y2; \
	VPMULLD ·idct1501<>(SB), Y3, Y3; \
	VPMULLD ·idctM0899<>(SB), Y10, Y10; \
	VPMULLD ·idctM2562<>(SB), Y11, Y11; \
	VPMULLD ·idctM1961<>(SB), Y12, Y12; \
	VPADDD  Y4, Y12, Y12; \
	VPMULLD ·idctM0390<>(SB), Y13, Y13; \
	VPADDD  Y4, Y13, Y13; \
	VPADDD  Y10, Y0, Y0; \
	VPADDD  Y12, Y0, Y0; \
	VPADDD  Y11, Y1, Y1; \
	VPADDD  Y13, Y1, Y1; \
	VPADDD  Y11, Y2, Y2; \
	VPADDD  Y12, Y2, Y2; \
	VPADDD  Y10, Y3, Y3; \
	VPADDD  Y13, Y3, Y3; \
	VPADDD  Y3, Y6, Y10; \
	VPSUBD  Y3, Y6, Y11; \
	VPADDD  Y2, Y7, Y12; \
	VPSUBD  Y2, Y7, Y13; \
	VPADDD  Y1, Y8, Y4; \
	VPSUBD  Y1, Y8, Y5; \
	VPADDD  Y0, Y9, Y6; \
	VPSUBD  Y0, Y9, Y7

// FITS16 sets ZF when every 32-bit lane of a0..a7 fits in 16 bits (is in
// [-32768, 32767]), using k, acc and t.
#define FITS16(k, acc, t, a0, a1, a2, a3, a4, a5, a6, a7) \
	VMOVDQU ·idctHalf16<>(SB), k; \
	VPADDD  k, a0, acc; \
	VPADDD  k, a1, t; \
	VPOR    t, acc, acc; \
	VPADDD  k, a2, t; \
	VPOR    t, acc, acc; \
	VPADDD  k, a3, t; \
	VPOR    t, acc, acc; \
	VPADDD  k, a4, t; \
	VPOR    t, acc, acc; \
	VPADDD  k, a5, t; \
	VPOR    t, acc, acc; \
	VPADDD  k, a6, t; \
	VPOR    t, acc, acc; \
	VPADDD  k, a7, t; \
	VPOR    t, acc, acc; \
	VPTEST  ·idctHigh16<>(SB), acc

// PAIR puts the low 16 bits of lo and of hi (hi is clobbered) in the low and
// high halves of lo's lanes: VPMADDWD's pairs.
#define PAIR(lo, hi) \
	VPSLLD   $16, hi, hi; \
	VPBLENDW $0xaa, hi, lo, lo

// ODD16 finishes two outputs of PASS16: the odd part's term for them, the
// (r7, r5) pair in Y7 times ka plus the (r3, r1) pair in Y3 times kb, added
// to and subtracted from the even part's even. It uses Y14 and Y15.
#define ODD16(ka, kb, even, plus, minus) \
	VPMADDWD ka, Y7, Y14; \
	VPMADDWD kb, Y3, Y15; \
	VPADDD   Y15, Y14, Y14; \
	VPADDD   Y14, even, plus; \
	VPSUBD   Y14, even, minus

// ROUND16 descales R: (R + Y15) >> n.
#define ROUND16(R, n) \
	VPADDD Y15, R, R; \
	VPSRAD $n, R, R

// PASS16 is PASS for inputs 0..7 in Y0..Y7 that fit in 16 bits, descaled
// (x + round) >> n: outputs 0..7 into Y10 Y12 Y4 Y6 Y7 Y5 Y13 Y11, as PASS
// and DESCALE8 leave them. It uses every register.
#define PASS16(round, n) \
	PAIR(Y0, Y4); \
	PAIR(Y2, Y6); \
	PAIR(Y7, Y5); \
	PAIR(Y3, Y1); \
	VPMADDWD ·idctP0p4<>(SB), Y0, Y8; \
	VPMADDWD ·idctP0m4<>(SB), Y0, Y9; \
	VPMADDWD ·idctT3<>(SB), Y2, Y14; \
	VPMADDWD ·idctT2<>(SB), Y2, Y15; \
	VPADDD   Y14, Y8, Y0; \
	VPSUBD   Y14, Y8, Y8; \
	VPADDD   Y15, Y9, Y2; \
	VPSUBD   Y15, Y9, Y9; \
	ODD16(·idctO3a<>(SB), ·idctO3b<>(SB), Y0, Y10, Y11); \
	ODD16(·idctO2a<>(SB), ·idctO2b<>(SB), Y2, Y12, Y13); \
	ODD16(·idctO1a<>(SB), ·idctO1b<>(SB), Y9, Y4, Y5); \
	ODD16(·idctO0a<>(SB), ·idctO0b<>(SB), Y8, Y6, Y7); \
	VMOVDQU  round, Y15; \
	ROUND16(Y10, n); \
	ROUND16(Y12, n); \
	ROUND16(Y4, n); \
	ROUND16(Y6, n); \
	ROUND16(Y7, n); \
	ROUND16(Y5, n); \
	ROUND16(Y13, n); \
	ROUND16(Y11, n)

// ACZERO sets Y15 to all ones in the lanes whose inputs 1..7 at B are zero.
#define ACZERO(B) \
	VMOVDQU  32(B), Y0; \
	VPOR     64(B), Y0, Y0; \
	VPOR     96(B), Y0, Y0; \
	VPOR     128(B), Y0, Y0; \
	VPOR     160(B), Y0, Y0; \
	VPOR     192(B), Y0, Y0; \
	VPOR     224(B), Y0, Y0; \
	VPXOR    Y1, Y1, Y1; \
	VPCMPEQD Y1, Y0, Y15

// DESCALE rounds R (x + round) >> n, then takes Y14 instead where Y15 is set.
#define DESCALE(R, round, n) \
	VPADDD    round, R, R; \
	VPSRAD    $n, R, R; \
	VPBLENDVB Y15, Y14, R, R

// DESCALE8 descales PASS's eight outputs.
#define DESCALE8(round, n) \
	DESCALE(Y10, round, n); \
	DESCALE(Y12, round, n); \
	DESCALE(Y4, round, n); \
	DESCALE(Y6, round, n); \
	DESCALE(Y7, round, n); \
	DESCALE(Y5, round, n); \
	DESCALE(Y13, round, n); \
	DESCALE(Y11, round, n)

// TRANSPOSE transposes the 8×8 matrix whose rows are a0..a7 (32-bit
// values) using t0..t7: column j ends in tj; a0..a7 are clobbered.
#define TRANSPOSE(a0, a1, a2, a3, a4, a5, a6, a7, t0, t1, t2, t3, t4, t5, t6, t7) \
	VPUNPCKLDQ  a1, a0, t0; \
	VPUNPCKHDQ  a1, a0, t1; \
	VPUNPCKLDQ  a3, a2, t2; \
	VPUNPCKHDQ  a3, a2, t3; \
	VPUNPCKLDQ  a5, a4, t4; \
	VPUNPCKHDQ  a5, a4, t5; \
	VPUNPCKLDQ  a7, a6, t6; \
	VPUNPCKHDQ  a7, a6, t7; \
	VPUNPCKLQDQ t2, t0, a0; \
	VPUNPCKHQDQ t2, t0, a1; \
	VPUNPCKLQDQ t3, t1, a2; \
	VPUNPCKHQDQ t3, t1, a3; \
	VPUNPCKLQDQ t6, t4, a4; \
	VPUNPCKHQDQ t6, t4, a5; \
	VPUNPCKLQDQ t7, t5, a6; \
	VPUNPCKHQDQ t7, t5, a7; \
	VPERM2I128  $0x20, a4, a0, t0; \
	VPERM2I128  $0x31, a4, a0, t4; \
	VPERM2I128  $0x20, a5, a1, t1; \
	VPERM2I128  $0x31, a5, a1, t5; \
	VPERM2I128  $0x20, a6, a2, t2; \
	VPERM2I128  $0x31, a6, a2, t6; \
	VPERM2I128  $0x20, a7, a3, t3; \
	VPERM2I128  $0x31, a7, a3, t7

// RANGE maps a pass-2 result to a sample less nothing: its low 10 bits as
// a signed number, plus 128 (the saturating packs then clamp to [0, 255]),
// which is idctRangeLimit's table.
#define RANGE(R) \
	VPSLLD $22, R, R; \
	VPSRAD $22, R, R; \
	VPADDD ·idct128<>(SB), R, R

// func idctAVX2(in *[64]int32, out *uint8, stride int)
// The 8×8 samples go to out, rows stride apart; in is overwritten (pass
// 1's results).
TEXT ·idctAVX2(SB), NOSPLIT, $0-24
	MOVQ in+0(FP), AX
	MOVQ out+8(FP), DI
	MOVQ stride+16(FP), BX

	// Pass 1 in 16-bit pairs where the inputs fit (lanes are columns).
	VMOVDQU (AX), Y0
	VMOVDQU 32(AX), Y1
	VMOVDQU 64(AX), Y2
	VMOVDQU 96(AX), Y3
	VMOVDQU 128(AX), Y4
	VMOVDQU 160(AX), Y5
	VMOVDQU 192(AX), Y6
	VMOVDQU 224(AX), Y7
	FITS16(Y8, Y9, Y10, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	JNE  pass1
	PASS16(·idctRound1<>(SB), 11)

	// Rows of pass 1's results become columns: pass 2's lanes are rows.
	TRANSPOSE(Y10, Y12, Y4, Y6, Y7, Y5, Y13, Y11, Y0, Y1, Y2, Y3, Y8, Y9, Y14, Y15)
	FITS16(Y4, Y5, Y6, Y0, Y1, Y2, Y3, Y8, Y9, Y14, Y15)
	JNE  store1
	VMOVDQA Y8, Y4
	VMOVDQA Y9, Y5
	VMOVDQA Y14, Y6
	VMOVDQA Y15, Y7
	PASS16(·idctRound2<>(SB), 18)
	JMP  range

pass1:
	// Pass 1: lanes are columns; a column without AC gives dc << 2.
	ACZERO(AX)
	VMOVDQU (AX), Y14
	VPSLLD  $2, Y14, Y14
	PASS(AX)
	DESCALE8(·idctRound1<>(SB), 11)
	TRANSPOSE(Y10, Y12, Y4, Y6, Y7, Y5, Y13, Y11, Y0, Y1, Y2, Y3, Y8, Y9, Y14, Y15)

store1:
	VMOVDQU Y0, (AX)
	VMOVDQU Y1, 32(AX)
	VMOVDQU Y2, 64(AX)
	VMOVDQU Y3, 96(AX)
	VMOVDQU Y8, 128(AX)
	VMOVDQU Y9, 160(AX)
	VMOVDQU Y14, 192(AX)
	VMOVDQU Y15, 224(AX)

	// Pass 2; a row without AC gives descale(w[0], 5).
	ACZERO(AX)
	VMOVDQU (AX), Y14
	VPADDD  ·idctRoundDC<>(SB), Y14, Y14
	VPSRAD  $5, Y14, Y14
	PASS(AX)
	DESCALE8(·idctRound2<>(SB), 18)

range:
	RANGE(Y10)
	RANGE(Y12)
	RANGE(Y4)
	RANGE(Y6)
	RANGE(Y7)
	RANGE(Y5)
	RANGE(Y13)
	RANGE(Y11)

	// Back to rows, then to bytes: four rows per 32 bytes, in the order
	// VPERMD puts right (packOrder, resample_amd64.s).
	TRANSPOSE(Y10, Y12, Y4, Y6, Y7, Y5, Y13, Y11, Y0, Y1, Y2, Y3, Y8, Y9, Y14, Y15)
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKUSWB Y2, Y0, Y0
	VPACKSSDW Y9, Y8, Y8
	VPACKSSDW Y15, Y14, Y14
	VPACKUSWB Y14, Y8, Y8
	VMOVDQU   ·packOrder(SB), Y1
	VPERMD    Y0, Y1, Y0
	VPERMD    Y8, Y1, Y8

	LEAQ (DI)(BX*2), R10
	LEAQ (DI)(BX*4), R11
	LEAQ (R10)(BX*4), R12
	VMOVQ        X0, (DI)
	VPEXTRQ      $1, X0, (DI)(BX*1)
	VEXTRACTI128 $1, Y0, X0
	VMOVQ        X0, (R10)
	VPEXTRQ      $1, X0, (R10)(BX*1)
	VMOVQ        X8, (R11)
	VPEXTRQ      $1, X8, (R11)(BX*1)
	VEXTRACTI128 $1, Y8, X8
	VMOVQ        X8, (R12)
	VPEXTRQ      $1, X8, (R12)(BX*1)
	VZEROUPPER
	RET

SPLAT32(·idct0541<>, $0x00001151)
SPLAT32(·idct0765<>, $0x0000187e)
SPLAT32(·idctM1847<>, $0xffffc4df)
SPLAT32(·idct1175<>, $0x000025a1)
SPLAT32(·idct0298<>, $0x0000098e)
SPLAT32(·idct2053<>, $0x000041b3)
SPLAT32(·idct3072<>, $0x00006254)
SPLAT32(·idct1501<>, $0x0000300b)
SPLAT32(·idctM0899<>, $0xffffe333)
SPLAT32(·idctM2562<>, $0xffffadfd)
SPLAT32(·idctM1961<>, $0xffffc13b)
SPLAT32(·idctM0390<>, $0xfffff384)
SPLAT32(·idctRound1<>, $0x00000400)
SPLAT32(·idctRound2<>, $0x00020000)
SPLAT32(·idctRoundDC<>, $0x00000010)
SPLAT32(·idct128<>, $0x00000080)
SPLAT32(·idctHalf16<>, $0x00008000)
SPLAT32(·idctHigh16<>, $0xffff0000)
// PASS16's pairs of constants: the low half's for input a, the high half's
// for b, of the pair (a, b) named.
SPLAT32(·idctP0p4<>, $0x20002000) // (r0, r4): (r0 + r4) << 13
SPLAT32(·idctP0m4<>, $0xe0002000) // (r0, r4): (r0 - r4) << 13
SPLAT32(·idctT2<>, $0xd6301151)   // (r2, r6): 4433, 4433 - 15137
SPLAT32(·idctT3<>, $0x115129cf)   // (r2, r6): 4433 + 6270, 4433
SPLAT32(·idctO3a<>, $0x192508d4)  // (r7, r5): 2260, 6437
SPLAT32(·idctO3b<>, $0x2c6325a1)  // (r3, r1): 9633, 11363
SPLAT32(·idctO2a<>, $0xd39ee6dc)  // (r7, r5): -6436, -11362
SPLAT32(·idctO2b<>, $0x25a1f72d)  // (r3, r1): -2259, 9633
SPLAT32(·idctO1a<>, $0x08d525a1)  // (r7, r5): 9633, 2261
SPLAT32(·idctO1b<>, $0x1925d39e)  // (r3, r1): -11362, 6437
SPLAT32(·idctO0a<>, $0x25a1d39d)  // (r7, r5): -11363, 9633
SPLAT32(·idctO0b<>, $0x08d4e6dc)  // (r3, r1): -6436, 2260
