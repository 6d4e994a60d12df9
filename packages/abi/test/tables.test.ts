import * as abi from "../src/index.js";
import { describe, expect, it } from "vitest";
import {
  AT_FDCWD,
  CLONE_VM,
  defaultAction,
  EAGAIN,
  ENOENT,
  ERESTART_RESTARTBLOCK,
  ERESTARTSYS,
  ERRNO_NAMES,
  errnoName,
  errnoNumber,
  EWOULDBLOCK,
  isRealtimeSignal,
  MAP_PRIVATE,
  O_CLOEXEC,
  PROT_READ,
  S_IFREG,
  SIGCHLD,
  SIGCONT,
  SIGKILL,
  SIGNAL_NAMES,
  SIGRTMAX,
  SIGRTMIN,
  SIGSEGV,
  SIGSTOP,
  SIGWINCH,
  signalName,
  signalNumber,
  strerror,
  SYS_exit_group,
  SYS_read,
  SYS_rt_sigreturn,
  SYSCALL_NAMES,
  syscallName,
  syscallNumber,
} from "../src/index.js";

describe("syscall table", () => {
  it("maps numbers and names both ways", () => {
    expect(SYS_read).toBe(0);
    expect(SYS_rt_sigreturn).toBe(15);
    expect(SYS_exit_group).toBe(231);
    expect(syscallName(0)).toBe("read");
    expect(syscallName(231)).toBe("exit_group");
    expect(syscallNumber("exit_group")).toBe(231);
    expect(syscallName(400)).toBeUndefined();
    expect(syscallNumber("no_such_call")).toBeUndefined();
  });
  it("round-trips every assigned number", () => {
    let n = 0;
    SYSCALL_NAMES.forEach((name, nr) => {
      if (name === undefined) return;
      n++;
      expect(syscallNumber(name)).toBe(nr);
    });
    expect(n).toBeGreaterThanOrEqual(362);
  });
});

describe("errno table", () => {
  it("names, aliases and messages", () => {
    expect(ENOENT).toBe(2);
    expect(errnoName(2)).toBe("ENOENT");
    expect(errnoName(-2)).toBe("ENOENT");
    expect(EWOULDBLOCK).toBe(EAGAIN);
    expect(errnoNumber("EWOULDBLOCK")).toBe(EAGAIN);
    expect(strerror(ENOENT)).toBe("No such file or directory");
    expect(strerror(-ENOENT)).toBe("No such file or directory");
    expect(strerror(0)).toBe("Success");
    expect(strerror(4000)).toBe("Unknown error 4000");
    expect(ERESTARTSYS).toBe(512);
    expect(ERESTART_RESTARTBLOCK).toBe(516);
    expect(errnoName(ERESTARTSYS)).toBe("ERESTARTSYS");
  });
  it("round-trips every name", () => {
    ERRNO_NAMES.forEach((name, v) => {
      if (name !== undefined) expect(errnoNumber(name)).toBe(v);
    });
  });
});

describe("signals", () => {
  it("uses kernel real-time numbering", () => {
    expect(SIGRTMIN).toBe(32);
    expect(SIGRTMAX).toBe(64);
    expect(signalName(SIGSEGV)).toBe("SIGSEGV");
    expect(signalName(33)).toBe("SIGRTMIN+1");
    expect(signalName(64)).toBe("SIGRTMAX");
    expect(signalName(0)).toBeUndefined();
    expect(signalName(65)).toBeUndefined();
    expect(signalNumber("SEGV")).toBe(SIGSEGV);
    expect(signalNumber("SIGRTMIN+2")).toBe(34);
    expect(signalNumber("SIGRTMAX-1")).toBe(63);
    expect(signalNumber("SIGRTMAX+1")).toBeUndefined();
    expect(signalNumber("SIGIOT")).toBe(6);
    expect(isRealtimeSignal(31)).toBe(false);
  });
  it("round-trips every name", () => {
    for (let s = 1; s <= 64; s++) expect(signalNumber(SIGNAL_NAMES[s]!)).toBe(s);
  });
  it("default actions follow signal(7)", () => {
    expect(defaultAction(SIGKILL)).toBe("term");
    expect(defaultAction(SIGSEGV)).toBe("core");
    expect(defaultAction(SIGCHLD)).toBe("ignore");
    expect(defaultAction(SIGWINCH)).toBe("ignore");
    expect(defaultAction(SIGSTOP)).toBe("stop");
    expect(defaultAction(SIGCONT)).toBe("continue");
    expect(defaultAction(40)).toBe("term");
    expect(defaultAction(0)).toBeUndefined();
    expect(defaultAction(65)).toBeUndefined();
  });
});

describe("common flags", () => {
  it("have their x86-64 values", () => {
    expect(O_CLOEXEC).toBe(0o2000000);
    expect(PROT_READ).toBe(1);
    expect(MAP_PRIVATE).toBe(2);
    expect(CLONE_VM).toBe(0x100);
    expect(AT_FDCWD).toBe(-100);
    expect(S_IFREG).toBe(0o100000);
  });
});

describe("FUTEX_WAKE_OP words", () => {
  it("decodeFutexOp inverts FUTEX_OP and sign-extends the 12-bit fields", () => {
    const w = abi.FUTEX_OP(abi.FUTEX_OP_ADD | abi.FUTEX_OP_OPARG_SHIFT, 5, abi.FUTEX_OP_CMP_LT, -1);
    expect(abi.decodeFutexOp(w)).toEqual({
      op: abi.FUTEX_OP_ADD,
      shift: true,
      oparg: 5,
      cmp: abi.FUTEX_OP_CMP_LT,
      cmparg: -1,
    });
    const v = abi.FUTEX_OP(abi.FUTEX_OP_ANDN, -2048, abi.FUTEX_OP_CMP_NE, 2047);
    expect(abi.decodeFutexOp(v)).toEqual({
      op: abi.FUTEX_OP_ANDN,
      shift: false,
      oparg: -2048,
      cmp: abi.FUTEX_OP_CMP_NE,
      cmparg: 2047,
    });
  });
});
