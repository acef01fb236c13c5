// Elementwise rel_entr, kl_div and entr with scipy.special's definitions (see info.hpp).
//
// Each value is computed in double from its own inputs alone, with scipy's cases (see
// block()), so float32 inputs get the float64 result rounded once. Work is cut into fixed chunks of kChunk entries (OpenMP over chunks, no
// reduction), and inside a chunk into blocks of kBlock: the quotients of the block go
// through the vectorised log (vlog: about 1 ulp, exact near 1, a function of each entry
// alone), and a branch-free select applies the edge cases. So results are bit-identical
// for any thread count and any memory alignment.
#include "infogen/fastlog.hpp"
#include "infogen/info.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

namespace infogen::info {
namespace {

constexpr index_t kBlock = 256;
constexpr index_t kChunk = 1 << 14;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class Kind { rel_entr, kl_div, entr };

/// One block: out[j] = f(x[j], y[j]) (y unused for entr).
///
/// rel_entr (and kl_div, which adds -x + y to it) takes the log of x / y in three ways,
/// as scipy >= 1.14 does (scipy PR 20816): for 1/2 < x/y < 2, log1p((x - y) / y), exact
/// near x = y; for a quotient in the normal range, log(x / y); when x / y underflows or
/// overflows, log x - log y (rare: std::log, outside the vector loop).
template <Kind kind>
void block(const double* x, const double* y, index_t n, double* out) {
  alignas(64) double arg[kBlock] = {}, lg[kBlock], tt[kBlock];  // {}: GCC cannot see that arg[0, n) is set
  index_t far = 0;
  // Both loops are straight-line: every candidate is computed (IEEE division by zero and
  // NaN are harmless) and the case is chosen by selects, so the compiler vectorises them.
  // Conditions combine with & (no short-circuit branches).
  for (index_t j = 0; j < n; ++j) {
    const double a = x[j];
    if constexpr (kind == Kind::entr) {
      const bool pos = a > 0.0;
      arg[j] = pos ? a : 1.0;  // vlog sees no negative or NaN argument
    } else {
      const double b = y[j];
      const bool valid = (a > 0.0) & (b > 0.0);
      const double ib = 1.0 / b;  // one division: x / y and (x - y) / y within 2 ulps
      const double r = a * ib;
      const double t = (a - b) * ib;
      const double u = 1.0 + t;
      const bool near = (r > 0.5) & (r < 2.0);
      const bool normal = (r > std::numeric_limits<double>::min()) & (r < kInf);
      const double other = normal ? r : 1.0;
      tt[j] = near ? t : 0.0;
      arg[j] = near ? u : other;  // always a positive normal number
      far += (valid & !near & !normal) ? 1 : 0;
    }
  }
  vlog(arg, n, lg);
  for (index_t j = 0; j < n; ++j) {
    const double a = x[j];
    double r;
    if constexpr (kind == Kind::entr) {
      const double v = -a * lg[j];
      const bool pos = a > 0.0, zero = a == 0.0, nan = a != a;
      const double rest = zero ? 0.0 : -kInf;
      r = pos ? v : rest;
      r = nan ? a : r;
    } else {
      const double b = y[j];
      // log1p(t) = log(u) + d / u with u = 1 + t and d = t - (u - 1) its rounding error
      // (exact as t -> 0). |d| <= eps u / 2, so d (2 - u) in place of d / u errs by
      // d (u - 1)^2 / u, below eps t^2 / 2: within an ulp of log1p(t), without a division.
      // For the other entries t = 0 and u = 1, so the correction is 0.
      const double t = tt[j], u = 1.0 + t;
      const double rel = a * (lg[j] + (t - (u - 1.0)) * (2.0 - u));
      const double main = kind == Kind::rel_entr ? rel : (rel - a) + b;
      const double at_zero = kind == Kind::rel_entr ? 0.0 : b;
      const bool pos = (a > 0.0) & (b > 0.0);
      const bool zero = (a == 0.0) & (b >= 0.0);
      const bool nan = (a != a) | (b != b);
      const double rest = zero ? at_zero : kInf;
      r = pos ? main : rest;
      r = nan ? kNaN : r;
    }
    out[j] = r;
  }
  if constexpr (kind != Kind::entr) {
    if (far > 0) {
      for (index_t j = 0; j < n; ++j) {
        const double a = x[j], b = y[j];
        if (!(a > 0.0 && b > 0.0)) continue;
        const double r = a * (1.0 / b);  // the same quotient as in the main loop
        if ((r > 0.5 && r < 2.0) || (r > std::numeric_limits<double>::min() && r < kInf)) continue;
        const double rel = a * (std::log(a) - std::log(b));
        out[j] = kind == Kind::rel_entr ? rel : (rel - a) + b;
      }
    }
  }
}

/// One block of any dtype: float32 goes through double buffers (converted in and out by
/// plain loops, so block() stays one vectorised double kernel).
template <Kind kind, class T>
void block_any(const T* x, const T* y, index_t n, T* out) {
  if constexpr (std::is_same_v<T, double>) {
    block<kind>(x, y, n, out);
  } else {
    alignas(64) double xd[kBlock] = {}, yd[kBlock] = {}, od[kBlock];  // {}: as arg in block()
    for (index_t j = 0; j < n; ++j) xd[j] = static_cast<double>(x[j]);
    if (y) {
      for (index_t j = 0; j < n; ++j) yd[j] = static_cast<double>(y[j]);
    }
    block<kind>(xd, y ? yd : nullptr, n, od);
    for (index_t j = 0; j < n; ++j) out[j] = static_cast<T>(od[j]);
  }
}

template <Kind kind, class T>
void run(const T* x, const T* y, index_t n, T* out, int n_threads) {
  parallel_chunks(n, kChunk, n_threads, n, [&](index_t, index_t c0, index_t c1) {
    for (index_t i = c0; i < c1; i += kBlock) {
      const index_t len = std::min(kBlock, c1 - i);
      block_any<kind>(x + i, y ? y + i : nullptr, len, out + i);
    }
  });
}

}  // namespace

template <class T>
void rel_entr(const T* x, const T* y, index_t n, T* out, int n_threads) {
  run<Kind::rel_entr>(x, y, n, out, n_threads);
}

template <class T>
void kl_div(const T* x, const T* y, index_t n, T* out, int n_threads) {
  run<Kind::kl_div>(x, y, n, out, n_threads);
}

template <class T>
void entr(const T* x, index_t n, T* out, int n_threads) {
  run<Kind::entr, T>(x, nullptr, n, out, n_threads);
}

#define INFOGEN_INSTANTIATE(T)                                           \
  template void rel_entr<T>(const T*, const T*, index_t, T*, int);      \
  template void kl_div<T>(const T*, const T*, index_t, T*, int);        \
  template void entr<T>(const T*, index_t, T*, int);

INFOGEN_INSTANTIATE(float)
INFOGEN_INSTANTIATE(double)
#undef INFOGEN_INSTANTIATE

}  // namespace infogen::info
