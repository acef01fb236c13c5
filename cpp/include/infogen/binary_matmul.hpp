// Products S * A where S is a 0/1 matrix (RBM states: data, visible and hidden samples).
//
// Row r of S * A is the sum of the rows of A selected by the ones of row r of S, so with
// S stored by its support (the column indices of its ones, row by row: CSR without
// values) the product costs density(S) times the multiply-adds of a dense product, and
// each output row is a plain sum in a fixed order (bias first, then A's rows in
// increasing index) that does not depend on how rows are shared between threads.
// The accumulator of a block of output columns is a fixed-size local array, which the
// compiler keeps in vector registers across the whole sum.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <Eigen/Core>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "infogen/common.hpp"
#include "infogen/simd_tile.hpp"

namespace infogen {

/// The support of a 0/1 matrix, row by row: the ones of row r are at columns
/// index[start[r]], ..., index[start[r + 1] - 1], increasing.
struct BinarySupport {
  std::vector<std::int32_t> index;  ///< may be longer than nnz(): a reused buffer
  std::vector<index_t> start{0};
  index_t rows = 0, cols = 0;

  index_t nnz() const { return start.back(); }
  double density() const {
    return rows * cols > 0 ? static_cast<double>(nnz()) / static_cast<double>(rows * cols) : 0.0;
  }
};

namespace detail {
/// Appends the indices j0 + j of the ones among row[0..n) to out + pos; returns the new
/// position, and clears `binary` when some entry is neither 0 nor 1. Writes up to 16
/// entries past the new position (the caller's buffer has that slack).
template <class T>
inline index_t support_scan(const T* row, index_t n, std::int32_t j0, std::int32_t* out, index_t pos, bool& binary) {
  index_t j = 0;
#if defined(__AVX512F__) && defined(__AVX512VL__)
  // Compare a vector at a time and compress the indices of the ones into a register, then
  // store the whole register (a compressing store to memory is slow on some cores).
  if constexpr (std::is_same_v<T, double>) {
    const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
    __m256i idx = _mm256_add_epi32(_mm256_set1_epi32(j0), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256i step = _mm256_set1_epi32(8);
    for (; j + 8 <= n; j += 8) {
      const __m512d x = _mm512_loadu_pd(row + j);
      const __mmask8 ones = _mm512_cmp_pd_mask(x, one, _CMP_EQ_OQ);
      const __mmask8 zeros = _mm512_cmp_pd_mask(x, zero, _CMP_EQ_OQ);
      binary &= static_cast<std::uint8_t>(ones | zeros) == 0xFF;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + pos), _mm256_maskz_compress_epi32(ones, idx));
      pos += __builtin_popcount(ones);
      idx = _mm256_add_epi32(idx, step);
    }
  } else if constexpr (std::is_same_v<T, float>) {
    const __m512 one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps();
    __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(j0),
                                   _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const __m512i step = _mm512_set1_epi32(16);
    for (; j + 16 <= n; j += 16) {
      const __m512 x = _mm512_loadu_ps(row + j);
      const __mmask16 ones = _mm512_cmp_ps_mask(x, one, _CMP_EQ_OQ);
      const __mmask16 zeros = _mm512_cmp_ps_mask(x, zero, _CMP_EQ_OQ);
      binary &= static_cast<std::uint16_t>(ones | zeros) == 0xFFFF;
      _mm512_storeu_si512(out + pos, _mm512_maskz_compress_epi32(ones, idx));
      pos += __builtin_popcount(ones);
      idx = _mm512_add_epi32(idx, step);
    }
  }
#endif
  for (; j < n; ++j) {  // branch-free: write every index, keep the ones
    const T x = row[j];
    out[pos] = j0 + static_cast<std::int32_t>(j);
    pos += static_cast<index_t>(x == T(1));
    binary &= (x == T(0)) | (x == T(1));
  }
  return pos;
}
}  // namespace detail

/// Appends the support of `rows` more rows, row r's `cols` entries starting at row(r) (the
/// same number of columns as the rows already in `s`). Returns false, leaving `s`
/// unspecified, when some entry is neither 0 nor 1.
template <class T, class RowPtr>
bool append_binary_support_rows(RowPtr row, index_t rows, index_t cols, BinarySupport& s) {
  if (s.rows == 0) s.start.assign(1, 0);
  s.cols = cols;
  index_t n = s.nnz();
  const auto cap = static_cast<std::size_t>(n + rows * cols) + 16;
  if (s.index.size() < cap) s.index.resize(cap);
  s.start.resize(static_cast<std::size_t>(s.rows + rows) + 1);
  bool binary = true;
  for (index_t r = 0; r < rows; ++r) {
    const T* x = row(r);
    n = detail::support_scan(x, cols, 0, s.index.data(), n, binary);
    s.start[static_cast<std::size_t>(s.rows + r) + 1] = n;
  }
  s.rows += rows;
  return binary;
}

/// Appends the support of `rows` more rows of the row-major matrix M (leading dimension
/// ld, `cols` columns, the same as the rows already in `s`). Returns false, leaving `s`
/// unspecified, when some entry is neither 0 nor 1.
template <class T>
bool append_binary_support(const T* M, index_t rows, index_t cols, index_t ld, BinarySupport& s) {
  return append_binary_support_rows<T>([&](index_t r) { return M + r * ld; }, rows, cols, s);
}

/// Fills `s` with the support of the row-major rows x cols matrix M (leading dimension
/// ld). Returns false, leaving `s` unspecified, when some entry is neither 0 nor 1.
template <class T>
bool binary_support(const T* M, index_t rows, index_t cols, index_t ld, BinarySupport& s) {
  s.rows = 0;
  return append_binary_support(M, rows, cols, ld, s);
}

/// The support of S's transpose (column by column of S), from the support of S.
inline void transpose_support(const BinarySupport& s, BinarySupport& t) {
  t.rows = s.cols;
  t.cols = s.rows;
  t.start.assign(static_cast<std::size_t>(s.cols) + 1, 0);
  for (index_t k = 0; k < s.nnz(); ++k) ++t.start[static_cast<std::size_t>(s.index[static_cast<std::size_t>(k)]) + 1];
  for (index_t j = 0; j < s.cols; ++j) t.start[static_cast<std::size_t>(j) + 1] += t.start[static_cast<std::size_t>(j)];
  t.index.resize(static_cast<std::size_t>(s.nnz()));
  std::vector<index_t> fill(t.start.begin(), t.start.end() - 1);
  for (index_t r = 0; r < s.rows; ++r) {  // rows in increasing order: each list comes out sorted
    for (index_t k = s.start[static_cast<std::size_t>(r)]; k < s.start[static_cast<std::size_t>(r) + 1]; ++k) {
      const auto j = static_cast<std::size_t>(s.index[static_cast<std::size_t>(k)]);
      t.index[static_cast<std::size_t>(fill[j]++)] = static_cast<std::int32_t>(r);
    }
  }
}

namespace detail {
template <class T, index_t K>
inline void binary_row_block(const std::int32_t* idx, index_t n, const T* A, index_t lda, const T* bias, T* out) {
  using Block = Eigen::Array<T, K, 1>;
  Block acc = bias ? Block(Eigen::Map<const Block>(bias)) : Block::Zero();
  for (index_t k = 0; k < n; ++k) acc += Eigen::Map<const Block>(A + static_cast<index_t>(idx[k]) * lda);
  Eigen::Map<Block> dst(out);
  dst = acc;
}

/// The last len < 64 / sizeof(T) columns: one masked vector (lanes past len are neither
/// loaded nor stored), or a scalar loop without AVX-512.
template <class T>
inline void binary_row_tail(const std::int32_t* idx, index_t n, const T* A, index_t lda, const T* bias, T* out,
                            index_t len) {
#if defined(INFOGEN_HAS_SIMD_TILE)
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    using S = SimdTile<T>;
    const int n_lanes = static_cast<int>(len);
    auto acc = bias ? S::load_first(n_lanes, bias) : S::zero();
    for (index_t k = 0; k < n; ++k) acc = S::add(acc, S::load_first(n_lanes, A + static_cast<index_t>(idx[k]) * lda));
    S::store_first(n_lanes, out, acc);
    return;
  }
#endif
  for (index_t j = 0; j < len; ++j) out[j] = bias ? bias[j] : T(0);
  for (index_t k = 0; k < n; ++k) {
    const T* a = A + static_cast<index_t>(idx[k]) * lda;
    for (index_t j = 0; j < len; ++j) out[j] += a[j];
  }
}
}  // namespace detail

/// out(r, :) = bias + sum over the ones k of row r of S of A(k, :), for rows r0 <= r < r1
/// of S; A is row-major with ncols columns (leading dimension lda), out row-major with
/// leading dimension ldo and its first row for r0. `bias` (length ncols) may be null.
template <class T>
void binary_matmul_rows(const BinarySupport& s, index_t r0, index_t r1, const T* A, index_t ncols, index_t lda,
                        const T* bias, T* out, index_t ldo) {
  // Eight 512-bit accumulators: enough independent sums to hide the latency of the adds.
  constexpr index_t K = 512 / static_cast<index_t>(sizeof(T));
  constexpr index_t K8 = 64 / static_cast<index_t>(sizeof(T));
  // Column blocks outside, rows inside: one block of columns of A (its rows' segments)
  // stays in cache while every output row sums its selected segments.
  const auto rows = [&](auto width, index_t j0) {
    constexpr index_t W = decltype(width)::value;
    for (index_t r = r0; r < r1; ++r) {
      const index_t b = s.start[static_cast<std::size_t>(r)], n = s.start[static_cast<std::size_t>(r) + 1] - b;
      detail::binary_row_block<T, W>(s.index.data() + b, n, A + j0, lda, bias ? bias + j0 : nullptr,
                                     out + (r - r0) * ldo + j0);
    }
  };
  index_t j0 = 0;
  for (; j0 + K <= ncols; j0 += K) rows(std::integral_constant<index_t, K>{}, j0);
  if (j0 + K / 2 <= ncols) {
    rows(std::integral_constant<index_t, K / 2>{}, j0);
    j0 += K / 2;
  }
  if (j0 + K / 4 <= ncols) {
    rows(std::integral_constant<index_t, K / 4>{}, j0);
    j0 += K / 4;
  }
  if (j0 + K8 <= ncols) {
    rows(std::integral_constant<index_t, K8>{}, j0);
    j0 += K8;
  }
  if (j0 < ncols) {
    for (index_t r = r0; r < r1; ++r) {
      const index_t b = s.start[static_cast<std::size_t>(r)], n = s.start[static_cast<std::size_t>(r) + 1] - b;
      detail::binary_row_tail<T>(s.index.data() + b, n, A + j0, lda, bias ? bias + j0 : nullptr,
                                 out + (r - r0) * ldo + j0, ncols - j0);
    }
  }
}

}  // namespace infogen
