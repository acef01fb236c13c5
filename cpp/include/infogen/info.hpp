// Batched information measures over the rows of a row-major (n_rows x n_cols) array.
//
// Every function is templated on the scalar (float or double), parallel across rows with
// OpenMP (deterministic: one thread per row, rows in fixed chunks), and accumulates in
// double. Conventions: natural log; results are multiplied by `scale` (1/ln(base)) to
// change units; 0 log 0 = 0; p > 0 where q = 0 gives +inf; an all -inf row has
// logsumexp -inf. No Python here: the caller validates, these kernels only recheck shapes.
#pragma once

#include <cstdint>

#include "infogen/common.hpp"

namespace infogen::info {

/// How an input array encodes a distribution along its last axis.
enum class Input : int {
  probs = 0,      ///< probabilities, each row sums to 1
  log_probs = 1,  ///< natural-log probabilities, each row log-sums-exp to 0
  logits = 2,     ///< unnormalised log-probabilities; normalised by the row's logsumexp
};

/// Reduction of an elementwise loss over the last axis.
enum class Reduction : int { none = 0, sum = 1, mean = 2 };

/// A distribution argument: row-major data plus its encoding.
template <class T>
struct Dist {
  const T* data;
  Input input;
};

// --- log-sum-exp family --------------------------------------------------------------
/// out[r] = log |sum_j w[r,j] exp(x[r,j])|; `w` may be null (all ones) and its entries
/// may have any sign (zero-weight entries are left out, whatever x holds there). The sum
/// is taken as x_k + log|w_k| + log1p(t) around the largest weighted entry x_k, with x_k
/// left out of t, so small tails are exact (scipy gh-18295). `sign` (nullable) receives
/// the sign of the sum (0 for an empty or zero sum, NaN for NaN); without it a negative
/// sum gives NaN. NaN in a row gives NaN, +inf gives +inf, an all -inf row gives -inf.
template <class T>
void logsumexp(const T* x, const T* w, index_t n_rows, index_t n_cols, T* out, T* sign, int n_threads);

/// out = softmax(x) (or log_softmax when `log` is true), row-wise.
template <class T>
void softmax(const T* x, index_t n_rows, index_t n_cols, bool log, T* out, int n_threads);

// --- measures of one distribution -------------------------------------------------------
/// Elementwise information content -log p(x) * scale, for each entry of each row.
template <class T>
void information_content(Dist<T> p, index_t n_rows, index_t n_cols, double scale, T* out,
                         int n_threads);

/// out[r] = H(p_r) * scale.
template <class T>
void entropy(Dist<T> p, index_t n_rows, index_t n_cols, double scale, T* out, int n_threads);

/// Entropy of probability rows together with each row's sum (in double) and minimum, all
/// in one pass over the data: the caller validates from these instead of reading the
/// input twice. `out` is bit-identical to entropy() with Input::probs.
template <class T>
void entropy_with_stats(const T* p, index_t n_rows, index_t n_cols, double scale, T* out, double* row_sum,
                        T* row_min, int n_threads);

// --- measures of two distributions ------------------------------------------------------
/// out[r] = H(p_r, q_r) * scale = -sum p log q.
template <class T>
void cross_entropy(Dist<T> p, Dist<T> q, index_t n_rows, index_t n_cols, double scale, T* out,
                   int n_threads);

/// out[r] = KL(p_r || q_r) * scale.
template <class T>
void kl_divergence(Dist<T> p, Dist<T> q, index_t n_rows, index_t n_cols, double scale, T* out,
                   int n_threads);

/// out[r] = JS(p_r, q_r) * scale, with the mixture m = (p + q) / 2.
template <class T>
void js_divergence(Dist<T> p, Dist<T> q, index_t n_rows, index_t n_cols, double scale, T* out,
                   int n_threads);

// --- losses ------------------------------------------------------------------------------
/// Binary cross-entropy -[y log p + (1-y) log(1-p)] of targets y against probabilities p,
/// or against logits z (then p = sigmoid(z), computed stably). `out` holds n_rows*n_cols
/// values for Reduction::none, n_rows otherwise. `grad` (nullable, n_rows*n_cols) receives
/// the derivative of the reduced loss with respect to p (or z, for logits).
template <class T>
void binary_cross_entropy(const T* y, const T* p, bool logits, index_t n_rows, index_t n_cols,
                          Reduction reduction, T* out, T* grad, int n_threads);

/// KL(N(mu_q, exp(lv_q)) || N(mu_p, exp(lv_p))) for diagonal Gaussians, summed over the
/// last axis. `mu_p`/`lv_p` may be null (standard normal prior). `grad_mu`/`grad_lv`
/// (nullable) receive d KL / d mu_q and d KL / d lv_q elementwise.
template <class T>
void gaussian_kl(const T* mu_q, const T* lv_q, const T* mu_p, const T* lv_p, index_t n_rows,
                 index_t n_cols, T* out, T* grad_mu, T* grad_lv, int n_threads);

/// out[r] = exp(-mean_j(lp[r, j]) * log_base): the perplexity of log-probabilities
/// given in base `exp(log_base)`. `n_valid` (nullable) gives each row's count for the
/// mean (entries left out must hold 0). The row sums do not depend on the address.
template <class T>
void perplexity(const T* lp, const index_t* n_valid, index_t n_rows, index_t n_cols, double log_base,
                T* out, int n_threads);

// --- elementwise functions (scipy.special's definitions, computed in double) ----------
/// out = x log(x / y) for x, y > 0; 0 for x = 0 <= y; +inf otherwise; NaN if x or y is.
/// The log is log1p((x - y) / y) near x = y and log x - log y where x / y under- or
/// overflows, as in scipy >= 1.14.
template <class T>
void rel_entr(const T* x, const T* y, index_t n, T* out, int n_threads);

/// out = x log(x / y) - x + y for x, y > 0; y for x = 0 <= y; +inf otherwise; NaN if
/// x or y is. The first term is rel_entr's (scipy's kl_div still takes x / y first, so it
/// overflows to +-inf where this stays finite).
template <class T>
void kl_div(const T* x, const T* y, index_t n, T* out, int n_threads);

/// out = -x log x for x > 0; 0 for x = 0; -inf for x < 0; NaN for NaN.
template <class T>
void entr(const T* x, index_t n, T* out, int n_threads);

/// For each of `n_batch` joint tables p(x, y) of shape (n_x, n_y): mutual information
/// I(X;Y), H(Y|X) and H(X|Y), each times `scale`. Any output may be null.
template <class T>
void joint_measures(const T* joint, index_t n_batch, index_t n_x, index_t n_y, double scale,
                    T* mutual_info, T* h_y_given_x, T* h_x_given_y, int n_threads);

// --- validation helpers (fast, parallel; the Python layer turns them into messages) ----
/// What is wrong with an input, if anything. `row == -1` means nothing is.
struct Problem {
  enum Code : int {
    ok = 0,
    nan = 1,            ///< a NaN entry
    negative = 2,       ///< a negative probability (or a weight)
    above_one = 3,      ///< a log-probability above 0 (probability above 1)
    infinite = 4,       ///< +inf where it is not allowed
    bad_sum = 5,        ///< a row whose probabilities do not sum to 1 (value: the sum)
    no_mass = 6,        ///< a logit row that is entirely -inf
    out_of_range = 7,   ///< outside [lo, hi] (check_range)
  };
  index_t row = -1;
  index_t col = -1;
  int code = ok;
  double value = 0.0;
};

/// First problem (lowest row) of `x` read as distributions encoded as `input`.
/// `sum_tol < 0` skips the normalisation check.
template <class T>
Problem check_distribution(const T* x, Input input, index_t n_rows, index_t n_cols,
                           double sum_tol, int n_threads);

/// First entry (in row-major order) that is NaN or outside [lo, hi].
template <class T>
Problem check_range(const T* x, index_t n_rows, index_t n_cols, double lo, double hi,
                    int n_threads);

}  // namespace infogen::info
