// Implementation of the RBM kernels (see rbm.hpp for the contract).
//
// Matrix products go through Eigen's GEMM on row-major maps (Eigen itself is single-
// threaded: EIGEN_DONT_PARALLELIZE), or through the support of 0/1 states
// (binary_matmul.hpp); parallelism is ours, over fixed-size chunks of rows (or of hidden
// units for the weight gradient; large persistent-chain minibatches go by fixed parts of
// the hidden units, see cd_train), so every output element is computed by one thread in
// an order that does not depend on the thread count. Transcendentals are evaluated into
// Eigen-owned (aligned) temporaries, never straight into caller memory, so their bits do
// not depend on the caller's array addresses (the sigmoid of doubles, sigmoid.hpp, puts
// every element through the same vector code wherever it sits).
#include "infogen/rbm.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "infogen/binary_matmul.hpp"
#include "infogen/sigmoid.hpp"
#include "infogen/simd_tile.hpp"
#include "infogen/random.hpp"

namespace infogen::rbm {
namespace {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MapC = Eigen::Map<const RowMat<T>>;
template <class T>
using MapM = Eigen::Map<RowMat<T>>;
template <class T>
using RowVec = Eigen::Matrix<T, 1, Eigen::Dynamic>;
template <class T>
using RowVecC = Eigen::Map<const RowVec<T>>;
template <class T>
using RowVecM = Eigen::Map<RowVec<T>>;

/// Rows per chunk of the batch kernels (conditionals, Gibbs, energies).
constexpr index_t kRows = 64;
/// Rows per chunk inside one training minibatch and per chunk of AIS runs.
constexpr index_t kTrainRows = 16;
/// Hidden units per chunk of the weight-gradient pass.
constexpr index_t kGradUnits = 16;
/// Side of the square tiles of the weight update (which writes W and its transpose).
constexpr index_t kGradTile = 16;
/// Waking a sleeping OpenMP team (OMP_WAIT_POLICY=PASSIVE) costs tens of microseconds,
/// which is more than a whole small minibatch takes: the training phases only go parallel
/// when a minibatch has at least kSerialWorkThreshold * kTrainWorkDivisor multiply-adds
/// (2M: 256 hidden x 64 visible x batch 100, about 0.2 ms through the support, stays serial).
constexpr index_t kTrainWorkDivisor = 64;
/// Products with a 0/1 matrix of at most this density go through its support (sums of
/// selected rows, see binary_matmul.hpp) rather than a dense GEMM: below it the sums take
/// fewer cycles than Eigen's GEMM at RBM sizes (measured with bench/test_bench_rbm.py).
#ifndef INFOGEN_MAX_BINARY_DENSITY
#define INFOGEN_MAX_BINARY_DENSITY 0.6  // overridable at build time for tuning
#endif
constexpr double kMaxBinaryDensity = INFOGEN_MAX_BINARY_DENSITY;
/// Hidden units per block of the positive phase's product (one 512-bit accumulator block).
template <class T>
constexpr index_t kPhaseCols = 512 / static_cast<index_t>(sizeof(T));
/// Training by parts (see cd_train): this many parts of the hidden units (fewer when the
/// layer is small: each has at least kMinPartUnits units), starting at multiples of
/// kPartAlign (whole tiles of the weight update, whole cache lines of float and double).
/// A constant, never the machine's processor count: the parts decide the random streams,
/// so the same seed gives the same model on any machine and under any affinity mask.
#ifndef INFOGEN_TRAIN_PARTS
#define INFOGEN_TRAIN_PARTS 2  // overridable at build time for tuning
#endif
constexpr index_t kParts = INFOGEN_TRAIN_PARTS;
constexpr index_t kMinPartUnits = 64;
constexpr index_t kPartAlign = 16;
/// Rows per chunk of the column totals (their partial sums are added in chunk order).
constexpr index_t kTotalsRows = 2048;
/// States per block of the exact partition function.
constexpr index_t kStateBlock = 1024;

template <class T>
void check_model(const Model<T>& m) {
  if (m.n_visible <= 0 || m.n_hidden <= 0) {
    throw std::invalid_argument("an RBM needs at least one visible and one hidden unit");
  }
  if (!m.W || !m.b || !m.c) throw std::invalid_argument("RBM parameters must not be null");
}

/// In place: A = sigmoid(A). exp overflow gives 1/(1+inf) = 0, never NaN. Rows of
/// doubles go through sigmoid_row (one division per element instead of Eigen's two).
template <class Derived>
void sigmoid_inplace(Eigen::MatrixBase<Derived>& A) {
  using T = typename Derived::Scalar;
#if defined(INFOGEN_HAS_SIGMOID_ROW)
  if constexpr (std::is_same_v<T, double> && (int(Derived::Flags) & Eigen::DirectAccessBit) &&
                bool(Derived::IsRowMajor) && Derived::InnerStrideAtCompileTime == 1) {
    for (index_t r = 0; r < A.rows(); ++r) sigmoid_row(&A.derived().coeffRef(r, 0), A.cols());
    return;
  }
#endif
  A.array() = T(1) / (T(1) + (-A.array()).exp());
}

/// softplus(x) = max(x, 0) + log(1 + exp(-|x|)), elementwise, into an owned array.
/// log(1 + e) with e = exp(-|x|) in (0, 1] is evaluated with Eigen's SIMD log rather than
/// log1p (scalar in Eigen): the rounding of 1 + e costs at most one ulp of 1 in absolute
/// terms, far below the tolerance of any sum of softplus terms.
template <class T>
Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> softplus(
    const Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>& x) {
  return x.max(T(0)) + (T(1) + (-x.abs()).exp()).log();
}

inline double softplus_scalar(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

/// Bernoulli draws for one row: out[j] = 1 if u_j < p[j] else 0, with u_j = k_j / 2^32
/// from 32 random bits k_j of `rng`. The bits are drawn first, then compared without a
/// branch (a data-dependent branch mispredicts half the time): k < p * 2^32 is the same
/// test, exact in double.
template <class T>
inline void bernoulli_row(Philox& rng, const T* p, index_t n, T* out) {
  constexpr index_t kBuf = 256;
  alignas(64) std::uint32_t bits[kBuf];
  Philox local = rng;  // a local copy lets the compiler keep the stream in registers
  for (index_t j0 = 0; j0 < n; j0 += kBuf) {
    const index_t len = std::min(kBuf, n - j0);
    local.fill_u32(bits, static_cast<std::size_t>(len));
    for (index_t j = 0; j < len; ++j) {
      out[j0 + j] = static_cast<T>(static_cast<double>(bits[j]) < static_cast<double>(p[j0 + j]) * 0x1.0p32);
    }
  }
  rng = local;
}

/// Bernoulli draws for the first `cols` columns of each row of P (all of them by default).
template <class T>
void bernoulli_rows(std::vector<Philox>& rngs, const RowMat<T>& P, RowMat<T>& out, index_t cols = -1) {
  if (cols < 0) cols = P.cols();
  out.resize(P.rows(), cols);
  for (index_t r = 0; r < P.rows(); ++r) {
    bernoulli_row(rngs[static_cast<size_t>(r)], P.row(r).data(), cols, out.row(r).data());
  }
}

template <class T>
std::vector<Philox> make_streams(std::uint64_t seed, index_t first, index_t count) {
  std::vector<Philox> rngs;
  rngs.reserve(static_cast<size_t>(count));
  for (index_t r = 0; r < count; ++r) rngs.emplace_back(seed, static_cast<std::uint64_t>(first + r));
  return rngs;
}

/// Row-major with a leading dimension of its own (the training's padded copies).
template <class T>
using MapCS = Eigen::Map<const RowMat<T>, 0, Eigen::OuterStride<>>;

/// n rounded up to a whole number of 64-byte cache lines of T: the leading dimension of
/// the training's internal matrices, so that every row starts on a cache line and a
/// 512-bit load of a row never straddles two lines.
template <class T>
constexpr index_t padded(index_t n) {
  constexpr index_t L = 64 / static_cast<index_t>(sizeof(T));
  return (n + L - 1) / L * L;
}

/// A copy of the row-major rows x cols matrix at src, 64-byte aligned, with rows of ld >= cols
/// entries (the padding zeroed).
template <class T>
RowMat<T> padded_copy(const T* src, index_t rows, index_t cols, index_t ld) {
  RowMat<T> m = RowMat<T>::Zero(rows, ld);
  m.leftCols(cols) = MapC<T>(src, rows, cols);
  return m;
}

/// P = sigmoid(V W^T + c) for a block of rows.
template <class T, class WMat, class VBlock>
void hidden_block(const WMat& W, const RowVecC<T>& c, const VBlock& V, RowMat<T>& P) {
  P.resize(V.rows(), W.rows());
  P.noalias() = V * W.transpose();
  P.rowwise() += c;
  sigmoid_inplace(P);
}

/// P = sigmoid(H W + b) for a block of rows.
template <class T, class WMat, class HBlock>
void visible_block(const WMat& W, const RowVecC<T>& b, const HBlock& H, RowMat<T>& P) {
  P.resize(H.rows(), W.cols());
  P.noalias() = H * W;
  P.rowwise() += b;
  sigmoid_inplace(P);
}

/// P = sigmoid(S A + bias) for the rows of the 0/1 matrix given by its support S, where A
/// is row-major with `cols` columns (W for visible probabilities, W^T for hidden ones).
/// P's rows are padded to whole vectors (with zeros before the sigmoid), so that every
/// probability goes through the same vector code whatever the number of rows.
template <class T>
void binary_block(const BinarySupport& S, const T* A, index_t cols, index_t lda, const T* bias, RowMat<T>& P) {
  const index_t ld = padded<T>(cols);
  P.resize(S.rows, ld);
  binary_matmul_rows<T>(S, 0, S.rows, A, cols, lda, bias, P.data(), ld);
  P.rightCols(ld - cols).setZero();
  sigmoid_inplace(P);
}

/// Sums of the columns of the row-major rows x cols matrix M (leading dimension ld), a
/// row at a time (vector adds along the rows, in row order).
template <class T>
void column_sums_into(const T* M, index_t rows, index_t cols, index_t ld, T* out) {
  RowVecM<T> sum(out, cols);
  sum.setZero();
  for (index_t r = 0; r < rows; ++r) sum += RowVecC<T>(M + r * ld, cols);
}
template <class T>
RowVec<T> column_sums(const T* M, index_t rows, index_t cols, index_t ld) {
  RowVec<T> sum(cols);
  column_sums_into<T>(M, rows, cols, ld, sum.data());
  return sum;
}

/// Support of a block of sampled states, or false when a dense product is cheaper.
template <class T>
bool sparse_states(const RowMat<T>& M, BinarySupport& S) {
  return binary_support(M.data(), M.rows(), M.cols(), M.cols(), S) && S.density() <= kMaxBinaryDensity;
}

}  // namespace

// ---------------------------------------------------------------------------------------
template <class T>
void hidden_probs(const Model<T>& m, const T* V, index_t n_rows, T* out, int n_threads) {
  check_model(m);
  const MapC<T> W(m.W, m.n_hidden, m.n_visible);
  const RowVecC<T> c(m.c, m.n_hidden);
  const MapC<T> Vm(V, n_rows, m.n_visible);
  MapM<T> O(out, n_rows, m.n_hidden);
  parallel_chunks(n_rows, kRows, n_threads, n_rows * m.n_visible * m.n_hidden,
                  [&](index_t, index_t r0, index_t r1) {
                    RowMat<T> P;
                    hidden_block<T>(W, c, Vm.middleRows(r0, r1 - r0), P);
                    O.middleRows(r0, r1 - r0) = P;
                  });
}

template <class T>
void visible_probs(const Model<T>& m, const T* H, index_t n_rows, T* out, int n_threads) {
  check_model(m);
  const MapC<T> W(m.W, m.n_hidden, m.n_visible);
  const RowVecC<T> b(m.b, m.n_visible);
  const MapC<T> Hm(H, n_rows, m.n_hidden);
  MapM<T> O(out, n_rows, m.n_visible);
  parallel_chunks(n_rows, kRows, n_threads, n_rows * m.n_visible * m.n_hidden,
                  [&](index_t, index_t r0, index_t r1) {
                    RowMat<T> P;
                    visible_block<T>(W, b, Hm.middleRows(r0, r1 - r0), P);
                    O.middleRows(r0, r1 - r0) = P;
                  });
}

template <class T>
void sample_bernoulli(const T* p, index_t n_rows, index_t n_cols, std::uint64_t seed, T* out,
                      int n_threads) {
  if (n_cols <= 0) return;
  parallel_chunks(n_rows, kRows, n_threads, n_rows * n_cols * 8, [&](index_t, index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      Philox rng(seed, static_cast<std::uint64_t>(r));
      bernoulli_row(rng, p + r * n_cols, n_cols, out + r * n_cols);
    }
  });
}

template <class T>
void gibbs(const Model<T>& m, const T* V0, index_t n_rows, int k, std::uint64_t seed, T* out_v,
           T* out_h, int n_threads) {
  check_model(m);
  if (k < 1) throw std::invalid_argument("gibbs: the number of steps k must be at least 1");
  const MapC<T> W(m.W, m.n_hidden, m.n_visible);
  const RowVecC<T> b(m.b, m.n_visible), c(m.c, m.n_hidden);
  const MapC<T> V0m(V0, n_rows, m.n_visible);
  MapM<T> OV(out_v, n_rows, m.n_visible);
  parallel_chunks(n_rows, kRows, n_threads, n_rows * m.n_visible * m.n_hidden * k,
                  [&](index_t, index_t r0, index_t r1) {
                    auto rngs = make_streams<T>(seed, r0, r1 - r0);
                    RowMat<T> V = V0m.middleRows(r0, r1 - r0), P, H;
                    for (int step = 0; step < k; ++step) {
                      hidden_block<T>(W, c, V, P);
                      bernoulli_rows<T>(rngs, P, H);
                      visible_block<T>(W, b, H, P);
                      bernoulli_rows<T>(rngs, P, V);
                    }
                    OV.middleRows(r0, r1 - r0) = V;
                    if (out_h) MapM<T>(out_h, n_rows, m.n_hidden).middleRows(r0, r1 - r0) = H;
                  });
}

template <class T>
void gibbs_clamped(const Model<T>& m, const T* V0, const std::uint8_t* mask, index_t n_rows, int k, int burn_in,
                   bool mean_field, std::uint64_t seed, T* out_p, int n_threads) {
  check_model(m);
  if (k < 1) throw std::invalid_argument("gibbs_clamped: the number of steps must be at least 1");
  if (burn_in < 0 || burn_in >= k) throw std::invalid_argument("gibbs_clamped: burn_in must be in [0, steps)");
  const MapC<T> W(m.W, m.n_hidden, m.n_visible);
  const RowVecC<T> b(m.b, m.n_visible), c(m.c, m.n_hidden);
  const MapC<T> V0m(V0, n_rows, m.n_visible);
  MapM<T> OP(out_p, n_rows, m.n_visible);
  const T kept = static_cast<T>(k - burn_in);
  parallel_chunks(n_rows, kRows, n_threads, n_rows * m.n_visible * m.n_hidden * k,
                  [&](index_t, index_t r0, index_t r1) {
                    const index_t nr = r1 - r0;
                    auto rngs = make_streams<T>(seed, r0, nr);
                    RowMat<T> V = V0m.middleRows(r0, nr), P, H, Vs;
                    RowMat<T> known(nr, m.n_visible);  // 1 where observed
                    for (index_t r = 0; r < nr; ++r)
                      for (index_t i = 0; i < m.n_visible; ++i)
                        known(r, i) = mask[(r0 + r) * m.n_visible + i] ? T(1) : T(0);
                    const RowMat<T> fixed = known.cwiseProduct(V);  // the observed values, 0 elsewhere
                    const RowMat<T> free = RowMat<T>::Ones(nr, m.n_visible) - known;
                    RowMat<T> acc = RowMat<T>::Zero(nr, m.n_visible);
                    for (int step = 0; step < k; ++step) {
                      hidden_block<T>(W, c, V, P);
                      if (mean_field) {
                        H = P;
                      } else {
                        bernoulli_rows<T>(rngs, P, H);
                      }
                      visible_block<T>(W, b, H, P);
                      if (step >= burn_in) acc += P;
                      if (mean_field) {
                        Vs = P;
                      } else {
                        bernoulli_rows<T>(rngs, P, Vs);
                      }
                      V = fixed + free.cwiseProduct(Vs);  // the observed units stay clamped
                    }
                    OP.middleRows(r0, nr) = fixed + free.cwiseProduct(acc / kept);
                  });
}

template <class T>
void energy(const Model<T>& m, const T* V, const T* H, index_t n_rows, T* out, int n_threads) {
  check_model(m);
  const MapC<T> W(m.W, m.n_hidden, m.n_visible);
  const RowVecC<T> b(m.b, m.n_visible), c(m.c, m.n_hidden);
  const MapC<T> Vm(V, n_rows, m.n_visible), Hm(H, n_rows, m.n_hidden);
  parallel_chunks(n_rows, kRows, n_threads, n_rows * m.n_visible * m.n_hidden,
                  [&](index_t, index_t r0, index_t r1) {
                    const index_t nr = r1 - r0;
                    RowMat<T> X(nr, m.n_hidden);
                    X.noalias() = Vm.middleRows(r0, nr) * W.transpose();
                    for (index_t r = 0; r < nr; ++r) {
                      double e = 0.0;
                      for (index_t j = 0; j < m.n_hidden; ++j) {
                        e -= static_cast<double>(Hm(r0 + r, j)) * (static_cast<double>(X(r, j)) + c[j]);
                      }
                      for (index_t i = 0; i < m.n_visible; ++i) {
                        e -= static_cast<double>(Vm(r0 + r, i)) * static_cast<double>(b[i]);
                      }
                      out[r0 + r] = static_cast<T>(e);
                    }
                  });
}

template <class T>
void free_energy(const Model<T>& m, const T* V, index_t n_rows, T* out, int n_threads) {
  check_model(m);
  using Arr = Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const MapC<T> W(m.W, m.n_hidden, m.n_visible);
  const RowVecC<T> b(m.b, m.n_visible), c(m.c, m.n_hidden);
  const MapC<T> Vm(V, n_rows, m.n_visible);
  parallel_chunks(n_rows, kRows, n_threads, n_rows * m.n_visible * m.n_hidden,
                  [&](index_t, index_t r0, index_t r1) {
                    const index_t nr = r1 - r0;
                    RowMat<T> X(nr, m.n_hidden);
                    X.noalias() = Vm.middleRows(r0, nr) * W.transpose();
                    X.rowwise() += c;
                    const Arr S = softplus<T>(X.array());
                    for (index_t r = 0; r < nr; ++r) {
                      double f = 0.0;
                      for (index_t i = 0; i < m.n_visible; ++i) {
                        f -= static_cast<double>(Vm(r0 + r, i)) * static_cast<double>(b[i]);
                      }
                      for (index_t j = 0; j < m.n_hidden; ++j) f -= static_cast<double>(S(r, j));
                      out[r0 + r] = static_cast<T>(f);
                    }
                  });
}

template <class T>
void pseudo_likelihood(const Model<T>& m, const T* V, index_t n_rows, T* out, int n_threads) {
  check_model(m);
  using Arr = Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const MapC<T> W(m.W, m.n_hidden, m.n_visible);
  const RowVecC<T> c(m.c, m.n_hidden);
  const MapC<T> Vm(V, n_rows, m.n_visible);
  const RowMat<T> WT = W.transpose();  // (m x n): row i holds the weights of visible unit i
  const index_t nv = m.n_visible, nh = m.n_hidden;
  parallel_chunks(n_rows, 4, n_threads, n_rows * nv * nh * 8, [&](index_t, index_t r0, index_t r1) {
    RowMat<T> x(1, nh);
    Arr Xf(nv, nh);
    for (index_t r = r0; r < r1; ++r) {
      x.noalias() = Vm.row(r) * W.transpose();
      x += c;
      const Arr s0 = softplus<T>(x.array());
      double base = 0.0;
      for (index_t j = 0; j < nh; ++j) base += static_cast<double>(s0(0, j));
      // Xf(i, :) = x + s_i W[:, i] with s_i = 1 - 2 v_i: v_i flipped to 1 - v_i (for a bit,
      // s_i = +1 turns it on and -1 off; for a probability, scikit-learn's flip).
      for (index_t i = 0; i < nv; ++i) {
        const T s = T(1) - T(2) * Vm(r, i);
        Xf.row(i) = x.array() + s * WT.row(i).array();
      }
      const Arr Sf = softplus<T>(Xf);
      double pl = 0.0;
      for (index_t i = 0; i < nv; ++i) {
        const double s = static_cast<double>(T(1) - T(2) * Vm(r, i));
        double flipped = 0.0;
        for (index_t j = 0; j < nh; ++j) flipped += static_cast<double>(Sf(i, j));
        // F(v') - F(v) = -s b_i - (flipped - base); log P(v_i | v_-i) = -softplus(-(F(v') - F(v)))
        const double delta = -s * static_cast<double>(m.b[i]) - (flipped - base);
        pl -= softplus_scalar(-delta);
      }
      out[r] = static_cast<T>(pl);
    }
  });
}

template <class T>
void column_totals(const T* X, index_t n_rows, index_t n_cols, double* out, int n_threads) {
  if (n_rows < 0 || n_cols < 0) throw std::invalid_argument("column_totals: negative shape");
  std::fill(out, out + n_cols, 0.0);
  if (n_rows == 0 || n_cols == 0) return;
  const index_t n_chunks = (n_rows + kTotalsRows - 1) / kTotalsRows;
  std::vector<double> part(static_cast<std::size_t>(n_chunks * n_cols), 0.0);
  parallel_chunks(n_rows, kTotalsRows, n_threads, n_rows * n_cols, [&](index_t ch, index_t r0, index_t r1) {
    Eigen::Map<Eigen::RowVectorXd> sum(part.data() + ch * n_cols, n_cols);
    for (index_t r = r0; r < r1; ++r) sum += RowVecC<T>(X + r * n_cols, n_cols).template cast<double>();
  });
  Eigen::Map<Eigen::RowVectorXd> total(out, n_cols);
  for (index_t ch = 0; ch < n_chunks; ++ch) total += Eigen::Map<const Eigen::RowVectorXd>(part.data() + ch * n_cols, n_cols);
}

// ---------------------------------------------------------------------------------------
template <class T>
double log_partition(const Model<T>& m, int max_units, int n_threads) {
  check_model(m);
  const bool hidden_side = m.n_hidden <= m.n_visible;
  const index_t s = hidden_side ? m.n_hidden : m.n_visible;
  const index_t d = hidden_side ? m.n_visible : m.n_hidden;
  const int hard_limit = 40;
  if (s > max_units || s > hard_limit) {
    std::ostringstream msg;
    const double states = std::ldexp(1.0, static_cast<int>(std::min<index_t>(s, 1000)));
    msg << "exact log partition function refused: the smaller layer has " << s
        << " units, so it would enumerate 2^" << s << " = " << states << " states and cost about "
        << states * static_cast<double>(s + 1) * static_cast<double>(d)
        << " multiply-adds (limit: " << std::min(max_units, hard_limit)
        << " units); use method='ais' for an estimate";
    throw std::invalid_argument(msg.str());
  }
  // Enumerate s in {0,1}^s: log Z = logsumexp_s [a.s + sum_k softplus(d_k + (s M)_k)].
  const MapC<T> W(m.W, m.n_hidden, m.n_visible);
  RowMat<double> M;
  RowVec<double> a, dvec;
  if (hidden_side) {
    M = W.template cast<double>();
    a = RowVecC<T>(m.c, m.n_hidden).template cast<double>();
    dvec = RowVecC<T>(m.b, m.n_visible).template cast<double>();
  } else {
    M = W.transpose().template cast<double>();
    a = RowVecC<T>(m.b, m.n_visible).template cast<double>();
    dvec = RowVecC<T>(m.c, m.n_hidden).template cast<double>();
  }
  const index_t n_states = index_t(1) << s;
  const index_t block = std::min(n_states, kStateBlock);
  const index_t n_blocks = n_states / block;
  std::vector<double> bmax(static_cast<size_t>(n_blocks)), bsum(static_cast<size_t>(n_blocks));
  parallel_chunks(n_blocks, 1, n_threads, n_states * s * d, [&](index_t blk, index_t, index_t) {
    RowMat<double> S(block, s);
    for (index_t t = 0; t < block; ++t) {
      const index_t state = blk * block + t;
      for (index_t u = 0; u < s; ++u) S(t, u) = static_cast<double>((state >> u) & 1);
    }
    RowMat<double> X(block, d);
    X.noalias() = S * M;
    X.rowwise() += dvec;
    const Eigen::Array<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> SP = softplus<double>(X.array());
    Eigen::VectorXd val = S * a.transpose();
    val += SP.rowwise().sum().matrix();
    const double mx = val.maxCoeff();
    bmax[static_cast<size_t>(blk)] = mx;
    bsum[static_cast<size_t>(blk)] = (val.array() - mx).exp().sum();
  });
  const double gmax = *std::max_element(bmax.begin(), bmax.end());
  double total = 0.0;
  for (size_t i = 0; i < bmax.size(); ++i) total += bsum[i] * std::exp(bmax[i] - gmax);
  return gmax + std::log(total);
}

template <class T>
double ais(const Model<T>& m, const T* base_b, const double* betas, index_t n_betas, index_t n_runs,
           std::uint64_t seed, double* log_w, int n_threads, index_t run_offset) {
  if (run_offset < 0) throw std::invalid_argument("ais: run_offset must be non-negative");
  check_model(m);
  using Arr = Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  if (n_betas < 2) throw std::invalid_argument("ais: the schedule needs at least 2 betas (0 and 1)");
  if (n_runs < 1) throw std::invalid_argument("ais: n_runs must be at least 1");
  if (betas[0] != 0.0 || betas[n_betas - 1] != 1.0) {
    throw std::invalid_argument("ais: the schedule must start at beta = 0 and end at beta = 1");
  }
  for (index_t k = 1; k < n_betas; ++k) {
    if (!(betas[k] >= betas[k - 1])) throw std::invalid_argument("ais: betas must be non-decreasing");
  }
  const index_t nv = m.n_visible, nh = m.n_hidden;
  const MapC<T> W(m.W, nh, nv);
  const RowVecC<T> b(m.b, nv), c(m.c, nh), bA(base_b, nv);
  const RowVec<T> b_diff = b - bA;
  RowMat<T> pA(1, nv);
  pA = bA;
  sigmoid_inplace(pA);
  double log_z0 = static_cast<double>(nh) * std::log(2.0);
  for (index_t i = 0; i < nv; ++i) log_z0 += softplus_scalar(static_cast<double>(base_b[i]));

  parallel_chunks(n_runs, kTrainRows, n_threads, n_runs * nv * nh * n_betas,
                  [&](index_t, index_t r0, index_t r1) {
                    const index_t nr = r1 - r0;
                    auto rngs = make_streams<T>(seed, run_offset + r0, nr);
                    RowMat<T> V(nr, nv), X(nr, nh), P, H;
                    for (index_t r = 0; r < nr; ++r) {
                      bernoulli_row(rngs[static_cast<size_t>(r)], pA.data(), nv, V.row(r).data());
                    }
                    std::vector<double> lw(static_cast<size_t>(nr), 0.0);
                    for (index_t k = 1; k < n_betas; ++k) {
                      const T bk = static_cast<T>(betas[k]), bp = static_cast<T>(betas[k - 1]);
                      X.noalias() = V * W.transpose();
                      X.rowwise() += c;
                      const Arr Sk = softplus<T>(X.array() * bk);
                      const Arr Sp = softplus<T>(X.array() * bp);
                      const Eigen::Matrix<T, Eigen::Dynamic, 1> vb = V * b_diff.transpose();
                      const double dbeta = betas[k] - betas[k - 1];
                      for (index_t r = 0; r < nr; ++r) {
                        double acc = dbeta * static_cast<double>(vb[r]);
                        for (index_t j = 0; j < nh; ++j) {
                          acc += static_cast<double>(Sk(r, j)) - static_cast<double>(Sp(r, j));
                        }
                        lw[static_cast<size_t>(r)] += acc;
                      }
                      if (k == n_betas - 1) break;
                      // One Gibbs transition that leaves the beta_k model invariant.
                      P = X * bk;
                      sigmoid_inplace(P);
                      bernoulli_rows<T>(rngs, P, H);
                      P.resize(nr, nv);
                      P.noalias() = H * W;
                      P *= bk;
                      P.rowwise() += bk * b + (T(1) - bk) * bA;
                      sigmoid_inplace(P);
                      bernoulli_rows<T>(rngs, P, V);
                    }
                    for (index_t r = 0; r < nr; ++r) log_w[r0 + r] = lw[static_cast<size_t>(r)];
                  });
  return log_z0;
}

/// What the weight update of one minibatch needs besides the gradient.
template <class T>
struct UpdateArgs {
  T* W;    ///< (n_hidden x ldw)
  T* vel;  ///< (n_hidden x ldw)
  T* WT;   ///< (n_visible x ldwt)
  index_t ldw, ldwt;
  const T* pen;        ///< per hidden unit: the sparsity penalty (unused without a target)
  const T* mean_vpos;  ///< per visible unit: the data's mean
  bool sparse, keep_vel;
  T lr, mom, wd;
};

#if defined(INFOGEN_HAS_SIMD_TILE)
/// The weight update of one L x L tile (L = SimdTile<T>::kLanes) of hidden units j0.. and
/// visible units i0..: the scalar loop's arithmetic (gradient, sparsity penalty, decay,
/// momentum, step), one register per hidden unit's row of W, then the new weights
/// transposed in registers into W^T. `g` points at the tile's gradient: rows of visible
/// units in G^T (g_by_visible) or of hidden units in G, `ldg` apart. With momentum 0 the
/// step is lr * grad, added in one FMA; the velocity is not read, and is written (as the
/// step) only with `keep_vel`.
template <class T>
void update_tile(const UpdateArgs<T>& a, const T* g, index_t ldg, bool g_by_visible, index_t j0, index_t i0) {
  using S = SimdTile<T>;
  constexpr int L = S::kLanes;
  typename S::V r[L];
  for (int k = 0; k < L; ++k) r[k] = S::load(g + k * ldg);
  if (g_by_visible) S::transpose(r);  // now r[b]: hidden unit j0 + b
  const auto vm = S::set1(a.mom), vl = S::set1(a.lr), vd = S::set1(a.wd);
  const auto mv = a.sparse ? S::load(a.mean_vpos + i0) : S::set1(T(0));
  for (int b = 0; b < L; ++b) {
    T* w = a.W + (j0 + b) * a.ldw + i0;
    T* v = a.vel + (j0 + b) * a.ldw + i0;
    auto grad = r[b];
    if (a.sparse) grad = S::fmadd(S::set1(a.pen[j0 + b]), mv, grad);
    const auto wv = S::load(w);
    grad = S::fnmadd(vd, wv, grad);
    if (a.mom == T(0)) {
      r[b] = S::fmadd(vl, grad, wv);  // w + lr * grad, rounded once
      if (a.keep_vel) S::store(v, S::mul(vl, grad));
    } else {
      const auto step = S::fmadd(vm, S::load(v), S::mul(vl, grad));
      S::store(v, step);
      r[b] = S::add(wv, step);
    }
    S::store(w, r[b]);
  }
  S::transpose(r);  // r[a]: visible unit i0 + a
  for (int k = 0; k < L; ++k) S::store(a.WT + (i0 + k) * a.ldwt + j0, r[k]);
}
#endif

/// The update of the weights of hidden units [j0, j1) x visible units [i0, i1), given their
/// gradient: rows of G^T (`by_visible`, g(j, i) = g[(i - i0) * ldg + j - j0]) or of G
/// (g[(j - j0) * ldg + i - i0]). One pass per weight (gradient, sparsity penalty, decay,
/// momentum, step) that also writes W^T, in square tiles so the transposed accesses stay
/// in a few cache lines (whole columns at a power-of-two stride would thrash a cache set).
template <class T>
void update_block(const UpdateArgs<T>& a, const T* g, index_t ldg, bool by_visible, index_t j0, index_t j1,
                  index_t i0, index_t i1) {
  const auto at = [&](index_t j, index_t i) {
    return by_visible ? g + (i - i0) * ldg + (j - j0) : g + (j - j0) * ldg + (i - i0);
  };
  for (index_t jt = j0; jt < j1; jt += kGradTile) {
    const index_t jn = std::min(kGradTile, j1 - jt);
    for (index_t it = i0; it < i1; it += kGradTile) {
      const index_t in = std::min(kGradTile, i1 - it);
#if defined(INFOGEN_HAS_SIMD_TILE)
      // Whole tiles a register per row, transposed in registers: vector loads and stores
      // throughout (the loop below is scalar: one side of it is strided).
      constexpr index_t L = SimdTile<T>::kLanes;
      if (jn % L == 0 && in % L == 0) {
        for (index_t jj = jt; jj < jt + jn; jj += L) {
          for (index_t ii = it; ii < it + in; ii += L) {
            update_tile<T>(a, at(jj, ii), ldg, by_visible, jj, ii);
          }
        }
        continue;
      }
#endif
      for (index_t j = jt; j < jt + jn; ++j) {
        T* w = a.W + j * a.ldw;
        T* vel = a.vel + j * a.ldw;
        const T p = a.pen[j];
        for (index_t i = it; i < it + in; ++i) {
          T gi = *at(j, i);
          if (a.sparse) gi += p * a.mean_vpos[i];
          gi -= a.wd * w[i];
          if (a.mom == T(0)) {  // as in update_tile (the velocity is always kept here: edge tiles only)
            w[i] = std::fma(a.lr, gi, w[i]);
            vel[i] = a.lr * gi;
          } else {
            vel[i] = a.mom * vel[i] + a.lr * gi;
            w[i] += vel[i];
          }
          a.WT[i * a.ldwt + j] = w[i];
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
#ifdef INFOGEN_HAS_OPENMP
#define INFOGEN_OMP_BARRIER _Pragma("omp barrier")
#else
#define INFOGEN_OMP_BARRIER
#endif

template <class T>
index_t cd_train(TrainState<T>& s, const T* X, index_t n_rows, const std::int64_t* order,
                 const TrainOptions& opt, std::uint64_t seed, int n_threads) {
  const index_t nv = s.n_visible, nh = s.n_hidden, bs = opt.batch_size;
  if (nv <= 0 || nh <= 0) throw std::invalid_argument("an RBM needs at least one visible and one hidden unit");
  if (bs <= 0) throw std::invalid_argument("batch_size must be positive");
  if (opt.k < 1) throw std::invalid_argument("k (Gibbs steps) must be at least 1");
  if (opt.persistent && s.n_chain <= 0) throw std::invalid_argument("persistent CD needs a chain with rows");
  if (order) {
    for (index_t r = 0; r < n_rows; ++r) {
      if (order[r] < 0 || order[r] >= n_rows) {
        throw std::out_of_range("cd_train: order holds an index outside [0, n_rows)");
      }
    }
  }
  // W, its velocity and W^T are trained in copies of our own, 64-byte aligned and with
  // rows padded to whole cache lines, and W and its velocity are copied back at the end.
  // (NumPy's buffers start 16 bytes into a cache line: every 512-bit load of their rows
  // would straddle two lines, which costs a second load.)
  const index_t ldw = padded<T>(nv), ldh = padded<T>(nh);
  RowMat<T> Wbuf = padded_copy(s.W, nh, nv, ldw), Velbuf = padded_copy(s.vel_W, nh, nv, ldw);
  const MapCS<T> Wc(Wbuf.data(), nh, nv, Eigen::OuterStride<>(ldw));
  // The biases too, padded with zeros like the rows of W and W^T: the products run over
  // the padded widths, whole vectors with no scalar tail (the padding's values are never
  // used).
  RowMat<T> Bbuf = padded_copy(s.b, 1, nv, ldw), Cbuf = padded_copy(s.c, 1, nh, ldh);
  const RowVecC<T> cc(Cbuf.data(), nh), bc(Bbuf.data(), nv);
  RowVecM<T> bm(Bbuf.data(), nv), cm(Cbuf.data(), nh), vel_b(s.vel_b, nv), vel_c(s.vel_c, nh), q(s.q, nh);
  const T lr = static_cast<T>(opt.learning_rate), mom = static_cast<T>(opt.momentum),
          wd = static_cast<T>(opt.weight_decay);
  const bool sparse = opt.sparsity_target >= 0.0 && opt.sparsity_cost > 0.0;

  RowMat<T> Vpos(bs, nv);
  const index_t n_chain = opt.persistent ? s.n_chain : bs;
  // SP = [Pp / B; -Pn / nc]: the phases write their hidden probabilities there, scaled,
  // for the gradient's one product (the hidden means are its columns' sums). SV = [Vp; Vn]
  // only for a dense gradient.
  RowMat<T> Hchain(n_chain, nh), Vneg(n_chain, nv);
  // (SP's padding columns stay finite, so the positive phase can apply the sigmoid to whole
  // padded rows: one contiguous block, every element through the same vector code.)
  RowMat<T> SP = RowMat<T>::Zero(bs + n_chain, ldh), SV;
  if (opt.persistent) Hchain = MapC<T>(s.chain, n_chain, nh);
  // W^T, for products of visible states with the weights through their support; kept in
  // step with W by the update below.
  RowMat<T> WT(nv, ldh);
  WT.leftCols(nh) = Wc.transpose();
  WT.rightCols(ldh - nh).setZero();

  // Chunk sizes depend only on the problem's shape. A chunk of rows re-packs W for each of
  // its products, and a chunk of hidden units re-packs the minibatch, so chunks stay large
  // enough (a quarter of the batch, an eighth of the hidden units) to keep that copying
  // small next to the multiply-adds, and numerous enough to balance two threads.
  // A minibatch too small to go parallel is done on one thread, in one chunk: fewer, larger
  // products, and no waking of the OpenMP team (which costs more than such a minibatch).
  const bool small = bs * nv * nh / kTrainWorkDivisor < kSerialWorkThreshold;
  const int team = small ? 1 : n_threads;  // the threads of the training's parallel phases
  const index_t row_chunk = small ? bs : std::max<index_t>(kTrainRows, (bs + 3) / 4);
  // The chain's chunks are halves: each reads all of W and W^T, which is what its products
  // spend most of their time on; the positive phase's blocks balance the threads.
  const index_t chain_chunk = small ? std::max(bs, n_chain) : std::max<index_t>(kTrainRows, (n_chain + 1) / 2);
  // (whole numbers of the weight update's tiles: a chunk's last tile is whole too)
  const index_t unit_chunk =
      small ? nh : std::max<index_t>(kGradUnits, ((nh + 7) / 8 + kGradTile - 1) / kGradTile * kGradTile);
  const index_t visible_chunk =
      small ? nv : std::max<index_t>(kGradTile, ((nv + 15) / 16 + kGradTile - 1) / kGradTile * kGradTile);
  const index_t n_batches = (n_rows + bs - 1) / bs;
  // Buffers kept across minibatches (large ones would otherwise be mapped and zeroed by
  // the kernel for every minibatch): one workspace per chunk of rows, and G^T.
  struct Workspace {
    RowMat<T> H, P, V;  // the chain's
    RowMat<T> Q;        // the positive phase's, for a dense product
    BinarySupport S;
  };
  std::vector<Workspace> work(static_cast<std::size_t>(
      (std::max(bs, n_chain) + std::min(row_chunk, chain_chunk) - 1) / std::min(row_chunk, chain_chunk)));
  RowMat<T> GT;
  RowVec<T> pen = RowVec<T>::Zero(nh);
  // A minibatch's rows of X. Binary data is used through its support, scanned straight
  // from X (the rows are copied only for a dense product, for non-binary or dense data).
  // The next minibatch's support is scanned during this one's weight update, which it does
  // not depend on.
  const auto batch_row = [&](index_t t, index_t r) {
    const index_t i = t * bs + r;
    return X + (order ? order[i] : i) * nv;
  };
  const auto scan = [&](index_t t, BinarySupport& sup) {
    sup.rows = 0;
    return append_binary_support_rows<T>([&](index_t r) { return batch_row(t, r); }, std::min(bs, n_rows - t * bs),
                                         nv, sup);
  };
  RowVec<T> mean_vpos(nv);  // the minibatch's data's means
  BinarySupport s_pos;  // the minibatch's, then with the chain's rows appended
  BinarySupport s_next;
  bool next_binary = scan(0, s_next);
  // The biases' steps for hidden units [j0, j1) and visible units [i0, i1), given the
  // phases' means at those units (mean_ppos[j - j0], ...); the hidden units' sparsity
  // penalties for the weights too.
  const T decay = static_cast<T>(opt.sparsity_decay);
  const auto hidden_biases = [&](index_t j0, index_t j1, const T* mean_ppos, const T* mean_pneg) {
    for (index_t j = j0; j < j1; ++j) {
      const T pos = mean_ppos[j - j0];
      T gc = pos - mean_pneg[j - j0];
      if (sparse) {
        q[j] = decay * q[j] + (T(1) - decay) * pos;
        pen[j] = static_cast<T>(opt.sparsity_cost) * (static_cast<T>(opt.sparsity_target) - q[j]);
        gc += pen[j];
      }
      vel_c[j] = mom * vel_c[j] + lr * gc;
      cm[j] += vel_c[j];
    }
  };
  const auto visible_biases = [&](index_t i0, index_t i1, const T* mean_vpos, const T* mean_vneg) {
    auto v = vel_b.segment(i0, i1 - i0);  // (as vectors: the whole-layer call rounds as it always has)
    v = mom * v + lr * (RowVecC<T>(mean_vpos, i1 - i0) - RowVecC<T>(mean_vneg, i1 - i0));
    bm.segment(i0, i1 - i0) += v;
  };

  // Training by parts: a persistent chain and minibatches of binary data (through their
  // support) large enough to go parallel. The hidden units are cut into fixed parts, and a
  // thread owns the same parts in every phase: the positive phase, the chain's hidden
  // units, its visible units' partial sums over the part's hidden units, and the
  // gradient and update of the part's weights (its rows of W, its columns of W^T). So each
  // weight is read and written by one core only, and stays in that core's caches; with
  // the chain in halves of rows, both cores read all of W and W^T every minibatch, half of
  // it just written by the other core. The visible units' partial sums are added in part
  // order, by fixed ranges of visible units, between two barriers. The parts depend on
  // the shape only, never on the thread count or the machine's processors: the same seed
  // gives the same numbers with 1 or 2 threads (1 thread does every part in turn), under
  // any affinity mask and on any machine.
  const auto cut = [](index_t n, index_t parts) {
    return ((n + parts - 1) / parts + kPartAlign - 1) / kPartAlign * kPartAlign;
  };
  const index_t max_parts = std::clamp<index_t>(kParts, 1, std::max<index_t>(1, nh / kMinPartUnits));
  const index_t part_w = cut(ldh, max_parts), range_w = cut(ldw, max_parts);
  const index_t n_parts = (ldh + part_w - 1) / part_w, n_ranges = (ldw + range_w - 1) / range_w;
  const bool by_parts = opt.persistent && !small && n_parts > 1;
  struct PartWork {
    BinarySupport sh, sv, ssv, ssvt;  // the part's hidden states; the chain's visible; [data; chain] and transposed
    RowMat<T> X, P, G;                // a range's visible sums; the part's hidden probabilities; its gradient block
    RowVec<T> m1, m2;                 // means over a part or a range
  };
  std::vector<PartWork> part_work;
  std::vector<RowMat<T>> part_sums;  // per part: its hidden units' sums of W's rows, per chain row
  RowMat<T> Vp;                      // the chain's visible states (padded rows)
  if (by_parts) {
    const int threads = static_cast<int>(std::min<index_t>(resolve_threads(team), n_parts));
    part_work.resize(static_cast<std::size_t>(threads));
    // Sized up front: inside the region only transpose_support allocates (a counter per
    // visible unit).
    for (PartWork& w : part_work) {
      w.sh.index.resize(static_cast<std::size_t>(n_chain * part_w + 16));
      w.sh.start.reserve(static_cast<std::size_t>(n_chain + 1));
      w.sv.index.resize(static_cast<std::size_t>(n_chain * nv + 16));
      w.sv.start.reserve(static_cast<std::size_t>(n_chain + 1));
      w.ssv.index.resize(static_cast<std::size_t>((bs + n_chain) * nv + 16));
      w.ssv.start.reserve(static_cast<std::size_t>(bs + n_chain + 1));
      w.ssvt.index.reserve(static_cast<std::size_t>((bs + n_chain) * nv));
      w.ssvt.start.reserve(static_cast<std::size_t>(nv + 1));
      w.X.resize(n_chain, range_w);
      w.P.resize(n_chain, part_w);
      w.G.resize(visible_chunk, part_w);
      w.m1.resize(std::max(part_w, range_w));
      w.m2.resize(std::max(part_w, range_w));
    }
    for (BinarySupport* sup : {&s_pos, &s_next}) {  // (the next minibatch's is scanned inside the region)
      sup->index.resize(std::max(sup->index.size(), static_cast<std::size_t>((bs + n_chain) * nv + 16)));
      sup->start.reserve(static_cast<std::size_t>(bs + n_chain + 1));
    }
    part_sums.assign(static_cast<std::size_t>(n_parts), RowMat<T>(n_chain, ldw));
    Vp = RowMat<T>::Zero(n_chain, ldw);
  }
  // One minibatch by parts (its data's support in s_pos, binary; their means in
  // args.mean_vpos). Returns whether the next
  // minibatch's data (scanned inside the region by the first thread done) is binary.
  const auto minibatch_by_parts = [&](index_t t, index_t B, std::uint64_t seed_t, const UpdateArgs<T>& args,
                                      bool scan_next) {
    const index_t nc = n_chain;
    const T inv_pos = T(1) / static_cast<T>(B), inv_neg = T(1) / static_cast<T>(nc);
    bool binary_next = true;
    std::atomic<bool> scan_taken{false};
    const int threads = static_cast<int>(part_work.size());
#ifdef INFOGEN_HAS_OPENMP
#pragma omp parallel num_threads(threads) if (threads > 1)
#endif
    {
#ifdef INFOGEN_HAS_OPENMP
      const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
#else
      const int tid = 0, nth = 1;
#endif
      PartWork& w = part_work[static_cast<std::size_t>(tid)];
      const auto part = [&](index_t p, index_t& h0, index_t& h1, index_t& hn) {
        h0 = p * part_w;
        h1 = std::min(ldh, h0 + part_w);
        hn = std::max<index_t>(0, std::min(h1, nh) - h0);  // the part's real hidden units (the rest is padding)
      };
      for (int step = 0; step < opt.k; ++step) {
        const auto st = static_cast<std::uint64_t>(step);
        const std::uint64_t seed_v = splitmix64(seed_t ^ (0x10ULL + 2 * st));
        const std::uint64_t seed_h = splitmix64(seed_t ^ (0x11ULL + 2 * st));
        const bool last = step == opt.k - 1;
        // 1. The chain's visible units' sums over the part's hidden units.
        for (index_t p = tid; p < n_parts; p += nth) {
          index_t h0, h1, hn;
          part(p, h0, h1, hn);
          w.sh.rows = 0;
          append_binary_support(Hchain.data() + h0, nc, hn, nh, w.sh);
          binary_matmul_rows<T>(w.sh, 0, nc, Wbuf.data() + h0 * ldw, ldw, ldw, nullptr,
                                part_sums[static_cast<std::size_t>(p)].data(), ldw);
        }
        INFOGEN_OMP_BARRIER
        // 2. The visible units, by ranges: bias plus the parts' sums in part order, sampled.
        for (index_t q = tid; q < n_ranges; q += nth) {
          const index_t v0 = q * range_w, v1 = std::min(ldw, v0 + range_w);
          const index_t vn = std::max<index_t>(0, std::min(v1, nv) - v0);
          auto X = w.X.block(0, 0, nc, v1 - v0);
          X = part_sums[0].block(0, v0, nc, v1 - v0).rowwise() + Bbuf.row(0).segment(v0, v1 - v0);
          for (index_t p = 1; p < n_parts; ++p) X += part_sums[static_cast<std::size_t>(p)].block(0, v0, nc, v1 - v0);
          sigmoid_inplace(X);
          for (index_t r = 0; r < nc; ++r) {
            Philox rng(seed_v, static_cast<std::uint64_t>(r * n_ranges + q));
            bernoulli_row(rng, w.X.row(r).data(), vn, Vp.row(r).data() + v0);
          }
        }
        INFOGEN_OMP_BARRIER
        // 3. The chain's hidden units of the part, from all of its visible states. At the
        // last step the minibatch's rows come first in the same product (the positive
        // phase: each block of the part's columns of W^T is read once for both), straight
        // into SP: S = [data; chain], the gradient's support too.
        BinarySupport& S = last ? w.ssv : w.sv;
        if (last) {
          S.rows = s_pos.rows;
          S.cols = s_pos.cols;
          S.start.assign(s_pos.start.begin(), s_pos.start.end());
          std::copy(s_pos.index.begin(), s_pos.index.begin() + s_pos.nnz(), S.index.begin());
        } else {
          S.rows = 0;
        }
        append_binary_support(Vp.data(), nc, nv, ldw, S);
        const index_t first = last ? B : 0;  // the chain's first row in the product
        for (index_t p = tid; p < n_parts; p += nth) {
          index_t h0, h1, hn;
          part(p, h0, h1, hn);
          T* out = last ? SP.data() + h0 : w.P.data();
          const index_t ld = last ? ldh : part_w;
          binary_matmul_rows<T>(S, 0, S.rows, WT.data() + h0, h1 - h0, ldh, Cbuf.data() + h0, out, ld);
          Eigen::Map<RowMat<T>, 0, Eigen::OuterStride<>> P(out, S.rows, h1 - h0, Eigen::OuterStride<>(ld));
          sigmoid_inplace(P);
          for (index_t r = 0; r < nc; ++r) {
            Philox rng(seed_h, static_cast<std::uint64_t>(r * n_parts + p));
            bernoulli_row(rng, out + (first + r) * ld, hn, Hchain.row(r).data() + h0);
          }
          if (last) {  // SP = [P_data / B; -P_chain / nc]
            P.topRows(B) *= inv_pos;
            P.bottomRows(nc) *= -inv_neg;
          }
        }
      }
      // 4. The gradient and update of the parts' weights, through [data; chain]'s support
      // by visible unit.
      transpose_support(w.ssv, w.ssvt);
      for (index_t p = tid; p < n_parts; p += nth) {
        index_t h0, h1, hn;
        part(p, h0, h1, hn);
        column_sums_into<T>(SP.data() + h0, B, hn, ldh, w.m1.data());  // (SP is scaled: these are the means)
        column_sums_into<T>(SP.data() + B * ldh + h0, nc, hn, ldh, w.m2.data());
        w.m2.head(hn) *= T(-1);
        hidden_biases(h0, h0 + hn, w.m1.data(), w.m2.data());
        for (index_t i0 = 0; i0 < nv; i0 += visible_chunk) {
          const index_t i1 = std::min(nv, i0 + visible_chunk);
          binary_matmul_rows<T>(w.ssvt, i0, i1, SP.data() + h0, h1 - h0, ldh, nullptr, w.G.data(), part_w);
          update_block<T>(args, w.G.data(), part_w, true, h0, h0 + hn, i0, i1);
        }
      }
      for (index_t q = tid; q < n_ranges; q += nth) {
        const index_t v0 = q * range_w, vn = std::max<index_t>(0, std::min(v0 + range_w, nv) - v0);
        column_sums_into<T>(Vp.data() + v0, nc, vn, ldw, w.m1.data());
        w.m1.head(vn) *= inv_neg;
        visible_biases(v0, v0 + vn, args.mean_vpos + v0, w.m1.data());
      }
      // The next minibatch's scan: by the first thread done (the result does not depend on which).
      if (scan_next && !scan_taken.exchange(true)) binary_next = scan(t + 1, s_next);
    }
    return binary_next;
  };
  for (index_t t = 0; t < n_batches; ++t) {
    const index_t first = t * bs, B = std::min(bs, n_rows - first);
    const std::uint64_t seed_t = splitmix64(seed + static_cast<std::uint64_t>(t));
    const std::uint64_t seed_pos = splitmix64(seed_t ^ 0x1ULL), seed_neg = splitmix64(seed_t ^ 0x2ULL);
    bool gathered = false;
    const auto gather = [&] {
      if (gathered) return;
      for (index_t r = 0; r < B; ++r) Vpos.row(r) = RowVecC<T>(batch_row(t, r), nv);
      gathered = true;
    };
    const index_t nc = opt.persistent ? n_chain : B;
    const T inv_pos = T(1) / static_cast<T>(B), inv_neg = T(1) / static_cast<T>(nc);
    // This minibatch's support, scanned ahead. Binary data (and the chain's states, always
    // binary) multiply the weights through their support.
    std::swap(s_pos, s_next);
    const bool pos_binary = next_binary;
    bool scanned_next = t + 1 == n_batches;
    const bool pos_sparse = pos_binary && s_pos.density() <= kMaxBinaryDensity;
    if (!pos_sparse) gather();
    // The data's means over the minibatch (binary: the columns' sums are the counts of
    // their ones, exact).
    if (gathered) {
      mean_vpos = column_sums<T>(Vpos.data(), B, nv, nv);
    } else {
      mean_vpos.setZero();
      for (index_t k = 0; k < s_pos.nnz(); ++k) mean_vpos[s_pos.index[static_cast<std::size_t>(k)]] += T(1);
    }
    mean_vpos *= inv_pos;
    // The weights' update: each weight is computed by exactly one thread, summing over the
    // batch in a fixed order. With momentum 0 a weight's velocity is only its last step: it
    // is written by the call's last minibatch alone, which saves a third of the update's
    // memory traffic.
    const bool keep_vel = mom != T(0) || t == n_batches - 1;
    const UpdateArgs<T> args{Wbuf.data(), Velbuf.data(), WT.data(), ldw,      ldh, pen.data(), mean_vpos.data(),
                             sparse,      keep_vel,      lr,        mom,      wd};
    if (by_parts && pos_sparse) {
      next_binary = minibatch_by_parts(t, B, seed_t, args, !scanned_next);
      continue;
    }
    // The positive phase: P(h | data), scaled by 1/B, into SP's first B rows. Through the
    // support it goes in blocks of hidden units over the whole minibatch: each thread reads
    // only its blocks' columns of W^T, once (chunks of rows would each read all of W^T,
    // which is larger than a core's L2 cache in float64). The blocks cover the padded
    // width, so the sigmoid is applied to whole vectors. A dense product goes by rows.
    const index_t n_pos_items =
        pos_sparse ? (ldh + kPhaseCols<T> - 1) / kPhaseCols<T> : (B + row_chunk - 1) / row_chunk;
    const auto positive_item = [&](index_t c) {
      if (pos_sparse) {
        const index_t j0 = c * kPhaseCols<T>, j1 = std::min(ldh, j0 + kPhaseCols<T>);
        binary_matmul_rows<T>(s_pos, 0, B, WT.data() + j0, j1 - j0, ldh, Cbuf.data() + j0, SP.data() + j0, ldh);
        auto P = SP.block(0, j0, B, j1 - j0);  // written in place: no buffer per minibatch
        sigmoid_inplace(P);
        if (opt.persistent) P *= inv_pos;  // (CD-k samples its chain's start from P first)
      } else {
        const index_t r0 = c * row_chunk, r1 = std::min(B, r0 + row_chunk);
        RowMat<T>& buf = work[static_cast<std::size_t>(c)].Q;
        hidden_block<T>(Wc, cc, Vpos.middleRows(r0, r1 - r0), buf);
        SP.block(r0, 0, r1 - r0, nh) = buf;
        if (opt.persistent) SP.middleRows(r0, r1 - r0) *= inv_pos;
      }
    };
    // The negative phase: k steps of block Gibbs sampling on rows of the chain.
    const index_t n_chain_items = (nc + chain_chunk - 1) / chain_chunk;
    const auto chain_item = [&](index_t c) {
      const index_t r0 = c * chain_chunk, r1 = std::min(nc, r0 + chain_chunk), nr = r1 - r0;
      auto rngs = make_streams<T>(seed_neg, r0, nr);
      Workspace& ws = work[static_cast<std::size_t>(c)];  // kept across minibatches: no page faults
      RowMat<T>& H = ws.H;
      RowMat<T>& P = ws.P;
      RowMat<T>& V = ws.V;
      BinarySupport& S = ws.S;
      H = Hchain.middleRows(r0, nr);
      for (int step = 0; step < opt.k; ++step) {
        if (sparse_states(H, S)) {
          binary_block<T>(S, Wbuf.data(), ldw, ldw, Bbuf.data(), P);  // (padded width)
        } else {
          visible_block<T>(Wc, bc, H, P);
        }
        bernoulli_rows<T>(rngs, P, V, nv);
        if (sparse_states(V, S)) {
          binary_block<T>(S, WT.data(), ldh, ldh, Cbuf.data(), P);  // (padded width)
        } else {
          hidden_block<T>(Wc, cc, V, P);
        }
        bernoulli_rows<T>(rngs, P, H, nh);
      }
      Vneg.middleRows(r0, nr) = V;
      SP.block(B + r0, 0, nr, nh) = P.leftCols(nh) * (-inv_neg);
      Hchain.middleRows(r0, nr) = H;
    };
    const index_t pos_work = B * nv * nh / kTrainWorkDivisor;
    const index_t chain_work = nc * nv * nh * 2 * opt.k / kTrainWorkDivisor;
    if (opt.persistent) {
      // A persistent chain does not depend on this minibatch's data: both phases share one
      // parallel region (waking a sleeping team costs more than a small phase), the chain's
      // larger chunks first.
      parallel_chunks(n_chain_items + n_pos_items, 1, team, pos_work + chain_work,
                      [&](index_t c, index_t, index_t) {
                        if (c < n_chain_items) {
                          chain_item(c);
                        } else {
                          positive_item(c - n_chain_items);
                        }
                      });
    } else {
      parallel_chunks(n_pos_items, 1, team, pos_work, [&](index_t c, index_t, index_t) { positive_item(c); });
      // CD-k's chain starts at h0 ~ P(h | data).
      parallel_chunks(B, row_chunk, team, pos_work, [&](index_t, index_t r0, index_t r1) {
        for (index_t r = r0; r < r1; ++r) {
          Philox rng(seed_pos, static_cast<std::uint64_t>(r));
          bernoulli_row(rng, SP.row(r).data(), nh, Hchain.row(r).data());
        }
        SP.middleRows(r0, r1 - r0) *= inv_pos;
      });
      parallel_chunks(n_chain_items, 1, team, chain_work, [&](index_t c, index_t, index_t) { chain_item(c); });
    }
    const RowVec<T> mean_vneg = column_sums<T>(Vneg.data(), nc, nv, nv) * inv_neg;
    const RowVec<T> mean_ppos = column_sums<T>(SP.data(), B, nh, ldh);
    const RowVec<T> mean_pneg = -column_sums<T>(SP.data() + B * ldh, nc, nh, ldh);
    // Both gradient terms as one product: G = [Pp / B; -Pn / nc]^T [Vp; Vn] = SP^T SV.
    // With binary [Vp; Vn], G^T = [Vp; Vn]^T SP is a product with a 0/1 matrix: row i of
    // G^T sums the rows of SP whose visible unit i is on (parallel over visible units).
    // The support of [Vp; Vn] is the data's, already scanned, plus the chain's rows.
    BinarySupport& s_sv = s_pos;
    BinarySupport s_svt;
    const bool grad_sparse = pos_binary && append_binary_support(Vneg.data(), nc, nv, nv, s_sv) &&
                             s_sv.density() <= kMaxBinaryDensity;
    // The hidden biases, and each hidden unit's sparsity penalty for the weights.
    hidden_biases(0, nh, mean_ppos.data(), mean_pneg.data());
    const index_t update_work = (B + nc) * nv * nh / kTrainWorkDivisor;
    if (grad_sparse) {
      // Gradient and update together, a block of visible units at a time: the block's rows
      // of G^T are updated from while they are still in cache.
      transpose_support(s_sv, s_svt);
      GT.resize(nv, ldh);  // a no-op after the first minibatch
      const index_t n_blocks = (nv + visible_chunk - 1) / visible_chunk;
      const index_t first_block = scanned_next ? 0 : 1;  // item 0: the next minibatch's scan
      parallel_chunks(n_blocks + first_block, 1, team, update_work, [&](index_t c, index_t, index_t) {
        if (c < first_block) {
          next_binary = scan(t + 1, s_next);
          return;
        }
        const index_t i0 = (c - first_block) * visible_chunk, i1 = std::min(nv, i0 + visible_chunk);
        T* g = GT.data() + i0 * ldh;
        binary_matmul_rows<T>(s_svt, i0, i1, SP.data(), ldh, ldh, nullptr, g, ldh);  // (padded width)
        update_block<T>(args, g, ldh, true, 0, nh, i0, i1);
      });
      scanned_next = true;
    } else {
      gather();
      SV.resize(B + nc, nv);
      SV.topRows(B) = Vpos.topRows(B);
      SV.middleRows(B, nc) = Vneg.topRows(nc);
      parallel_chunks(nh, unit_chunk, team, update_work, [&](index_t, index_t j0, index_t j1) {
        RowMat<T> G(j1 - j0, nv);
        G.noalias() = SP.block(0, j0, B + nc, j1 - j0).transpose() * SV.topRows(B + nc);
        update_block<T>(args, G.data(), nv, false, j0, j1, 0, nv);
      });
    }
    if (!scanned_next) next_binary = scan(t + 1, s_next);
    visible_biases(0, nv, mean_vpos.data(), mean_vneg.data());
  }
  if (opt.persistent) MapM<T>(s.chain, n_chain, nh) = Hchain;
  MapM<T>(s.W, nh, nv) = Wbuf.leftCols(nv);
  RowVecM<T>(s.b, nv) = Bbuf.leftCols(nv);
  RowVecM<T>(s.c, nh) = Cbuf.leftCols(nh);
  MapM<T>(s.vel_W, nh, nv) = Velbuf.leftCols(nv);
  return n_batches;
}

#define INFOGEN_RBM_INSTANTIATE(T)                                                                  \
  template void hidden_probs<T>(const Model<T>&, const T*, index_t, T*, int);                     \
  template void visible_probs<T>(const Model<T>&, const T*, index_t, T*, int);                    \
  template void sample_bernoulli<T>(const T*, index_t, index_t, std::uint64_t, T*, int);          \
  template void gibbs<T>(const Model<T>&, const T*, index_t, int, std::uint64_t, T*, T*, int);    \
  template void gibbs_clamped<T>(const Model<T>&, const T*, const std::uint8_t*, index_t, int, int, bool, \
                                 std::uint64_t, T*, int);                                          \
  template void energy<T>(const Model<T>&, const T*, const T*, index_t, T*, int);                 \
  template void free_energy<T>(const Model<T>&, const T*, index_t, T*, int);                      \
  template void pseudo_likelihood<T>(const Model<T>&, const T*, index_t, T*, int);                \
  template void column_totals<T>(const T*, index_t, index_t, double*, int);                       \
  template double log_partition<T>(const Model<T>&, int, int);                                    \
  template double ais<T>(const Model<T>&, const T*, const double*, index_t, index_t, std::uint64_t, \
                         double*, int, index_t);                                                   \
  template index_t cd_train<T>(TrainState<T>&, const T*, index_t, const std::int64_t*,            \
                               const TrainOptions&, std::uint64_t, int);

INFOGEN_RBM_INSTANTIATE(float)
INFOGEN_RBM_INSTANTIATE(double)

}  // namespace infogen::rbm
