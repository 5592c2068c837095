// Macros shared by the AVX2 assembly (*_amd64.s).

// SPLAT32 defines name as 32 read-only bytes: the 32-bit value v eight times,
// a constant for every lane of a YMM register.
#define SPLAT32(name, v) \
	DATA name+0(SB)/4, v; \
	DATA name+4(SB)/4, v; \
	DATA name+8(SB)/4, v; \
	DATA name+12(SB)/4, v; \
	DATA name+16(SB)/4, v; \
	DATA name+20(SB)/4, v; \
	DATA name+24(SB)/4, v; \
	DATA name+28(SB)/4, v; \
	GLOBL name(SB), RODATA|NOPTR, $32
