import {
  DeviceRegistry,
  FdTable,
  FsContext,
  type FsCreds,
  MountNamespace,
  ROOT_CREDS,
  TmpFs,
  type VfsTask,
} from "@tsvisor/vfs";

/** A task-like context over a fresh tmpfs root (for unit tests). */
export function tmpTask(creds: FsCreds = ROOT_CREDS): VfsTask & { ns: MountNamespace } {
  const fs = new TmpFs({ mode: 0o755 });
  const ns = new MountNamespace(fs, DeviceRegistry.withDefaults());
  const root = ns.rootLocation;
  return { fs: new FsContext(root, root, 0o022), fdTable: new FdTable(), creds, ns };
}

export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
