import { describe, expect, it } from "vitest";
import { sysClose, sysOpen, sysRead, sysWrite } from "../src/syscalls/sys-file.js";
import {
  sysAccept4,
  sysBind,
  sysConnect,
  sysListen,
  sysRecvfrom,
  sysRecvmsg,
  sysSendmsg,
  sysSendto,
  sysShutdown,
  sysSocket,
  sysSocketpair,
} from "../src/syscalls/sys-socket.js";
import { makeTask } from "./files-helpers.js";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const MSG_PEEK = 2;
const MSG_TRUNC = 32;
const MSG_DONTWAIT = 64;
const MSG_NOSIGNAL = 0x4000;
const EAGAIN = 11;
const EPIPE = 32;
const ENOTSOCK = 88;
const EADDRINUSE = 98;
const ECONNREFUSED = 111;

function pair(tt: ReturnType<typeof makeTask>, type: number): [number, number] {
  const p = tt.alloc(8);
  expect(tt.num(sysSocketpair, AF_UNIX, type, 0, p)).toBe(0);
  const dv = new DataView(tt.read(p, 8).buffer);
  return [dv.getInt32(0, true), dv.getInt32(4, true)];
}

function sockaddr(tt: ReturnType<typeof makeTask>, path: string): number {
  const b = new Uint8Array(110);
  b[0] = AF_UNIX;
  b.set(Buffer.from(path, "latin1"), 2);
  const a = tt.alloc(110);
  tt.mem.copyOut(a, b);
  return a;
}

describe("unix sockets", () => {
  it("stream pairs merge writes, peek, see EOF after SHUT_WR and EPIPE after it", () => {
    const tt = makeTask();
    const [a, b] = pair(tt, SOCK_STREAM);
    expect(tt.num(sysWrite, a, tt.str("hello"), 5)).toBe(5);
    expect(tt.num(sysWrite, a, tt.str("world"), 5)).toBe(5);
    const buf = tt.alloc(64);
    expect(tt.num(sysRecvfrom, b, buf, 64, MSG_PEEK, 0, 0)).toBe(10);
    expect(tt.num(sysRead, b, buf, 64)).toBe(10);
    expect(Buffer.from(tt.read(buf, 10)).toString()).toBe("helloworld");
    expect(tt.num(sysRecvfrom, b, buf, 1, MSG_DONTWAIT, 0, 0)).toBe(-EAGAIN);
    expect(typeof tt.call(sysRead, b, buf, 1)).toBe("object"); // blocks
    expect(tt.num(sysShutdown, a, 1)).toBe(0);
    expect(tt.num(sysRead, b, buf, 64)).toBe(0);
    expect(tt.num(sysSendto, a, tt.str("x"), 1, MSG_NOSIGNAL, 0, 0)).toBe(-EPIPE);
    expect(tt.pending.mask).toBe(0n); // MSG_NOSIGNAL: no SIGPIPE
    expect(tt.num(sysWrite, a, tt.str("x"), 1)).toBe(-EPIPE);
    expect(tt.pending.mask & (1n << 12n)).not.toBe(0n); // SIGPIPE
  });

  it("datagrams keep boundaries and MSG_TRUNC reports the real length", () => {
    const tt = makeTask();
    const [a, b] = pair(tt, SOCK_DGRAM);
    tt.num(sysWrite, a, tt.str("abc"), 3);
    tt.num(sysWrite, a, tt.str("defgh"), 5);
    const buf = tt.alloc(64);
    expect(tt.num(sysRead, b, buf, 64)).toBe(3);
    expect(tt.num(sysRecvfrom, b, buf, 2, MSG_TRUNC, 0, 0)).toBe(5);
    expect(tt.num(sysRecvfrom, b, buf, 2, MSG_DONTWAIT, 0, 0)).toBe(-EAGAIN);
  });

  it("bind/listen/connect/accept through a path; EADDRINUSE and ECONNREFUSED", () => {
    const tt = makeTask();
    const l = tt.num(sysSocket, AF_UNIX, SOCK_STREAM, 0);
    const addr = sockaddr(tt, "/sock");
    expect(tt.num(sysBind, l, addr, 110)).toBe(0);
    expect(tt.num(sysBind, tt.num(sysSocket, AF_UNIX, SOCK_STREAM, 0), addr, 110)).toBe(
      -EADDRINUSE,
    );
    const c0 = tt.num(sysSocket, AF_UNIX, SOCK_STREAM, 0);
    expect(tt.num(sysConnect, c0, addr, 110)).toBe(-ECONNREFUSED); // not listening yet
    expect(tt.num(sysListen, l, 4)).toBe(0);
    const c = tt.num(sysSocket, AF_UNIX, SOCK_STREAM, 0);
    expect(tt.num(sysConnect, c, addr, 110)).toBe(0);
    const s = tt.num(sysAccept4, l, 0, 0, 0);
    expect(s).toBeGreaterThanOrEqual(0);
    tt.num(sysWrite, c, tt.str("hi"), 2);
    expect(tt.num(sysRead, s, tt.alloc(8), 8)).toBe(2);
    expect(
      tt.num(sysConnect, tt.num(sysSocket, AF_UNIX, SOCK_STREAM, 0), sockaddr(tt, "/nope"), 110),
    ).toBe(-2);
  });

  it("passes a descriptor with SCM_RIGHTS", () => {
    const tt = makeTask();
    const [a, b] = pair(tt, SOCK_STREAM);
    const [pr, pw] = pair(tt, SOCK_STREAM);
    // msghdr { iov = {"x",1}, control = cmsghdr{len 20, SOL_SOCKET, SCM_RIGHTS, pr} }
    const iov = tt.alloc(16);
    const x = tt.str("x");
    const ctl = tt.alloc(24);
    const hdr = tt.alloc(56);
    const w = (addr: number, f: (dv: DataView) => void, len: number) => {
      const dv = new DataView(new ArrayBuffer(len));
      f(dv);
      tt.mem.copyOut(addr, new Uint8Array(dv.buffer));
    };
    w(
      iov,
      (dv) => {
        dv.setBigUint64(0, BigInt(x), true);
        dv.setBigUint64(8, 1n, true);
      },
      16,
    );
    w(
      ctl,
      (dv) => {
        dv.setBigUint64(0, 20n, true);
        dv.setInt32(8, 1, true);
        dv.setInt32(12, 1, true);
        dv.setInt32(16, pr, true);
      },
      24,
    );
    w(
      hdr,
      (dv) => {
        dv.setBigUint64(16, BigInt(iov), true);
        dv.setBigUint64(24, 1n, true);
        dv.setBigUint64(32, BigInt(ctl), true);
        dv.setBigUint64(40, 24n, true);
      },
      56,
    );
    expect(tt.num(sysSendmsg, a, hdr, 0)).toBe(1);
    tt.num(sysClose, pr); // the in-flight reference keeps it alive
    const rctl = tt.alloc(24);
    const rbuf = tt.alloc(8);
    w(
      iov,
      (dv) => {
        dv.setBigUint64(0, BigInt(rbuf), true);
        dv.setBigUint64(8, 8n, true);
      },
      16,
    );
    w(
      hdr,
      (dv) => {
        dv.setBigUint64(16, BigInt(iov), true);
        dv.setBigUint64(24, 1n, true);
        dv.setBigUint64(32, BigInt(rctl), true);
        dv.setBigUint64(40, 24n, true);
      },
      56,
    );
    expect(tt.num(sysRecvmsg, b, hdr, 0)).toBe(1);
    const got = new DataView(tt.read(rctl, 24).buffer).getInt32(16, true);
    expect(got).toBeGreaterThanOrEqual(0);
    tt.num(sysWrite, pw, tt.str("through"), 7);
    expect(tt.num(sysRead, got, tt.alloc(16), 16)).toBe(7);
  });

  it("socket calls on a non-socket are ENOTSOCK; bad fds EBADF; other families unsupported", () => {
    const tt = makeTask();
    const f = tt.num(sysOpen, tt.str("/plain"), 0o102, 0o644);
    expect(tt.num(sysSendto, f, tt.str("x"), 1, 0, 0, 0)).toBe(-ENOTSOCK);
    expect(tt.num(sysSendto, 77, tt.str("x"), 1, 0, 0, 0)).toBe(-9);
    const p = tt.alloc(8);
    expect(tt.num(sysSocket, 12345, SOCK_STREAM, 0)).toBe(-97); // EAFNOSUPPORT
    expect(tt.num(sysSocketpair, 2, SOCK_STREAM, 0, p)).toBe(-95); // AF_INET: EOPNOTSUPP
  });
});
