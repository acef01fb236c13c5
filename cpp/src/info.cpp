// Implementation of the batched information measures (see info.hpp for the contract).
//
// Rows are processed in blocks of kBlock entries held in small stack buffers: P (the
// probabilities) and LP (their logs, with log 0 stored as kFloorLog so that 0 * log 0 = 0
// without a branch). Eigen evaluates exp/log with SIMD; its fast paths are inexact for
// exp(x < ~-708) and log(subnormal), so each block takes a cheap vectorised min and only
// then fixes those few entries with std::exp/std::log.
#include "infogen/info.hpp"

#include "infogen/fastlog.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace infogen::info {
namespace {

constexpr index_t kBlock = 256;

template <class T>
using ArrC = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ArrM = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;

template <class T>
struct Lim {
  /// Stands for log 0 in the clamped log buffers.
  static constexpr T floor_log = T(-1e30);
  /// LQ below this is a clamped log 0.
  static constexpr T gate = T(-5e29);
  /// Below this Eigen's vectorised exp stops returning subnormals and zero.
  static constexpr T exp_lo = std::is_same_v<T, float> ? T(-87.0) : T(-708.0);
  static constexpr T min_norm = std::numeric_limits<T>::min();
  static constexpr T inf = std::numeric_limits<T>::infinity();
  static constexpr T nan = std::numeric_limits<T>::quiet_NaN();
};

void require_shape(index_t n_rows, index_t n_cols, const char* what) {
  if (n_rows < 0 || n_cols <= 0) {
    throw std::invalid_argument(std::string(what) + ": the last axis must not be empty");
  }
}

// Determinism note: Eigen peels the first entries of an assignment into unaligned memory
// onto a scalar path (std::exp instead of its SIMD exp), so the bits of a transcendental
// written straight into a NumPy array would depend on the array's address. Every such
// result is therefore computed into an aligned stack block and then copied out.

/// out = exp(x) for n <= kBlock entries, exact down to subnormals and zero. `out` may
/// alias `x`.
template <class T>
void exp_into(const T* x, index_t n, T* out) {
  alignas(64) T tmp[kBlock];
  ArrC<T> X(x, n);
  ArrM<T> E(tmp, n);
  E = X.exp();
  if (X.minCoeff() < Lim<T>::exp_lo) {
    for (index_t i = 0; i < n; ++i) {
      if (x[i] < Lim<T>::exp_lo) tmp[i] = std::exp(x[i]);
    }
  }
  std::copy(tmp, tmp + n, out);
}

/// out = log(x) for n <= kBlock entries, with log 0 -> floor_log, exact for subnormals;
/// negative x -> NaN. `block_min` is the block's minimum (the caller often has it);
/// `out` must be an aligned buffer (float logs are vectorised by destination alignment,
/// so their bits would otherwise depend on the caller's address).
template <class T>
void log_block(const T* x, index_t n, T block_min, T* out) {
  if constexpr (std::is_same_v<T, double>) {
    vlog(x, n, out);  // exact for subnormals too: the fix-up below only maps 0 and NaN
  } else {
    ArrM<T>(out, n) = ArrC<T>(x, n).max(Lim<T>::min_norm).log();
  }
  if (!(block_min >= Lim<T>::min_norm)) {
    for (index_t i = 0; i < n; ++i) {
      const T v = x[i];
      if (v < Lim<T>::min_norm) {
        out[i] = v > 0 ? std::log(v) : (v == 0 ? Lim<T>::floor_log : Lim<T>::nan);
      } else if (std::isnan(v)) {
        out[i] = v;
      }
    }
  }
}

/// log_block into any (possibly unaligned) destination, through an aligned buffer.
template <class T>
void log_into(const T* x, index_t n, T* out) {
  alignas(64) T tmp[kBlock];
  log_block(x, n, ArrC<T>(x, n).minCoeff(), tmp);
  std::copy(tmp, tmp + n, out);
}

/// Sum over blocks of an expression, each block summed in T, blocks accumulated in double.
/// `f` must not reduce a plain Map of the input (see ordered_sum).
template <class F>
double block_sum(index_t n, F&& f) {
  double acc = 0.0;
  for (index_t i = 0; i < n; i += kBlock) acc += static_cast<double>(f(i, std::min(kBlock, n - i)));
  return acc;
}

// Determinism of sums: Eigen reduces a plain Map (direct access) by first summing the
// entries before the first aligned address one by one, then the rest in packets, so
// which entries share a lane - and the rounding of the sum - depends on the array's
// address (issue 22 item 4: perplexity differed by an ulp between np.empty(1008)[off:]
// views). An expression (X * Y, X.exp(), ...) has no direct access: Eigen sums it in
// unaligned packets from its first entry, an order that depends on n only. ordered_sum
// makes a plain array such an expression (x * 1 is x exactly, NaN and -0 included).
constexpr index_t kLanes = 16;

template <class T>
T ordered_sum(const T* x, index_t n) {
  return (ArrC<T>(x, n) * T(1)).sum();
}

/// log-sum-exp of a row as max + log(sum exp(x - max)); non-finite max handled exactly.
template <class T>
struct Shift {
  T max;         ///< row maximum (NaN if any NaN)
  T log_sum;     ///< log sum exp(x - max)
  bool finite;   ///< max is finite
  double lse() const { return finite ? static_cast<double>(max) + static_cast<double>(log_sum) : static_cast<double>(max); }
};

/// Single pass over the row: each block's max rescales the running sum when it grows, so
/// a long row is read from memory once. NaN anywhere gives a NaN max; +inf gives +inf.
template <class T>
Shift<T> row_shift(const T* x, index_t n) {
  T m = -Lim<T>::inf;
  double s = 0.0;
  for (index_t i = 0; i < n; i += kBlock) {
    const index_t len = std::min(kBlock, n - i);
    const ArrC<T> X(x + i, len);
    // The plain (vectorised) max may skip a NaN, but then exp(NaN - m) makes the sum NaN,
    // caught below; a NaN max (possible too) is caught here.
    const T bm = X.maxCoeff();
    if (std::isnan(bm)) return {bm, T(0), false};
    if (bm > m) {
      if (std::isfinite(m)) s *= std::exp(static_cast<double>(m) - static_cast<double>(bm));
      m = bm;
    }
    if (std::isfinite(m)) s += static_cast<double>((X - m).exp().sum());
  }
  if (std::isnan(s)) return {Lim<T>::nan, T(0), false};
  if (!std::isfinite(m)) {
    // an infinite max (+inf dominates; all -inf means no mass), unless a NaN hides in the row
    if (ArrC<T>(x, n).hasNaN()) return {Lim<T>::nan, T(0), false};
    return {m, T(0), false};
  }
  return {m, static_cast<T>(std::log(s)), true};
}

/// One row of a distribution argument, able to fill P/LP buffers block by block.
template <class T>
struct RowDist {
  const T* x;
  Input input;
  Shift<T> shift{};

  RowDist(Dist<T> d, index_t row, index_t n_cols) : x(d.data + row * n_cols), input(d.input) {
    if (input == Input::logits) shift = row_shift(x, n_cols);
  }

  /// Fill LP (clamped log-probabilities; skipped for probabilities when `need_lp` is
  /// false) and return a pointer to the probabilities.
  const T* fill(index_t i0, index_t n, T* P, T* LP, bool need_lp = true) const {
    const T* xi = x + i0;
    switch (input) {
      case Input::probs:
        if (need_lp) log_into(xi, n, LP);
        return xi;
      case Input::log_probs:
        ArrM<T>(LP, n) = ArrC<T>(xi, n).max(Lim<T>::floor_log);
        break;
      case Input::logits:
        if (shift.finite) {
          ArrM<T>(LP, n) = ((ArrC<T>(xi, n) - shift.max) - shift.log_sum).max(Lim<T>::floor_log);
        } else {
          ArrM<T>(LP, n).setConstant(Lim<T>::nan);
        }
        break;
    }
    exp_into(LP, n, P);
    return P;
  }
};

/// Drive a per-row accumulation over one or two distribution arguments.
/// `block(P, LP, Q, LQ, n, inf_flag)` returns the block's contribution (in T). With
/// `need_lp` / `need_lq` false, probability inputs arrive without LP / LQ filled (the
/// block fills what it needs).
template <class T, class Block>
void two_dist_rows(Dist<T> p, const Dist<T>* q, index_t n_rows, index_t n_cols, double scale, T* out,
                   int n_threads, Block&& block, bool need_lp = true, bool need_lq = true) {
  parallel_rows(n_rows, n_cols, n_threads, [&](index_t r0, index_t r1) {
    alignas(64) T P[kBlock], LP[kBlock], Q[kBlock], LQ[kBlock];
    for (index_t r = r0; r < r1; ++r) {
      const RowDist<T> pr(p, r, n_cols);
      const RowDist<T> qr = q ? RowDist<T>(*q, r, n_cols) : pr;
      bool infinite = false;
      const double acc = block_sum(n_cols, [&](index_t i, index_t len) {
        const T* pp = pr.fill(i, len, P, LP, need_lp);
        const T* qq = q ? qr.fill(i, len, Q, LQ, need_lq) : nullptr;
        return block(pp, LP, qq, LQ, len, infinite);
      });
      out[r] = infinite ? Lim<T>::inf : static_cast<T>(acc * scale);
    }
  });
}

/// True when some p > 0 sits where log q is a clamped log 0 (so the measure is +inf).
template <class T>
bool mass_where_q_is_zero(const T* P, const T* LQ, index_t n) {
  return (ArrC<T>(P, n) * (Lim<T>::gate - ArrC<T>(LQ, n)).max(T(0))).sum() > T(0);
}

}  // namespace

// --------------------------------------------------------------------------------------
namespace {

/// log|1 + t| and the sign of 1 + t, exact as t -> 0 (log1p) and for t < -1.
inline double log_abs_1p(double t, double& sign) {
  if (t > -1.0) {
    sign = 1.0;
    return std::log1p(t);
  }
  if (t < -1.0) {
    sign = -1.0;
    return std::log1p(-2.0 - t);  // log(-(1 + t)) = log1p(-(1 + t) - 1)
  }
  sign = 0.0;
  return -std::numeric_limits<double>::infinity();
}

/// Sum of exp(x - m) over a block of entries <= m, as a double. With `leave_one_max`,
/// exactly one entry equal to m is left out (the term the caller keeps as the leading 1
/// of log1p): every entry equal to m is masked and the ties but one are added back as
/// exact ones, so no `1 + tail` is ever rounded (scipy gh-18295). Eigen's vector exp is
/// not exact below exp_lo (it stops at the smallest normal); those rare entries are added
/// with std::exp, down to subnormals and zero. Lanes are fixed (see ordered_sum), so the
/// result does not depend on the block's address.
template <class T>
double exp_sum(const T* x, index_t n, T m, bool leave_one_max) {
  alignas(64) T e[kBlock];
  ArrM<T>(e, n) = (ArrC<T>(x, n) - m).exp();
  // Straight-line lanes: masks as 0/1 factors and counts kept as T (a select feeding
  // the sum becomes a conditional add, which trapping-math keeps as a branch), so the
  // compiler vectorises the loop without reordering it. e <= 1 here and NaN only for a
  // NaN x (kept: both masks are false), so multiplying by 0 drops exactly what it should.
  T acc[kLanes] = {}, tops[kLanes] = {}, lows[kLanes] = {};
  const auto lane = [&](index_t j, index_t l) {
    const T d = x[j] - m;
    const T top = static_cast<T>(d == T(0));
    const T tiny = static_cast<T>(d < Lim<T>::exp_lo);
    acc[l] += e[j] * (T(1) - top - tiny);
    tops[l] += top;
    lows[l] += tiny;
  };
  index_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (index_t l = 0; l < kLanes; ++l) lane(i + l, l);
  }
  for (index_t l = 0; i + l < n; ++l) lane(i + l, l);
  for (index_t w = kLanes / 2; w > 0; w /= 2) {
    for (index_t l = 0; l < w; ++l) {
      acc[l] += acc[l + w];
      tops[l] += tops[l + w];
      lows[l] += lows[l + w];
    }
  }
  // every entry equal to m contributes exp(0) = 1 exactly; the kept maximum is left out
  // (ties first: 1 + tail - 1 would round the tail away)
  double sum = static_cast<double>(acc[0]) + (static_cast<double>(tops[0]) - (leave_one_max ? 1.0 : 0.0));
  if (lows[0] > T(0)) {
    for (index_t j = 0; j < n; ++j) {
      const T d = x[j] - m;
      if (d < Lim<T>::exp_lo) sum += static_cast<double>(std::exp(d));
    }
  }
  return sum;
}

/// First index j < n with x[j] == m (-1 if none), as a vectorised minimum over the
/// candidate indices (order-free, so exact). n <= kBlock.
template <class T>
index_t first_equal(const T* x, index_t n, T m) {
  const int none = static_cast<int>(n);
  int first = none;
#pragma omp simd reduction(min : first)
  for (int j = 0; j < none; ++j) {
    const int cand = x[j] == m ? j : none;
    first = cand < first ? cand : first;
  }
  return first < none ? first : -1;
}

/// exp_sum with leave_one_max for a block whose terms are all within Eigen's exact exp
/// range: the exps go into an aligned buffer, the first maximum's 1 is zeroed, and the
/// buffer is summed by Eigen. The buffer's alignment is fixed (64 bytes, declared to
/// Eigen), so Eigen's summation order depends on n only. (Ties left in the buffer are
/// exp(0) = 1, exact.)
template <class T>
double exp_sum_in_range(const T* x, index_t n, T m) {
  alignas(64) T e[kBlock];
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>, Eigen::Aligned64> E(e, n);
  E = (ArrC<T>(x, n) - m).exp();
  const index_t k = first_equal(x, n, m);
  if (k >= 0) e[k] = T(0);
  return static_cast<double>(E.sum());
}

/// log(1 + t) for t >= 0: log1p where it matters (t small), the faster log where 1 + t
/// is rounded by less than an ulp of the result.
inline double log_1p(double t) { return t < 0.5 ? std::log1p(t) : std::log(1.0 + t); }

/// Minimum and maximum of a block (order-free, so exact; a NaN may be skipped). Eigen's
/// two reductions beat one hand-written loop whose vector accumulators spill.
template <class T>
void block_min_max(const T* x, index_t n, T& mn, T& mx) {
  const ArrC<T> X(x, n);
  mx = X.maxCoeff();
  mn = X.minCoeff();
}

/// log sum exp(x) of one row, as m + log1p(sum_{j != k} exp(x_j - m)) with m = x_k the
/// maximum, the tail summed without ever adding it to the maximum's 1: one pass over the
/// row, rescaling the tail when a later block holds a larger maximum. NaN anywhere gives
/// NaN; +inf gives +inf; all -inf gives -inf.
// noinline: kept out of row_logsumexp, whose fast loop must stay small enough for the
// compiler to inline Eigen's vector exp into it (inlining this one too pushed the float64
// exp out into a call: 8-17% slower).
template <class T>
[[gnu::noinline]] double row_logsumexp_exact(const T* x, index_t n) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  T m = -Lim<T>::inf;
  double tail = 0.0;  // sum over the row so far of exp(x_j - m), one maximum left out
  bool pos_inf = false;
  for (index_t i = 0; i < n; i += kBlock) {
    const index_t len = std::min(kBlock, n - i);
    T bmin, bm;  // may skip a NaN: then exp(NaN - m) makes the tail NaN
    block_min_max(x + i, len, bmin, bm);
    if (std::isnan(bm)) return nan;
    if (bm == Lim<T>::inf) {
      pos_inf = true;
      break;
    }
    if (bm > m) {
      if (m > -Lim<T>::inf) {
        // the old maximum joins the tail: (tail + 1) e, without rounding 1 + tail
        const double e = std::exp(static_cast<double>(m) - static_cast<double>(bm));
        tail = tail * e + e;
      }
      m = bm;
      tail += bmin - m >= Lim<T>::exp_lo ? exp_sum_in_range(x + i, len, m) : exp_sum(x + i, len, m, true);
    } else if (m > -Lim<T>::inf) {
      // no maximum here: the fused vector sum, unless a term falls below Eigen's exp range
      tail += bmin - m >= Lim<T>::exp_lo ? static_cast<double>((ArrC<T>(x + i, len) - m).exp().sum())
                                         : exp_sum(x + i, len, m, false);
    }
  }
  if (pos_inf || m == -Lim<T>::inf) {  // +inf wins; all -inf is an empty sum
    if (ArrC<T>(x, n).hasNaN()) return nan;
    return pos_inf ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  }
  if (std::isnan(tail)) return nan;
  return static_cast<double>(m) + log_1p(tail);
}


/// log sum exp(x) of one row. First the plain pass (as before the tail fix): a block's
/// max, then Eigen's fused exp-sum, whose sum includes the maximum's exp(0) = 1; the one
/// is taken off again exactly (S - 1 is exact for 1 <= S < 2^24). When the tail
/// sum(exp(x - m)) - 1 comes out >= 1/2, rounding 1 + tail cost less than an ulp of the
/// result, and Eigen's clamped exp of terms below its range (< 1e-37 each) is lost in
/// it: the value is m + log(1 + tail). Otherwise (one entry dominates the row, or NaN or
/// an infinity is present) the row is summed again by row_logsumexp_exact, which never
/// rounds 1 + tail. The choice depends on the data only, so results stay deterministic.
template <class T>
double row_logsumexp(const T* x, index_t n) {
  T m = -Lim<T>::inf;
  double tail = 0.0;
  for (index_t i = 0; i < n; i += kBlock) {
    const index_t len = std::min(kBlock, n - i);
    const ArrC<T> X(x + i, len);
    const T bm = X.maxCoeff();
    if (!(bm < Lim<T>::inf)) return row_logsumexp_exact(x, n);  // NaN or +inf
    double one = 0.0;  // the new maximum's exp(0), to take off again
    if (bm > m) {
      if (m > -Lim<T>::inf) {
        const double e = std::exp(static_cast<double>(m) - static_cast<double>(bm));
        tail = tail * e + e;
      }
      m = bm;
      one = 1.0;
    }
    // one call site of the vector exp, so that the compiler inlines it
    if (m > -Lim<T>::inf) tail += static_cast<double>((X - m).exp().sum()) - one;
  }
  if (tail >= 0.5 && tail < std::numeric_limits<double>::infinity()) {
    return static_cast<double>(m) + std::log(1.0 + tail);
  }
  return row_logsumexp_exact(x, n);
}

/// The terms w_j exp(x_j - m) of one block, in double (0 where the weight is 0, whatever
/// x holds there: min(x - m, 0) keeps those exps finite). Terms below Eigen's exp range
/// take std::exp, exact down to subnormals.
template <class T>
void weighted_terms(const T* x, const T* w, index_t len, T m, double* tm) {
  alignas(64) T e[kBlock];
  ArrM<T>(e, len) = (ArrC<T>(x, len) - m).min(T(0)).exp();
  int low = 0;
  for (index_t j = 0; j < len; ++j) {  // straight-line: vectorised
    const bool zero = w[j] == T(0);
    const double t = static_cast<double>(w[j]) * static_cast<double>(e[j]);
    tm[j] = zero ? 0.0 : t;
    low |= static_cast<int>((x[j] - m < Lim<T>::exp_lo) & !zero);
  }
  if (low) {
    for (index_t j = 0; j < len; ++j) {
      const T d = x[j] - m;
      if (w[j] != T(0) && d < Lim<T>::exp_lo) tm[j] = static_cast<double>(w[j]) * std::exp(static_cast<double>(d));
    }
  }
}

/// log |sum w exp(x)| of one row with weights of any sign, and the sign of the sum.
/// Entries with zero weight are left out (even NaN or +inf ones, as scipy does). With
/// k the term of largest magnitude, the sum is w_k exp(x_k) (1 + t),
/// t = sum_{j != k} (w_j exp(x_j)) / (w_k exp(x_k)), so the result is
/// x_k + log|w_k| + log|1 + t| with log1p (exact as t -> 0).
template <class T>
double row_logsumexp_weighted(const T* x, const T* w, index_t n, double& sign) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  // One vectorised pass: the largest x that carries weight, how many entries do, and
  // whether a NaN weight or a weighted NaN is present (order-free reductions: exact).
  T m = -Lim<T>::inf;
  int bad = 0, live = 0;
#pragma omp simd reduction(max : m) reduction(| : bad) reduction(+ : live)
  for (index_t j = 0; j < n; ++j) {
    const bool on = w[j] != T(0);  // NaN weights count as on
    const T xv = on ? x[j] : -Lim<T>::inf;
    m = xv > m ? xv : m;
    bad |= static_cast<int>((w[j] != w[j]) | (on & (x[j] != x[j])));
    live += static_cast<int>(on);
  }
  if (bad) {
    sign = nan;
    return nan;
  }
  if (live == 0 || m == -Lim<T>::inf) {  // no weight at all, or every weighted exp(x) is 0
    sign = 0.0;
    return -std::numeric_limits<double>::infinity();
  }
  double s = 0.0;
  if (m == Lim<T>::inf) {
    // only the +inf entries count (finite ones are negligible): the sign of their weights' sum
    index_t k = 0;
    while (!(w[k] != T(0) && x[k] == Lim<T>::inf)) ++k;
    const double wk = static_cast<double>(w[k]);
    for (index_t j = k + 1; j < n; ++j) {
      if (w[j] != T(0) && x[j] == Lim<T>::inf) s += static_cast<double>(w[j]);
    }
    double sg = 0.0;
    log_abs_1p(s / wk, sg);
    sign = (wk > 0 ? 1.0 : -1.0) * sg;
    return sg == 0.0 ? nan : std::numeric_limits<double>::infinity();  // inf - inf
  }
  // The pivot is the term of largest magnitude (not merely the largest x: a tiny weight
  // there would make x_k + log|w_k| cancel against log1p(t)); a second pass sums the
  // others relative to it.
  alignas(64) double tm[kBlock];
  index_t piv = 0;
  double t_piv = 0.0;  // the largest weighted x gives a term |w| > 0, so piv is set
  for (index_t i = 0; i < n; i += kBlock) {
    const index_t len = std::min(kBlock, n - i);
    weighted_terms(x + i, w + i, len, m, tm);
    for (index_t j = 0; j < len; ++j) {
      if (std::abs(tm[j]) > std::abs(t_piv)) {
        t_piv = tm[j];
        piv = i + j;
      }
    }
  }
  for (index_t i = 0; i < n; i += kBlock) {
    const index_t len = std::min(kBlock, n - i);
    weighted_terms(x + i, w + i, len, m, tm);
    if (piv >= i && piv < i + len) tm[piv - i] = 0.0;
    // tm is our own 64-byte-aligned buffer, declared so: Eigen's order depends on len only
    s += Eigen::Map<const Eigen::Array<double, Eigen::Dynamic, 1>, Eigen::Aligned64>(tm, len).sum();
  }
  const double wp = static_cast<double>(w[piv]);
  double sg = 0.0;
  const double la = log_abs_1p(s / t_piv, sg);
  sign = (wp > 0 ? 1.0 : -1.0) * sg;
  return static_cast<double>(x[piv]) + std::log(std::abs(wp)) + la;
}

}  // namespace

template <class T>
void logsumexp(const T* x, const T* w, index_t n_rows, index_t n_cols, T* out, T* sign, int n_threads) {
  require_shape(n_rows, n_cols, "logsumexp");
  parallel_rows(n_rows, n_cols, n_threads, [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const T* xr = x + r * n_cols;
      double sg = 1.0;
      double v = w ? row_logsumexp_weighted(xr, w + r * n_cols, n_cols, sg) : row_logsumexp(xr, n_cols);
      if (std::isnan(v)) sg = v;                       // as scipy: NaN has sign NaN
      if (v == -std::numeric_limits<double>::infinity()) sg = 0.0;  // and an empty sum 0
      if (!sign && sg < 0) v = std::numeric_limits<double>::quiet_NaN();  // the log of a negative sum
      out[r] = static_cast<T>(v);
      if (sign) sign[r] = static_cast<T>(sg);
    }
  });
}

template <class T>
void softmax(const T* x, index_t n_rows, index_t n_cols, bool log, T* out, int n_threads) {
  require_shape(n_rows, n_cols, "softmax");
  parallel_rows(n_rows, n_cols, n_threads, [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const T* xr = x + r * n_cols;
      T* o = out + r * n_cols;
      const Shift<T> sh = row_shift(xr, n_cols);
      if (!sh.finite) {
        ArrM<T>(o, n_cols).setConstant(Lim<T>::nan);
        continue;
      }
      ArrM<T>(o, n_cols) = (ArrC<T>(xr, n_cols) - sh.max) - sh.log_sum;
      if (!log) {
        for (index_t i = 0; i < n_cols; i += kBlock) exp_into(o + i, std::min(kBlock, n_cols - i), o + i);
      }
    }
  });
}

template <class T>
void information_content(Dist<T> p, index_t n_rows, index_t n_cols, double scale, T* out, int n_threads) {
  require_shape(n_rows, n_cols, "information_content");
  const T s = static_cast<T>(scale);
  parallel_rows(n_rows, n_cols, n_threads, [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const RowDist<T> pr(p, r, n_cols);
      T* o = out + r * n_cols;
      const T* xr = pr.x;
      switch (p.input) {
        case Input::probs:
          for (index_t i = 0; i < n_cols; i += kBlock) log_into(xr + i, std::min(kBlock, n_cols - i), o + i);
          break;
        case Input::log_probs:
          ArrM<T>(o, n_cols) = ArrC<T>(xr, n_cols);
          break;
        case Input::logits:
          if (pr.shift.finite) {
            ArrM<T>(o, n_cols) = (ArrC<T>(xr, n_cols) - pr.shift.max) - pr.shift.log_sum;
          } else {
            ArrM<T>(o, n_cols).setConstant(Lim<T>::nan);
          }
          break;
      }
      // -log p * scale, with the clamped log 0 turned back into +inf.
      for (index_t i = 0; i < n_cols; ++i) o[i] = o[i] <= Lim<T>::gate ? Lim<T>::inf : -o[i] * s;
    }
  });
}

/// Entropy of probability rows, optionally with each row's sum and minimum (the pass that
/// lets the caller validate without reading the input again). Used by entropy() for
/// probabilities too, so both give the same bits.
/// Sum, minimum and whether every entry is a normal positive number (no 0, subnormal,
/// negative or NaN: then log_block needs no fix-up), in one vectorised pass.
template <class T>
struct RowStats {
  T sum;
  T min;
  bool all_normal;
};

template <class T>
RowStats<T> row_stats(const T* x, index_t n) {
  T s = 0, m = Lim<T>::inf;
  int abnormal = 0;
  // simdlen(16): several vector accumulators; a ternary min (std::min's references make
  // GCC gather)
#pragma omp simd simdlen(16) reduction(+ : s) reduction(min : m) reduction(| : abnormal)
  for (index_t i = 0; i < n; ++i) {
    s += x[i];
    m = x[i] < m ? x[i] : m;
    abnormal |= !(x[i] >= Lim<T>::min_norm);
  }
  return {s, m, abnormal == 0};
}

/// Entropy of probability rows, optionally with each row's sum and minimum (the pass that
/// lets the caller validate without reading the input again). Used by entropy() for
/// probabilities too, so both give the same bits. Per block of a row: one pass for the
/// sum, minimum and normality, the vector log, and one pass for the dot product.
template <class T>
void entropy_probs(const T* p, index_t n_rows, index_t n_cols, double scale, T* out, double* row_sum, T* row_min,
                   int n_threads) {
  parallel_rows(n_rows, n_cols, n_threads, [&](index_t r0, index_t r1) {
    alignas(64) T LP[kBlock];
    RowStats<T> st[kBlock];
    const auto finish_row = [&](index_t r, const T* x, const T* lp, const RowStats<T>& s) {
      double acc = 0.0;  // 0 + (-0) = +0: a certain outcome has entropy +0, not -0
      acc += static_cast<double>(-(ArrC<T>(x, n_cols) * ArrC<T>(lp, n_cols)).sum());
      out[r] = static_cast<T>(acc * scale);
      if (row_sum) {
        row_sum[r] = static_cast<double>(s.sum);
        row_min[r] = s.min;
      }
    };
    // Short float64 rows: one vector log over several rows at once (vlog's result for an
    // entry does not depend on where it sits; Eigen's float log may differ in its tail),
    // then each row's reductions as for one block.
    const index_t group = std::is_same_v<T, double> && n_cols <= kBlock / 2 ? kBlock / n_cols : 1;
    if (n_cols <= kBlock) {
      for (index_t r = r0; r < r1; r += group) {
        const index_t g = std::min(group, r1 - r);
        const T* x = p + r * n_cols;
        bool normal = true;
        for (index_t j = 0; j < g; ++j) {
          st[j] = row_stats(x + j * n_cols, n_cols);
          normal = normal && st[j].all_normal;
        }
        log_block(x, g * n_cols, normal ? Lim<T>::min_norm : T(0), LP);
        for (index_t j = 0; j < g; ++j) finish_row(r + j, x + j * n_cols, LP + j * n_cols, st[j]);
      }
      return;
    }
    for (index_t r = r0; r < r1; ++r) {
      const T* x = p + r * n_cols;
      double acc = 0.0, sum = 0.0;
      T mn = Lim<T>::inf;
      for (index_t i = 0; i < n_cols; i += kBlock) {
        const index_t len = std::min(kBlock, n_cols - i);
        const RowStats<T> b = row_stats(x + i, len);
        log_block(x + i, len, b.all_normal ? Lim<T>::min_norm : T(0), LP);  // into the aligned buffer
        acc += static_cast<double>(-(ArrC<T>(x + i, len) * ArrC<T>(LP, len)).sum());
        sum += static_cast<double>(b.sum);
        mn = std::min(mn, b.min);
      }
      out[r] = static_cast<T>(acc * scale);
      if (row_sum) {
        row_sum[r] = sum;
        row_min[r] = mn;
      }
    }
  });
}

template <class T>
void entropy_with_stats(const T* p, index_t n_rows, index_t n_cols, double scale, T* out, double* row_sum,
                        T* row_min, int n_threads) {
  require_shape(n_rows, n_cols, "entropy");
  entropy_probs(p, n_rows, n_cols, scale, out, row_sum, row_min, n_threads);
}

template <class T>
void entropy(Dist<T> p, index_t n_rows, index_t n_cols, double scale, T* out, int n_threads) {
  require_shape(n_rows, n_cols, "entropy");
  if (p.input == Input::probs) {
    entropy_probs<T>(p.data, n_rows, n_cols, scale, out, nullptr, nullptr, n_threads);
    return;
  }
  two_dist_rows<T>(p, nullptr, n_rows, n_cols, scale, out, n_threads,
                   [](const T* P, const T* LP, const T*, const T*, index_t n, bool&) {
                     return -(ArrC<T>(P, n) * ArrC<T>(LP, n)).sum();
                   });
}

template <class T>
void cross_entropy(Dist<T> p, Dist<T> q, index_t n_rows, index_t n_cols, double scale, T* out, int n_threads) {
  require_shape(n_rows, n_cols, "cross_entropy");
  two_dist_rows<T>(p, &q, n_rows, n_cols, scale, out, n_threads,
                   [](const T* P, const T*, const T*, const T* LQ, index_t n, bool& inf) {
                     if (mass_where_q_is_zero(P, LQ, n)) inf = true;
                     return -(ArrC<T>(P, n) * ArrC<T>(LQ, n)).sum();
                   },
                   /*need_lp=*/false);
}

template <class T>
void kl_divergence(Dist<T> p, Dist<T> q, index_t n_rows, index_t n_cols, double scale, T* out, int n_threads) {
  require_shape(n_rows, n_cols, "kl_divergence");
  const bool both_probs = p.input == Input::probs && q.input == Input::probs;
  two_dist_rows<T>(p, &q, n_rows, n_cols, scale, out, n_threads,
                   [both_probs](const T* P, T* LP, const T* Q, T* LQ, index_t n, bool& inf) {
                     const auto p_ = ArrC<T>(P, n);
                     if (both_probs) {
                       // One log per entry: p log(p / q). Valid when every p and q of the
                       // block is a normal number or p is 0 (then the term is 0); blocks
                       // with q = 0 or subnormals take the general path below.
                       const auto q_ = ArrC<T>(Q, n);
                       if (q_.minCoeff() >= Lim<T>::min_norm &&
                           (p_.minCoeff() >= Lim<T>::min_norm || p_.minCoeff() == T(0))) {
                         if constexpr (std::is_same_v<T, double>) {
                           ArrM<T>(LP, n) = p_.max(Lim<T>::min_norm) / q_;
                           vlog(LP, n, LP);
                           return (p_ * ArrC<T>(LP, n)).sum();
                         } else {
                           return (p_ * (p_.max(Lim<T>::min_norm) / q_).log()).sum();
                         }
                       }
                       log_into(P, n, LP);
                       log_into(Q, n, LQ);
                     }
                     if (mass_where_q_is_zero(P, LQ, n)) inf = true;
                     return (p_ * (ArrC<T>(LP, n) - ArrC<T>(LQ, n))).sum();
                   },
                   /*need_lp=*/!both_probs, /*need_lq=*/!both_probs);
}

template <class T>
void js_divergence(Dist<T> p, Dist<T> q, index_t n_rows, index_t n_cols, double scale, T* out, int n_threads) {
  require_shape(n_rows, n_cols, "js_divergence");
  two_dist_rows<T>(p, &q, n_rows, n_cols, scale, out, n_threads,
                   [](const T* P, const T* LP, const T* Q, const T* LQ, index_t n, bool&) {
                     alignas(64) T M[kBlock], LM[kBlock];
                     ArrM<T>(M, n) = T(0.5) * (ArrC<T>(P, n) + ArrC<T>(Q, n));
                     log_into(M, n, LM);
                     const auto lm = ArrC<T>(LM, n);
                     return T(0.5) * ((ArrC<T>(P, n) * (ArrC<T>(LP, n) - lm)).sum() +
                                      (ArrC<T>(Q, n) * (ArrC<T>(LQ, n) - lm)).sum());
                   });
  // JS >= 0, but a row of nearly equal p and q can round to -1e-17: report it as 0
  // (NaN, for invalid input under validate=False, passes through: NaN < 0 is false).
  for (index_t r = 0; r < n_rows; ++r) {
    if (out[r] < T(0)) out[r] = T(0);
  }
}

// --------------------------------------------------------------------------------------
template <class T>
void binary_cross_entropy(const T* y, const T* p, bool logits, index_t n_rows, index_t n_cols,
                          Reduction reduction, T* out, T* grad, int n_threads) {
  require_shape(n_rows, n_cols, "binary_cross_entropy");
  const T grad_scale = reduction == Reduction::mean ? T(1) / static_cast<T>(n_cols) : T(1);
  parallel_rows(n_rows, n_cols, n_threads, [&](index_t r0, index_t r1) {
    alignas(64) T L[kBlock];
    for (index_t r = r0; r < r1; ++r) {
      const T* yr = y + r * n_cols;
      const T* pr = p + r * n_cols;
      T* gr = grad ? grad + r * n_cols : nullptr;
      const double total = block_sum(n_cols, [&](index_t i, index_t n) {
        T* l = L;  // aligned block (see the determinism note), copied out below
        const auto Y = ArrC<T>(yr + i, n);
        const auto Z = ArrC<T>(pr + i, n);
        if (logits) {
          // softplus(z) - y z = max(z, 0) - y z + log1p(exp(-|z|)); log1p(t) for t in
          // (0, 1] as log(u) + (t - (u - 1)) / u with u = 1 + t (exact as t -> 0).
          alignas(64) T E[kBlock], G[kBlock];
          ArrM<T> t(E, n);
          t = (-Z.abs()).exp();
          const auto u = t + T(1);
          ArrM<T>(l, n) = Z.max(T(0)) - Y * Z + (u.log() + (t - (u - T(1))) / u);
          if (gr) {
            ArrM<T>(G, n) = ((T(1) + (-Z).exp()).inverse() - Y) * grad_scale;
            std::copy(G, G + n, gr + i);
          }
        } else {
          for (index_t j = 0; j < n; ++j) {
            const T yj = Y[j], pj = Z[j];
            const T a = yj == T(0) ? T(0) : -yj * std::log(pj);
            const T b = yj == T(1) ? T(0) : -(T(1) - yj) * std::log1p(-pj);
            l[j] = a + b;
            if (gr) gr[i + j] = (pj - yj) / (pj * (T(1) - pj)) * grad_scale;
          }
        }
        if (reduction == Reduction::none) std::copy(l, l + n, out + r * n_cols + i);
        return ArrC<T>(l, n).sum();
      });
      if (reduction == Reduction::sum) out[r] = static_cast<T>(total);
      if (reduction == Reduction::mean) out[r] = static_cast<T>(total / static_cast<double>(n_cols));
    }
  });
}

template <class T>
void gaussian_kl(const T* mu_q, const T* lv_q, const T* mu_p, const T* lv_p, index_t n_rows, index_t n_cols,
                 T* out, T* grad_mu, T* grad_lv, int n_threads) {
  require_shape(n_rows, n_cols, "gaussian_kl");
  parallel_rows(n_rows, n_cols, n_threads, [&](index_t r0, index_t r1) {
    alignas(64) T D[kBlock], E[kBlock], V[kBlock], M[kBlock];
    for (index_t r = r0; r < r1; ++r) {
      const index_t off = r * n_cols;
      const double total = block_sum(n_cols, [&](index_t i, index_t n) {
        const index_t k = off + i;
        const auto mq = ArrC<T>(mu_q + k, n);
        const auto lq = ArrC<T>(lv_q + k, n);
        ArrM<T> d(D, n), e(E, n), inv_var_p(V, n);
        if (lv_p) {
          d = lq - ArrC<T>(lv_p + k, n);          // log(var_q / var_p)
          inv_var_p = (-ArrC<T>(lv_p + k, n)).exp();
        } else {
          d = lq;
          inv_var_p.setOnes();
        }
        e = d.exp();                                // var_q / var_p
        ArrM<T> diff(M, n);
        if (mu_p) {
          diff = mq - ArrC<T>(mu_p + k, n);
        } else {
          diff = mq;
        }
        if (grad_mu) ArrM<T>(grad_mu + k, n) = diff * inv_var_p;
        if (grad_lv) ArrM<T>(grad_lv + k, n) = T(0.5) * (e - T(1));
        return T(0.5) * (((e - T(1)) - d) + diff.square() * inv_var_p).sum();
      });
      out[r] = static_cast<T>(total);
    }
  });
}

template <class T>
void perplexity(const T* lp, const index_t* n_valid, index_t n_rows, index_t n_cols, double log_base, T* out,
                int n_threads) {
  require_shape(n_rows, n_cols, "perplexity");
  parallel_rows(n_rows, n_cols, n_threads, [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const T* x = lp + r * n_cols;
      const double s = block_sum(n_cols, [&](index_t i, index_t n) { return ordered_sum(x + i, n); });
      const double count = static_cast<double>(n_valid ? n_valid[r] : n_cols);
      out[r] = static_cast<T>(std::exp(-s / count * log_base));
    }
  });
}

template <class T>
void joint_measures(const T* joint, index_t n_batch, index_t n_x, index_t n_y, double scale, T* mutual_info,
                    T* h_y_given_x, T* h_x_given_y, int n_threads) {
  require_shape(n_batch, n_x * n_y, "joint_measures");
  const index_t size = n_x * n_y;
  parallel_chunks(n_batch, rows_per_chunk(size), n_threads, n_batch * size, [&](index_t, index_t b0, index_t b1) {
    std::vector<double> log_row(static_cast<size_t>(n_x)), log_col(static_cast<size_t>(n_y));
    for (index_t b = b0; b < b1; ++b) {
      const T* t = joint + b * size;
      std::fill(log_col.begin(), log_col.end(), 0.0);
      for (index_t i = 0; i < n_x; ++i) {
        double rs = 0.0;
        for (index_t j = 0; j < n_y; ++j) {
          rs += t[i * n_y + j];
          log_col[static_cast<size_t>(j)] += t[i * n_y + j];
        }
        log_row[static_cast<size_t>(i)] = std::log(rs);
      }
      for (double& c : log_col) c = std::log(c);
      double mi = 0.0, hyx = 0.0, hxy = 0.0;
      for (index_t i = 0; i < n_x; ++i) {
        for (index_t j = 0; j < n_y; ++j) {
          const double v = t[i * n_y + j];
          if (!(v > 0.0)) {
            if (std::isnan(v)) mi = hyx = hxy = std::numeric_limits<double>::quiet_NaN();
            continue;
          }
          const double lv = std::log(v);
          const double lr = log_row[static_cast<size_t>(i)], lc = log_col[static_cast<size_t>(j)];
          mi += v * (lv - lr - lc);
          hyx -= v * (lv - lr);
          hxy -= v * (lv - lc);
        }
      }
      if (mutual_info) mutual_info[b] = static_cast<T>(mi * scale);
      if (h_y_given_x) h_y_given_x[b] = static_cast<T>(hyx * scale);
      if (h_x_given_y) h_x_given_y[b] = static_cast<T>(hxy * scale);
    }
  });
}

// --------------------------------------------------------------------------------------
namespace {

/// First problem among chunks, in chunk order (so the answer is the lowest row).
template <class Body>
Problem first_problem(index_t n_rows, index_t n_cols, int n_threads, Body&& row_problem) {
  const index_t chunk = rows_per_chunk(n_cols);
  const index_t n_chunks = (n_rows + chunk - 1) / chunk;
  std::vector<Problem> found(static_cast<size_t>(std::max<index_t>(n_chunks, 0)));
  parallel_chunks(n_rows, chunk, n_threads, n_rows * n_cols, [&](index_t c, index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      Problem pr = row_problem(r);
      if (pr.code != Problem::ok) {
        pr.row = r;
        found[static_cast<size_t>(c)] = pr;
        return;
      }
    }
  });
  for (const Problem& pr : found) {
    if (pr.code != Problem::ok) return pr;
  }
  return {};
}

/// Locate the first entry of a row that fails `bad(v)` and describe it with `code_of(v)`.
template <class T, class Code>
Problem locate(const T* x, index_t n, Code&& code_of) {
  for (index_t j = 0; j < n; ++j) {
    const int code = code_of(x[j]);
    if (code != Problem::ok) {
      Problem pr;
      pr.col = j;
      pr.code = code;
      pr.value = static_cast<double>(x[j]);
      return pr;
    }
  }
  return {};
}

}  // namespace

template <class T>
Problem check_distribution(const T* x, Input input, index_t n_rows, index_t n_cols, double sum_tol, int n_threads) {
  require_shape(n_rows, n_cols, "check_distribution");
  return first_problem(n_rows, n_cols, n_threads, [&](index_t r) -> Problem {
    const T* xr = x + r * n_cols;
    if (input == Input::probs) {
      // Per L1-sized block, two vectorised reductions: the sum (NaN or an infinity makes
      // it non-finite) and the minimum (catches negatives; its NaN behaviour does not
      // matter). Only a flagged block pays for the exact, element-by-element diagnosis.
      double sum = 0.0;
      for (index_t i = 0; i < n_cols; i += kBlock) {
        const ArrC<T> X(xr + i, std::min(kBlock, n_cols - i));
        const T s = ordered_sum(xr + i, X.size());
        if (!(X.minCoeff() >= T(0)) || !std::isfinite(s)) {
          const Problem pr = locate(xr, n_cols, [](T v) {
            return std::isnan(v) ? Problem::nan : v < 0 ? Problem::negative : std::isinf(v) ? Problem::infinite : Problem::ok;
          });
          if (pr.code != Problem::ok) return pr;  // else finite entries overflowed: bad sum below
        }
        sum += static_cast<double>(s);
      }
      if (sum_tol >= 0 && std::abs(sum - 1.0) > sum_tol) return Problem{-1, -1, Problem::bad_sum, sum};
      return {};
    }
    // log-probabilities and logits: the single-pass log-sum-exp also finds NaN and +inf
    const Shift<T> sh = row_shift(xr, n_cols);
    if (!sh.finite) {
      if (sh.max == -Lim<T>::inf) return Problem{-1, -1, Problem::no_mass, 0.0};
      return locate(xr, n_cols, [](T v) {
        return std::isnan(v) ? Problem::nan : v == Lim<T>::inf ? Problem::infinite : Problem::ok;
      });
    }
    if (input == Input::log_probs && sum_tol >= 0) {
      const double total = std::exp(sh.lse());
      if (std::abs(total - 1.0) > sum_tol) return Problem{-1, -1, Problem::bad_sum, total};
    }
    return {};
  });
}

template <class T>
Problem check_range(const T* x, index_t n_rows, index_t n_cols, double lo, double hi, int n_threads) {
  require_shape(n_rows, n_cols, "check_range");
  return first_problem(n_rows, n_cols, n_threads, [&](index_t r) -> Problem {
    const T* xr = x + r * n_cols;
    for (index_t i = 0; i < n_cols; i += kBlock) {
      // vectorised min, max and sum (a NaN makes the sum NaN); exact diagnosis only when flagged
      const ArrC<T> X(xr + i, std::min(kBlock, n_cols - i));
      const double mx = static_cast<double>(X.maxCoeff());
      const double mn = static_cast<double>(X.minCoeff());
      // (the sum only flags NaN for the exact scan below: its order does not matter)
      if (!(mn >= lo && mx <= hi) || std::isnan(X.sum())) {
        const Problem pr = locate(xr, n_cols, [&](T v) {
          const double d = static_cast<double>(v);
          return std::isnan(d) ? Problem::nan : (d < lo || d > hi) ? Problem::out_of_range : Problem::ok;
        });
        if (pr.code != Problem::ok) return pr;  // e.g. +inf and -inf summing to NaN: fine
      }
    }
    return {};
  });
}

// --------------------------------------------------------------------------------------
#define INFOGEN_INSTANTIATE(T)                                                                              \
  template void logsumexp<T>(const T*, const T*, index_t, index_t, T*, T*, int);                           \
  template void softmax<T>(const T*, index_t, index_t, bool, T*, int);                                     \
  template void information_content<T>(Dist<T>, index_t, index_t, double, T*, int);                        \
  template void entropy<T>(Dist<T>, index_t, index_t, double, T*, int);                                    \
  template void entropy_with_stats<T>(const T*, index_t, index_t, double, T*, double*, T*, int);           \
  template void cross_entropy<T>(Dist<T>, Dist<T>, index_t, index_t, double, T*, int);                     \
  template void kl_divergence<T>(Dist<T>, Dist<T>, index_t, index_t, double, T*, int);                     \
  template void js_divergence<T>(Dist<T>, Dist<T>, index_t, index_t, double, T*, int);                     \
  template void binary_cross_entropy<T>(const T*, const T*, bool, index_t, index_t, Reduction, T*, T*, int); \
  template void gaussian_kl<T>(const T*, const T*, const T*, const T*, index_t, index_t, T*, T*, T*, int);  \
  template void perplexity<T>(const T*, const index_t*, index_t, index_t, double, T*, int);                \
  template void joint_measures<T>(const T*, index_t, index_t, index_t, double, T*, T*, T*, int);           \
  template Problem check_distribution<T>(const T*, Input, index_t, index_t, double, int);                  \
  template Problem check_range<T>(const T*, index_t, index_t, double, double, int);

INFOGEN_INSTANTIATE(float)
INFOGEN_INSTANTIATE(double)
#undef INFOGEN_INSTANTIATE

}  // namespace infogen::info
