// Counter-based random numbers: a stream is a pure function of (seed, stream id), so a
// draw does not depend on which thread makes it or in which order work items run.
//
// Engine: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11). Uniform doubles are built from raw bits (53 of them), never through
// std::uniform_real_distribution, whose output differs between standard libraries.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace infogen {

/// SplitMix64 finaliser: a good 64-bit mixer, used to derive keys from (seed, id).
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// One random stream: Philox4x32-10 keyed by (seed, stream), counting blocks of 4 words.
class Philox {
 public:
  Philox(std::uint64_t seed, std::uint64_t stream) noexcept {
    const std::uint64_t k = splitmix64(seed ^ splitmix64(stream + 0x632BE59BD9B4E019ULL));
    key_ = {static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(k >> 32)};
    counter_hi_ = stream;
  }

  /// Next 32 random bits.
  std::uint32_t next_u32() noexcept {
    if (pos_ == 4) refill();
    return block_[pos_++];
  }

  /// Next 64 random bits.
  std::uint64_t next_u64() noexcept {
    const std::uint64_t hi = next_u32();
    return (hi << 32) | next_u32();
  }

  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  /// Uniform double in (0, 1): never 0, safe to take the log of.
  double uniform_open() noexcept {
    return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53;
  }

  /// Standard normal draw (Box–Muller on two open uniforms; the sine half is cached).
  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = uniform_open();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double t = 6.283185307179586476925286766559 * u2;
    spare_ = r * std::sin(t);
    has_spare_ = true;
    return r * std::cos(t);
  }

 private:
  static void round(std::array<std::uint32_t, 4>& c, const std::array<std::uint32_t, 2>& k) noexcept {
    const std::uint64_t p0 = static_cast<std::uint64_t>(0xD2511F53U) * c[0];
    const std::uint64_t p1 = static_cast<std::uint64_t>(0xCD9E8D57U) * c[2];
    const auto hi0 = static_cast<std::uint32_t>(p0 >> 32);
    const auto lo0 = static_cast<std::uint32_t>(p0);
    const auto hi1 = static_cast<std::uint32_t>(p1 >> 32);
    const auto lo1 = static_cast<std::uint32_t>(p1);
    c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
  }

  void refill() noexcept {
    std::array<std::uint32_t, 4> c = {static_cast<std::uint32_t>(counter_),
                                      static_cast<std::uint32_t>(counter_ >> 32),
                                      static_cast<std::uint32_t>(counter_hi_),
                                      static_cast<std::uint32_t>(counter_hi_ >> 32)};
    std::array<std::uint32_t, 2> k = key_;
    for (int r = 0; r < 10; ++r) {
      round(c, k);
      k[0] += 0x9E3779B9U;
      k[1] += 0xBB67AE85U;
    }
    block_ = c;
    ++counter_;
    pos_ = 0;
  }

  std::array<std::uint32_t, 2> key_{};
  std::array<std::uint32_t, 4> block_{};
  std::uint64_t counter_ = 0;
  std::uint64_t counter_hi_ = 0;
  int pos_ = 4;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace infogen
