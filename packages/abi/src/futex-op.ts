/**
 * The FUTEX_WAKE_OP operation word (futex(2)): `val3` encodes an atomic
 * operation on the second futex word and a comparison of its old value:
 *
 * ```
 * +---+---+-----------+-----------+
 * |op |cmp|   oparg   |  cmparg   |
 * +---+---+-----------+-----------+
 *   4   4       12          12    <== # of bits
 * ```
 *
 * futex(2): "If the FUTEX_OP_OPARG_SHIFT bit is set in op, then oparg is
 * replaced by 1 << oparg". oparg and cmparg are sign-extended 12-bit values.
 *
 * @module
 */
import { FUTEX_OP_OPARG_SHIFT } from "./futex.js";

/** `FUTEX_OP(op, oparg, cmp, cmparg)` from <linux/futex.h>, as an unsigned 32-bit word. */
export function FUTEX_OP(op: number, oparg: number, cmp: number, cmparg: number): number {
  return (
    (((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff)) >>> 0
  );
}

/** The fields of a FUTEX_WAKE_OP word, decoded as the kernel does. */
export interface FutexWakeOp {
  /** FUTEX_OP_SET, _ADD, _OR, _ANDN or _XOR (the shift flag removed). */
  op: number;
  /** True if FUTEX_OP_OPARG_SHIFT was set: the operand is `1 << oparg`. */
  shift: boolean;
  /** Sign-extended 12-bit operand, before any shift. */
  oparg: number;
  /** FUTEX_OP_CMP_EQ .. FUTEX_OP_CMP_GE. */
  cmp: number;
  /** Sign-extended 12-bit comparison value. */
  cmparg: number;
}

function sext12(v: number): number {
  return ((v & 0xfff) << 20) >> 20;
}

/** Decodes `val3` of FUTEX_WAKE_OP (the kernel's futex_atomic_op_inuser()). */
export function decodeFutexOp(val3: number): FutexWakeOp {
  const rawOp = (val3 >>> 28) & 0xf;
  return {
    op: rawOp & ~FUTEX_OP_OPARG_SHIFT & 0xf,
    shift: (rawOp & FUTEX_OP_OPARG_SHIFT) !== 0,
    oparg: sext12(val3 >>> 12),
    cmp: (val3 >>> 24) & 0xf,
    cmparg: sext12(val3),
  };
}
