//go:build amd64 && !purego

#include "textflag.h"

// func kern6x16(k int, a *float32, lda int, p *float32, c *float32, ldc int)
// C[0:6, 0:16] += A[0:6, 0:k] · P[0:k, 0:16]; strides in elements.
TEXT ·kern6x16(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ p+24(FP), BX
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), R10
	SHLQ $2, R10
	LEAQ (R8)(R8*2), R11
	LEAQ (SI)(R11*1), R9
	LEAQ (R10)(R10*2), R11
	LEAQ (DI)(R11*1), R12

	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS (DI)(R10*1), Y2
	VMOVUPS 32(DI)(R10*1), Y3
	VMOVUPS (DI)(R10*2), Y4
	VMOVUPS 32(DI)(R10*2), Y5
	VMOVUPS (R12), Y6
	VMOVUPS 32(R12), Y7
	VMOVUPS (R12)(R10*1), Y8
	VMOVUPS 32(R12)(R10*1), Y9
	VMOVUPS (R12)(R10*2), Y10
	VMOVUPS 32(R12)(R10*2), Y11

	TESTQ CX, CX
	JE    store

loop:
	VMOVUPS      (BX), Y12
	VMOVUPS      32(BX), Y13
	VBROADCASTSS (SI), Y14
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VBROADCASTSS (SI)(R8*1), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS (SI)(R8*2), Y14
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VBROADCASTSS (R9), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	VBROADCASTSS (R9)(R8*1), Y14
	VFMADD231PS  Y12, Y14, Y8
	VFMADD231PS  Y13, Y14, Y9
	VBROADCASTSS (R9)(R8*2), Y15
	VFMADD231PS  Y12, Y15, Y10
	VFMADD231PS  Y13, Y15, Y11
	ADDQ         $4, SI
	ADDQ         $4, R9
	ADDQ         $64, BX
	DECQ         CX
	JNZ          loop

store:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(R10*1)
	VMOVUPS Y3, 32(DI)(R10*1)
	VMOVUPS Y4, (DI)(R10*2)
	VMOVUPS Y5, 32(DI)(R10*2)
	VMOVUPS Y6, (R12)
	VMOVUPS Y7, 32(R12)
	VMOVUPS Y8, (R12)(R10*1)
	VMOVUPS Y9, 32(R12)(R10*1)
	VMOVUPS Y10, (R12)(R10*2)
	VMOVUPS Y11, 32(R12)(R10*2)
	VZEROUPPER
	RET

// func dot16(a, b *float32, n int) float32
// n is a positive multiple of 16.
TEXT ·dot16(SB), NOSPLIT, $0-28
	MOVQ   a+0(FP), SI
	MOVQ   b+8(FP), DI
	MOVQ   n+16(FP), CX
	SHRQ   $4, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

dotloop:
	VMOVUPS     (SI), Y2
	VMOVUPS     32(SI), Y3
	VFMADD231PS (DI), Y2, Y0
	VFMADD231PS 32(DI), Y3, Y1
	ADDQ        $64, SI
	ADDQ        $64, DI
	DECQ        CX
	JNZ         dotloop

	VADDPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VZEROUPPER
	MOVSS        X0, ret+24(FP)
	RET

// func axpy16(alpha float32, x, y *float32, n int)
// y[0:n] += alpha * x[0:n]; n is a positive multiple of 16.
TEXT ·axpy16(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	SHRQ         $4, CX

axpyloop:
	VMOVUPS     (DI), Y1
	VMOVUPS     32(DI), Y2
	VFMADD231PS (SI), Y0, Y1
	VFMADD231PS 32(SI), Y0, Y2
	VMOVUPS     Y1, (DI)
	VMOVUPS     Y2, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	DECQ        CX
	JNZ         axpyloop

	VZEROUPPER
	RET
