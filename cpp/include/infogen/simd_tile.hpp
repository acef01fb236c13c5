// Square tiles of AVX-512 registers: one register per row, 16 floats or 8 doubles, and
// their transpose in registers (unpacks and lane shuffles, no memory round trip). Used
// where one pass must read or write a matrix and its transpose (the RBM weight update),
// and for the partial vectors at the end of a row (masked loads and stores).
#pragma once

#include <cstddef>

#if defined(__AVX512F__)
#include <immintrin.h>
#define INFOGEN_HAS_SIMD_TILE 1
#endif

namespace infogen {

#if defined(INFOGEN_HAS_SIMD_TILE)

template <class T>
struct SimdTile;

template <>
struct SimdTile<float> {
  using V = __m512;
  static constexpr int kLanes = 16;
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  /// The first n < 16 lanes (the others read as 0 and are not written; no access past n).
  static V load_first(int n, const float* p) { return _mm512_maskz_loadu_ps(mask(n), p); }
  static void store_first(int n, float* p, V v) { _mm512_mask_storeu_ps(p, mask(n), v); }
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }     // a * b + c
  static V fnmadd(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }   // c - a * b
  static __mmask16 mask(int n) { return static_cast<__mmask16>((1U << n) - 1U); }

  /// r[a] holds row a of a 16 x 16 tile; afterwards r[a] holds column a.
  static void transpose(V r[16]) {
    V t[16];
    for (int i = 0; i < 8; ++i) {  // within 128-bit lanes: pairs of rows interleaved
      t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; ++i) {  // lane l of r[4g + k]: element 4l + k of rows 4g .. 4g + 3
      r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
      r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
      r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
      r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    V out[16];
    for (int k = 0; k < 4; ++k) {  // column 4l + k gathers lane l of r[k], r[4 + k], r[8 + k], r[12 + k]
      const V x0 = _mm512_shuffle_f32x4(r[k], r[4 + k], 0x88), x1 = _mm512_shuffle_f32x4(r[k], r[4 + k], 0xDD);
      const V y0 = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0x88), y1 = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0xDD);
      out[k] = _mm512_shuffle_f32x4(x0, y0, 0x88);
      out[8 + k] = _mm512_shuffle_f32x4(x0, y0, 0xDD);
      out[4 + k] = _mm512_shuffle_f32x4(x1, y1, 0x88);
      out[12 + k] = _mm512_shuffle_f32x4(x1, y1, 0xDD);
    }
    for (int i = 0; i < 16; ++i) r[i] = out[i];
  }
};

template <>
struct SimdTile<double> {
  using V = __m512d;
  static constexpr int kLanes = 8;
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
  static V load_first(int n, const double* p) { return _mm512_maskz_loadu_pd(mask(n), p); }
  static void store_first(int n, double* p, V v) { _mm512_mask_storeu_pd(p, mask(n), v); }
  static V zero() { return _mm512_setzero_pd(); }
  static V set1(double x) { return _mm512_set1_pd(x); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V fnmadd(V a, V b, V c) { return _mm512_fnmadd_pd(a, b, c); }
  static __mmask8 mask(int n) { return static_cast<__mmask8>((1U << n) - 1U); }

  /// r[a] holds row a of an 8 x 8 tile; afterwards r[a] holds column a.
  static void transpose(V r[8]) {
    V t[8];
    for (int i = 0; i < 4; ++i) {  // lane l of t[2i + k]: element 2l + k of rows 2i, 2i + 1
      t[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
    }
    for (int k = 0; k < 2; ++k) {  // column 2l + k gathers lane l of t[k], t[2 + k], t[4 + k], t[6 + k]
      const V x0 = _mm512_shuffle_f64x2(t[k], t[2 + k], 0x88), x1 = _mm512_shuffle_f64x2(t[k], t[2 + k], 0xDD);
      const V y0 = _mm512_shuffle_f64x2(t[4 + k], t[6 + k], 0x88), y1 = _mm512_shuffle_f64x2(t[4 + k], t[6 + k], 0xDD);
      r[k] = _mm512_shuffle_f64x2(x0, y0, 0x88);
      r[4 + k] = _mm512_shuffle_f64x2(x0, y0, 0xDD);
      r[2 + k] = _mm512_shuffle_f64x2(x1, y1, 0x88);
      r[6 + k] = _mm512_shuffle_f64x2(x1, y1, 0xDD);
    }
  }
};

#endif

}  // namespace infogen
