/**
 * Sessions and process groups (setsid(2), setpgid(2)).
 *
 * Invariants:
 * - A process group belongs to exactly one session, and each of its members'
 *   `processGroup` points to it.
 * - A process group with no members is removed from its session and its
 *   PID namespace's table; a session with no process groups likewise.
 *
 * Inspired by gVisor's pkg/sentry/kernel/sessions.go.
 */
import type { ThreadGroup } from "./thread-group.js";

/** A session: a set of process groups sharing a controlling terminal. */
export class Session {
  readonly processGroups = new Set<ProcessGroup>();

  constructor(
    /** Session id: the tgid of the leader that created it. */
    readonly sid: number,
    /** The thread group that called setsid (may have exited); null only while the sandbox boots. */
    public leader: ThreadGroup | null,
  ) {}
}

/** A process group: the unit of job control signals (kill(-pgid)). */
export class ProcessGroup {
  readonly members = new Set<ThreadGroup>();

  constructor(
    readonly pgid: number,
    readonly session: Session,
  ) {
    session.processGroups.add(this);
  }
}
