// Natural log of arrays of doubles, about 1.5x faster than Eigen's vectorised log (AVX2).
//
// log x = k ln 2 + log c_i + log1p(r): x = 2^k z with z in [0.6875, 1.375), the top 7
// mantissa bits of z pick one of 128 intervals with a table entry 1/c_i near 1/z, and
// r = z / c_i - 1 = fma(z, 1/c_i, -1) has |r| < 2^-7, so a degree-8 polynomial gives
// log1p(r) to about 1e-19. log c_i is tabulated in long double precision. The two
// intervals around 1 have c_i = 1, so log 1 is exactly 0 and there is no cancellation
// near 1. No division; max error about 1 ulp.
//
// Any input is accepted: subnormal, zero, negative, infinite and NaN entries go through
// std::log, so vlog(x) behaves like std::log.
// Results are a function of each input alone (not of the array's length, alignment or
// the position of an element), so they never depend on how work is split into threads.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "infogen/common.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define INFOGEN_FASTLOG_AVX2 1
#endif

namespace infogen {

namespace fastlog_detail {

struct Table {
  alignas(64) double invc[128];
  alignas(64) double logc[128];
  Table() noexcept {
    constexpr std::uint64_t kOff = 0x3fe6000000000000ULL;
    for (std::uint64_t i = 0; i < 128; ++i) {
      const std::uint64_t mid = kOff + (i << 45) + (std::uint64_t{1} << 44);
      double c;
      std::memcpy(&c, &mid, sizeof c);
      invc[i] = 1.0 / c;
      logc[i] = -static_cast<double>(std::log(static_cast<long double>(invc[i])));
    }
    // The two intervals around 1, [1 - 2^-8, 1) and [1, 1 + 2^-7), use c = 1: log(1) is
    // exactly 0, and near 1 the result is r's polynomial alone, without the cancellation
    // of log c against log1p(r) (full relative accuracy as x -> 1).
    for (int j : {79, 80}) {
      invc[j] = 1.0;
      logc[j] = 0.0;
    }
  }
};

inline const Table& table() noexcept {
  static const Table t;
  return t;
}

}  // namespace fastlog_detail

/// out[i] = log(x[i]) for i < n; `out` may alias `x`.
inline void vlog(const double* x, index_t n, double* out) noexcept {
  index_t i = 0;
#if INFOGEN_FASTLOG_AVX2
  const auto& t = fastlog_detail::table();
  const __m256i off = _mm256_set1_epi64x(0x3fe6000000000000LL);
  const __m256i exp_mask = _mm256_set1_epi64x(static_cast<long long>(0xfff0000000000000ULL));
  const __m256i sign = _mm256_set1_epi64x(static_cast<long long>(0x8000000000000000ULL));
  const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL);  // 2^52 as a double
  const __m256i idx_mask = _mm256_set1_epi64x(127);
  const __m256d magic_bias = _mm256_set1_pd(4503599627370496.0 + 2048.0);
  const __m256d lo_ok = _mm256_set1_pd(2.2250738585072014e-308);
  const __m256d hi_ok = _mm256_set1_pd(1.7976931348623157e308);
  const __m256d ln2_hi = _mm256_set1_pd(0x1.62e42fefa3800p-1);
  const __m256d ln2_lo = _mm256_set1_pd(0x1.ef35793c76730p-45);
  const __m256d minus_one = _mm256_set1_pd(-1.0);
  // Four logs of normal, finite positive doubles.
  const auto log4 = [&](__m256d v) {
    const __m256i bits = _mm256_castpd_si256(v);
    const __m256i tmp = _mm256_sub_epi64(bits, off);
    const __m256i idx = _mm256_and_si256(_mm256_srli_epi64(tmp, 45), idx_mask);
    // k = tmp >> 52 (arithmetic), as a double: bias by 2048, convert via the 2^52 trick.
    const __m256i kb = _mm256_or_si256(_mm256_srli_epi64(_mm256_xor_si256(tmp, sign), 52), magic);
    const __m256d k = _mm256_sub_pd(_mm256_castsi256_pd(kb), magic_bias);
    const __m256d z = _mm256_castsi256_pd(_mm256_sub_epi64(bits, _mm256_and_si256(tmp, exp_mask)));
    // Scalar table loads: faster than vgatherqpd on the AMD cores this was tuned on.
    alignas(32) std::int64_t ix[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(ix), idx);
    const __m256d invc = _mm256_setr_pd(t.invc[ix[0]], t.invc[ix[1]], t.invc[ix[2]], t.invc[ix[3]]);
    const __m256d logc = _mm256_setr_pd(t.logc[ix[0]], t.logc[ix[1]], t.logc[ix[2]], t.logc[ix[3]]);
    const __m256d r = _mm256_fmadd_pd(z, invc, minus_one);
    // log1p(r) = r + r^2 q(r), q(r) = -1/2 + r/3 - r^2/4 + ... - r^6/8 (Estrin's scheme).
    const __m256d r2 = _mm256_mul_pd(r, r);
    const __m256d r4 = _mm256_mul_pd(r2, r2);
    const __m256d q01 = _mm256_fmadd_pd(r, _mm256_set1_pd(1.0 / 3), _mm256_set1_pd(-1.0 / 2));
    const __m256d q23 = _mm256_fmadd_pd(r, _mm256_set1_pd(1.0 / 5), _mm256_set1_pd(-1.0 / 4));
    const __m256d q45 = _mm256_fmadd_pd(r, _mm256_set1_pd(1.0 / 7), _mm256_set1_pd(-1.0 / 6));
    const __m256d q0123 = _mm256_fmadd_pd(r2, q23, q01);
    const __m256d q456 = _mm256_fmadd_pd(r2, _mm256_set1_pd(-1.0 / 8), q45);
    const __m256d p = _mm256_fmadd_pd(r4, q456, q0123);
    const __m256d hi = _mm256_fmadd_pd(k, ln2_hi, logc);            // exact: ln2_hi has 42 bits
    const __m256d lo = _mm256_fmadd_pd(p, r2, _mm256_mul_pd(k, ln2_lo));
    return _mm256_add_pd(hi, _mm256_add_pd(r, lo));
  };
  const auto normal_lanes = [&](__m256d v) {
    return _mm256_movemask_pd(
        _mm256_and_pd(_mm256_cmp_pd(v, lo_ok, _CMP_GE_OQ), _mm256_cmp_pd(v, hi_ok, _CMP_LE_OQ)));
  };
  // Up to four entries, any values: normal lanes through log4 (so every entry's bits are
  // the same wherever it sits), the others through std::log.
  const auto some = [&](index_t j, index_t len) {
    alignas(32) double buf[4] = {1.0, 1.0, 1.0, 1.0};
    for (index_t l = 0; l < len; ++l) buf[l] = x[j + l];
    const __m256d v = _mm256_load_pd(buf);
    const int ok = normal_lanes(v);
    _mm256_store_pd(buf, log4(_mm256_blendv_pd(_mm256_set1_pd(1.0), v,
                                               _mm256_castsi256_pd(_mm256_setr_epi64x(
                                                   -(ok & 1), -((ok >> 1) & 1), -((ok >> 2) & 1),
                                                   -((ok >> 3) & 1))))));
    for (index_t l = 0; l < len; ++l) out[j + l] = (ok >> l) & 1 ? buf[l] : std::log(x[j + l]);
  };
#if defined(__AVX512F__) && defined(__AVX512DQ__)
  // Sixteen entries per step: the same operations as log4 on 8 lanes (so the same bits),
  // the table read by gathers.
  {
    const __m512i off8 = _mm512_set1_epi64(0x3fe6000000000000LL);
    const __m512i exp_mask8 = _mm512_set1_epi64(static_cast<long long>(0xfff0000000000000ULL));
    const __m512i sign8 = _mm512_set1_epi64(static_cast<long long>(0x8000000000000000ULL));
    const __m512i magic8 = _mm512_set1_epi64(0x4330000000000000LL);
    const __m512i idx_mask8 = _mm512_set1_epi64(127);
    const __m512d magic_bias8 = _mm512_set1_pd(4503599627370496.0 + 2048.0);
    const __m512d lo_ok8 = _mm512_set1_pd(2.2250738585072014e-308);
    const __m512d hi_ok8 = _mm512_set1_pd(1.7976931348623157e308);
    const __m512d ln2_hi8 = _mm512_set1_pd(0x1.62e42fefa3800p-1);
    const __m512d ln2_lo8 = _mm512_set1_pd(0x1.ef35793c76730p-45);
    const __m512d minus_one8 = _mm512_set1_pd(-1.0);
    const auto log8 = [&](__m512d v) {
      const __m512i bits = _mm512_castpd_si512(v);
      const __m512i tmp = _mm512_sub_epi64(bits, off8);
      const __m512i idx = _mm512_and_si512(_mm512_srli_epi64(tmp, 45), idx_mask8);
      const __m512i kb = _mm512_or_si512(_mm512_srli_epi64(_mm512_xor_si512(tmp, sign8), 52), magic8);
      const __m512d k = _mm512_sub_pd(_mm512_castsi512_pd(kb), magic_bias8);
      const __m512d z = _mm512_castsi512_pd(_mm512_sub_epi64(bits, _mm512_and_si512(tmp, exp_mask8)));
      const __m512d invc = _mm512_i64gather_pd(idx, t.invc, 8);
      const __m512d logc = _mm512_i64gather_pd(idx, t.logc, 8);
      const __m512d r = _mm512_fmadd_pd(z, invc, minus_one8);
      const __m512d r2 = _mm512_mul_pd(r, r);
      const __m512d r4 = _mm512_mul_pd(r2, r2);
      const __m512d q01 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 3), _mm512_set1_pd(-1.0 / 2));
      const __m512d q23 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 5), _mm512_set1_pd(-1.0 / 4));
      const __m512d q45 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 7), _mm512_set1_pd(-1.0 / 6));
      const __m512d q0123 = _mm512_fmadd_pd(r2, q23, q01);
      const __m512d q456 = _mm512_fmadd_pd(r2, _mm512_set1_pd(-1.0 / 8), q45);
      const __m512d p = _mm512_fmadd_pd(r4, q456, q0123);
      const __m512d hi = _mm512_fmadd_pd(k, ln2_hi8, logc);
      const __m512d lo = _mm512_fmadd_pd(p, r2, _mm512_mul_pd(k, ln2_lo8));
      return _mm512_add_pd(hi, _mm512_add_pd(r, lo));
    };
    const auto normal8 = [&](__m512d v) {
      return static_cast<unsigned>(_mm512_cmp_pd_mask(v, lo_ok8, _CMP_GE_OQ) &
                                   _mm512_cmp_pd_mask(v, hi_ok8, _CMP_LE_OQ));
    };
    for (; i + 16 <= n; i += 16) {
      const __m512d v0 = _mm512_loadu_pd(x + i), v1 = _mm512_loadu_pd(x + i + 8);
      if ((normal8(v0) & normal8(v1)) == 0xFFu) {
        const __m512d y0 = log8(v0), y1 = log8(v1);
        _mm512_storeu_pd(out + i, y0);
        _mm512_storeu_pd(out + i + 8, y1);
      } else {
        for (index_t j = i; j < i + 16; j += 4) some(j, 4);
      }
    }
  }
#endif
  // Two groups per step: their independent dependency chains overlap.
  for (; i + 8 <= n; i += 8) {
    const __m256d v0 = _mm256_loadu_pd(x + i), v1 = _mm256_loadu_pd(x + i + 4);
    if ((normal_lanes(v0) & normal_lanes(v1)) == 0xF) {
      const __m256d y0 = log4(v0), y1 = log4(v1);
      _mm256_storeu_pd(out + i, y0);
      _mm256_storeu_pd(out + i + 4, y1);
    } else {
      some(i, 4);
      some(i + 4, 4);
    }
  }
  for (; i < n; i += 4) some(i, std::min<index_t>(4, n - i));
#else
  for (; i < n; ++i) out[i] = std::log(x[i]);
#endif
}

}  // namespace infogen
