/**
 * The guest layout of the KVM platform: guest-physical and guest-virtual
 * addresses, selectors, ports and control-register values. All of it is
 * policy, chosen here and written into guest memory by guest-image.ts; the
 * addon learns only the addresses its run loop must recognise.
 *
 * Guest-physical:
 * - `[0, memoryFile.size)`: the memory file, one memslot per chunk
 *   (slot `FILE_SLOT_BASE + i`), GPA = file offset. Registered on first use.
 * - `PRIVATE_GPA`: platform-private memory (page tables, IDT, GDT/TSS,
 *   trampoline, IST stacks), slot `PRIVATE_SLOT`. Never visible to mm.
 * - `FLUSH_GPA`: a one-page slot whose move (to `FLUSH_GPA + 4096` and
 *   back) flushes every stale translation (see address-space.ts).
 *
 * Guest-virtual: the application owns the lower half `[MIN_USER, MAX_USER)`;
 * the platform area lives at the top of the upper half (PML4 slot 511), shared
 * by every address space through one PDPT.
 */

/** Lowest application address (page 0 stays unmapped). */
export const MIN_USER_ADDRESS = 0x1000;
/** One past the highest application address: Linux's TASK_SIZE_MAX on x86-64. */
export const MAX_USER_ADDRESS = 0x7ffffffff000;

/** GPA of platform-private memory; the memory file must end below it. */
export const PRIVATE_GPA = 2 ** 40;
/** Default size of platform-private memory (sparse). */
export const PRIVATE_SIZE = 256 * 1024 * 1024;
/** GPA of the flush slot (below MAXPHYADDR = 48 here and on current CPUs). */
export const FLUSH_GPA = 2 ** 40 + 2 ** 39;
export const PRIVATE_SLOT = 0;
export const FLUSH_SLOT = 1;
export const FILE_SLOT_BASE = 2;

/** Base of the platform area (PML4 index 511): 0xffff_ff80_0000_0000. */
export const PLATFORM_VA = 0xffffff8000000000n;
export const PLATFORM_PML4_INDEX = 511;
/** The IDT page (supervisor, read-only). */
export const IDT_VA = PLATFORM_VA;
/** The trampoline page (user, read + execute): LSTAR target, exception stubs, IRETQs. */
export const CODE_VA = PLATFORM_VA + 0x1000n;
/** Offset in the code page of the syscall entry: `out %al, $SYSCALL_PORT; iretq`. */
export const SYSCALL_STUB = 0x0;
/** Offset in the code page of exception stub 0; stub v is at `EXC_STUB + v * EXC_STUB_STRIDE`. */
export const EXC_STUB = 0x40;
export const EXC_STUB_STRIDE = 8;
/** Exception vectors with a gate and a stub (0..31, the CPU's own). */
export const EXC_VECTORS = 32;
/** First per-vCPU area (GDT + TSS, supervisor only); vCPU i at `PERCPU_VA + i * PERCPU_SIZE`. */
export const PERCPU_VA = PLATFORM_VA + 0x200000n;
export const PERCPU_SIZE = 0x1000;
export const PERCPU_GDT = 0x0;
export const PERCPU_TSS = 0x80;
/**
 * Per-address-space, per-vCPU user pages (PML4 slot 510, private to each
 * address space): vCPU i's IST stack page at `USER_PERCPU_VA + i *
 * USER_PERCPU_SIZE + USER_PERCPU_IST` (user RW: the CPU pushes exception
 * frames there with CPL 3), and its IRET frame page at `+ USER_PERCPU_FRAME`
 * (user read-only). Each address space has its own copies, so a process can
 * neither read nor forge another process's exception or return frames.
 */
export const USER_PERCPU_PML4_INDEX = 510;
export const USER_PERCPU_VA = 0xffffff0000000000n;
export const USER_PERCPU_SIZE = 0x4000;
export const USER_PERCPU_IST = 0x1000;
export const USER_PERCPU_FRAME = 0x2000;
/** vCPUs the per-vCPU area has room for (KVM allows 1024 here). */
export const MAX_VCPUS = 1024;

/** I/O ports the TSS bitmap opens to ring 3: exception stubs and the syscall entry. */
export const EXC_PORT0 = 0xc0;
export const SYSCALL_PORT = 0xe0;

/** Selectors (Linux's x86-64 layout; no 32-bit user code segment). */
export const KERNEL_CS = 0x10;
export const KERNEL_DS = 0x18;
export const USER_DS = 0x2b;
export const USER_CS = 0x33;
export const TSS_SEL = 0x40;
/** GDT entries: null, -, KCS, KDS, -, UDS, UCS, -, TSS (2 words). */
export const GDT_ENTRIES = 10;
/** TSS: 104 bytes, then an I/O bitmap for ports 0..255 and its 0xff terminator. */
export const TSS_IOMAP = 104;
export const TSS_LIMIT = TSS_IOMAP + 32 + 1 - 1;

export const CR0_PE = 1;
export const CR0_MP = 1 << 1;
export const CR0_ET = 1 << 4;
export const CR0_NE = 1 << 5;
export const CR0_WP = 1 << 16;
export const CR0_AM = 1 << 18;
export const CR0_PG = 2 ** 31;
export const CR4_PAE = 1 << 5;
export const CR4_OSFXSR = 1 << 9;
export const CR4_OSXMMEXCPT = 1 << 10;
export const CR4_OSXSAVE = 1 << 18;
export const EFER_SCE = 1;
export const EFER_LME = 1 << 8;
export const EFER_LMA = 1 << 10;
export const EFER_NXE = 1 << 11;

export const MSR_STAR = 0xc0000081;
export const MSR_LSTAR = 0xc0000082;
export const MSR_CSTAR = 0xc0000083;
export const MSR_SFMASK = 0xc0000084;
export const MSR_FS_BASE = 0xc0000100;
export const MSR_GS_BASE = 0xc0000101;
export const MSR_KERNEL_GS_BASE = 0xc0000102;

export const RFLAGS_CF = 0x1;
export const RFLAGS_PF = 0x4;
export const RFLAGS_AF = 0x10;
export const RFLAGS_ZF = 0x40;
export const RFLAGS_SF = 0x80;
export const RFLAGS_TF = 0x100;
export const RFLAGS_IF = 0x200;
export const RFLAGS_DF = 0x400;
export const RFLAGS_OF = 0x800;
export const RFLAGS_NT = 0x4000;
export const RFLAGS_RF = 0x10000;
export const RFLAGS_AC = 0x40000;
export const RFLAGS_ID = 0x200000;
/** Flags a program may set (Linux's ptrace FLAG_MASK plus ID); IF is always set. */
export const USER_RFLAGS_MASK =
  RFLAGS_CF |
  RFLAGS_PF |
  RFLAGS_AF |
  RFLAGS_ZF |
  RFLAGS_SF |
  RFLAGS_TF |
  RFLAGS_DF |
  RFLAGS_OF |
  RFLAGS_NT |
  RFLAGS_RF |
  RFLAGS_AC |
  RFLAGS_ID;
/**
 * SYSCALL clears these (SFMASK) so the trampoline's IRETQ runs without
 * single-step, alignment checks or NT. IF stays set: on PVM the trampoline
 * runs in ring 3, where IRETQ cannot set IF again.
 */
export const SYSCALL_RFLAGS_MASK = RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT;

/** Page-table entry bits (low word), and NX in the high word. */
export const PTE_P = 0x1;
export const PTE_W = 0x2;
export const PTE_U = 0x4;
export const PTE_A = 0x20;
export const PTE_D = 0x40;
export const PTE_HI_NX = 0x80000000;
