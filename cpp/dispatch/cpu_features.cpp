// cpuid/xgetbv feature detection. Compiled for the architecture's baseline, so it runs on
// any CPU the package may be installed on.
#include "infogen/cpu_features.hpp"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#define INFOGEN_CPU_X86 1
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace infogen {

#if defined(INFOGEN_CPU_X86)
namespace {

struct Regs {
  std::uint32_t a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(std::uint32_t leaf, std::uint32_t sub) {
  Regs r;
#if defined(_MSC_VER)
  int v[4];
  __cpuidex(v, static_cast<int>(leaf), static_cast<int>(sub));
  r = {static_cast<std::uint32_t>(v[0]), static_cast<std::uint32_t>(v[1]), static_cast<std::uint32_t>(v[2]),
       static_cast<std::uint32_t>(v[3])};
#else
  unsigned a = 0, b = 0, c = 0, d = 0;
  __cpuid_count(leaf, sub, a, b, c, d);
  r = {a, b, c, d};
#endif
  return r;
}

/// XCR0: which register states the OS saves. Only call when cpuid says OSXSAVE.
std::uint64_t xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  std::uint32_t lo = 0, hi = 0;
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));  // xgetbv
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
#endif
}

constexpr bool bit(std::uint32_t reg, int i) noexcept { return (reg >> i) & 1U; }

}  // namespace
#endif

CpuFeatures detect_cpu_features() {
  CpuFeatures out;
#if defined(INFOGEN_CPU_X86)
  out.arch = "x86_64";
  const Regs v = cpuid(0, 0);
  const std::uint32_t max_leaf = v.a;
  char vendor[13] = {};
  std::memcpy(vendor + 0, &v.b, 4);
  std::memcpy(vendor + 4, &v.d, 4);
  std::memcpy(vendor + 8, &v.c, 4);
  out.vendor = vendor;
  const Regs l1 = cpuid(1, 0);
  const Regs l7 = max_leaf >= 7 ? cpuid(7, 0) : Regs{};
  const std::uint32_t max_ext = cpuid(0x80000000U, 0).a;
  const Regs e1 = max_ext >= 0x80000001U ? cpuid(0x80000001U, 0) : Regs{};

  const bool osxsave = bit(l1.c, 27);
  const std::uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  const bool os_avx = (xcr0 & 0x6) == 0x6;        // XMM and YMM state
  const bool os_avx512 = (xcr0 & 0xE6) == 0xE6;   // and opmask, ZMM0-15 high halves, ZMM16-31

  auto add = [&](const char* name, bool on) { out.flags.emplace_back(name, on); };
  // x86-64-v2
  add("sse3", bit(l1.c, 0));
  add("ssse3", bit(l1.c, 9));
  add("sse4_1", bit(l1.c, 19));
  add("sse4_2", bit(l1.c, 20));
  add("popcnt", bit(l1.c, 23));
  add("cx16", bit(l1.c, 13));
  add("lahf_lm", bit(e1.c, 0));
  // x86-64-v3 (the vector ones only when the OS saves YMM)
  add("os_avx", os_avx);
  add("avx", bit(l1.c, 28) && os_avx);
  add("avx2", bit(l7.b, 5) && os_avx);
  add("fma", bit(l1.c, 12) && os_avx);
  add("f16c", bit(l1.c, 29) && os_avx);
  add("bmi1", bit(l7.b, 3));
  add("bmi2", bit(l7.b, 8));
  add("lzcnt", bit(e1.c, 5));
  add("movbe", bit(l1.c, 22));
  add("xsave", bit(l1.c, 26));
  // x86-64-v4 (only when the OS saves the opmask and ZMM state)
  add("os_avx512", os_avx512);
  add("avx512f", bit(l7.b, 16) && os_avx512);
  add("avx512dq", bit(l7.b, 17) && os_avx512);
  add("avx512cd", bit(l7.b, 28) && os_avx512);
  add("avx512bw", bit(l7.b, 30) && os_avx512);
  add("avx512vl", bit(l7.b, 31) && os_avx512);

  auto all = [&](std::size_t first, std::size_t last) {
    for (std::size_t i = first; i < last; ++i) {
      if (!out.flags[i].second) return false;
    }
    return true;
  };
  const std::size_t v2_end = 7, v3_end = 17, v4_end = out.flags.size();
  out.x86_level = 1;
  if (all(0, v2_end)) {
    out.x86_level = 2;
    if (all(v2_end, v3_end)) {
      out.x86_level = 3;
      if (all(v3_end, v4_end)) out.x86_level = 4;
    }
  }
#elif defined(__aarch64__) || defined(_M_ARM64)
  out.arch = "aarch64";
#elif defined(__powerpc64__)
  out.arch = "ppc64";
#elif defined(__s390x__)
  out.arch = "s390x";
#else
  out.arch = "unknown";
#endif
  return out;
}

}  // namespace infogen
