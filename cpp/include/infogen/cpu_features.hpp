// What the running CPU (and its operating system) can execute, for choosing a SIMD level.
//
// Pure C++ (cpuid and xgetbv), no Python. An instruction set counts only when the CPU has it
// and the OS saves its registers on a context switch (XCR0): a CPU with AVX-512 under an OS
// that does not enable the ZMM state must be treated as an AVX2 machine.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace infogen {

struct CpuFeatures {
  std::string arch;      ///< "x86_64", "aarch64", ... (what this detector was compiled for)
  std::string vendor;    ///< cpuid vendor string on x86, empty elsewhere
  /// Every feature the detector checks, with whether it is usable (CPU and OS).
  std::vector<std::pair<std::string, bool>> flags;
  /// Highest x86-64 micro-architecture level usable: 1 (x86-64), 2, 3 or 4; 0 off x86.
  int x86_level = 0;
};

/// Detect once; cheap enough to call again.
CpuFeatures detect_cpu_features();

}  // namespace infogen
