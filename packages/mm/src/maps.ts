import { PROT_EXEC, PROT_READ, PROT_WRITE } from "@tsvisor/abi";
import type { MemoryManager } from "./mm.js";
import type { Vma } from "./vma.js";

/**
 * Width of the fields before the name in a /proc/PID/maps line: Linux's
 * `seq_setwidth(m, 25 + sizeof(void *) * 6 - 1)` in show_vma_header_prefix.
 */
const MAPS_NAME_COLUMN = 25 + 8 * 6 - 1;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** glibc's major()/minor() of a `st_dev`. */
export function devMajorMinor(dev: number): [number, number] {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return [major, minor];
}

/**
 * The name column of `v`, as show_map_vma picks it: the file's path, the
 * special mapping's name, `[heap]` for anonymous memory overlapping
 * `[start_brk, brk]`, `[stack]` for the VMA holding `start_stack`, else none.
 */
function vmaName(mm: MemoryManager, v: Vma): string | null {
  if (v.obj !== null) return v.obj.name;
  if (v.file !== null) return v.file.name;
  if (v.name !== null) return v.name;
  if (mm.brkStart !== 0 && v.start <= mm.brkCur && v.end >= mm.brkStart) return "[heap]";
  if (mm.stackStart !== 0 && v.start <= mm.stackStart && v.end >= mm.stackStart) return "[stack]";
  return null;
}

/** One line of /proc/PID/maps for `v`, without the newline. */
export function mapsLine(mm: MemoryManager, v: Vma): string {
  let pgoff = 0;
  let dev = 0;
  let ino = 0;
  const backing = v.obj ?? v.file;
  if (backing !== null) {
    pgoff = v.offset;
    dev = backing.dev;
    ino = backing.ino;
  }
  const [major, minor] = devMajorMinor(dev);
  let line =
    `${hex(v.start, 8)}-${hex(v.end, 8)} ` +
    `${v.prot & PROT_READ ? "r" : "-"}${v.prot & PROT_WRITE ? "w" : "-"}` +
    `${v.prot & PROT_EXEC ? "x" : "-"}${v.shared ? "s" : "p"} ` +
    `${hex(pgoff, 8)} ${hex(major, 2)}:${hex(minor, 2)} ${ino} `;
  const name = vmaName(mm, v);
  if (name !== null) {
    // seq_pad: spaces up to the column, then one more separator.
    line = `${line.padEnd(MAPS_NAME_COLUMN, " ")} ${name.replaceAll("\n", "\\012")}`;
  }
  return line;
}

/**
 * /proc/PID/maps, byte for byte as Linux's show_map_vma prints it:
 * `start-end perms offset major:minor inode`, a trailing space, then for
 * named VMAs padding to column 73 and the name.
 */
export function mapsText(mm: MemoryManager): string {
  let out = "";
  for (const v of mm.vmas.a) out += `${mapsLine(mm, v)}\n`;
  return out;
}
