/**
 * ELF64 file structures (<elf.h>): the file header `Elf64_Ehdr`, program
 * headers `Elf64_Phdr`, section headers `Elf64_Shdr`, and auxiliary vector
 * entries `Elf64_auxv_t` (the AT_* pairs execve(2) puts above envp).
 *
 * Addresses, offsets and sizes are numbers; a loader must reject values
 * beyond the address space anyway.
 *
 * @module
 */
import { getBytes, getU64, setBytes, setU64 } from "./bytes.js";

/** The 4-byte ELF magic ELFMAG, "\177ELF". */
export const ELFMAG: Uint8Array = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46);

export interface Elf64Ehdr {
  /** EI_NIDENT (16) identification bytes: ELFMAG, class, data, version, OS ABI... */
  e_ident: Uint8Array;
  e_type: number;
  e_machine: number;
  e_version: number;
  e_entry: number;
  e_phoff: number;
  e_shoff: number;
  e_flags: number;
  e_ehsize: number;
  e_phentsize: number;
  e_phnum: number;
  e_shentsize: number;
  e_shnum: number;
  e_shstrndx: number;
}
export const ELF64_EHDR_SIZE = 64;
export const ELF64_EHDR_OFFSETS = {
  e_ident: 0,
  e_type: 16,
  e_machine: 18,
  e_version: 20,
  e_entry: 24,
  e_phoff: 32,
  e_shoff: 40,
  e_flags: 48,
  e_ehsize: 52,
  e_phentsize: 54,
  e_phnum: 56,
  e_shentsize: 58,
  e_shnum: 60,
  e_shstrndx: 62,
} as const;

export function decodeElf64Ehdr(dv: DataView, off: number): Elf64Ehdr {
  return {
    e_ident: getBytes(dv, off, 16),
    e_type: dv.getUint16(off + 16, true),
    e_machine: dv.getUint16(off + 18, true),
    e_version: dv.getUint32(off + 20, true),
    e_entry: getU64(dv, off + 24),
    e_phoff: getU64(dv, off + 32),
    e_shoff: getU64(dv, off + 40),
    e_flags: dv.getUint32(off + 48, true),
    e_ehsize: dv.getUint16(off + 52, true),
    e_phentsize: dv.getUint16(off + 54, true),
    e_phnum: dv.getUint16(off + 56, true),
    e_shentsize: dv.getUint16(off + 58, true),
    e_shnum: dv.getUint16(off + 60, true),
    e_shstrndx: dv.getUint16(off + 62, true),
  };
}
export function encodeElf64Ehdr(dv: DataView, off: number, v: Elf64Ehdr): void {
  setBytes(dv, off, 16, v.e_ident);
  dv.setUint16(off + 16, v.e_type, true);
  dv.setUint16(off + 18, v.e_machine, true);
  dv.setUint32(off + 20, v.e_version, true);
  setU64(dv, off + 24, v.e_entry);
  setU64(dv, off + 32, v.e_phoff);
  setU64(dv, off + 40, v.e_shoff);
  dv.setUint32(off + 48, v.e_flags, true);
  dv.setUint16(off + 52, v.e_ehsize, true);
  dv.setUint16(off + 54, v.e_phentsize, true);
  dv.setUint16(off + 56, v.e_phnum, true);
  dv.setUint16(off + 58, v.e_shentsize, true);
  dv.setUint16(off + 60, v.e_shnum, true);
  dv.setUint16(off + 62, v.e_shstrndx, true);
}

export interface Elf64Phdr {
  p_type: number;
  p_flags: number;
  p_offset: number;
  p_vaddr: number;
  p_paddr: number;
  p_filesz: number;
  p_memsz: number;
  p_align: number;
}
export const ELF64_PHDR_SIZE = 56;
export const ELF64_PHDR_OFFSETS = {
  p_type: 0,
  p_flags: 4,
  p_offset: 8,
  p_vaddr: 16,
  p_paddr: 24,
  p_filesz: 32,
  p_memsz: 40,
  p_align: 48,
} as const;

export function decodeElf64Phdr(dv: DataView, off: number): Elf64Phdr {
  return {
    p_type: dv.getUint32(off, true),
    p_flags: dv.getUint32(off + 4, true),
    p_offset: getU64(dv, off + 8),
    p_vaddr: getU64(dv, off + 16),
    p_paddr: getU64(dv, off + 24),
    p_filesz: getU64(dv, off + 32),
    p_memsz: getU64(dv, off + 40),
    p_align: getU64(dv, off + 48),
  };
}
export function encodeElf64Phdr(dv: DataView, off: number, v: Elf64Phdr): void {
  dv.setUint32(off, v.p_type >>> 0, true);
  dv.setUint32(off + 4, v.p_flags >>> 0, true);
  setU64(dv, off + 8, v.p_offset);
  setU64(dv, off + 16, v.p_vaddr);
  setU64(dv, off + 24, v.p_paddr);
  setU64(dv, off + 32, v.p_filesz);
  setU64(dv, off + 40, v.p_memsz);
  setU64(dv, off + 48, v.p_align);
}

export interface Elf64Shdr {
  sh_name: number;
  sh_type: number;
  sh_flags: number;
  sh_addr: number;
  sh_offset: number;
  sh_size: number;
  sh_link: number;
  sh_info: number;
  sh_addralign: number;
  sh_entsize: number;
}
export const ELF64_SHDR_SIZE = 64;
export const ELF64_SHDR_OFFSETS = {
  sh_name: 0,
  sh_type: 4,
  sh_flags: 8,
  sh_addr: 16,
  sh_offset: 24,
  sh_size: 32,
  sh_link: 40,
  sh_info: 44,
  sh_addralign: 48,
  sh_entsize: 56,
} as const;

export function decodeElf64Shdr(dv: DataView, off: number): Elf64Shdr {
  return {
    sh_name: dv.getUint32(off, true),
    sh_type: dv.getUint32(off + 4, true),
    sh_flags: getU64(dv, off + 8),
    sh_addr: getU64(dv, off + 16),
    sh_offset: getU64(dv, off + 24),
    sh_size: getU64(dv, off + 32),
    sh_link: dv.getUint32(off + 40, true),
    sh_info: dv.getUint32(off + 44, true),
    sh_addralign: getU64(dv, off + 48),
    sh_entsize: getU64(dv, off + 56),
  };
}
export function encodeElf64Shdr(dv: DataView, off: number, v: Elf64Shdr): void {
  dv.setUint32(off, v.sh_name, true);
  dv.setUint32(off + 4, v.sh_type >>> 0, true);
  setU64(dv, off + 8, v.sh_flags);
  setU64(dv, off + 16, v.sh_addr);
  setU64(dv, off + 24, v.sh_offset);
  setU64(dv, off + 32, v.sh_size);
  dv.setUint32(off + 40, v.sh_link, true);
  dv.setUint32(off + 44, v.sh_info, true);
  setU64(dv, off + 48, v.sh_addralign);
  setU64(dv, off + 56, v.sh_entsize);
}

/** `Elf64_auxv_t`: an (AT_* key, value) pair of the auxiliary vector, ended by AT_NULL. */
export interface Elf64Auxv {
  a_type: number;
  a_val: number;
}
export const ELF64_AUXV_SIZE = 16;
export const ELF64_AUXV_OFFSETS = { a_type: 0, a_val: 8 } as const;

export function decodeElf64Auxv(dv: DataView, off: number): Elf64Auxv {
  return { a_type: getU64(dv, off), a_val: getU64(dv, off + 8) };
}
export function encodeElf64Auxv(dv: DataView, off: number, v: Elf64Auxv): void {
  setU64(dv, off, v.a_type);
  setU64(dv, off + 8, v.a_val);
}
