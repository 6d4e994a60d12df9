// tsvisor KVM platform: the native mechanism under src/*.ts.
//
// Mechanism only (STYLE.md §6): /dev/kvm ioctls, the memory file (memfd +
// mmap), host threads that run vCPUs, and the vCPU run loop that turns one
// KVM exit into one numeric result. The guest's layout (GDT, TSS, IDT, page
// tables, trampoline code, MSR values) is chosen and written by TypeScript;
// this file only learns the few addresses the run loop must recognise
// (vcpuConfigure). Every failing host call throws the JS error class passed to
// init() with the numeric errno.
//
// Objects are plain handles (small integers) into tables owned here; the
// TypeScript side owns their lifetime.
//
// Threads: every napi entry point runs on the JS (Sentry) thread. Worker
// threads (one per vCPU, created on the first vcpuStart) only run
// RunVcpu() and push their handle on the VM's completion queue; they never
// call napi. vcpuInterrupt() may race with any runner: Vcpu::mu orders it.

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <string>
#include <vector>

#include <napi.h>

namespace {

// The uapi headers declare flexible arrays with __DECLARE_FLEX_ARRAY, which
// C++ compiles to a different struct size than C; the size is part of the
// ioctl number, so these take the C values.
constexpr unsigned long kGetSupportedCpuid = 0xc008ae05;  // KVM_GET_SUPPORTED_CPUID
constexpr unsigned long kSetCpuid2 = 0x4008ae90;          // KVM_SET_CPUID2
constexpr unsigned long kGetMsrs = 0xc008ae88;            // KVM_GET_MSRS
constexpr unsigned long kSetMsrs = 0x4008ae89;            // KVM_SET_MSRS
constexpr unsigned long kGetXsave = 0x9000aea4;           // KVM_GET_XSAVE
constexpr unsigned long kSetXsave = 0x5000aea5;           // KVM_SET_XSAVE
static_assert(sizeof(struct kvm_msr_entry) == 16, "kvm_msr_entry");
static_assert(sizeof(struct kvm_cpuid_entry2) == 40, "kvm_cpuid_entry2");
// ... and the flexible arrays' offsets differ too: in C, entries follow the
// 8-byte header (nent/nmsrs, padding).
constexpr size_t kFlexHeader = 8;
inline struct kvm_cpuid_entry2* CpuidEntries(uint8_t* buf) {
  return reinterpret_cast<struct kvm_cpuid_entry2*>(buf + kFlexHeader);
}
inline struct kvm_msr_entry* MsrEntries(uint8_t* buf) {
  return reinterpret_cast<struct kvm_msr_entry*>(buf + kFlexHeader);
}


// Per-env state (the addon may be loaded by several worker threads).
struct EnvData {
  Napi::FunctionReference error_class;
};
int g_kick_signal = 0;

// Throws HostError(call, errno) and returns an empty value.
Napi::Value ThrowErrno(Napi::Env env, const char* call, int err) {
  EnvData* d = env.GetInstanceData<EnvData>();
  if (d == nullptr || d->error_class.IsEmpty()) {
    Napi::Error::New(env, std::string(call) + " failed: errno " + std::to_string(err)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object e = d->error_class.New({Napi::String::New(env, call), Napi::Number::New(env, err)});
  Napi::Error(env, e).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value ThrowType(Napi::Env env, const char* msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

int Ioctl(int fd, unsigned long req, void* arg) {
  int r;
  do {
    r = ioctl(fd, req, arg);
  } while (r < 0 && errno == EINTR);
  return r;
}

// ---- user_regs_struct indices (packages/platform/src/registers.ts) --------
enum {
  R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8, RAX, RCX, RDX, RSI, RDI, ORIG_RAX,
  RIP, CS, EFLAGS, RSP, SS, FS_BASE, GS_BASE, DS, ES, FS, GS, NUM_REGS
};

// Result codes of RunVcpu (src/native.ts mirrors them).
enum RunResult {
  kSyscall = 0,      // the trampoline's syscall OUT
  kException = 1,    // an exception stub's OUT; xinfo = vector, error code, cr2
  kInterrupted = 2,  // vcpuInterrupt()
  kTimeout = 3,      // the run's own timeout
  kBadIo = 4,        // the program itself did IN/OUT on an open port (a #GP on Linux)
  kError = 5,        // unexpected exit: xinfo[3] = exit reason, [4] = errno / detail
};

// Exit information shared with JS (Float64Array(8)).
enum { X_VECTOR, X_ERROR_CODE, X_CR2, X_EXIT_REASON, X_DETAIL, X_DETAIL2, X_PORT, X_NUM };

struct Vm;

struct Vcpu {
  Vm* vm = nullptr;
  int handle = -1;
  int id = -1;
  int fd = -1;
  struct kvm_run* run = nullptr;
  size_t run_size = 0;

  // JS-owned buffers (kept alive by the TypeScript Context bound to this vCPU).
  uint64_t* uregs = nullptr;  // NUM_REGS little-endian u64
  double* xinfo = nullptr;    // X_NUM

  // Layout learnt from vcpuConfigure.
  uint16_t sys_port = 0, exc_port0 = 0, exc_count = 0;
  uint64_t sys_out_va = 0, exc_out_va0 = 0, exc_stride = 0;
  uint64_t frame_va = 0;
  // Host addresses of this run's IRET frame (5 x u64, read-only to the
  // guest) and IST stack top: pages of the address space being run.
  uint64_t* frame_host = nullptr;
  uint8_t* ist_top_host = nullptr;
  uint64_t user_cs = 0x33, user_ss = 0x2b, rflags_mask = 0;
  bool configured = false;

  // Guest state the run loop tracks (only touched by the thread running it).
  struct kvm_sregs sregs {};  // last sregs written (cr3/fs/gs updated lazily)
  uint64_t cur_cr3 = 0, cur_fs = 0, cur_gs = 0;
  uint64_t resume_rip = 0;  // an IRETQ the next entry starts at (see RunVcpu)

  // Run / interrupt state, protected by mu.
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  bool running = false;  // a thread is inside RunVcpu
  bool armed = false;    // resumed: an interrupt before the run starts counts
  bool kicked = false;   // vcpuInterrupt() hit this run
  volatile sig_atomic_t timed_out = 0;
  pthread_t thread{};

  // Worker thread (async runs), protected by mu.
  bool has_worker = false;
  pthread_t worker{};
  pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
  int cmd = 0;  // 0 idle, 1 run, 2 quit
  uint64_t cmd_cr3 = 0, cmd_ist = 0, cmd_frame = 0;
  int async_result = -1;
};

struct Vm {
  int handle = -1;
  int kvm_fd = -1;
  int fd = -1;
  size_t run_size = 0;
  std::vector<Vcpu*> vcpus;
  // Completion queue of async runs.
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
  std::deque<int> done;
  std::atomic<int> ndone{0};
  // Flush slot: a one-page memslot whose move drops every shadow
  // page-table entry (see src/address-space.ts).
  void* flush_mem = nullptr;
  uint32_t flush_slot = 0;
  uint64_t flush_gpa = 0;
};

// Handle tables: fixed arrays (no reallocation under a concurrent lookup
// from another JS thread); slots are claimed and freed under g_table_mu.
constexpr int kMaxVms = 1024;
constexpr int kMaxVcpuHandles = 65536;
Vm* g_vms[kMaxVms];
Vcpu* g_vcpus[kMaxVcpuHandles];
pthread_mutex_t g_table_mu = PTHREAD_MUTEX_INITIALIZER;

template <typename T, int N>
int ClaimSlot(T* (&table)[N], T* obj) {
  pthread_mutex_lock(&g_table_mu);
  int h = -1;
  for (int i = 0; i < N; i++) {
    if (table[i] == nullptr) {
      table[i] = obj;
      h = i;
      break;
    }
  }
  pthread_mutex_unlock(&g_table_mu);
  return h;
}

template <typename T, int N>
void FreeSlot(T* (&table)[N], int h) {
  pthread_mutex_lock(&g_table_mu);
  table[h] = nullptr;
  pthread_mutex_unlock(&g_table_mu);
}

thread_local Vcpu* tls_vcpu = nullptr;  // the vCPU this thread is running
thread_local bool tls_timer_made = false;
thread_local timer_t tls_timer;

void KickHandler(int sig, siginfo_t* si, void*) {
  // A timer expiry (SI_TIMER) ends this thread's current run. A pthread_kill
  // from vcpuInterrupt() needs nothing here: it set the flags under the lock
  // and only has to knock the thread out of KVM_RUN.
  if (si != nullptr && si->si_code == SI_TIMER) {
    Vcpu* v = tls_vcpu;
    if (v != nullptr) {
      v->timed_out = 1;
      v->run->immediate_exit = 1;
    }
  }
}

void EnsureSignalUnblocked() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, g_kick_signal);
  pthread_sigmask(SIG_UNBLOCK, &s, nullptr);
}

Vm* GetVm(const Napi::CallbackInfo& info, size_t i) {
  int h = info[i].As<Napi::Number>().Int32Value();
  if (h < 0 || h >= kMaxVms || g_vms[h] == nullptr) return nullptr;
  return g_vms[h];
}

Vcpu* GetVcpu(const Napi::CallbackInfo& info, size_t i) {
  int h = info[i].As<Napi::Number>().Int32Value();
  if (h < 0 || h >= kMaxVcpuHandles || g_vcpus[h] == nullptr) return nullptr;
  return g_vcpus[h];
}

double Num(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }

template <typename T>
T* TypedData(const Napi::Value& v, size_t* len) {
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  *len = ta.ElementLength();
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  return reinterpret_cast<T*>(static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset());
}

// ---- init / memory -----------------------------------------------------

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsNumber())
    return ThrowType(env, "init(errorClass, kickSignal)");
  EnvData* d = env.GetInstanceData<EnvData>();
  if (d == nullptr) {
    d = new EnvData();
    env.SetInstanceData(d);
  }
  d->error_class = Napi::Persistent(info[0].As<Napi::Function>());
  g_kick_signal = info[1].As<Napi::Number>().Int32Value();
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = KickHandler;
  // SA_RESTART: a late kick must not fail the thread's other system calls;
  // KVM_RUN itself returns EINTR regardless.
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(g_kick_signal, &sa, nullptr) != 0) return ThrowErrno(env, "sigaction", errno);
  return env.Undefined();
}

Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  double size = Num(info, 1);
  int fd = (int)syscall(SYS_memfd_create, name.c_str(), (unsigned)MFD_CLOEXEC);
  if (fd < 0) return ThrowErrno(env, "memfd_create", errno);
  if (ftruncate(fd, (off_t)size) != 0) {
    int e = errno;
    close(fd);
    return ThrowErrno(env, "ftruncate", e);
  }
  return Napi::Number::New(env, fd);
}

Napi::Value MapShared(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = (int)Num(info, 0);
  size_t size = (size_t)Num(info, 1);
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  if (p == MAP_FAILED) return ThrowErrno(env, "mmap", errno);
  return Napi::Number::New(env, (double)(uintptr_t)p);
}

Napi::Value Unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* p = (void*)(uintptr_t)Num(info, 0);
  if (munmap(p, (size_t)Num(info, 1)) != 0) return ThrowErrno(env, "munmap", errno);
  return env.Undefined();
}

Napi::Value ExternalBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* p = (void*)(uintptr_t)Num(info, 0);
  size_t len = (size_t)Num(info, 1);
  return Napi::ArrayBuffer::New(env, p, len);
}

Napi::Value Detach(const Napi::CallbackInfo& info) {
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  if (!ab.IsDetached()) ab.Detach();
  return info.Env().Undefined();
}

Napi::Value PunchHole(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = (int)Num(info, 0);
  if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)Num(info, 1), (off_t)Num(info, 2)) != 0)
    return ThrowErrno(env, "fallocate", errno);
  return env.Undefined();
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  close((int)Num(info, 0));
  return info.Env().Undefined();
}

// Returns [stage, errno]: stage 0 ok; 1 open /dev/kvm; 2 API version;
// 3 KVM_CREATE_VM; 4 a required capability is missing (errno = cap).
Napi::Value Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, 2);
  int stage = 0, err = 0;
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) {
    stage = 1, err = errno;
  } else {
    int v = ioctl(kvm, KVM_GET_API_VERSION, 0);
    if (v != KVM_API_VERSION) {
      stage = 2, err = v < 0 ? errno : v;
    } else {
      int vm = ioctl(kvm, KVM_CREATE_VM, 0);
      if (vm < 0) {
        stage = 3, err = errno;
      } else {
        static const int caps[] = {KVM_CAP_SYNC_REGS, KVM_CAP_IMMEDIATE_EXIT, KVM_CAP_XSAVE,
                                   KVM_CAP_XCRS, KVM_CAP_EXT_CPUID};
        for (int c : caps) {
          if (ioctl(vm, KVM_CHECK_EXTENSION, c) <= 0) {
            stage = 4, err = c;
            break;
          }
        }
        close(vm);
      }
    }
    close(kvm);
  }
  out.Set(0u, Napi::Number::New(env, stage));
  out.Set(1u, Napi::Number::New(env, err));
  return out;
}

// ---- VM ----------------------------------------------------------------

Napi::Value VmCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) return ThrowErrno(env, "open(/dev/kvm)", errno);
  int fd = Ioctl(kvm, KVM_CREATE_VM, 0);
  if (fd < 0) {
    int e = errno;
    close(kvm);
    return ThrowErrno(env, "KVM_CREATE_VM", e);
  }
  int rs = Ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (rs < 0) {
    int e = errno;
    close(fd);
    close(kvm);
    return ThrowErrno(env, "KVM_GET_VCPU_MMAP_SIZE", e);
  }
  Vm* vm = new Vm();
  vm->kvm_fd = kvm;
  vm->fd = fd;
  vm->run_size = (size_t)rs;
  vm->handle = ClaimSlot(g_vms, vm);
  if (vm->handle < 0) {
    close(fd);
    close(kvm);
    delete vm;
    return ThrowErrno(env, "vmCreate(handles)", EMFILE);
  }
  return Napi::Number::New(env, vm->handle);
}

Napi::Value VmCheckExtension(const Napi::CallbackInfo& info) {
  Vm* vm = GetVm(info, 0);
  if (vm == nullptr) return ThrowType(info.Env(), "bad vm");
  int r = ioctl(vm->fd, KVM_CHECK_EXTENSION, (int)Num(info, 1));
  return Napi::Number::New(info.Env(), r < 0 ? 0 : r);
}

int SetSlot(Vm* vm, uint32_t slot, uint64_t gpa, uint64_t size, uint64_t addr) {
  struct kvm_userspace_memory_region r;
  memset(&r, 0, sizeof(r));
  r.slot = slot;
  r.guest_phys_addr = gpa;
  r.memory_size = size;
  r.userspace_addr = addr;
  return Ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r);
}

// vmSetSlot(vm, slot, gpa, size, hostAddr); size 0 deletes the slot.
Napi::Value VmSetSlot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vm* vm = GetVm(info, 0);
  if (vm == nullptr) return ThrowType(env, "bad vm");
  if (SetSlot(vm, (uint32_t)Num(info, 1), (uint64_t)Num(info, 2), (uint64_t)Num(info, 3),
              (uint64_t)Num(info, 4)) != 0)
    return ThrowErrno(env, "KVM_SET_USER_MEMORY_REGION", errno);
  return env.Undefined();
}

// vmFlush(vm, slot, gpa): moves a one-page memslot between `gpa` and
// `gpa + 4096` (created at `gpa` on the first call). KVM drops every
// shadow/TDP page-table entry of the VM when a memslot is deleted or moved
// (KVM_X86_QUIRK_SLOT_ZAP_ALL, on by default) and flushes the guest TLB of
// every vCPU, kicking running ones. A move costs two memslot swaps (SRCU
// grace periods); a delete plus re-add would cost three.
Napi::Value VmFlush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vm* vm = GetVm(info, 0);
  if (vm == nullptr) return ThrowType(env, "bad vm");
  uint32_t slot = (uint32_t)Num(info, 1);
  uint64_t gpa = (uint64_t)Num(info, 2);
  if (vm->flush_mem == nullptr) {
    void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return ThrowErrno(env, "mmap", errno);
    if (SetSlot(vm, slot, gpa, 4096, (uint64_t)(uintptr_t)p) != 0) {
      int e = errno;
      munmap(p, 4096);
      return ThrowErrno(env, "KVM_SET_USER_MEMORY_REGION(add)", e);
    }
    vm->flush_mem = p;
    vm->flush_slot = slot;
    vm->flush_gpa = gpa;
    return env.Undefined();
  }
  uint64_t to = vm->flush_gpa == gpa ? gpa + 4096 : gpa;
  if (SetSlot(vm, vm->flush_slot, to, 4096, (uint64_t)(uintptr_t)vm->flush_mem) != 0)
    return ThrowErrno(env, "KVM_SET_USER_MEMORY_REGION(move)", errno);
  vm->flush_gpa = to;
  return env.Undefined();
}

// Returns the supported CPUID as a Uint32Array of entries of 8 words:
// function, index, flags, eax, ebx, ecx, edx, 0.
Napi::Value VmSupportedCpuid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vm* vm = GetVm(info, 0);
  if (vm == nullptr) return ThrowType(env, "bad vm");
  int n = 256;
  std::vector<uint8_t> buf(kFlexHeader + n * sizeof(struct kvm_cpuid_entry2));
  auto* c = reinterpret_cast<struct kvm_cpuid2*>(buf.data());
  c->nent = n;
  if (Ioctl(vm->kvm_fd, kGetSupportedCpuid, c) != 0) return ThrowErrno(env, "KVM_GET_SUPPORTED_CPUID", errno);
  Napi::Uint32Array out = Napi::Uint32Array::New(env, c->nent * 8);
  struct kvm_cpuid_entry2* entries = CpuidEntries(buf.data());
  for (uint32_t i = 0; i < c->nent; i++) {
    const auto& e = entries[i];
    uint32_t w[8] = {e.function, e.index, e.flags, e.eax, e.ebx, e.ecx, e.edx, 0};
    for (int k = 0; k < 8; k++) out[i * 8 + k] = w[k];
  }
  return out;
}

void StopWorker(Vcpu* v) {
  if (!v->has_worker) return;
  pthread_mutex_lock(&v->mu);
  v->cmd = 2;
  pthread_cond_signal(&v->cv);
  pthread_mutex_unlock(&v->mu);
  pthread_join(v->worker, nullptr);
  v->has_worker = false;
}

Napi::Value VmDestroy(const Napi::CallbackInfo& info) {
  Vm* vm = GetVm(info, 0);
  if (vm == nullptr) return info.Env().Undefined();
  for (Vcpu* v : vm->vcpus) {
    StopWorker(v);
    if (v->run != nullptr) munmap(v->run, v->run_size);
    close(v->fd);
    FreeSlot(g_vcpus, v->handle);
    delete v;
  }
  vm->vcpus.clear();
  close(vm->fd);
  close(vm->kvm_fd);
  if (vm->flush_mem != nullptr) munmap(vm->flush_mem, 4096);
  FreeSlot(g_vms, vm->handle);
  delete vm;
  return info.Env().Undefined();
}

// ---- vCPU setup ----------------------------------------------------------

Napi::Value VcpuCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vm* vm = GetVm(info, 0);
  if (vm == nullptr) return ThrowType(env, "bad vm");
  int id = (int)Num(info, 1);
  int fd = Ioctl(vm->fd, KVM_CREATE_VCPU, (void*)(uintptr_t)id);
  if (fd < 0) return ThrowErrno(env, "KVM_CREATE_VCPU", errno);
  void* run = mmap(nullptr, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (run == MAP_FAILED) {
    int e = errno;
    close(fd);
    return ThrowErrno(env, "mmap(kvm_run)", e);
  }
  Vcpu* v = new Vcpu();
  v->vm = vm;
  v->id = id;
  v->fd = fd;
  v->run = static_cast<struct kvm_run*>(run);
  v->run_size = vm->run_size;
  v->handle = ClaimSlot(g_vcpus, v);
  if (v->handle < 0) {
    munmap(run, vm->run_size);
    close(fd);
    delete v;
    return ThrowErrno(env, "vcpuCreate(handles)", EMFILE);
  }
  vm->vcpus.push_back(v);
  if (Ioctl(fd, KVM_GET_SREGS, &v->sregs) != 0) return ThrowErrno(env, "KVM_GET_SREGS", errno);
  return Napi::Number::New(env, v->handle);
}

// vcpuBind(vcpu, regs: Uint32Array(2*NUM_REGS), xinfo: Float64Array(8))
Napi::Value VcpuBind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vcpu* v = GetVcpu(info, 0);
  if (v == nullptr) return ThrowType(env, "bad vcpu");
  size_t n1, n2;
  uint32_t* r = TypedData<uint32_t>(info[1], &n1);
  double* x = TypedData<double>(info[2], &n2);
  if (n1 < 2 * NUM_REGS || n2 < X_NUM || ((uintptr_t)r & 7) != 0) return ThrowType(env, "bad buffers");
  v->uregs = reinterpret_cast<uint64_t*>(r);
  v->xinfo = x;
  return env.Undefined();
}

// vcpuConfigure(vcpu, cfg: BigUint64Array): see src/native.ts VcpuConfig.
Napi::Value VcpuConfigure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vcpu* v = GetVcpu(info, 0);
  if (v == nullptr) return ThrowType(env, "bad vcpu");
  size_t n;
  uint64_t* c = TypedData<uint64_t>(info[1], &n);
  if (n < 11) return ThrowType(env, "bad config");
  v->sys_port = (uint16_t)c[0];
  v->exc_port0 = (uint16_t)c[1];
  v->exc_count = (uint16_t)c[2];
  v->sys_out_va = c[3];
  v->exc_out_va0 = c[4];
  v->exc_stride = c[5];
  v->frame_va = c[6];
  v->user_cs = c[7];
  v->user_ss = c[8];
  v->rflags_mask = c[9];
  v->resume_rip = c[10];
  v->configured = true;
  return env.Undefined();
}

Napi::Value VcpuSetCpuid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vcpu* v = GetVcpu(info, 0);
  if (v == nullptr) return ThrowType(env, "bad vcpu");
  size_t n;
  uint32_t* w = TypedData<uint32_t>(info[1], &n);
  uint32_t nent = (uint32_t)(n / 8);
  std::vector<uint8_t> buf(kFlexHeader + nent * sizeof(struct kvm_cpuid_entry2));
  auto* c = reinterpret_cast<struct kvm_cpuid2*>(buf.data());
  c->nent = nent;
  struct kvm_cpuid_entry2* entries = CpuidEntries(buf.data());
  for (uint32_t i = 0; i < nent; i++) {
    auto& e = entries[i];
    e.function = w[i * 8];
    e.index = w[i * 8 + 1];
    e.flags = w[i * 8 + 2];
    e.eax = w[i * 8 + 3];
    e.ebx = w[i * 8 + 4];
    e.ecx = w[i * 8 + 5];
    e.edx = w[i * 8 + 6];
  }
  if (Ioctl(v->fd, kSetCpuid2, c) != 0) return ThrowErrno(env, "KVM_SET_CPUID2", errno);
  return env.Undefined();
}

// Segment encoding in the sregs array: base, limit, selector, attributes
// (type | s<<4 | dpl<<5 | present<<7 | avl<<8 | l<<9 | db<<10 | g<<11 | unusable<<16).
void PutSeg(struct kvm_segment* s, const uint64_t* a) {
  s->base = a[0];
  s->limit = (uint32_t)a[1];
  s->selector = (uint16_t)a[2];
  uint64_t f = a[3];
  s->type = f & 15;
  s->s = (f >> 4) & 1;
  s->dpl = (f >> 5) & 3;
  s->present = (f >> 7) & 1;
  s->avl = (f >> 8) & 1;
  s->l = (f >> 9) & 1;
  s->db = (f >> 10) & 1;
  s->g = (f >> 11) & 1;
  s->unusable = (f >> 16) & 1;
}

void GetSeg(const struct kvm_segment* s, uint64_t* a) {
  a[0] = s->base;
  a[1] = s->limit;
  a[2] = s->selector;
  a[3] = (uint64_t)s->type | (uint64_t)s->s << 4 | (uint64_t)s->dpl << 5 | (uint64_t)s->present << 7 |
         (uint64_t)s->avl << 8 | (uint64_t)s->l << 9 | (uint64_t)s->db << 10 | (uint64_t)s->g << 11 |
         (uint64_t)s->unusable << 16;
}

constexpr int kSregsWords = 43;

// vcpuSetSregs(vcpu, BigUint64Array(43)): cs ds es fs gs ss tr ldt (4 words
// each), gdt base/limit, idt base/limit, cr0 cr2 cr3 cr4 cr8 efer apic_base.
Napi::Value VcpuSetSregs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vcpu* v = GetVcpu(info, 0);
  if (v == nullptr) return ThrowType(env, "bad vcpu");
  size_t n;
  uint64_t* a = TypedData<uint64_t>(info[1], &n);
  if (n < kSregsWords) return ThrowType(env, "bad sregs");
  struct kvm_sregs s;
  if (Ioctl(v->fd, KVM_GET_SREGS, &s) != 0) return ThrowErrno(env, "KVM_GET_SREGS", errno);
  struct kvm_segment* segs[8] = {&s.cs, &s.ds, &s.es, &s.fs, &s.gs, &s.ss, &s.tr, &s.ldt};
  for (int i = 0; i < 8; i++) PutSeg(segs[i], a + 4 * i);
  s.gdt.base = a[32];
  s.gdt.limit = (uint16_t)a[33];
  s.idt.base = a[34];
  s.idt.limit = (uint16_t)a[35];
  s.cr0 = a[36];
  s.cr2 = a[37];
  s.cr3 = a[38];
  s.cr4 = a[39];
  s.cr8 = a[40];
  s.efer = a[41];
  if (a[42] != 0) s.apic_base = a[42];
  if (Ioctl(v->fd, KVM_SET_SREGS, &s) != 0) return ThrowErrno(env, "KVM_SET_SREGS", errno);
  v->sregs = s;
  v->cur_cr3 = s.cr3;
  v->cur_fs = s.fs.base;
  v->cur_gs = s.gs.base;
  return env.Undefined();
}

Napi::Value VcpuGetSregs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vcpu* v = GetVcpu(info, 0);
  if (v == nullptr) return ThrowType(env, "bad vcpu");
  struct kvm_sregs s;
  if (Ioctl(v->fd, KVM_GET_SREGS, &s) != 0) return ThrowErrno(env, "KVM_GET_SREGS", errno);
  Napi::BigUint64Array out = Napi::BigUint64Array::New(env, kSregsWords);
  uint64_t a[kSregsWords];
  const struct kvm_segment* segs[8] = {&s.cs, &s.ds, &s.es, &s.fs, &s.gs, &s.ss, &s.tr, &s.ldt};
  for (int i = 0; i < 8; i++) GetSeg(segs[i], a + 4 * i);
  a[32] = s.gdt.base;
  a[33] = s.gdt.limit;
  a[34] = s.idt.base;
  a[35] = s.idt.limit;
  a[36] = s.cr0;
  a[37] = s.cr2;
  a[38] = s.cr3;
  a[39] = s.cr4;
  a[40] = s.cr8;
  a[41] = s.efer;
  a[42] = s.apic_base;
  for (int i = 0; i < kSregsWords; i++) out[i] = a[i];
  return out;
}

int SetMsrs(Vcpu* v, const uint32_t* idx, const uint64_t* val, int n) {
  alignas(8) uint8_t buf[kFlexHeader + 32 * sizeof(struct kvm_msr_entry)];
  if (n > 32) return -1;
  memset(buf, 0, sizeof(buf));
  auto* m = reinterpret_cast<struct kvm_msrs*>(buf);
  m->nmsrs = n;
  struct kvm_msr_entry* e = MsrEntries(buf);
  for (int i = 0; i < n; i++) {
    e[i].index = idx[i];
    e[i].data = val[i];
  }
  return Ioctl(v->fd, kSetMsrs, m);
}

// vcpuSetMsrs(vcpu, Uint32Array indices, BigUint64Array values)
Napi::Value VcpuSetMsrs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vcpu* v = GetVcpu(info, 0);
  if (v == nullptr) return ThrowType(env, "bad vcpu");
  size_t n1, n2;
  uint32_t* idx = TypedData<uint32_t>(info[1], &n1);
  uint64_t* val = TypedData<uint64_t>(info[2], &n2);
  if (n1 != n2 || n1 > 32) return ThrowType(env, "bad msrs");
  int r = SetMsrs(v, idx, val, (int)n1);
  if (r < 0) return ThrowErrno(env, "KVM_SET_MSRS", errno);
  // KVM_SET_MSRS returns how many it set; a short count means MSR idx[r] was refused.
  if (r != (int)n1) return ThrowErrno(env, "KVM_SET_MSRS(partial)", EINVAL);
  return env.Undefined();
}

Napi::Value VcpuGetMsr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vcpu* v = GetVcpu(info, 0);
  if (v == nullptr) return ThrowType(env, "bad vcpu");
  alignas(8) uint8_t buf[kFlexHeader + sizeof(struct kvm_msr_entry)];
  memset(buf, 0, sizeof(buf));
  auto* m = reinterpret_cast<struct kvm_msrs*>(buf);
  m->nmsrs = 1;
  struct kvm_msr_entry* e = MsrEntries(buf);
  e[0].index = (uint32_t)Num(info, 1);
  errno = 0;
  if (Ioctl(v->fd, kGetMsrs, m) != 1) return ThrowErrno(env, "KVM_GET_MSRS", errno ? errno : EINVAL);
  return Napi::BigInt::New(env, (uint64_t)e[0].data);
}

Napi::Value HostXcr0(const Napi::CallbackInfo& info) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return Napi::BigInt::New(info.Env(), ((uint64_t)hi << 32) | lo);
}

// hostCpuid(leaf, subleaf) -> Uint32Array [eax, ebx, ecx, edx] of the host CPU.
Napi::Value HostCpuid(const Napi::CallbackInfo& info) {
  uint32_t a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"((uint32_t)Num(info, 0)), "c"((uint32_t)Num(info, 1)));
  Napi::Uint32Array out = Napi::Uint32Array::New(info.Env(), 4);
  out[0] = a;
  out[1] = b;
  out[2] = c;
  out[3] = d;
  return out;
}

Napi::Value VcpuSetXcr0(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vcpu* v = GetVcpu(info, 0);
  if (v == nullptr) return ThrowType(env, "bad vcpu");
  bool lossless;
  uint64_t x = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
  struct kvm_xcrs xc;
  memset(&xc, 0, sizeof(xc));
  xc.nr_xcrs = 1;
  xc.xcrs[0].xcr = 0;
  xc.xcrs[0].value = x;
  if (Ioctl(v->fd, KVM_SET_XCRS, &xc) != 0) return ThrowErrno(env, "KVM_SET_XCRS", errno);
  return env.Undefined();
}

// XSAVE images: KVM_GET_XSAVE's 4 KiB struct (standard, non-compacted format:
// the FXSAVE area, the XSAVE header at 512, components at CPUID.0xD offsets).
// vcpuGetXsave(vcpu, out: Uint8Array) copies its first out.length bytes.
Napi::Value VcpuGetXsave(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vcpu* v = GetVcpu(info, 0);
  if (v == nullptr) return ThrowType(env, "bad vcpu");
  size_t n;
  uint8_t* out = TypedData<uint8_t>(info[1], &n);
  struct kvm_xsave xs;
  if (Ioctl(v->fd, kGetXsave, &xs) != 0) return ThrowErrno(env, "KVM_GET_XSAVE", errno);
  memcpy(out, xs.region, n < sizeof(xs.region) ? n : sizeof(xs.region));
  return env.Undefined();
}

// vcpuSetXsave(vcpu, img: Uint8Array): replaces the first img.length bytes.
Napi::Value VcpuSetXsave(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vcpu* v = GetVcpu(info, 0);
  if (v == nullptr) return ThrowType(env, "bad vcpu");
  size_t n;
  uint8_t* in = TypedData<uint8_t>(info[1], &n);
  struct kvm_xsave xs;
  if (Ioctl(v->fd, kGetXsave, &xs) != 0) return ThrowErrno(env, "KVM_GET_XSAVE", errno);
  memcpy(xs.region, in, n < sizeof(xs.region) ? n : sizeof(xs.region));
  if (Ioctl(v->fd, kSetXsave, &xs) != 0) return ThrowErrno(env, "KVM_SET_XSAVE", errno);
  return env.Undefined();
}

// ---- the run loop ----------------------------------------------------------

inline void KvmToUser(const struct kvm_regs* k, uint64_t* u) {
  u[R15] = k->r15;
  u[R14] = k->r14;
  u[R13] = k->r13;
  u[R12] = k->r12;
  u[RBP] = k->rbp;
  u[RBX] = k->rbx;
  u[R11] = k->r11;
  u[R10] = k->r10;
  u[R9] = k->r9;
  u[R8] = k->r8;
  u[RAX] = k->rax;
  u[RCX] = k->rcx;
  u[RDX] = k->rdx;
  u[RSI] = k->rsi;
  u[RDI] = k->rdi;
  u[RIP] = k->rip;
  u[EFLAGS] = k->rflags;
  u[RSP] = k->rsp;
}

inline void UserToKvm(const uint64_t* u, struct kvm_regs* k) {
  k->r15 = u[R15];
  k->r14 = u[R14];
  k->r13 = u[R13];
  k->r12 = u[R12];
  k->rbp = u[RBP];
  k->rbx = u[RBX];
  k->r11 = u[R11];
  k->r10 = u[R10];
  k->r9 = u[R9];
  k->r8 = u[R8];
  k->rax = u[RAX];
  k->rcx = u[RCX];
  k->rdx = u[RDX];
  k->rsi = u[RSI];
  k->rdi = u[RDI];
}

// Finishes a pending PIO/MMIO exit without running guest code (KVM would
// otherwise complete it on the next KVM_RUN, after our register writes).
void CompletePendingIo(Vcpu* v) {
  v->run->kvm_dirty_regs = 0;
  v->run->immediate_exit = 1;
  ioctl(v->fd, KVM_RUN, 0);
  v->run->immediate_exit = 0;
}

// Runs the vCPU until the guest program traps. Called on the JS thread
// (switch) or a worker thread (resume); never calls napi.
//
// Entry: the program's registers (uregs) go to kvm_run->s.regs, except rip,
// rsp and rflags, which go to the IRET frame page; the vCPU starts at an
// IRETQ (resume_rip) with rsp = the frame. The IRETQ lands in ring 3 at the
// program's rip whether the vCPU was left in ring 3 (PVM, exceptions) or in
// ring 0 (bare-metal KVM after SYSCALL). resume_rip is always the IRETQ right
// after the OUT that caused the last exit, so a PIO completion that KVM
// still owes (it sets rip to the next instruction) lands on the same IRETQ.
int RunVcpu(Vcpu* v, uint64_t cr3, int timeout_ms, uint64_t ist_top_host, uint64_t frame_host) {
  struct kvm_run* run = v->run;
  v->ist_top_host = reinterpret_cast<uint8_t*>((uintptr_t)ist_top_host);
  v->frame_host = reinterpret_cast<uint64_t*>((uintptr_t)frame_host);
  uint64_t* u = v->uregs;
  double* x = v->xinfo;
  x[X_VECTOR] = x[X_ERROR_CODE] = x[X_CR2] = x[X_EXIT_REASON] = x[X_DETAIL] = x[X_DETAIL2] = x[X_PORT] = 0;

  pthread_mutex_lock(&v->mu);
  if (!v->armed) v->kicked = false;
  v->armed = false;
  v->running = true;
  v->thread = pthread_self();
  v->timed_out = 0;
  run->immediate_exit = v->kicked ? 1 : 0;
  pthread_mutex_unlock(&v->mu);

  int result = kError;
  // Address space and segment bases.
  if (cr3 != v->cur_cr3) {
    v->sregs.cr3 = cr3;
    v->sregs.fs.base = u[FS_BASE];
    v->sregs.gs.base = u[GS_BASE];
    if (Ioctl(v->fd, KVM_SET_SREGS, &v->sregs) != 0) {
      x[X_EXIT_REASON] = -1;
      x[X_DETAIL] = errno;
      goto out;
    }
    v->cur_cr3 = cr3;
    v->cur_fs = u[FS_BASE];
    v->cur_gs = u[GS_BASE];
  } else if (u[FS_BASE] != v->cur_fs || u[GS_BASE] != v->cur_gs) {
    static const uint32_t idx[2] = {0xc0000100, 0xc0000101};  // MSR_FS_BASE, MSR_GS_BASE
    uint64_t val[2] = {u[FS_BASE], u[GS_BASE]};
    if (SetMsrs(v, idx, val, 2) != 2) {
      x[X_EXIT_REASON] = -2;
      x[X_DETAIL] = errno;
      goto out;
    }
    v->sregs.fs.base = u[FS_BASE];
    v->sregs.gs.base = u[GS_BASE];
    v->cur_fs = u[FS_BASE];
    v->cur_gs = u[GS_BASE];
  }

  {
    struct kvm_regs* k = &run->s.regs.regs;
    UserToKvm(u, k);
    v->frame_host[0] = u[RIP];
    v->frame_host[1] = v->user_cs;
    v->frame_host[2] = (u[EFLAGS] & v->rflags_mask) | 0x202;
    v->frame_host[3] = u[RSP];
    v->frame_host[4] = v->user_ss;
    k->rip = v->resume_rip;
    k->rsp = v->frame_va;
    k->rflags = 0x202;
    run->kvm_valid_regs = KVM_SYNC_X86_REGS;
    run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
  }

  tls_vcpu = v;
  if (timeout_ms >= 0) {
    if (!tls_timer_made) {
      struct sigevent ev;
      memset(&ev, 0, sizeof(ev));
      ev.sigev_notify = SIGEV_THREAD_ID;
      ev.sigev_signo = g_kick_signal;
      ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
      if (timer_create(CLOCK_MONOTONIC, &ev, &tls_timer) != 0) {
        x[X_EXIT_REASON] = -3;
        x[X_DETAIL] = errno;
        tls_vcpu = nullptr;
        goto out;
      }
      tls_timer_made = true;
      EnsureSignalUnblocked();
    }
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    its.it_value.tv_sec = timeout_ms / 1000;
    its.it_value.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
    if (timeout_ms == 0) its.it_value.tv_nsec = 1;
    timer_settime(tls_timer, 0, &its, nullptr);
  }

  for (;;) {
    int r = ioctl(v->fd, KVM_RUN, 0);
    run->kvm_dirty_regs = 0;
    struct kvm_regs* k = &run->s.regs.regs;
    if (r < 0) {
      int e = errno;
      if (e != EINTR && e != EAGAIN) {
        x[X_EXIT_REASON] = -4;
        x[X_DETAIL] = e;
        result = kError;
        break;
      }
      pthread_mutex_lock(&v->mu);
      bool stop = v->timed_out || v->kicked;
      if (!stop) run->immediate_exit = 0;  // a stray signal: keep running
      pthread_mutex_unlock(&v->mu);
      if (!stop) continue;
      uint64_t rip = k->rip;
      if (rip == v->resume_rip || rip == v->sys_out_va + 2 ||
          (rip >= v->exc_out_va0 && rip < v->exc_out_va0 + v->exc_stride * v->exc_count &&
           (rip - v->exc_out_va0) % v->exc_stride == 2)) {
        // Stopped before the program ran again: its registers are unchanged.
        v->resume_rip = rip;
      } else if (rip == v->sys_out_va ||
                 (rip >= v->exc_out_va0 && rip < v->exc_out_va0 + v->exc_stride * v->exc_count &&
                  (rip - v->exc_out_va0) % v->exc_stride == 0)) {
        // Trapped already (SYSCALL or exception delivered, OUT not yet run):
        // run on to collect that trap; the interrupt is then moot.
        run->immediate_exit = 0;
        pthread_mutex_lock(&v->mu);
        v->kicked = false;
        v->timed_out = 0;
        pthread_mutex_unlock(&v->mu);
        continue;
      } else {
        KvmToUser(k, u);
        v->resume_rip = v->sys_out_va + 2;
      }
      result = v->kicked ? kInterrupted : kTimeout;
      break;
    }
    uint32_t reason = run->exit_reason;
    x[X_EXIT_REASON] = reason;
    if (reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT) {
      uint16_t port = run->io.port;
      uint64_t rip = k->rip;
      // KVM reports rip at the OUT (fast PIO, bare metal) or already past
      // it (instruction emulation, as PVM does): accept both.
      if (port == v->sys_port && (rip == v->sys_out_va || rip == v->sys_out_va + 2)) {
        // SYSCALL: rcx = the return rip, r11 = the program's rflags.
        KvmToUser(k, u);
        u[ORIG_RAX] = k->rax;
        u[RIP] = k->rcx;
        u[EFLAGS] = k->r11;
        v->resume_rip = v->sys_out_va + 2;
        result = kSyscall;
        break;
      }
      unsigned vec = (unsigned)(port - v->exc_port0);
      uint64_t stub = v->exc_out_va0 + vec * v->exc_stride;
      if (port >= v->exc_port0 && vec < v->exc_count && (rip == stub || rip == stub + 2)) {
        // Exception stub: the CPU pushed [error code,] rip, cs, rflags, rsp, ss
        // on the IST stack.
        bool has_err = vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30;
        const uint64_t* f = reinterpret_cast<const uint64_t*>(v->ist_top_host - (has_err ? 48 : 40));
        uint64_t err = has_err ? f[0] : 0;
        f += has_err ? 1 : 0;
        if ((f[0] & ~0xfffull) == (v->sys_out_va & ~0xfffull)) {
          // The fault hit the trampoline's IRETQ (e.g. the kernel set a
          // non-canonical rip): the program never ran, so its registers are
          // still the ones in uregs. Linux reports SIGSEGV for a bad IRET.
          vec = 13;
          err = 0;
        } else {
          KvmToUser(k, u);
          u[RIP] = f[0];
          u[EFLAGS] = f[2];
          u[RSP] = f[3];
        }
        x[X_VECTOR] = vec;
        x[X_ERROR_CODE] = (double)err;
        if (vec == 14) {
          struct kvm_sregs s;
          if (Ioctl(v->fd, KVM_GET_SREGS, &s) != 0) {
            x[X_EXIT_REASON] = -5;
            x[X_DETAIL] = errno;
            result = kError;
            break;
          }
          x[X_CR2] = (double)s.cr2;
        }
        v->resume_rip = stub + 2;
        result = kException;
        break;
      }
    }
    if (reason == KVM_EXIT_IO) {
      // The program itself did IN/OUT on a port the TSS bitmap opens: Linux
      // would raise #GP. Report the registers at the instruction, then let
      // KVM finish the access so that it cannot clobber them later.
      KvmToUser(k, u);
      x[X_PORT] = run->io.port;
      x[X_DETAIL] = run->io.direction;
      CompletePendingIo(v);
      v->resume_rip = v->sys_out_va + 2;
      result = kBadIo;
      break;
    }
    if (reason == KVM_EXIT_INTR) {
      continue;  // handled above via EINTR on most kernels
    }
    // Anything else is a platform bug (or a host problem): report it.
    if (reason == KVM_EXIT_FAIL_ENTRY) x[X_DETAIL] = (double)run->fail_entry.hardware_entry_failure_reason;
    if (reason == KVM_EXIT_INTERNAL_ERROR) {
      x[X_DETAIL] = run->internal.suberror;
      x[X_DETAIL2] = run->internal.ndata > 0 ? (double)run->internal.data[0] : 0;
    }
    if (reason == KVM_EXIT_MMIO) x[X_DETAIL] = (double)run->mmio.phys_addr;
    x[X_VECTOR] = (double)k->rip;
    result = kError;
    break;
  }

  if (timeout_ms >= 0 && tls_timer_made) {
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    timer_settime(tls_timer, 0, &its, nullptr);
  }
  tls_vcpu = nullptr;
out:
  pthread_mutex_lock(&v->mu);
  v->running = false;
  v->kicked = false;
  v->timed_out = 0;
  run->immediate_exit = 0;
  pthread_mutex_unlock(&v->mu);
  return result;
}

// vcpuRun(vcpu, cr3, timeoutMs, istTopHost, frameHost) -> RunResult
Napi::Value VcpuRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vcpu* v = GetVcpu(info, 0);
  if (v == nullptr || !v->configured || v->uregs == nullptr) return ThrowType(env, "bad vcpu");
  uint64_t ist = (uint64_t)Num(info, 3), frame = (uint64_t)Num(info, 4);
  if (ist == 0 || frame == 0) return ThrowType(env, "bad per-vCPU pages");
  int r = RunVcpu(v, (uint64_t)Num(info, 1), (int)Num(info, 2), ist, frame);
  return Napi::Number::New(env, r);
}

// vcpuInterrupt(vcpu): safe against any runner; a no-op unless the vCPU is
// running or armed.
Napi::Value VcpuInterrupt(const Napi::CallbackInfo& info) {
  Vcpu* v = GetVcpu(info, 0);
  if (v == nullptr) return ThrowType(info.Env(), "bad vcpu");
  pthread_mutex_lock(&v->mu);
  if (v->running) {
    v->kicked = true;
    v->run->immediate_exit = 1;
    pthread_kill(v->thread, g_kick_signal);
  } else if (v->armed) {
    v->kicked = true;
  }
  pthread_mutex_unlock(&v->mu);
  return info.Env().Undefined();
}

void* WorkerMain(void* arg) {
  Vcpu* v = static_cast<Vcpu*>(arg);
  EnsureSignalUnblocked();
  for (;;) {
    pthread_mutex_lock(&v->mu);
    while (v->cmd == 0) pthread_cond_wait(&v->cv, &v->mu);
    int cmd = v->cmd;
    uint64_t cr3 = v->cmd_cr3, ist = v->cmd_ist, frame = v->cmd_frame;
    v->cmd = 0;
    pthread_mutex_unlock(&v->mu);
    if (cmd == 2) break;
    v->async_result = RunVcpu(v, cr3, -1, ist, frame);
    Vm* vm = v->vm;
    pthread_mutex_lock(&vm->mu);
    vm->done.push_back(v->handle);
    vm->ndone.fetch_add(1, std::memory_order_release);
    pthread_cond_signal(&vm->cv);
    pthread_mutex_unlock(&vm->mu);
  }
  return nullptr;
}

// vcpuStart(vcpu, cr3, istTopHost, frameHost): runs the vCPU on its worker thread; the result is
// collected with vmWaitAny. Precondition: not running.
Napi::Value VcpuStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vcpu* v = GetVcpu(info, 0);
  if (v == nullptr || !v->configured || v->uregs == nullptr) return ThrowType(env, "bad vcpu");
  if (!v->has_worker) {
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 256 * 1024);
    int e = pthread_create(&v->worker, &a, WorkerMain, v);
    pthread_attr_destroy(&a);
    if (e != 0) return ThrowErrno(env, "pthread_create", e);
    v->has_worker = true;
  }
  pthread_mutex_lock(&v->mu);
  v->armed = true;  // an interrupt before the worker starts the run counts
  v->kicked = false;
  v->cmd = 1;
  v->cmd_cr3 = (uint64_t)Num(info, 1);
  v->cmd_ist = (uint64_t)Num(info, 2);
  v->cmd_frame = (uint64_t)Num(info, 3);
  pthread_cond_signal(&v->cv);
  pthread_mutex_unlock(&v->mu);
  return env.Undefined();
}

// vmWaitAny(vm, timeoutMs, spinUs) -> vcpu handle * 16 + result, or -1 on
// timeout. Spins up to spinUs before sleeping (cross-CPU wake-ups are slow
// on nested hosts).
Napi::Value VmWaitAny(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Vm* vm = GetVm(info, 0);
  if (vm == nullptr) return ThrowType(env, "bad vm");
  int timeout_ms = (int)Num(info, 1);
  double spin_us = info.Length() > 2 ? Num(info, 2) : 0;
  if (spin_us > 0 && vm->ndone.load(std::memory_order_acquire) == 0) {
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
      if (vm->ndone.load(std::memory_order_acquire) != 0) break;
      __builtin_ia32_pause();
      clock_gettime(CLOCK_MONOTONIC, &t);
      double el = (t.tv_sec - t0.tv_sec) * 1e6 + (t.tv_nsec - t0.tv_nsec) / 1e3;
      if (el >= spin_us || (timeout_ms >= 0 && el >= timeout_ms * 1000.0)) break;
    }
  }
  struct timespec deadline;
  if (timeout_ms >= 0) {
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
      deadline.tv_sec++;
      deadline.tv_nsec -= 1000000000L;
    }
  }
  pthread_mutex_lock(&vm->mu);
  while (vm->done.empty()) {
    if (timeout_ms < 0) {
      pthread_cond_wait(&vm->cv, &vm->mu);
    } else if (pthread_cond_timedwait(&vm->cv, &vm->mu, &deadline) == ETIMEDOUT) {
      break;
    }
  }
  int ret = -1;
  if (!vm->done.empty()) {
    int h = vm->done.front();
    vm->done.pop_front();
    vm->ndone.fetch_sub(1, std::memory_order_relaxed);
    ret = h * 16 + g_vcpus[h]->async_result;
  }
  pthread_mutex_unlock(&vm->mu);
  return Napi::Number::New(env, ret);
}

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("probe", Napi::Function::New(env, Probe));
  exports.Set("memfdCreate", Napi::Function::New(env, MemfdCreate));
  exports.Set("mapShared", Napi::Function::New(env, MapShared));
  exports.Set("unmap", Napi::Function::New(env, Unmap));
  exports.Set("externalBuffer", Napi::Function::New(env, ExternalBuffer));
  exports.Set("detach", Napi::Function::New(env, Detach));
  exports.Set("punchHole", Napi::Function::New(env, PunchHole));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("vmCreate", Napi::Function::New(env, VmCreate));
  exports.Set("vmCheckExtension", Napi::Function::New(env, VmCheckExtension));
  exports.Set("vmSetSlot", Napi::Function::New(env, VmSetSlot));
  exports.Set("vmFlush", Napi::Function::New(env, VmFlush));
  exports.Set("vmSupportedCpuid", Napi::Function::New(env, VmSupportedCpuid));
  exports.Set("vmDestroy", Napi::Function::New(env, VmDestroy));
  exports.Set("vmWaitAny", Napi::Function::New(env, VmWaitAny));
  exports.Set("vcpuCreate", Napi::Function::New(env, VcpuCreate));
  exports.Set("vcpuBind", Napi::Function::New(env, VcpuBind));
  exports.Set("vcpuConfigure", Napi::Function::New(env, VcpuConfigure));
  exports.Set("vcpuSetCpuid", Napi::Function::New(env, VcpuSetCpuid));
  exports.Set("vcpuSetSregs", Napi::Function::New(env, VcpuSetSregs));
  exports.Set("vcpuGetSregs", Napi::Function::New(env, VcpuGetSregs));
  exports.Set("vcpuSetMsrs", Napi::Function::New(env, VcpuSetMsrs));
  exports.Set("vcpuGetMsr", Napi::Function::New(env, VcpuGetMsr));
  exports.Set("hostXcr0", Napi::Function::New(env, HostXcr0));
  exports.Set("hostCpuid", Napi::Function::New(env, HostCpuid));
  exports.Set("vcpuSetXcr0", Napi::Function::New(env, VcpuSetXcr0));
  exports.Set("vcpuGetXsave", Napi::Function::New(env, VcpuGetXsave));
  exports.Set("vcpuSetXsave", Napi::Function::New(env, VcpuSetXsave));
  exports.Set("vcpuRun", Napi::Function::New(env, VcpuRun));
  exports.Set("vcpuInterrupt", Napi::Function::New(env, VcpuInterrupt));
  exports.Set("vcpuStart", Napi::Function::New(env, VcpuStart));
  return exports;
}

}  // namespace

NODE_API_MODULE(tsvisor_kvm, Module)
