{
  "targets": [
    {
      "target_name": "tsvisor_ptrace",
      "sources": ["native/addon.cc"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    },
    {
      "target_name": "tsvisor_stub",
      "type": "none",
      "actions": [
        {
          "action_name": "build_stub",
          "inputs": ["native/stub.c", "native/systrap.h"],
          "outputs": ["<(PRODUCT_DIR)/tsvisor-stub"],
          "action": [
            "gcc", "-nostdlib", "-static", "-no-pie", "-fpie", "-O2", "-ffreestanding",
            "-fno-builtin", "-fno-stack-protector", "-fcf-protection=none",
            "-fno-asynchronous-unwind-tables", "-Wl,-Ttext-segment=0x7fffc0000000",
            "-Wl,--build-id=none", "-Wl,-z,noexecstack",
            "-o", "<(PRODUCT_DIR)/tsvisor-stub", "native/stub.c"
          ]
        }
      ]
    }
  ]
}
