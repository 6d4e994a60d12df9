/**
 * Wait queues: how a task sleeps in the Sentry.
 *
 * A syscall handler that cannot finish now returns a {@link Block} naming the
 * {@link Waitable}s it waits on. The run loop subscribes the task to each of
 * them, and the task sleeps until one of them notifies, its deadline passes,
 * or a signal interrupts it. Nothing here allocates per wake-up except the
 * subscription entries themselves.
 *
 * Inspired by gVisor's pkg/waiter (Queue, Entry) and task_block.go.
 */

// Waiter, Waitable and WaitQueue are shared with the vfs (files tell the
// kernel what to wait on without depending on it): one definition, there.
export type { Waitable, Waiter } from "@tsvisor/vfs";
export { WaitQueue } from "@tsvisor/vfs";

/** Why a blocked task resumed. */
export type WakeReason = "woken" | "timeout" | "interrupted";
