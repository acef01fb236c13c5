// The logistic sigmoid 1 / (1 + exp(-x)) of a row of doubles, with one division.
//
// The RBM's conditionals and samplers spend much of a small minibatch on sigmoids, and
// Eigen's `1 / (1 + exp(-x))` divides twice per element (its exp of a double is Cephes'
// rational approximation, P / Q). Here exp(-x) = 2^n (Q + P) / (Q - P) on the reduced
// argument, so the sigmoid is (Q - P) / ((Q - P) + 2^n (Q + P)): the same approximation
// (a few ulp), one division. Every element goes through the same vector code (the last
// partial vector masked), so a value's bits do not depend on where it sits in the row.
#pragma once

#include <cstdint>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "infogen/common.hpp"

namespace infogen {

#if defined(__AVX512F__)
namespace detail {
inline __m512d sigmoid_pd(__m512d x) {
  // z = -x, clamped so that 2^n stays a normal double; beyond it the sigmoid is 0 or 1.
  const __m512d z = _mm512_min_pd(_mm512_max_pd(_mm512_sub_pd(_mm512_setzero_pd(), x), _mm512_set1_pd(-708.0)),
                                  _mm512_set1_pd(708.0));
  // n = round(z / ln 2), r = z - n ln 2 (in two parts), |r| <= ln(2) / 2
  const __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(z, _mm512_set1_pd(1.4426950408889634073599)),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(0.693145751953125), z);
  r = _mm512_fnmadd_pd(n, _mm512_set1_pd(1.42860682030941723212e-6), r);
  const __m512d r2 = _mm512_mul_pd(r, r);
  // Cephes: exp(r) = 1 + 2 P / (Q - P) = (Q + P) / (Q - P), P = r p(r^2), Q = q(r^2)
  __m512d p = _mm512_fmadd_pd(_mm512_set1_pd(1.26177193074810590878e-4), r2, _mm512_set1_pd(3.02994407707441961300e-2));
  p = _mm512_fmadd_pd(p, r2, _mm512_set1_pd(9.99999999999999999910e-1));
  p = _mm512_mul_pd(p, r);
  __m512d q = _mm512_fmadd_pd(_mm512_set1_pd(3.00198505138664455042e-6), r2, _mm512_set1_pd(2.52448340349684104192e-3));
  q = _mm512_fmadd_pd(q, r2, _mm512_set1_pd(2.27265548208155028766e-1));
  q = _mm512_fmadd_pd(q, r2, _mm512_set1_pd(2.00000000000000000009e0));
  const __m512d den = _mm512_sub_pd(q, p), num = _mm512_add_pd(q, p);
  const __m512d scaled = _mm512_scalef_pd(num, n);  // 2^n (Q + P), exact
  __m512d s = _mm512_div_pd(den, _mm512_add_pd(den, scaled));
  // x < -708: exp(-x) overflows, the sigmoid is 0 (as 1 / (1 + inf)); NaN stays NaN.
  const __mmask8 under = _mm512_cmp_pd_mask(x, _mm512_set1_pd(-708.0), _CMP_LT_OQ);
  s = _mm512_mask_mov_pd(s, under, _mm512_setzero_pd());
  const __mmask8 nan = _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q);
  return _mm512_mask_mov_pd(s, nan, x);
}
}  // namespace detail

/// a[i] = 1 / (1 + exp(-a[i])) for i < n, in place.
inline void sigmoid_row(double* a, index_t n) noexcept {
  index_t i = 0;
  for (; i + 8 <= n; i += 8) _mm512_storeu_pd(a + i, detail::sigmoid_pd(_mm512_loadu_pd(a + i)));
  if (i < n) {
    const auto m = static_cast<__mmask8>((1U << (n - i)) - 1U);
    _mm512_mask_storeu_pd(a + i, m, detail::sigmoid_pd(_mm512_maskz_loadu_pd(m, a + i)));
  }
}
#define INFOGEN_HAS_SIGMOID_ROW 1
#endif

}  // namespace infogen
