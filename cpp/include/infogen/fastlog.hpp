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

#if INFOGEN_FASTLOG_AVX2
/// Four lanes (AVX2). The table is read by scalar loads: faster than vgatherqpd on the
/// AMD cores this was tuned on.
struct Lanes4 {
  using D = __m256d;
  using I = __m256i;
  static D set(double x) noexcept { return _mm256_set1_pd(x); }
  static I seti(long long x) noexcept { return _mm256_set1_epi64x(x); }
  static I sub(I a, I b) noexcept { return _mm256_sub_epi64(a, b); }
  static I band(I a, I b) noexcept { return _mm256_and_si256(a, b); }
  static I bxor(I a, I b) noexcept { return _mm256_xor_si256(a, b); }
  static I bor(I a, I b) noexcept { return _mm256_or_si256(a, b); }
  static I shr(I a, int n) noexcept { return _mm256_srli_epi64(a, n); }
  static D as_d(I a) noexcept { return _mm256_castsi256_pd(a); }
  static I as_i(D a) noexcept { return _mm256_castpd_si256(a); }
  static D subd(D a, D b) noexcept { return _mm256_sub_pd(a, b); }
  static D add(D a, D b) noexcept { return _mm256_add_pd(a, b); }
  static D mul(D a, D b) noexcept { return _mm256_mul_pd(a, b); }
  static D fma(D a, D b, D c) noexcept { return _mm256_fmadd_pd(a, b, c); }
  static void lookup(I idx, const Table& t, D& invc, D& logc) noexcept {
    alignas(32) std::int64_t ix[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(ix), idx);
    invc = _mm256_setr_pd(t.invc[ix[0]], t.invc[ix[1]], t.invc[ix[2]], t.invc[ix[3]]);
    logc = _mm256_setr_pd(t.logc[ix[0]], t.logc[ix[1]], t.logc[ix[2]], t.logc[ix[3]]);
  }
};
#endif

#if INFOGEN_FASTLOG_AVX2 && defined(__AVX512F__) && defined(__AVX512DQ__)
#define INFOGEN_FASTLOG_AVX512 1
/// Eight lanes (AVX-512), the table read by gathers.
struct Lanes8 {
  using D = __m512d;
  using I = __m512i;
  static D set(double x) noexcept { return _mm512_set1_pd(x); }
  static I seti(long long x) noexcept { return _mm512_set1_epi64(x); }
  static I sub(I a, I b) noexcept { return _mm512_sub_epi64(a, b); }
  static I band(I a, I b) noexcept { return _mm512_and_si512(a, b); }
  static I bxor(I a, I b) noexcept { return _mm512_xor_si512(a, b); }
  static I bor(I a, I b) noexcept { return _mm512_or_si512(a, b); }
  static I shr(I a, int n) noexcept { return _mm512_srli_epi64(a, static_cast<unsigned>(n)); }
  static D as_d(I a) noexcept { return _mm512_castsi512_pd(a); }
  static I as_i(D a) noexcept { return _mm512_castpd_si512(a); }
  static D subd(D a, D b) noexcept { return _mm512_sub_pd(a, b); }
  static D add(D a, D b) noexcept { return _mm512_add_pd(a, b); }
  static D mul(D a, D b) noexcept { return _mm512_mul_pd(a, b); }
  static D fma(D a, D b, D c) noexcept { return _mm512_fmadd_pd(a, b, c); }
  static void lookup(I idx, const Table& t, D& invc, D& logc) noexcept {
    invc = _mm512_i64gather_pd(idx, t.invc, 8);
    logc = _mm512_i64gather_pd(idx, t.logc, 8);
  }
};
#endif

#if INFOGEN_FASTLOG_AVX2
/// Logs of normal, finite positive doubles, one per lane. Written once for every lane
/// count, so an entry gets the same bits whichever width computes it.
template <class L>
inline typename L::D log_lanes(typename L::D v, const Table& t) noexcept {
  using D = typename L::D;
  using I = typename L::I;
  const I bits = L::as_i(v);
  const I tmp = L::sub(bits, L::seti(0x3fe6000000000000LL));
  const I idx = L::band(L::shr(tmp, 45), L::seti(127));
  // k = tmp >> 52 (arithmetic), as a double: bias by 2048, convert via the 2^52 trick.
  const I kb = L::bor(L::shr(L::bxor(tmp, L::seti(static_cast<long long>(0x8000000000000000ULL))), 52),
                      L::seti(0x4330000000000000LL));
  const D k = L::subd(L::as_d(kb), L::set(4503599627370496.0 + 2048.0));
  const D z = L::as_d(L::sub(bits, L::band(tmp, L::seti(static_cast<long long>(0xfff0000000000000ULL)))));
  D invc, logc;
  L::lookup(idx, t, invc, logc);
  const D r = L::fma(z, invc, L::set(-1.0));
  // log1p(r) = r + r^2 q(r), q(r) = -1/2 + r/3 - r^2/4 + ... - r^6/8 (Estrin's scheme).
  const D r2 = L::mul(r, r);
  const D r4 = L::mul(r2, r2);
  const D q01 = L::fma(r, L::set(1.0 / 3), L::set(-1.0 / 2));
  const D q23 = L::fma(r, L::set(1.0 / 5), L::set(-1.0 / 4));
  const D q45 = L::fma(r, L::set(1.0 / 7), L::set(-1.0 / 6));
  const D q0123 = L::fma(r2, q23, q01);
  const D q456 = L::fma(r2, L::set(-1.0 / 8), q45);
  const D p = L::fma(r4, q456, q0123);
  const D hi = L::fma(k, L::set(0x1.62e42fefa3800p-1), logc);  // exact: ln2_hi has 42 bits
  const D lo = L::fma(p, r2, L::mul(k, L::set(0x1.ef35793c76730p-45)));
  return L::add(hi, L::add(r, lo));
}
#endif

}  // namespace fastlog_detail

/// out[i] = log(x[i]) for i < n; `out` may alias `x`.
inline void vlog(const double* x, index_t n, double* out) noexcept {
  index_t i = 0;
#if INFOGEN_FASTLOG_AVX2
  const auto& t = fastlog_detail::table();
  const __m256d lo_ok = _mm256_set1_pd(2.2250738585072014e-308);
  const __m256d hi_ok = _mm256_set1_pd(1.7976931348623157e308);
  const auto log4 = [&](__m256d v) { return fastlog_detail::log_lanes<fastlog_detail::Lanes4>(v, t); };
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
#if INFOGEN_FASTLOG_AVX512
  // Sixteen entries per step on 8 lanes: the same operations, so the same bits.
  {
    const __m512d lo_ok8 = _mm512_set1_pd(2.2250738585072014e-308);
    const __m512d hi_ok8 = _mm512_set1_pd(1.7976931348623157e308);
    const auto normal8 = [&](__m512d v) {
      return static_cast<unsigned>(_mm512_cmp_pd_mask(v, lo_ok8, _CMP_GE_OQ) &
                                   _mm512_cmp_pd_mask(v, hi_ok8, _CMP_LE_OQ));
    };
    for (; i + 16 <= n; i += 16) {
      const __m512d v0 = _mm512_loadu_pd(x + i), v1 = _mm512_loadu_pd(x + i + 8);
      if ((normal8(v0) & normal8(v1)) == 0xFFu) {
        const __m512d y0 = fastlog_detail::log_lanes<fastlog_detail::Lanes8>(v0, t);
        const __m512d y1 = fastlog_detail::log_lanes<fastlog_detail::Lanes8>(v1, t);
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
