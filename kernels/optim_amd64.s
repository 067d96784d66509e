//go:build amd64 && !purego

#include "textflag.h"

// The kernels apply exactly the operations of AdamReference and SGDMomentumReference, in
// the same order and with the same first operand, each rounded to float32 (VMULPS, VADDPS,
// VSUBPS, VDIVPS and VSQRTPS are correctly rounded; no FMA, no reciprocal estimates), so a
// lane's result is the reference's bits. Go operand order: OP src2, src1, dst.

// ADAM_BLOCK updates one vector of the Adam state: p (AX), g (BX), m (CX), v (DX), with the
// constants in registers wd..eps and scratch t0..t6. In order: g += wd·p; m = β₁·m +
// (1−β₁)·g; v = β₂·v + ((1−β₂)·g)·g; store m, v; p −= (lr·(m/c₁)) / (√(v/c₂) + ε).
// A division by a correction that is exactly 1 is skipped (bit 0 of R8 for c₁, bit 1 for
// c₂): x/1 is x for every x but a signalling NaN, which the next operation quiets the same
// way the division would have. (The assembler takes no comments inside a macro.)
#define ADAM_BLOCK(t0, t1, t2, t3, t4, t5, t6, wd, b1, omb1, b2, omb2, c1, c2, lr, eps) \
	VMOVUPS (AX), t0 \
	VMOVUPS (BX), t1 \
	VMULPS  t0, wd, t4 \
	VADDPS  t4, t1, t1 \
	VMULPS  (CX), b1, t2 \
	VMULPS  t1, omb1, t5 \
	VADDPS  t5, t2, t2 \
	VMOVUPS t2, (CX)       \
	VMULPS  (DX), b2, t3 \
	VMULPS  t1, omb2, t6 \
	VMULPS  t1, t6, t6 \
	VADDPS  t6, t3, t3 \
	VMOVUPS t3, (DX)       \
	TESTQ   $1, R8 \
	JNZ     c1one \
	VDIVPS  c1, t2, t2 \
c1one: \
	TESTQ   $2, R8 \
	JNZ     c2one \
	VDIVPS  c2, t3, t3 \
c2one: \
	VSQRTPS t3, t3         \
	VADDPS  eps, t3, t3 \
	VMULPS  t2, lr, t2 \
	VDIVPS  t3, t2, t2     \
	VSUBPS  t2, t0, t0 \
	VMOVUPS t0, (AX)

// func adamAVX512(p, grad, m, v *float32, blocks int, k *adamConsts)
TEXT ·adamAVX512(SB), NOSPLIT, $0-48
	MOVQ         p+0(FP), AX
	MOVQ         grad+8(FP), BX
	MOVQ         m+16(FP), CX
	MOVQ         v+24(FP), DX
	MOVQ         blocks+32(FP), SI
	MOVQ         k+40(FP), DI
	VBROADCASTSS 0(DI), Z16
	VBROADCASTSS 4(DI), Z17
	VBROADCASTSS 8(DI), Z18
	VBROADCASTSS 12(DI), Z19
	VBROADCASTSS 16(DI), Z20
	VBROADCASTSS 20(DI), Z21
	VBROADCASTSS 24(DI), Z22
	VBROADCASTSS 28(DI), Z23
	VBROADCASTSS 32(DI), Z24
	MOVL         36(DI), R8
	TESTQ        SI, SI
	JZ           adam512done

adam512loop:
	ADAM_BLOCK(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24)
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, CX
	ADDQ $64, DX
	DECQ SI
	JNZ  adam512loop

adam512done:
	VZEROUPPER
	RET

// func adamAVX2(p, grad, m, v *float32, blocks int, k *adamConsts)
TEXT ·adamAVX2(SB), NOSPLIT, $0-48
	MOVQ         p+0(FP), AX
	MOVQ         grad+8(FP), BX
	MOVQ         m+16(FP), CX
	MOVQ         v+24(FP), DX
	MOVQ         blocks+32(FP), SI
	MOVQ         k+40(FP), DI
	VBROADCASTSS 0(DI), Y7
	VBROADCASTSS 4(DI), Y8
	VBROADCASTSS 8(DI), Y9
	VBROADCASTSS 12(DI), Y10
	VBROADCASTSS 16(DI), Y11
	VBROADCASTSS 20(DI), Y12
	VBROADCASTSS 24(DI), Y13
	VBROADCASTSS 28(DI), Y14
	VBROADCASTSS 32(DI), Y15
	MOVL         36(DI), R8
	TESTQ        SI, SI
	JZ           adam2done

adam2loop:
	ADAM_BLOCK(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15)
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, CX
	ADDQ $32, DX
	DECQ SI
	JNZ  adam2loop

adam2done:
	VZEROUPPER
	RET

// SGD_BLOCK updates one vector: p (AX), g (BX), velocity (CX), with constants lr, μ, wd
// in lr, mu, wd and scratch t0..t3. In order: g += wd·p; vel = μ·vel + g; store vel;
// p −= lr·vel.
#define SGD_BLOCK(t0, t1, t2, t3, lr, mu, wd) \
	VMOVUPS (AX), t0 \
	VMOVUPS (BX), t2 \
	VMULPS  t0, wd, t1 \
	VADDPS  t1, t2, t2 \
	VMULPS  (CX), mu, t3 \
	VADDPS  t2, t3, t3 \
	VMOVUPS t3, (CX)     \
	VMULPS  t3, lr, t3 \
	VSUBPS  t3, t0, t0 \
	VMOVUPS t0, (AX)

// func sgdAVX512(p, grad, vel *float32, blocks int, h *SGDHyper)
TEXT ·sgdAVX512(SB), NOSPLIT, $0-40
	MOVQ         p+0(FP), AX
	MOVQ         grad+8(FP), BX
	MOVQ         vel+16(FP), CX
	MOVQ         blocks+24(FP), SI
	MOVQ         h+32(FP), DI
	VBROADCASTSS 0(DI), Z16
	VBROADCASTSS 4(DI), Z17
	VBROADCASTSS 8(DI), Z18
	TESTQ        SI, SI
	JZ           sgd512done

sgd512loop:
	SGD_BLOCK(Z0, Z1, Z2, Z3, Z16, Z17, Z18)
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, CX
	DECQ SI
	JNZ  sgd512loop

sgd512done:
	VZEROUPPER
	RET

// func sgdAVX2(p, grad, vel *float32, blocks int, h *SGDHyper)
TEXT ·sgdAVX2(SB), NOSPLIT, $0-40
	MOVQ         p+0(FP), AX
	MOVQ         grad+8(FP), BX
	MOVQ         vel+16(FP), CX
	MOVQ         blocks+24(FP), SI
	MOVQ         h+32(FP), DI
	VBROADCASTSS 0(DI), Y8
	VBROADCASTSS 4(DI), Y9
	VBROADCASTSS 8(DI), Y10
	TESTQ        SI, SI
	JZ           sgd2done

sgd2loop:
	SGD_BLOCK(Y0, Y1, Y2, Y3, Y8, Y9, Y10)
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, CX
	DECQ SI
	JNZ  sgd2loop

sgd2done:
	VZEROUPPER
	RET
