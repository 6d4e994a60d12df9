/**
 * Structs of clone3(2), set_robust_list(2) and openat2(2): `struct
 * clone_args`, `struct robust_list_head` and `struct open_how`.
 *
 * @module
 */
import { getI64, getU64, getU64Big, setI64, setU64, setU64Big } from "./bytes.js";

/**
 * `struct clone_args` (clone3(2)). `flags` is a bigint: clone3 flags use bits
 * above 31 (CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP) and the kernel rejects
 * unknown high bits, so they must be seen exactly. Other fields are numbers
 * (addresses and sizes; exit_signal is validated against CSIGNAL).
 */
export interface CloneArgs {
  flags: bigint;
  pidfd: number;
  child_tid: number;
  parent_tid: number;
  exit_signal: number;
  stack: number;
  stack_size: number;
  tls: number;
  set_tid: number;
  set_tid_size: number;
  cgroup: number;
}
/** Size of the latest version (CLONE_ARGS_SIZE_VER2). */
export const CLONE_ARGS_SIZE = 88;
/** clone3(2) `size` of the first version (Linux 5.3): up to `tls`. */
export const CLONE_ARGS_SIZE_VER0 = 64;
/** Linux 5.5: adds set_tid, set_tid_size. */
export const CLONE_ARGS_SIZE_VER1 = 80;
/** Linux 5.7: adds cgroup. */
export const CLONE_ARGS_SIZE_VER2 = 88;
export const CLONE_ARGS_OFFSETS = {
  flags: 0,
  pidfd: 8,
  child_tid: 16,
  parent_tid: 24,
  exit_signal: 32,
  stack: 40,
  stack_size: 48,
  tls: 56,
  set_tid: 64,
  set_tid_size: 72,
  cgroup: 80,
} as const;

/**
 * Decodes clone_args of `size` bytes (clone3's second argument): fields
 * beyond `size` read as 0, as the kernel's copy_struct_from_user() does.
 *
 * Preconditions:
 * - `size` >= CLONE_ARGS_SIZE_VER0 (callers return EINVAL otherwise) and
 *   `dv` holds min(size, CLONE_ARGS_SIZE) bytes at `off`.
 */
export function decodeCloneArgs(
  dv: DataView,
  off: number,
  size: number = CLONE_ARGS_SIZE,
): CloneArgs {
  const f = (o: number) => (o + 8 <= size ? getU64(dv, off + o) : 0);
  return {
    flags: getU64Big(dv, off),
    pidfd: f(8),
    child_tid: f(16),
    parent_tid: f(24),
    exit_signal: f(32),
    stack: f(40),
    stack_size: f(48),
    tls: f(56),
    set_tid: f(64),
    set_tid_size: f(72),
    cgroup: f(80),
  };
}
export function encodeCloneArgs(dv: DataView, off: number, v: CloneArgs): void {
  setU64Big(dv, off, v.flags);
  setU64(dv, off + 8, v.pidfd);
  setU64(dv, off + 16, v.child_tid);
  setU64(dv, off + 24, v.parent_tid);
  setU64(dv, off + 32, v.exit_signal);
  setU64(dv, off + 40, v.stack);
  setU64(dv, off + 48, v.stack_size);
  setU64(dv, off + 56, v.tls);
  setU64(dv, off + 64, v.set_tid);
  setU64(dv, off + 72, v.set_tid_size);
  setU64(dv, off + 80, v.cgroup);
}

/**
 * `struct robust_list_head` (set_robust_list(2)): the head of a thread's list
 * of held robust futexes, walked by the kernel at thread exit.
 */
export interface RobustListHead {
  /** `list.next`: address of the first entry (the head itself when empty). */
  list: number;
  /** Offset from a list entry to its futex word (may be negative). */
  futex_offset: number;
  /** Entry being acquired or released, or 0. */
  list_op_pending: number;
}
export const ROBUST_LIST_HEAD_SIZE = 24;
export const ROBUST_LIST_HEAD_OFFSETS = { list: 0, futex_offset: 8, list_op_pending: 16 } as const;

export function decodeRobustListHead(dv: DataView, off: number): RobustListHead {
  return {
    list: getU64(dv, off),
    futex_offset: getI64(dv, off + 8),
    list_op_pending: getU64(dv, off + 16),
  };
}
export function encodeRobustListHead(dv: DataView, off: number, v: RobustListHead): void {
  setU64(dv, off, v.list);
  setI64(dv, off + 8, v.futex_offset);
  setU64(dv, off + 16, v.list_op_pending);
}

/**
 * `struct open_how` (openat2(2)). Unlike openat(2), openat2(2) rejects with
 * EINVAL any unknown bit in `flags` or `resolve` and any `mode` bit outside
 * 07777, so all three are exact bigints.
 */
export interface OpenHow {
  flags: bigint;
  mode: bigint;
  resolve: bigint;
}
export const OPEN_HOW_SIZE = 24;
/** openat2(2)'s first version of the struct. */
export const OPEN_HOW_SIZE_VER0 = 24;
export const OPEN_HOW_OFFSETS = { flags: 0, mode: 8, resolve: 16 } as const;

export function decodeOpenHow(dv: DataView, off: number): OpenHow {
  return {
    flags: getU64Big(dv, off),
    mode: getU64Big(dv, off + 8),
    resolve: getU64Big(dv, off + 16),
  };
}
export function encodeOpenHow(dv: DataView, off: number, v: OpenHow): void {
  setU64Big(dv, off, v.flags);
  setU64Big(dv, off + 8, v.mode);
  setU64Big(dv, off + 16, v.resolve);
}

/**
 * `struct rseq` (rseq(2)), the per-thread area the kernel updates with the
 * current CPU. 32 bytes, 32-byte aligned (the registration length glibc
 * passes is 32).
 */
export interface Rseq {
  cpu_id_start: number;
  /** RSEQ_CPU_ID_UNINITIALIZED (-1) until registered. */
  cpu_id: number;
  /** Address of the current `struct rseq_cs`, or 0. */
  rseq_cs: number;
  flags: number;
}
export const RSEQ_SIZE = 32;
export const RSEQ_OFFSETS = { cpu_id_start: 0, cpu_id: 4, rseq_cs: 8, flags: 16 } as const;

export function decodeRseq(dv: DataView, off: number): Rseq {
  return {
    cpu_id_start: dv.getUint32(off, true),
    cpu_id: dv.getInt32(off + 4, true),
    rseq_cs: getU64(dv, off + 8),
    flags: dv.getUint32(off + 16, true),
  };
}

/**
 * Writes all 32 bytes, zeroing the tail (Linux 6.3+ adds node_id and mm_cid
 * there; the host headers predate them). To update a registered area in
 * place, write only the fields at RSEQ_OFFSETS instead.
 */
export function encodeRseq(dv: DataView, off: number, v: Rseq): void {
  dv.setUint32(off, v.cpu_id_start, true);
  dv.setInt32(off + 4, v.cpu_id, true);
  setU64(dv, off + 8, v.rseq_cs);
  dv.setUint32(off + 16, v.flags, true);
  dv.setUint32(off + 20, 0, true);
  setU64(dv, off + 24, 0);
}
