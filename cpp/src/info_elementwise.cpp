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
template <Kind kind, class T>
void block(const T* x, const T* y, index_t n, T* out) {
  alignas(64) double arg[kBlock], lg[kBlock], tt[kBlock];
  index_t far = 0;
  for (index_t j = 0; j < n; ++j) {
    const double a = static_cast<double>(x[j]);
    if constexpr (kind == Kind::entr) {
      arg[j] = a > 0.0 ? a : 1.0;  // vlog sees no negative or NaN argument
    } else {
      const double b = static_cast<double>(y[j]);
      const bool valid = a > 0.0 && b > 0.0;
      const double r = valid ? a / b : 1.0;
      const bool near = r > 0.5 && r < 2.0;
      const bool normal = r > std::numeric_limits<double>::min() && r < kInf;
      const double t = near ? (a - b) / b : 0.0;
      tt[j] = t;
      arg[j] = near ? 1.0 + t : normal ? r : 1.0;
      far += (valid && !near && !normal) ? 1 : 0;
    }
  }
  vlog(arg, n, lg);
  for (index_t j = 0; j < n; ++j) {
    const double a = static_cast<double>(x[j]);
    double r;
    if constexpr (kind == Kind::entr) {
      r = std::isnan(a) ? a : a > 0.0 ? -a * lg[j] : a == 0.0 ? 0.0 : -kInf;
    } else {
      const double b = static_cast<double>(y[j]);
      // log1p(t) = log(u) + (t - (u - 1)) / u with u = 1 + t (exact as t -> 0); for the
      // other entries t = 0 and u = 1, so the correction term is 0
      const double t = tt[j], u = 1.0 + t;
      const double rel = a * (lg[j] + (t - (u - 1.0)) / u);
      const double main = kind == Kind::rel_entr ? rel : (rel - a) + b;
      const double at_zero = kind == Kind::rel_entr ? 0.0 : b;
      r = (std::isnan(a) || std::isnan(b)) ? kNaN
          : (a > 0.0 && b > 0.0)           ? main
          : (a == 0.0 && b >= 0.0)         ? at_zero
                                           : kInf;
    }
    out[j] = static_cast<T>(r);
  }
  if constexpr (kind != Kind::entr) {
    if (far > 0) {
      for (index_t j = 0; j < n; ++j) {
        const double a = static_cast<double>(x[j]), b = static_cast<double>(y[j]);
        if (!(a > 0.0 && b > 0.0)) continue;
        const double r = a / b;
        if ((r > 0.5 && r < 2.0) || (r > std::numeric_limits<double>::min() && r < kInf)) continue;
        const double rel = a * (std::log(a) - std::log(b));
        out[j] = static_cast<T>(kind == Kind::rel_entr ? rel : (rel - a) + b);
      }
    }
  }
}

template <Kind kind, class T>
void run(const T* x, const T* y, index_t n, T* out, int n_threads) {
  parallel_chunks(n, kChunk, n_threads, n, [&](index_t, index_t c0, index_t c1) {
    for (index_t i = c0; i < c1; i += kBlock) {
      const index_t len = std::min(kBlock, c1 - i);
      block<kind>(x + i, y ? y + i : nullptr, len, out + i);
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
