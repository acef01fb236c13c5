// Counter-based random numbers: a stream is a pure function of (seed, stream id), so a
// draw does not depend on which thread makes it or in which order work items run.
//
// Engine: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11). Uniform doubles are built from raw bits (53 of them), never through
// std::uniform_real_distribution, whose output differs between standard libraries.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

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

  /// The next `n` draws of next_u32(), bit for bit, in one call. Whole blocks are made
  /// sixteen counters at a time (with AVX-512 or AVX2 when the build has it); the stream is left
  /// exactly where n calls of next_u32() would leave it.
  void fill_u32(std::uint32_t* out, std::size_t n) noexcept {
    std::size_t i = 0;
    while (pos_ < 4 && i < n) out[i++] = block_[pos_++];
    for (; n - i >= 4 * kLanes; i += 4 * kLanes, counter_ += kLanes) {
#if defined(__AVX512F__)
      if (static_cast<std::uint32_t>(counter_) <= 0xFFFFFFFFU - kLanes) {  // no carry into bit 32
        bulk_avx512(out + i);
        continue;
      }
#elif defined(__AVX2__)
      if (static_cast<std::uint32_t>(counter_) <= 0xFFFFFFFFU - kLanes) {  // no carry into bit 32
        bulk_avx2(out + i);
        continue;
      }
#endif
      bulk_scalar(out + i);
    }
    while (i < n) out[i++] = next_u32();
  }

  /// Skip the next `n` draws of next_u32() in O(1).
  void discard(std::uint64_t n) noexcept {
    while (pos_ < 4 && n > 0) {
      ++pos_;
      --n;
    }
    counter_ += n / 4;
    if (n % 4 != 0) {
      refill();
      pos_ = static_cast<int>(n % 4);
    }
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
  static constexpr int kLanes = 16;  ///< counters per bulk step (a multiple of 8)

  /// Blocks counter_ .. counter_ + kLanes - 1 into out[0 .. 4 kLanes), portable code.
  void bulk_scalar(std::uint32_t* out) const noexcept {
    std::uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
    for (int l = 0; l < kLanes; ++l) {
      const std::uint64_t ctr = counter_ + static_cast<std::uint64_t>(l);
      c0[l] = static_cast<std::uint32_t>(ctr);
      c1[l] = static_cast<std::uint32_t>(ctr >> 32);
      c2[l] = static_cast<std::uint32_t>(counter_hi_);
      c3[l] = static_cast<std::uint32_t>(counter_hi_ >> 32);
    }
    std::uint32_t k0 = key_[0], k1 = key_[1];
    for (int r = 0; r < 10; ++r) {
      for (int l = 0; l < kLanes; ++l) {
        const std::uint64_t p0 = static_cast<std::uint64_t>(0xD2511F53U) * c0[l];
        const std::uint64_t p1 = static_cast<std::uint64_t>(0xCD9E8D57U) * c2[l];
        const auto n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1[l] ^ k0;
        const auto n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3[l] ^ k1;
        c0[l] = n0;
        c1[l] = static_cast<std::uint32_t>(p1);
        c2[l] = n2;
        c3[l] = static_cast<std::uint32_t>(p0);
      }
      k0 += 0x9E3779B9U;
      k1 += 0xBB67AE85U;
    }
    for (int l = 0; l < kLanes; ++l) {
      out[4 * l] = c0[l];
      out[4 * l + 1] = c1[l];
      out[4 * l + 2] = c2[l];
      out[4 * l + 3] = c3[l];
    }
  }

#if defined(__AVX512F__)
  /// bulk_scalar with AVX-512, for counters whose low word does not carry within the step:
  /// the sixteen counters in one register per word, the 32x32->64-bit products made for the
  /// even and (shifted down) the odd lanes and blended back into lane order, then a 4x16
  /// transpose (32-bit words within 128-bit lanes, then the lanes) writes the blocks.
  void bulk_avx512(std::uint32_t* out) const noexcept {
    static_assert(kLanes == 16, "one 512-bit register of counters per word");
    constexpr __mmask16 kOdd = 0xAAAA;
    const __m512i m0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53U));
    const __m512i m1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57U));
    __m512i a0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(counter_))),
                                  _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    __m512i a1 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(counter_ >> 32)));
    __m512i a2 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(counter_hi_)));
    __m512i a3 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(counter_hi_ >> 32)));
    std::uint32_t k0 = key_[0], k1 = key_[1];
    for (int r = 0; r < 10; ++r) {
      const __m512i e0 = _mm512_mul_epu32(a0, m0), o0 = _mm512_mul_epu32(_mm512_srli_epi64(a0, 32), m0);
      const __m512i e1 = _mm512_mul_epu32(a2, m1), o1 = _mm512_mul_epu32(_mm512_srli_epi64(a2, 32), m1);
      const __m512i hi0 = _mm512_mask_blend_epi32(kOdd, _mm512_srli_epi64(e0, 32), o0);
      const __m512i lo0 = _mm512_mask_blend_epi32(kOdd, e0, _mm512_slli_epi64(o0, 32));
      const __m512i hi1 = _mm512_mask_blend_epi32(kOdd, _mm512_srli_epi64(e1, 32), o1);
      const __m512i lo1 = _mm512_mask_blend_epi32(kOdd, e1, _mm512_slli_epi64(o1, 32));
      a0 = _mm512_xor_si512(_mm512_xor_si512(hi1, a1), _mm512_set1_epi32(static_cast<int>(k0)));
      a1 = lo1;
      a2 = _mm512_xor_si512(_mm512_xor_si512(hi0, a3), _mm512_set1_epi32(static_cast<int>(k1)));
      a3 = lo0;
      k0 += 0x9E3779B9U;
      k1 += 0xBB67AE85U;
    }
    // In each 128-bit lane k: u0..u3 hold the blocks of counters 4k..4k+3.
    const __m512i t0 = _mm512_unpacklo_epi32(a0, a1), t1 = _mm512_unpackhi_epi32(a0, a1);
    const __m512i t2 = _mm512_unpacklo_epi32(a2, a3), t3 = _mm512_unpackhi_epi32(a2, a3);
    const __m512i u0 = _mm512_unpacklo_epi64(t0, t2), u1 = _mm512_unpackhi_epi64(t0, t2);
    const __m512i u2 = _mm512_unpacklo_epi64(t1, t3), u3 = _mm512_unpackhi_epi64(t1, t3);
    const __m512i x0 = _mm512_shuffle_i64x2(u0, u1, 0x44), x1 = _mm512_shuffle_i64x2(u0, u1, 0xEE);
    const __m512i x2 = _mm512_shuffle_i64x2(u2, u3, 0x44), x3 = _mm512_shuffle_i64x2(u2, u3, 0xEE);
    _mm512_storeu_si512(out, _mm512_shuffle_i64x2(x0, x2, 0x88));       // counters 0-3
    _mm512_storeu_si512(out + 16, _mm512_shuffle_i64x2(x0, x2, 0xDD));  // 4-7
    _mm512_storeu_si512(out + 32, _mm512_shuffle_i64x2(x1, x3, 0x88));  // 8-11
    _mm512_storeu_si512(out + 48, _mm512_shuffle_i64x2(x1, x3, 0xDD));  // 12-15
  }
#endif

#if defined(__AVX2__) && !defined(__AVX512F__)
  /// bulk_scalar with AVX2, for counters whose low word does not carry within the step.
  /// The 32x32->64-bit products are made for the even lanes and (shifted down) the odd
  /// lanes, and their halves blended back into lane order; two groups of eight counters
  /// are interleaved to hide the multiplies' latency; a 4x8 transpose writes the blocks.
  void bulk_avx2(std::uint32_t* out) const noexcept {
    constexpr int kGroups = kLanes / 8;
    const __m256i m0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53U));
    const __m256i m1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57U));
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i a0[kGroups], a1[kGroups], a2[kGroups], a3[kGroups];
    for (int g = 0; g < kGroups; ++g) {
      a0[g] = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(counter_) + 8U * g)),
                               iota);
      a1[g] = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(counter_ >> 32)));
      a2[g] = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(counter_hi_)));
      a3[g] = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(counter_hi_ >> 32)));
    }
    std::uint32_t k0 = key_[0], k1 = key_[1];
    for (int r = 0; r < 10; ++r) {
      const __m256i key0 = _mm256_set1_epi32(static_cast<int>(k0));
      const __m256i key1 = _mm256_set1_epi32(static_cast<int>(k1));
      for (int g = 0; g < kGroups; ++g) {
        const __m256i e0 = _mm256_mul_epu32(a0[g], m0);
        const __m256i o0 = _mm256_mul_epu32(_mm256_srli_epi64(a0[g], 32), m0);
        const __m256i e1 = _mm256_mul_epu32(a2[g], m1);
        const __m256i o1 = _mm256_mul_epu32(_mm256_srli_epi64(a2[g], 32), m1);
        const __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(e0, 32), o0, 0xAA);
        const __m256i lo0 = _mm256_blend_epi32(e0, _mm256_slli_epi64(o0, 32), 0xAA);
        const __m256i hi1 = _mm256_blend_epi32(_mm256_srli_epi64(e1, 32), o1, 0xAA);
        const __m256i lo1 = _mm256_blend_epi32(e1, _mm256_slli_epi64(o1, 32), 0xAA);
        a0[g] = _mm256_xor_si256(_mm256_xor_si256(hi1, a1[g]), key0);
        a1[g] = lo1;
        a2[g] = _mm256_xor_si256(_mm256_xor_si256(hi0, a3[g]), key1);
        a3[g] = lo0;
      }
      k0 += 0x9E3779B9U;
      k1 += 0xBB67AE85U;
    }
    for (int g = 0; g < kGroups; ++g) {
      const __m256i t0 = _mm256_unpacklo_epi32(a0[g], a1[g]), t1 = _mm256_unpackhi_epi32(a0[g], a1[g]);
      const __m256i t2 = _mm256_unpacklo_epi32(a2[g], a3[g]), t3 = _mm256_unpackhi_epi32(a2[g], a3[g]);
      const __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);  // lanes 0|4, 1|5
      const __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);  // lanes 2|6, 3|7
      auto* o = reinterpret_cast<__m256i*>(out + 32 * g);
      _mm256_storeu_si256(o, _mm256_permute2x128_si256(u0, u1, 0x20));
      _mm256_storeu_si256(o + 1, _mm256_permute2x128_si256(u2, u3, 0x20));
      _mm256_storeu_si256(o + 2, _mm256_permute2x128_si256(u0, u1, 0x31));
      _mm256_storeu_si256(o + 3, _mm256_permute2x128_si256(u2, u3, 0x31));
    }
  }
#endif

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
