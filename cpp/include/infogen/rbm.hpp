// Bernoulli-Bernoulli restricted Boltzmann machines: conditionals, block Gibbs sampling,
// energies, fused CD-k / persistent-CD training, exact log partition function, annealed
// importance sampling and exact pseudo-likelihood.
//
// Model (the lecture's notation): visible v in {0,1}^m, hidden h in {0,1}^n,
//   E(v, h) = -v.b - h.c - v W h,   p(v, h) = exp(-E(v, h)) / Z,
//   F(v) = -v.b - sum_j softplus(c_j + (v W)_j),   p(v) = exp(-F(v)) / Z.
// Weights are stored as scikit-learn's `components_`: an (n x m) row-major array `W`, so
// W[j, i] couples hidden unit j with visible unit i.
//
// Determinism: work is cut into chunks whose boundaries depend only on the problem size;
// every random draw comes from a Philox stream keyed by (seed, row) and consumed in a fixed
// order; partial sums are combined in chunk order. Same seed -> same bits for any thread
// count. No Python here: the caller validates, these kernels recheck cheap invariants.
#pragma once

#include <cstdint>

#include "infogen/common.hpp"

namespace infogen::rbm {

/// Read-only view of an RBM's parameters.
template <class T>
struct Model {
  const T* W;  ///< (n_hidden x n_visible), row-major
  const T* b;  ///< visible biases (n_visible)
  const T* c;  ///< hidden biases (n_hidden)
  index_t n_visible;
  index_t n_hidden;
};

/// Mutable training state, updated in place by `cd_train`.
template <class T>
struct TrainState {
  T* W;      ///< (n_hidden x n_visible)
  T* b;      ///< (n_visible)
  T* c;      ///< (n_hidden)
  T* vel_W;  ///< momentum buffers, same shapes as W, b, c
  T* vel_b;
  T* vel_c;
  T* q;      ///< running mean hidden activation (n_hidden), for the sparsity target
  T* chain;  ///< persistent chain's hidden states (n_chain x n_hidden), 0/1
  index_t n_visible;
  index_t n_hidden;
  index_t n_chain;
};

/// Hyper-parameters of one training call.
struct TrainOptions {
  index_t batch_size = 10;
  int k = 1;                     ///< Gibbs steps of the negative phase
  bool persistent = true;        ///< PCD (chain kept between updates) or CD-k (restart at data)
  double learning_rate = 0.1;
  double momentum = 0.0;
  double weight_decay = 0.0;     ///< L2 coefficient on W
  double sparsity_target = -1;   ///< < 0: no sparsity penalty
  double sparsity_cost = 0.0;
  double sparsity_decay = 0.9;   ///< running-average decay of q
};

/// out = P(H = 1 | V) = sigmoid(V W^T + c), V of shape (n_rows x n_visible).
template <class T>
void hidden_probs(const Model<T>& m, const T* V, index_t n_rows, T* out, int n_threads);

/// out = P(V = 1 | H) = sigmoid(H W + b), H of shape (n_rows x n_hidden).
template <class T>
void visible_probs(const Model<T>& m, const T* H, index_t n_rows, T* out, int n_threads);

/// out[r, j] = 1 if u < p[r, j] else 0, u uniform from the stream (seed, r).
template <class T>
void sample_bernoulli(const T* p, index_t n_rows, index_t n_cols, std::uint64_t seed, T* out,
                      int n_threads);

/// k steps of block Gibbs sampling from each row of V0: h ~ P(h|v), v ~ P(v|h). `out_v`
/// receives the final visible sample; `out_h` (nullable) the final hidden sample.
template <class T>
void gibbs(const Model<T>& m, const T* V0, index_t n_rows, int k, std::uint64_t seed, T* out_v,
           T* out_h, int n_threads);

/// Block Gibbs with the observed visible units clamped, to complete or denoise: rows of V0
/// hold the observed values where mask[r, i] != 0 and a start value elsewhere. Each of the
/// k steps draws h ~ P(h | v), then the unobserved v ~ P(v | h) (with `mean_field`, h and
/// v are set to those probabilities instead: a deterministic fixed-point iteration).
/// out_p receives, for the unobserved units, the mean of P(v_i = 1 | h) over steps
/// burn_in+1..k (the Rao-Blackwellised estimate of P(v_i = 1 | observed)), and the observed
/// values elsewhere. Row r draws from the stream (seed, r).
template <class T>
void gibbs_clamped(const Model<T>& m, const T* V0, const std::uint8_t* mask, index_t n_rows, int k, int burn_in,
                   bool mean_field, std::uint64_t seed, T* out_p, int n_threads);

/// out[r] = E(V[r], H[r]).
template <class T>
void energy(const Model<T>& m, const T* V, const T* H, index_t n_rows, T* out, int n_threads);

/// out[r] = F(V[r]) (accumulated in double).
template <class T>
void free_energy(const Model<T>& m, const T* V, index_t n_rows, T* out, int n_threads);

/// Sums of the columns of the row-major (n_rows x n_cols) matrix X, accumulated in double:
/// the data's visible marginals (counts of ones, for binary data). Fixed chunks of rows,
/// their partial sums added in chunk order: the same bits for any thread count.
template <class T>
void column_totals(const T* X, index_t n_rows, index_t n_cols, double* out, int n_threads);

/// out[r] = sum_i log P(v_i | v_{-i}) for each row of V: the exact pseudo-log-likelihood
/// over all visible units (each term is log sigmoid(F(v with v_i flipped to 1 - v_i) - F(v))).
/// For rows in [0, 1] it is the expectation, over the flipped unit, of scikit-learn's
/// one-unit estimate n_visible * log sigmoid(F(v') - F(v)).
template <class T>
void pseudo_likelihood(const Model<T>& m, const T* V, index_t n_rows, T* out, int n_threads);

/// Exact log Z, enumerating the 2^s states of the smaller layer (s units) in blocks.
/// Throws std::invalid_argument, naming the cost, when s > max_units.
template <class T>
double log_partition(const Model<T>& m, int max_units, int n_threads);

/// Annealed importance sampling (Salakhutdinov & Murray 2008). The base model has the
/// visible biases `base_b`, no weights, and the target's hidden units switched off
/// (beta = 0); the intermediate models scale the target's W, c and b by beta and the base
/// biases by (1 - beta). `betas` (n_betas, increasing from 0 to 1) is the schedule; run r
/// uses the stream (seed, run_offset + r). Writes each run's log importance weight to
/// `log_w` and returns log Z of the base model (so log Z_hat = log_Z_base + log mean
/// exp(log_w)). Runs go in chunks of 16, so calls over consecutive blocks of runs whose
/// sizes are multiples of 16 (with the matching offsets) give the one call's bits.
template <class T>
double ais(const Model<T>& m, const T* base_b, const double* betas, index_t n_betas,
           index_t n_runs, std::uint64_t seed, double* log_w, int n_threads, index_t run_offset = 0);

/// Train in place on the rows of X (n_rows x n_visible) in minibatches of
/// `opt.batch_size`, taken in the order `order` (nullable: 0..n_rows-1). Each minibatch is
/// one fused CD-k / PCD update: P(H|V) of the data, k Gibbs steps of the negative chain,
/// both gradient terms, L2 weight decay, optional sparsity penalty, momentum. Minibatch t
/// draws from the streams (splitmix(seed + t), row). Returns the number of updates made.
template <class T>
index_t cd_train(TrainState<T>& s, const T* X, index_t n_rows, const std::int64_t* order,
                 const TrainOptions& opt, std::uint64_t seed, int n_threads);

}  // namespace infogen::rbm
