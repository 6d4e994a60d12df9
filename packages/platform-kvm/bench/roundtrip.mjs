// The KVM micro-benchmarks moved to bench/platform-roundtrip/kvm-micro.mjs,
// next to the cross-platform bench (bench/platform-roundtrip/run.mjs); this
// shim keeps `pnpm --filter @tsvisor/platform-kvm bench [N]` working.
await import("../../../bench/platform-roundtrip/kvm-micro.mjs");
