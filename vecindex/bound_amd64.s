#include "textflag.h"

// func boundBlockAVX2(qp *float32, cols *float32, nk int, need float32, out *float32, mask *uint64)
//
// out[r] = Σ_{k<nk} qp[k]·cols[k*256+r] for r < 256 (nk ≥ 1): a block of 256 rows stored column
// by column, 64 rows at a time in eight accumulators, so the sums need no horizontal adds. Bit
// r%64 of mask[r/64] is set when out[r] >= need.
TEXT ·boundBlockAVX2(SB), NOSPLIT, $0-48
	MOVQ qp+0(FP), R8
	MOVQ cols+8(FP), DI
	MOVQ nk+16(FP), R9
	VBROADCASTSS need+24(FP), Y9
	MOVQ out+32(FP), R11
	MOVQ mask+40(FP), R13
	MOVQ $4, R10

bgroup:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ R8, SI
	MOVQ DI, DX
	MOVQ R9, CX

bk:
	VBROADCASTSS (SI), Y8
	VFMADD231PS (DX), Y8, Y0
	VFMADD231PS 32(DX), Y8, Y1
	VFMADD231PS 64(DX), Y8, Y2
	VFMADD231PS 96(DX), Y8, Y3
	VFMADD231PS 128(DX), Y8, Y4
	VFMADD231PS 160(DX), Y8, Y5
	VFMADD231PS 192(DX), Y8, Y6
	VFMADD231PS 224(DX), Y8, Y7
	ADDQ $4, SI
	ADDQ $1024, DX
	DECQ CX
	JNZ  bk

	VMOVUPS Y0, (R11)
	VMOVUPS Y1, 32(R11)
	VMOVUPS Y2, 64(R11)
	VMOVUPS Y3, 96(R11)
	VMOVUPS Y4, 128(R11)
	VMOVUPS Y5, 160(R11)
	VMOVUPS Y6, 192(R11)
	VMOVUPS Y7, 224(R11)

	// mask: eight bits per accumulator, the first in the low byte
	XORQ R12, R12
	VCMPPS $0x0D, Y9, Y7, Y10
	VMOVMSKPS Y10, AX
	ORQ  AX, R12
	SHLQ $8, R12
	VCMPPS $0x0D, Y9, Y6, Y10
	VMOVMSKPS Y10, AX
	ORQ  AX, R12
	SHLQ $8, R12
	VCMPPS $0x0D, Y9, Y5, Y10
	VMOVMSKPS Y10, AX
	ORQ  AX, R12
	SHLQ $8, R12
	VCMPPS $0x0D, Y9, Y4, Y10
	VMOVMSKPS Y10, AX
	ORQ  AX, R12
	SHLQ $8, R12
	VCMPPS $0x0D, Y9, Y3, Y10
	VMOVMSKPS Y10, AX
	ORQ  AX, R12
	SHLQ $8, R12
	VCMPPS $0x0D, Y9, Y2, Y10
	VMOVMSKPS Y10, AX
	ORQ  AX, R12
	SHLQ $8, R12
	VCMPPS $0x0D, Y9, Y1, Y10
	VMOVMSKPS Y10, AX
	ORQ  AX, R12
	SHLQ $8, R12
	VCMPPS $0x0D, Y9, Y0, Y10
	VMOVMSKPS Y10, AX
	ORQ  AX, R12
	MOVQ R12, (R13)

	ADDQ $8, R13
	ADDQ $256, R11
	ADDQ $256, DI
	DECQ R10
	JNZ  bgroup
	VZEROUPPER
	RET

// func dotRowsHalfIdxAVX2(q *float32, rows *uint16, dim int, idx *int32, n int, out *float32)
//
// out[j] is the dot product of q[:dim] (float32) and the float16 row rows[idx[j]*dim:], for
// j < n (dim at least 8): per row the very instructions of dotRowsHalfAVX2, in the same order,
// so each is bit for bit what that kernel gives the row.
TEXT ·dotRowsHalfIdxAVX2(SB), NOSPLIT, $0-48
	MOVQ q+0(FP), R8
	MOVQ rows+8(FP), R12
	MOVQ dim+16(FP), R9
	MOVQ idx+24(FP), R13
	MOVQ n+32(FP), R10
	MOVQ out+40(FP), R11
	MOVQ R9, R14
	SHLQ $1, R14

irow:
	CMPQ R10, $0
	JE   irowsdone
	MOVLQSX (R13), AX
	IMULQ R14, AX
	LEAQ (R12)(AX*1), DI
	MOVQ R8, SI
	MOVQ R9, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

irloop32:
	CMPQ CX, $32
	JL   irloop8
	VCVTPH2PS (DI), Y4
	VCVTPH2PS 16(DI), Y5
	VCVTPH2PS 32(DI), Y6
	VCVTPH2PS 48(DI), Y7
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS 32(SI), Y5, Y1
	VFMADD231PS 64(SI), Y6, Y2
	VFMADD231PS 96(SI), Y7, Y3
	ADDQ $128, SI
	ADDQ $64, DI
	SUBQ $32, CX
	JMP  irloop32

irloop8:
	CMPQ CX, $8
	JL   irreduce
	VCVTPH2PS (DI), Y4
	VFMADD231PS (SI), Y4, Y0
	ADDQ $32, SI
	ADDQ $16, DI
	SUBQ $8, CX
	JMP  irloop8

irreduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0

irtail:
	CMPQ CX, $0
	JE   irstore
	MOVWLZX (DI), AX
	VMOVD AX, X1
	VCVTPH2PS X1, X1
	VFMADD231SS (SI), X1, X0
	ADDQ $4, SI
	ADDQ $2, DI
	DECQ CX
	JMP  irtail

irstore:
	MOVSS X0, (R11)
	ADDQ $4, R11
	ADDQ $4, R13
	DECQ R10
	JMP  irow

irowsdone:
	VZEROUPPER
	RET

// func decodeHalfAVX2(dst *float32, src *uint16, n int)
//
// dst[i] = src[i] widened from float16 (exactly, by F16C), for i < n, n a multiple of 8.
TEXT ·decodeHalfAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

dloop:
	CMPQ CX, $8
	JL   ddone
	VCVTPH2PS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  dloop

ddone:
	VZEROUPPER
	RET
