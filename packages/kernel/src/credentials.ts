/**
 * Process credentials (Linux's `struct cred`, gVisor's auth.Credentials).
 *
 * The sandbox starts as root (uid 0) unless configured otherwise. There is no
 * user namespace: ids are the sandbox's own and never reach the host.
 *
 * Invariants: fields are unsigned 32-bit ids; `groups` holds supplementary
 * groups, each listed once. A Credentials object may be shared by several
 * tasks (fork copies the reference; setuid & co. replace it copy-on-write via
 * {@link Credentials.fork}), so never mutate one that another task holds:
 * call `t.creds = t.creds.with(...)` instead.
 */
export class Credentials {
  constructor(
    readonly uid: number,
    readonly gid: number,
    readonly euid: number,
    readonly egid: number,
    readonly suid: number,
    readonly sgid: number,
    readonly fsuid: number,
    readonly fsgid: number,
    readonly groups: readonly number[],
  ) {}

  /** All ids set to `uid`/`gid`, no supplementary groups. */
  static of(uid: number, gid: number, groups: readonly number[] = []): Credentials {
    return new Credentials(uid, gid, uid, gid, uid, gid, uid, gid, groups);
  }

  /** A copy with some fields replaced. */
  with(c: Partial<Omit<Credentials, "with" | "hasCapability" | "inGroup">>): Credentials {
    return new Credentials(
      c.uid ?? this.uid,
      c.gid ?? this.gid,
      c.euid ?? this.euid,
      c.egid ?? this.egid,
      c.suid ?? this.suid,
      c.sgid ?? this.sgid,
      c.fsuid ?? this.fsuid,
      c.fsgid ?? this.fsgid,
      c.groups ?? this.groups,
    );
  }

  /**
   * Whether the task holds every capability. Without user namespaces and
   * capability sets, that is "effective uid is 0", like a classic root.
   */
  hasCapability(): boolean {
    return this.euid === 0;
  }

  /** Whether `gid` is the effective gid or a supplementary group. */
  inGroup(gid: number): boolean {
    return this.egid === gid || this.groups.includes(gid);
  }
}
