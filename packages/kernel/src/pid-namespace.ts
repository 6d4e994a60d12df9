/**
 * The sandbox's PID namespace: id allocation and lookup of tasks, thread
 * groups, process groups and sessions. There is one namespace (nested PID
 * namespaces are not supported); its first thread group is the sandbox's
 * init (pid 1), to which orphans are reparented.
 *
 * Invariants:
 * - `tasks` maps every live or zombie task's tid to it; a thread group's
 *   tgid equals its leader's tid and stays allocated until the group is
 *   reaped.
 * - Ids are never reused while any table still holds them.
 *
 * Inspired by gVisor's pkg/sentry/kernel/threads.go (PIDNamespace).
 */
import type { ProcessGroup, Session } from "./session.js";
import type { Task } from "./task.js";
import type { ThreadGroup } from "./thread-group.js";

/** Linux's default /proc/sys/kernel/pid_max. */
export const PID_MAX = 4194304;

export class PidNamespace {
  readonly tasks = new Map<number, Task>();
  readonly threadGroups = new Map<number, ThreadGroup>();
  readonly processGroups = new Map<number, ProcessGroup>();
  readonly sessions = new Map<number, Session>();
  private last = 0;

  /** Allocates the next free id (like Linux: increasing, wrapping at pid_max to 300). */
  allocate(): number {
    for (let i = 0; i < PID_MAX; i++) {
      this.last = this.last >= PID_MAX - 1 ? 300 : this.last + 1;
      const id = this.last;
      if (
        !this.tasks.has(id) &&
        !this.threadGroups.has(id) &&
        !this.processGroups.has(id) &&
        !this.sessions.has(id)
      ) {
        return id;
      }
    }
    return -1;
  }

  /** The init thread group (pid 1), or null before it exists or after it is gone. */
  get init(): ThreadGroup | null {
    return this.threadGroups.get(1) ?? null;
  }
}
