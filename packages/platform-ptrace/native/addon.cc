// Native mechanism of the ptrace platform: memfd, mmap, stub processes
// (vfork + execve), ptrace, waitpid with a timeout, register and FP state
// transfer. Every function checks its arguments, retries on EINTR where that
// is the right thing, and reports failure by throwing the JS error class
// passed to init() as `new HostError(call, errno)`. No policy lives here.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <node_api.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/futex.h>
#include <x86intrin.h>

#include <string>
#include <unordered_map>

#include <vector>

#include "systrap.h"

namespace {

// The real-time signal used to wake the Sentry thread (timer) and to kick a
// running stub thread (interrupt). Not used by Node, libuv or V8.
constexpr int kKickSignal = SYSTRAP_KICK_SIGNAL;  // SIGRTMAX - 5 with glibc's 64 signals

// Stop kinds returned to TypeScript.
enum StopKind : int32_t {
  kSyscall = 0,      // PTRACE_SYSEMU syscall-entry stop
  kSignal = 1,       // synchronous signal (info: signo, si_code, si_addr)
  kInterrupted = 2,  // an asynchronous signal (our kick or from elsewhere), suppressed
  kExited = 3,       // thread exited or was killed (info[0] = raw wait status)
  kEvent = 4,        // ptrace event stop (info[0] = event, info[1] = event message)
  kTimeout = 5,      // waitAny: nothing within the timeout
};

napi_ref g_error_class = nullptr;

void ThrowHost(napi_env env, const char* call, int err) {
  napi_value cls, args[2], obj;
  if (g_error_class == nullptr || napi_get_reference_value(env, g_error_class, &cls) != napi_ok) {
    napi_throw_error(env, nullptr, (std::string(call) + " failed: errno " + std::to_string(err)).c_str());
    return;
  }
  napi_create_string_utf8(env, call, NAPI_AUTO_LENGTH, &args[0]);
  napi_create_int32(env, err, &args[1]);
  if (napi_new_instance(env, cls, 2, args, &obj) == napi_ok) napi_throw(env, obj);
}

void ThrowType(napi_env env, const char* msg) { napi_throw_type_error(env, nullptr, msg); }

struct Args {
  napi_env env;
  static constexpr size_t kMax = 12;
  size_t argc = kMax;
  napi_value argv[kMax];
  bool ok = true;
  Args(napi_env e, napi_callback_info info, size_t want) : env(e) {
    napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr);
    if (argc > kMax) argc = kMax;
    if (argc < want) {
      ThrowType(e, "too few arguments");
      ok = false;
    }
  }
  double Num(size_t i) {
    double v = 0;
    if (ok && napi_get_value_double(env, argv[i], &v) != napi_ok) {
      ThrowType(env, "expected a number");
      ok = false;
    }
    return v;
  }
  int32_t Int(size_t i) {
    int32_t v = 0;
    if (ok && napi_get_value_int32(env, argv[i], &v) != napi_ok) {
      ThrowType(env, "expected an int32");
      ok = false;
    }
    return v;
  }
  // A typed array's data and byte length; `type` is checked.
  void* Typed(size_t i, napi_typedarray_type want, size_t min_bytes) {
    if (!ok) return nullptr;
    napi_typedarray_type t;
    size_t len;
    void* data;
    napi_value ab;
    size_t off;
    bool is;
    if (napi_is_typedarray(env, argv[i], &is) != napi_ok || !is ||
        napi_get_typedarray_info(env, argv[i], &t, &len, &data, &ab, &off) != napi_ok || t != want) {
      ThrowType(env, "expected a typed array of the right type");
      ok = false;
      return nullptr;
    }
    size_t elem = (t == napi_uint8_array) ? 1 : (t == napi_uint32_array || t == napi_int32_array) ? 4 : 8;
    if (len * elem < min_bytes) {
      ThrowType(env, "typed array too small");
      ok = false;
      return nullptr;
    }
    return data;
  }
  std::string Str(size_t i) {
    if (!ok) return {};
    size_t n = 0;
    if (napi_get_value_string_utf8(env, argv[i], nullptr, 0, &n) != napi_ok) {
      ThrowType(env, "expected a string");
      ok = false;
      return {};
    }
    std::string s(n, '\0');
    napi_get_value_string_utf8(env, argv[i], &s[0], n + 1, &n);
    return s;
  }
};

napi_value Num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}
napi_value Undef(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

void NoopHandler(int) {}

// --- timeouts -------------------------------------------------------------
// A per-thread POSIX timer that sends kKickSignal to the calling thread
// (SIGEV_THREAD_ID); its handler is a no-op installed without SA_RESTART, so
// a blocking waitpid returns EINTR. Callers compare the clock against their
// deadline, so a stray signal only causes a retry.
thread_local timer_t t_timer;
thread_local bool t_timer_ok = false;

bool ArmTimer(int64_t ms) {
  if (!t_timer_ok) {
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = kKickSignal;
    sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_MONOTONIC, &sev, &t_timer) != 0) return false;
    t_timer_ok = true;
  }
  // After the deadline the timer keeps firing every millisecond until
  // disarmed: a signal that lands just before waitpid blocks is then followed
  // by another one, so the wait cannot sleep past the deadline.
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  its.it_interval.tv_nsec = 1000000;
  if (ms <= 0) {
    its.it_value.tv_nsec = 1;  // zero would disarm
  } else {
    its.it_value.tv_sec = ms / 1000;
    its.it_value.tv_nsec = (ms % 1000) * 1000000;
  }
  return timer_settime(t_timer, 0, &its, nullptr) == 0;
}
void DisarmTimer() {
  if (!t_timer_ok) return;
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  timer_settime(t_timer, 0, &its, nullptr);
}
int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// waitpid(pid, __WALL) with an optional deadline. Returns the pid, 0 on
// timeout, or -errno.
pid_t WaitDeadline(pid_t pid, int* status, int64_t deadline_ns) {
  if (deadline_ns == 0) {  // poll
    pid_t r = waitpid(pid, status, __WALL | WNOHANG);
    return r >= 0 ? r : -errno;
  }
  for (;;) {
    pid_t r = waitpid(pid, status, __WALL);
    if (r >= 0) return r;
    if (errno != EINTR) return -errno;
    if (deadline_ns >= 0 && NowNs() >= deadline_ns) return 0;
  }
}

// --- init -------------------------------------------------------------------

napi_value Init(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  if (!a.ok) return nullptr;
  if (g_error_class != nullptr) napi_delete_reference(env, g_error_class);
  napi_create_reference(env, a.argv[0], 1, &g_error_class);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = NoopHandler;  // no SA_RESTART: blocking calls return EINTR
  sigemptyset(&sa.sa_mask);
  if (sigaction(kKickSignal, &sa, nullptr) != 0) {
    ThrowHost(env, "sigaction", errno);
    return nullptr;
  }
  return Num(env, kKickSignal);
}

// --- memory file -------------------------------------------------------------

napi_value MemfdCreate(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  std::string name = a.Str(0);
  double size = a.Num(1);
  if (!a.ok) return nullptr;
  if (size <= 0 || size > 9007199254740991.0) return ThrowType(env, "bad size"), nullptr;
  int fd = (int)syscall(SYS_memfd_create, name.c_str(), MFD_CLOEXEC);
  if (fd < 0) return ThrowHost(env, "memfd_create", errno), nullptr;
  if (ftruncate(fd, (off_t)size) != 0) {
    int e = errno;
    close(fd);
    return ThrowHost(env, "ftruncate", e), nullptr;
  }
  return Num(env, fd);
}

napi_value MapShared(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  int fd = a.Int(0);
  double size = a.Num(1);
  if (!a.ok) return nullptr;
  void* p = mmap(nullptr, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  if (p == MAP_FAILED) return ThrowHost(env, "mmap", errno), nullptr;
  return Num(env, (double)(uintptr_t)p);
}

napi_value Unmap(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  double addr = a.Num(0), size = a.Num(1);
  if (!a.ok) return nullptr;
  if (munmap((void*)(uintptr_t)addr, (size_t)size) != 0) return ThrowHost(env, "munmap", errno), nullptr;
  return Undef(env);
}

// An external ArrayBuffer over [addr, addr + length) of a mapping this module
// made. The caller keeps it alive no longer than the mapping (it detaches it
// before unmapping).
napi_value ExternalBuffer(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  double addr = a.Num(0), len = a.Num(1);
  if (!a.ok) return nullptr;
  napi_value ab;
  if (napi_create_external_arraybuffer(env, (void*)(uintptr_t)addr, (size_t)len, nullptr, nullptr, &ab) !=
      napi_ok)
    return nullptr;
  return ab;
}

napi_value Detach(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  if (!a.ok) return nullptr;
  napi_detach_arraybuffer(env, a.argv[0]);
  return Undef(env);
}

napi_value PunchHole(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  int fd = a.Int(0);
  double off = a.Num(1), len = a.Num(2);
  if (!a.ok) return nullptr;
  if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) != 0)
    return ThrowHost(env, "fallocate", errno), nullptr;
  return Undef(env);
}

napi_value CloseFd(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  int fd = a.Int(0);
  if (!a.ok) return nullptr;
  if (close(fd) != 0 && errno != EINTR) return ThrowHost(env, "close", errno), nullptr;
  return Undef(env);
}

// --- stub processes -------------------------------------------------------------

struct SpawnArgs {
  const char* path;
  char* const* argv;
  char* const* envp;
  int memfd;
  int ctlfd;  // -1: none
  pid_t pgid;
  pid_t ppid;
};

// Runs in the vfork child (shared memory, parent suspended): raw syscalls only.
int StubChild(void* p) {
  const SpawnArgs* a = static_cast<const SpawnArgs*>(p);
  syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (syscall(SYS_getppid) != a->ppid) syscall(SYS_exit, 120);  // parent already gone
  if (syscall(SYS_setpgid, 0, a->pgid) != 0) syscall(SYS_exit, 121);
  // memory file -> fd 3, control file -> fd 4, nothing else open.
  long m = syscall(SYS_fcntl, a->memfd, F_DUPFD, 10);
  long c = a->ctlfd >= 0 ? syscall(SYS_fcntl, a->ctlfd, F_DUPFD, 10) : -1;
  if (m < 0) syscall(SYS_exit, 122);
  if (syscall(SYS_dup2, m, 3) != 3) syscall(SYS_exit, 122);
  if (c >= 0 && syscall(SYS_dup2, c, 4) != 4) syscall(SYS_exit, 122);
  syscall(SYS_close_range, 0, 2, 0);
  syscall(SYS_close_range, c >= 0 ? 5 : 4, ~0U, 0);
  if (syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) != 0) syscall(SYS_exit, 123);
  syscall(SYS_execve, a->path, a->argv, a->envp);
  syscall(SYS_exit, 124);
  return 0;
}

// spawnStub(path, memfd, pgid, regsOut) -> pid. Returns once the stub is
// traced (EXITKILL|TRACESYSGOOD|TRACECLONE), seccomp-locked, and stopped at
// its ready int3; regsOut receives its registers there (rip = gadget).
napi_value SpawnStub(napi_env env, napi_callback_info info) {
  Args a(env, info, 6);
  std::string path = a.Str(0);
  int memfd = a.Int(1);
  int ctlfd = a.Int(2);
  int pgid = a.Int(3);
  std::string mode = a.Str(4);
  auto* regs = static_cast<user_regs_struct*>(a.Typed(5, napi_uint32_array, sizeof(user_regs_struct)));
  if (!a.ok) return nullptr;
  char* argv[] = {const_cast<char*>("tsvisor-stub"), const_cast<char*>(mode.c_str()), nullptr};
  char* envp[] = {nullptr};
  SpawnArgs sa{path.c_str(), argv, envp, memfd, ctlfd, pgid, getpid()};
  const size_t kStack = 64 * 1024;
  void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return ThrowHost(env, "mmap", errno), nullptr;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  // Exit signal 0: the Sentry reaps stubs itself (__WALL); libuv never sees them.
  pid_t pid = clone(StubChild, static_cast<char*>(stack) + kStack, CLONE_VM | CLONE_VFORK, &sa);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  munmap(stack, kStack);
  if (pid < 0) return ThrowHost(env, "clone", clone_errno), nullptr;

  auto fail = [&](const char* call, int err) {
    kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR) {
    }
    ThrowHost(env, call, err);
    return nullptr;
  };
  int st;
  if (WaitDeadline(pid, &st, -1) < 0) return fail("waitpid", errno);
  if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
    // The child exited before execve completed: its exit code says where.
    return fail("spawnStub(exec)", WIFEXITED(st) ? WEXITSTATUS(st) : ECHILD);
  }
  long opts = PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACESECCOMP;
  if (ptrace(PTRACE_SETOPTIONS, pid, 0, opts) != 0) return fail("ptrace(SETOPTIONS)", errno);
  if (ptrace(PTRACE_CONT, pid, 0, 0) != 0) return fail("ptrace(CONT)", errno);
  if (WaitDeadline(pid, &st, -1) < 0) return fail("waitpid", errno);
  if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
    return fail("spawnStub(init)", WIFEXITED(st) ? 1000 + WEXITSTATUS(st) : 2000 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0));
  }
  if (ptrace(PTRACE_GETREGS, pid, 0, regs) != 0) return fail("ptrace(GETREGS)", errno);
  return Num(env, pid);
}

napi_value GetRegs(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  int tid = a.Int(0);
  void* regs = a.Typed(1, napi_uint32_array, sizeof(user_regs_struct));
  if (!a.ok) return nullptr;
  if (ptrace(PTRACE_GETREGS, tid, 0, regs) != 0) return ThrowHost(env, "ptrace(GETREGS)", errno), nullptr;
  return Undef(env);
}

napi_value SetRegs(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  int tid = a.Int(0);
  void* regs = a.Typed(1, napi_uint32_array, sizeof(user_regs_struct));
  if (!a.ok) return nullptr;
  if (ptrace(PTRACE_SETREGS, tid, 0, regs) != 0) return ThrowHost(env, "ptrace(SETREGS)", errno), nullptr;
  return Undef(env);
}

// Decodes a wait status of tracee `tid` into a StopKind (the JS return value
// of the calling function; nullptr once it has thrown), fetching registers
// into `regs` for stops and siginfo into `out` for signal stops.
// out: [0] signo / raw status / event, [1] si_code / event msg, [2] si_addr.
napi_value Decode(napi_env env, pid_t tid, int st, user_regs_struct* regs, double* out) {
  out[3] = -1;  // no page-fault error code under ptrace
  if (WIFEXITED(st) || WIFSIGNALED(st)) {
    out[0] = st;
    return Num(env, kExited);
  }
  if (!WIFSTOPPED(st)) {
    out[0] = st;
    return Num(env, kExited);
  }
  if (ptrace(PTRACE_GETREGS, tid, 0, regs) != 0) {
    if (errno == ESRCH) {  // killed while stopped
      out[0] = SIGKILL;
      return Num(env, kExited);
    }
    return ThrowHost(env, "ptrace(GETREGS)", errno), nullptr;
  }
  int sig = WSTOPSIG(st);
  if (sig == (SIGTRAP | 0x80)) return Num(env, kSyscall);
  int event = (st >> 16) & 0xff;
  if (event != 0) {
    unsigned long msg = 0;
    ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg);
    out[0] = event;
    out[1] = (double)msg;
    return Num(env, kEvent);
  }
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) != 0) return ThrowHost(env, "ptrace(GETSIGINFO)", errno), nullptr;
  out[0] = sig;
  out[1] = si.si_code;
  out[2] = (double)(uintptr_t)si.si_addr;
  // Synchronous, kernel-generated faults have si_code > 0; anything sent by
  // a process (SI_USER, SI_TKILL, SI_QUEUE, timers: si_code <= 0) or any
  // other signal is asynchronous and becomes an interruption.
  bool sync = si.si_code > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
                                 sig == SIGTRAP || sig == SIGSYS);
  return Num(env, sync ? kSignal : kInterrupted);
}

std::unordered_map<pid_t, int> g_pinned;

// Pins `tid` to the CPU the calling thread runs on now (same-CPU hand-offs
// cost ~12 us here, cross-CPU ~80-100 us).
void PinToCurrentCpu(pid_t tid) {
  int cpu = sched_getcpu();
  if (cpu < 0) return;
  auto it = g_pinned.find(tid);
  if (it != g_pinned.end() && it->second == cpu) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(tid, sizeof set, &set) == 0) g_pinned[tid] = cpu;
}

// sysemu(pid, tid, regs, timeoutMs, out, pin) -> StopKind. Writes regs,
// resumes the thread under PTRACE_SYSEMU (suppressing any pending stop
// signal), and waits for its next stop. With timeoutMs >= 0, kicks the thread
// with kKickSignal when the deadline passes and waits for that stop.
napi_value Sysemu(napi_env env, napi_callback_info info) {
  Args a(env, info, 6);
  int pid = a.Int(0);
  int tid = a.Int(1);
  auto* regs = static_cast<user_regs_struct*>(a.Typed(2, napi_uint32_array, sizeof(user_regs_struct)));
  double timeout = a.Num(3);
  auto* out = static_cast<double*>(a.Typed(4, napi_float64_array, 8 * 4));
  int32_t pin = a.Int(5);
  if (!a.ok) return nullptr;
  if (pin) PinToCurrentCpu(tid);
  if (ptrace(PTRACE_SETREGS, tid, 0, regs) != 0) return ThrowHost(env, "ptrace(SETREGS)", errno), nullptr;
  if (ptrace(PTRACE_SYSEMU, tid, 0, 0) != 0) return ThrowHost(env, "ptrace(SYSEMU)", errno), nullptr;
  int st = 0;
  int64_t deadline = -1;
  if (timeout >= 0) {
    deadline = NowNs() + (int64_t)(timeout * 1e6);
    if (!ArmTimer((int64_t)timeout)) return ThrowHost(env, "timer_settime", errno), nullptr;
  }
  pid_t r = WaitDeadline(tid, &st, deadline);
  if (deadline >= 0) DisarmTimer();
  if (r == 0) {
    syscall(SYS_tgkill, pid, tid, kKickSignal);
    r = WaitDeadline(tid, &st, -1);
  }
  if (r < 0) return ThrowHost(env, "waitpid", -r), nullptr;
  return Decode(env, tid, st, regs, out);
}

// resume(tid, regs): writes regs and resumes under PTRACE_SYSEMU, no wait.
napi_value Resume(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  int tid = a.Int(0);
  void* regs = a.Typed(1, napi_uint32_array, sizeof(user_regs_struct));
  if (!a.ok) return nullptr;
  if (ptrace(PTRACE_SETREGS, tid, 0, regs) != 0) return ThrowHost(env, "ptrace(SETREGS)", errno), nullptr;
  if (ptrace(PTRACE_SYSEMU, tid, 0, 0) != 0) return ThrowHost(env, "ptrace(SYSEMU)", errno), nullptr;
  return Undef(env);
}

// waitAny(pgid, timeoutMs, out) -> tid, or 0 on timeout; out[0] = raw status.
// Only stubs (process group pgid) are waited for: Node's own children stay
// libuv's.
napi_value WaitAny(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  int pgid = a.Int(0);
  double timeout = a.Num(1);
  auto* out = static_cast<double*>(a.Typed(2, napi_float64_array, 8 * 4));
  if (!a.ok) return nullptr;
  int st = 0;
  int64_t deadline = -1;
  if (timeout > 0) {
    deadline = NowNs() + (int64_t)(timeout * 1e6);
    if (!ArmTimer((int64_t)timeout)) return ThrowHost(env, "timer_settime", errno), nullptr;
  }
  pid_t r;
  if (timeout == 0) {
    DisarmTimer();
    r = WaitDeadline(-pgid, &st, 0);
  } else {
    r = WaitDeadline(-pgid, &st, deadline);
    if (deadline >= 0) DisarmTimer();
  }
  if (r < 0) return ThrowHost(env, "waitpid", -r), nullptr;
  out[0] = st;
  return Num(env, r);
}

// decode(tid, status, regs, out) -> StopKind (for waitAny's result).
napi_value DecodeJs(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  int tid = a.Int(0);
  int st = a.Int(1);
  auto* regs = static_cast<user_regs_struct*>(a.Typed(2, napi_uint32_array, sizeof(user_regs_struct)));
  auto* out = static_cast<double*>(a.Typed(3, napi_float64_array, 8 * 4));
  if (!a.ok) return nullptr;
  return Decode(env, tid, st, regs, out);
}

// cont(tid, regs, out) -> StopKind: writes regs, PTRACE_CONT (no signal), waits
// for the next stop of tid. Used to inject syscalls through the stub gadget.
napi_value Cont(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  int tid = a.Int(0);
  auto* regs = static_cast<user_regs_struct*>(a.Typed(1, napi_uint32_array, sizeof(user_regs_struct)));
  auto* out = static_cast<double*>(a.Typed(2, napi_float64_array, 8 * 4));
  if (!a.ok) return nullptr;
  if (ptrace(PTRACE_SETREGS, tid, 0, regs) != 0) return ThrowHost(env, "ptrace(SETREGS)", errno), nullptr;
  if (ptrace(PTRACE_CONT, tid, 0, 0) != 0) return ThrowHost(env, "ptrace(CONT)", errno), nullptr;
  int st;
  pid_t r = WaitDeadline(tid, &st, -1);
  if (r < 0) return ThrowHost(env, "waitpid", -r), nullptr;
  return Decode(env, tid, st, regs, out);
}

// waitStop(tid) -> raw status of tid's next wait event (blocking).
napi_value WaitStop(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  int tid = a.Int(0);
  if (!a.ok) return nullptr;
  int st;
  pid_t r = WaitDeadline(tid, &st, -1);
  if (r < 0) return ThrowHost(env, "waitpid", -r), nullptr;
  return Num(env, st);
}

// getFP(tid, buf) -> bytes: the XSAVE image via PTRACE_GETREGSET(NT_X86_XSTATE).
napi_value GetFP(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  int tid = a.Int(0);
  void* buf = a.Typed(1, napi_uint8_array, 512);
  if (!a.ok) return nullptr;
  size_t len;
  napi_typedarray_type t;
  void* d;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(env, a.argv[1], &t, &len, &d, &ab, &off);
  struct iovec iov = {buf, len};
  if (ptrace(PTRACE_GETREGSET, tid, (void*)NT_X86_XSTATE, &iov) != 0)
    return ThrowHost(env, "ptrace(GETREGSET)", errno), nullptr;
  return Num(env, (double)iov.iov_len);
}

napi_value SetFP(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  int tid = a.Int(0);
  void* buf = a.Typed(1, napi_uint8_array, 512);
  double len = a.Num(2);
  if (!a.ok) return nullptr;
  struct iovec iov = {buf, (size_t)len};
  if (ptrace(PTRACE_SETREGSET, tid, (void*)NT_X86_XSTATE, &iov) != 0)
    return ThrowHost(env, "ptrace(SETREGSET)", errno), nullptr;
  return Undef(env);
}

// tgkill(pid, tid, sig): any thread may call this (Context.interrupt()).
napi_value Tgkill(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  int pid = a.Int(0), tid = a.Int(1), sig = a.Int(2);
  if (!a.ok) return nullptr;
  if (syscall(SYS_tgkill, pid, tid, sig) != 0 && errno != ESRCH)
    return ThrowHost(env, "tgkill", errno), nullptr;
  return Undef(env);
}

// killReap(pid, tids[]): SIGKILLs stub process pid and reaps every listed
// thread (non-leaders first, then the leader).
napi_value KillReap(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  int pid = a.Int(0);
  auto* tids = static_cast<int32_t*>(a.Typed(1, napi_int32_array, 0));
  if (!a.ok) return nullptr;
  size_t n;
  napi_typedarray_type t;
  void* d;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(env, a.argv[1], &t, &n, &d, &ab, &off);
  kill(pid, SIGKILL);
  auto reap = [](pid_t tid) {
    int st;
    for (;;) {
      pid_t r = waitpid(tid, &st, __WALL);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return;  // already reaped
      if (WIFEXITED(st) || WIFSIGNALED(st)) return;
    }
  };
  for (size_t i = 0; i < n; i++) {
    g_pinned.erase(tids[i]);
    if (tids[i] != pid) reap(tids[i]);
  }
  g_pinned.erase(pid);
  reap(pid);
  return Undef(env);
}

// detach(tid, regs): writes regs and detaches the thread (it runs on its own).
napi_value Detach2(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  int tid = a.Int(0);
  void* regs = a.Typed(1, napi_uint32_array, sizeof(user_regs_struct));
  if (!a.ok) return nullptr;
  if (ptrace(PTRACE_SETREGS, tid, 0, regs) != 0) return ThrowHost(env, "ptrace(SETREGS)", errno), nullptr;
  if (ptrace(PTRACE_DETACH, tid, 0, 0) != 0) return ThrowHost(env, "ptrace(DETACH)", errno), nullptr;
  return Undef(env);
}

// --- systrap: shared-memory hand-off with stub signal handlers -----------------

long Futex(volatile unsigned int* addr, int op, unsigned int val, const struct timespec* ts) {
  return syscall(SYS_futex, addr, op, val, ts, nullptr, 0);
}

// Waits until *word != val or the deadline passes (deadline < 0: never).
// Returns false on timeout.
bool FutexWaitNe(unsigned int* word, unsigned int val, int64_t deadline_ns) {
  while (__atomic_load_n(word, __ATOMIC_SEQ_CST) == val) {
    struct timespec ts, *tsp = nullptr;
    if (deadline_ns >= 0) {
      int64_t left = deadline_ns - NowNs();
      if (left <= 0) return false;
      ts.tv_sec = left / 1000000000LL;
      ts.tv_nsec = left % 1000000000LL;
      tsp = &ts;
    }
    Futex(word, FUTEX_WAIT, val, tsp);
  }
  return true;
}

systrap_ctl* Ctl(double addr) { return reinterpret_cast<systrap_ctl*>((uintptr_t)addr); }

void TrapRun(systrap_ctl* c, const user_regs_struct* regs) {
  memcpy(c->regs, regs, sizeof c->regs);
  __atomic_store_n(&c->state, SYSTRAP_RUN, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&c->stub_sleeping, __ATOMIC_SEQ_CST)) Futex(&c->state, FUTEX_WAKE, 1, nullptr);
}

// Waits for the slot to reach TRAPPED: spins for spin_ns, then sleeps on the
// futex; with a deadline, kicks the thread once it passes. Returns false if
// the deadline passed and kick_tid was 0 (nothing to kick).
// Adaptive spinning: spinning only pays when the other side runs on another
// CPU at that moment. Each wait that ends while spinning keeps the budget
// (up to the configured maximum); each one that has to sleep halves it, down
// to zero; at zero, every 128th wait probes with the full budget again.
// The stubs' own spin (globals.spin_cycles) follows the same budget.
constexpr int64_t kLivenessNs = 100 * 1000000LL;

// True while thread tid of process pid exists and is not a zombie.
bool ThreadAlive(pid_t pid, pid_t tid) {
  if (syscall(SYS_tgkill, pid, tid, 0) != 0) return false;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  const char* p = strrchr(buf, ')');
  return p != nullptr && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

double g_spin_cur = -1;
uint32_t g_spin_probe = 0;
systrap_globals* g_globals = nullptr;
double g_cycles_per_ns = 3.0;

void SetSpin(double ns) {
  g_spin_cur = ns;
  if (g_globals != nullptr) g_globals->spin_cycles = (unsigned long)(ns * g_cycles_per_ns);
}

bool TrapWait(systrap_ctl* c, double spin_max_ns, int64_t deadline_ns, pid_t pid, pid_t tid) {
  if (g_spin_cur < 0 || g_spin_cur > spin_max_ns) SetSpin(spin_max_ns);
  double spin_ns = g_spin_cur;
  if (spin_ns == 0 && spin_max_ns > 0 && (++g_spin_probe & 127) == 0) spin_ns = spin_max_ns;
  if (spin_ns > 0) {
    int64_t until = NowNs() + (int64_t)spin_ns;
    for (int i = 0;; i++) {
      if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == SYSTRAP_TRAPPED) {
        if (g_spin_cur < spin_max_ns) SetSpin(spin_max_ns);
        return true;
      }
      _mm_pause();
      if ((i & 63) == 63 && NowNs() >= until) break;
    }
    double next = g_spin_cur / 2;
    SetSpin(next < 1000 ? 0 : next);
  } else if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == SYSTRAP_TRAPPED) {
    return true;
  }
  __atomic_store_n(&c->sentry_sleeping, 1, __ATOMIC_SEQ_CST);
  bool kicked = false;
  bool alive = true;
  for (;;) {
    unsigned int v = __atomic_load_n(&c->state, __ATOMIC_SEQ_CST);
    if (v == SYSTRAP_TRAPPED) break;
    // Sleep in slices of at most kLivenessNs: a thread that died (killed from
    // outside, or its stub killed by seccomp) never traps, so check it.
    int64_t left = kLivenessNs;
    if (deadline_ns >= 0 && !kicked) {
      int64_t d = deadline_ns - NowNs();
      if (d <= 0) {
        syscall(SYS_tgkill, pid, tid, SYSTRAP_KICK_SIGNAL);
        kicked = true;
        continue;
      }
      if (d < left) left = d;
    }
    struct timespec ts;
    ts.tv_sec = left / 1000000000LL;
    ts.tv_nsec = left % 1000000000LL;
    if (Futex(&c->state, FUTEX_WAIT, v, &ts) != 0 && errno == ETIMEDOUT && !ThreadAlive(pid, tid)) {
      alive = false;
      break;
    }
  }
  __atomic_store_n(&c->sentry_sleeping, 0, __ATOMIC_SEQ_CST);
  return alive;
}

// Copies a trapped slot's registers out and classifies the trap.
// out: [0] signo, [1] si_code, [2] si_addr, [3] page-fault error code or -1.
int32_t TrapDecode(systrap_ctl* c, user_regs_struct* regs, double* out) {
  memcpy(regs, c->regs, sizeof c->regs);
  regs->cs = 0x33;
  regs->ss = 0x2b;
  regs->ds = regs->es = regs->fs = regs->gs = 0;
  int sig = c->signo;
  int code = c->code;
  out[0] = sig;
  out[1] = code;
  out[2] = (double)c->addr;
  out[3] = c->trapno == 14 ? (double)c->err : -1;
  if (sig == SIGSYS && code == 1 /* SYS_SECCOMP */ && c->arch != 0xc000003eU /* AUDIT_ARCH_X86_64 */) {
    // int $0x80: a 32-bit syscall. tsvisor has no ia32 emulation; Linux
    // built without it raises SIGSEGV (SI_KERNEL) for int $0x80.
    regs->orig_rax = (unsigned long)-1L;
    out[0] = SIGSEGV;
    out[1] = 0x80;  // SI_KERNEL
    out[2] = 0;
    out[3] = -1;
    return kSignal;
  }
  if (sig == SIGSYS && code == 1 /* SYS_SECCOMP */) {
    regs->orig_rax = (unsigned long)(long)c->syscall;
    regs->rax = (unsigned long)-ENOSYS;
    return kSyscall;
  }
  regs->orig_rax = (unsigned long)-1L;
  bool sync = code > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
                           sig == SIGTRAP || sig == SIGSYS);
  return sync ? kSignal : kInterrupted;
}

// trapInit(cyclesPerNs): TSC cycles per ns, to turn the spin budget into
// the stubs' globals.spin_cycles.
napi_value TrapInit(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  double cpn = a.Num(0);
  if (!a.ok) return nullptr;
  g_cycles_per_ns = cpn;
  return Undef(env);
}

// A context's switch arguments that do not change between switches, kept
// natively so the hot call converts five numbers instead of two typed arrays
// and four more values (each N-API conversion is a measurable share of a
// ~3.5 us round trip). The typed arrays are owned by the context object,
// which outlives its record: JS calls trapUnprepare before dropping them.
struct Prepared {
  user_regs_struct* regs;
  double* out;
  double spin;
  int32_t pin;
  systrap_globals* globals;
  bool used;
};
std::vector<Prepared> g_prepared;

// trapPrepare(regs, out, spinNs, pin, globals) -> id
napi_value TrapPrepare(napi_env env, napi_callback_info info) {
  Args a(env, info, 5);
  auto* regs = static_cast<user_regs_struct*>(a.Typed(0, napi_uint32_array, sizeof(user_regs_struct)));
  auto* out = static_cast<double*>(a.Typed(1, napi_float64_array, 8 * 4));
  double spin = a.Num(2);
  int32_t pin = a.Int(3);
  double gaddr = a.Num(4);
  if (!a.ok) return nullptr;
  Prepared p{regs, out, spin, pin, reinterpret_cast<systrap_globals*>((uintptr_t)gaddr), true};
  for (size_t i = 0; i < g_prepared.size(); i++) {
    if (!g_prepared[i].used) {
      g_prepared[i] = p;
      return Num(env, (double)i);
    }
  }
  g_prepared.push_back(p);
  return Num(env, (double)(g_prepared.size() - 1));
}

// trapUnprepare(id): forgets a record (the context is being released).
napi_value TrapUnprepare(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  int32_t id = a.Int(0);
  if (!a.ok) return nullptr;
  if (id >= 0 && (size_t)id < g_prepared.size()) g_prepared[id].used = false;
  return Undef(env);
}

// trapSwitchPrepared(id, ctl, pid, tid, timeoutMs) -> StopKind: hands the
// prepared record's regs to the trapped slot (pinning the stub thread to this
// CPU if pin), waits for its next trap (spin, then futex, kicking it at the
// deadline) and decodes it into regs/out. The record's globals are the
// platform's systrap_globals (its stubs' spin budget).
napi_value TrapSwitchPrepared(napi_env env, napi_callback_info info) {
  Args a(env, info, 5);
  int32_t id = a.Int(0);
  double ctl = a.Num(1);
  int pid = a.Int(2), tid = a.Int(3);
  double timeout = a.Num(4);
  if (!a.ok) return nullptr;
  if (id < 0 || (size_t)id >= g_prepared.size() || !g_prepared[id].used) {
    ThrowType(env, "unknown prepared context");
    return nullptr;
  }
  const Prepared& p = g_prepared[id];
  g_globals = p.globals;
  systrap_ctl* c = Ctl(ctl);
  if (p.pin) PinToCurrentCpu(tid);
  TrapRun(c, p.regs);
  int64_t deadline = timeout >= 0 ? NowNs() + (int64_t)(timeout * 1e6) : -1;
  if (!TrapWait(c, p.spin, deadline, pid, tid)) {
    p.out[0] = 0;
    return Num(env, kExited);
  }
  return Num(env, TrapDecode(c, p.regs, p.out));
}

napi_value TrapResume(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  double ctl = a.Num(0);
  auto* regs = static_cast<user_regs_struct*>(a.Typed(1, napi_uint32_array, sizeof(user_regs_struct)));
  if (!a.ok) return nullptr;
  TrapRun(Ctl(ctl), regs);
  return Undef(env);
}

napi_value TrapCollect(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  double ctl = a.Num(0);
  auto* regs = static_cast<user_regs_struct*>(a.Typed(1, napi_uint32_array, sizeof(user_regs_struct)));
  auto* out = static_cast<double*>(a.Typed(2, napi_float64_array, 8 * 4));
  if (!a.ok) return nullptr;
  if (__atomic_load_n(&Ctl(ctl)->state, __ATOMIC_SEQ_CST) != SYSTRAP_TRAPPED) {
    out[0] = 0;  // waitAny found the thread dead
    return Num(env, kExited);
  }
  return Num(env, TrapDecode(Ctl(ctl), regs, out));
}

// trapWaitReady(ctl, timeoutMs) -> bool: waits for a new thread's first trap.
napi_value TrapWaitReady(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  double ctl = a.Num(0);
  double timeout = a.Num(1);
  if (!a.ok) return nullptr;
  systrap_ctl* c = Ctl(ctl);
  int64_t deadline = NowNs() + (int64_t)(timeout * 1e6);
  __atomic_store_n(&c->sentry_sleeping, 1, __ATOMIC_SEQ_CST);
  bool ok = true;
  for (;;) {
    unsigned int v = __atomic_load_n(&c->state, __ATOMIC_SEQ_CST);
    if (v == SYSTRAP_TRAPPED) break;
    if (!FutexWaitNe(&c->state, v, deadline)) {
      ok = __atomic_load_n(&c->state, __ATOMIC_SEQ_CST) == SYSTRAP_TRAPPED;
      break;
    }
  }
  __atomic_store_n(&c->sentry_sleeping, 0, __ATOMIC_SEQ_CST);
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

// trapWaitExit(ctl, timeoutMs) -> bool: waits until the slot's thread has
// exited (its tid word cleared by the kernel).
napi_value TrapWaitExit(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  double ctl = a.Num(0);
  double timeout = a.Num(1);
  if (!a.ok) return nullptr;
  systrap_ctl* c = Ctl(ctl);
  int64_t deadline = NowNs() + (int64_t)(timeout * 1e6);
  for (;;) {
    unsigned int v = __atomic_load_n(&c->tid_word, __ATOMIC_SEQ_CST);
    if (v == 0) break;
    if (!FutexWaitNe(&c->tid_word, v, deadline)) break;
  }
  napi_value r;
  napi_get_boolean(env, __atomic_load_n(&c->tid_word, __ATOMIC_SEQ_CST) == 0, &r);
  return r;
}

// trapWaitAny(globals, ctls Float64Array, n, timeoutMs) -> index of a
// TRAPPED slot among ctls[0..n), or -1 on timeout.
napi_value TrapWaitAny(napi_env env, napi_callback_info info) {
  Args a(env, info, 5);
  double gaddr = a.Num(0);
  auto* ctls = static_cast<double*>(a.Typed(1, napi_float64_array, 0));
  int n = a.Int(2);
  double timeout = a.Num(3);
  auto* ids = static_cast<int32_t*>(a.Typed(4, napi_int32_array, 0));
  if (!a.ok) return nullptr;
  auto* g = reinterpret_cast<systrap_globals*>((uintptr_t)gaddr);
  int64_t deadline = timeout >= 0 ? NowNs() + (int64_t)(timeout * 1e6) : -1;
  auto scan = [&]() -> int {
    for (int i = 0; i < n; i++)
      if (__atomic_load_n(&Ctl(ctls[i])->state, __ATOMIC_SEQ_CST) == SYSTRAP_TRAPPED) return i;
    return -1;
  };
  int found;
  for (;;) {
    unsigned int seq = __atomic_load_n(&g->seq, __ATOMIC_SEQ_CST);
    if ((found = scan()) >= 0) break;
    if (timeout == 0) break;
    __atomic_store_n(&g->any_waiting, 1, __ATOMIC_SEQ_CST);
    if ((found = scan()) >= 0) break;
    int64_t left = kLivenessNs;
    if (deadline >= 0) {
      int64_t d = deadline - NowNs();
      if (d <= 0) break;
      if (d < left) left = d;
    }
    struct timespec ts;
    ts.tv_sec = left / 1000000000LL;
    ts.tv_nsec = left % 1000000000LL;
    if (Futex(&g->seq, FUTEX_WAIT, seq, &ts) != 0 && errno == ETIMEDOUT) {
      // ids[2i], ids[2i+1]: pid and tid of ctls[i]. A dead one is reported
      // as found; the caller's collect sees it gone.
      for (int i = 0; i < n && found < 0; i++)
        if (!ThreadAlive(ids[2 * i], ids[2 * i + 1])) found = i;
      if (found >= 0) break;
    }
  }
  __atomic_store_n(&g->any_waiting, 0, __ATOMIC_SEQ_CST);
  return Num(env, found);
}

napi_value Export(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
  napi_set_named_property(env, exports, name, fn);
  return exports;
}

napi_value ModuleInit(napi_env env, napi_value exports) {
  Export(env, exports, "init", Init);
  Export(env, exports, "memfdCreate", MemfdCreate);
  Export(env, exports, "mapShared", MapShared);
  Export(env, exports, "unmap", Unmap);
  Export(env, exports, "externalBuffer", ExternalBuffer);
  Export(env, exports, "detach", Detach);
  Export(env, exports, "punchHole", PunchHole);
  Export(env, exports, "closeFd", CloseFd);
  Export(env, exports, "spawnStub", SpawnStub);
  Export(env, exports, "getRegs", GetRegs);
  Export(env, exports, "setRegs", SetRegs);
  Export(env, exports, "sysemu", Sysemu);
  Export(env, exports, "resume", Resume);
  Export(env, exports, "waitAny", WaitAny);
  Export(env, exports, "decode", DecodeJs);
  Export(env, exports, "cont", Cont);
  Export(env, exports, "waitStop", WaitStop);
  Export(env, exports, "getFP", GetFP);
  Export(env, exports, "setFP", SetFP);
  Export(env, exports, "tgkill", Tgkill);
  Export(env, exports, "killReap", KillReap);
  Export(env, exports, "detachThread", Detach2);
  Export(env, exports, "trapInit", TrapInit);
  Export(env, exports, "trapPrepare", TrapPrepare);
  Export(env, exports, "trapUnprepare", TrapUnprepare);
  Export(env, exports, "trapSwitchPrepared", TrapSwitchPrepared);
  Export(env, exports, "trapResume", TrapResume);
  Export(env, exports, "trapCollect", TrapCollect);
  Export(env, exports, "trapWaitReady", TrapWaitReady);
  Export(env, exports, "trapWaitAny", TrapWaitAny);
  Export(env, exports, "trapWaitExit", TrapWaitExit);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, ModuleInit)
