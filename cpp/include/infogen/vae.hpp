// Fused elementwise kernels of the MLPs (python/infogen/_mlp.py: the VAE and the autoencoders).
//
// The model's matrix products run in NumPy/BLAS; these kernels do the elementwise work
// around them in one pass each: bias + activation (and its derivative), the clamped
// log-variance head, reparameterised sampling with its log importance ratio, the backward
// pass through the sampling layer, and the Adam update over a flat parameter vector.
//
// Every kernel is templated on the scalar (float or double) and parallel over fixed
// chunks (common.hpp), and none reduces across rows, so results are bit-identical for any
// thread count. Random draws come from Philox streams keyed by (seed, stream_offset + row).
#pragma once

#include <cstdint>

#include "infogen/common.hpp"

namespace infogen::vae {

/// Hidden-layer nonlinearities. Derivatives are written in terms of the output h.
enum class Activation : int {
  identity = 0,  ///< h = a
  relu = 1,      ///< h = max(a, 0); h' = [h > 0]
  tanh = 2,      ///< h = tanh(a); h' = 1 - h^2
  sigmoid = 3,   ///< h = 1 / (1 + e^-a); h' = h (1 - h)
  softplus = 4,  ///< h = log(1 + e^a); h' = 1 - e^-h
};

/// In place: a[r, j] = act(a[r, j] + bias[j]) for a row-major (n_rows x n_cols) `a`.
/// `bias` may be null.
template <class T>
void bias_activation(T* a, const T* bias, index_t n_rows, index_t n_cols, Activation act,
                     int n_threads);

/// In place: grad[i] *= act'(.) evaluated from the layer's output h[i].
template <class T>
void activation_backward(T* grad, const T* h, index_t n, Activation act, int n_threads);

/// The encoder's two heads computed by one product: `raw` is (n_rows x 2 n_latent) with the
/// mean's pre-activation in the first n_latent columns and the log-variance's in the last.
/// Writes mu = raw[:, :L] + bias[:L] and logvar = clamp(raw[:, L:] + bias[L:], lo, hi) as
/// contiguous (n_rows x L) arrays. `bias` may be null. NaN stays NaN.
template <class T>
void split_head(const T* raw, const T* bias, index_t n_rows, index_t n_latent, double lo, double hi,
                T* mu, T* logvar, int n_threads);

/// Reparameterised sampling: eps[r, j] ~ N(0, 1) from Philox(seed, stream_offset + r) and
/// z = mu + exp(logvar / 2) * eps. `mu`/`logvar` have `n_src_rows` rows; output row r uses
/// source row r / repeat (so `repeat` = K draws per example for importance sampling).
/// `log_ratio` (nullable, n_rows = n_src_rows * repeat) receives
/// log N(z; 0, I) - log N(z; mu, diag exp(logvar)) for each output row, accumulated in double.
template <class T>
void reparameterize(const T* mu, const T* logvar, index_t n_src_rows, index_t n_cols,
                    index_t repeat, std::uint64_t seed, std::uint64_t stream_offset, T* z, T* eps,
                    T* log_ratio, int n_threads);

/// Backward through z = mu + exp(logvar/2) eps and the clamp of logvar to [lo, hi], adding
/// the KL term's gradients (kl_grad_mu, kl_grad_lv, e.g. from info::gaussian_kl) times
/// `kl_scale`. Inputs are (n_rows x n_latent); the output `grad_head` is
/// (n_rows x 2 n_latent), laid out like split_head's `raw`:
///   grad_head[:, :L] = grad_z + kl_scale * kl_grad_mu
///   grad_head[:, L:] = (grad_z * eps * exp(logvar/2) / 2 + kl_scale * kl_grad_lv) * [lo < logvar < hi]
template <class T>
void latent_backward(const T* grad_z, const T* eps, const T* logvar, const T* kl_grad_mu,
                     const T* kl_grad_lv, double kl_scale, double lo, double hi, index_t n_rows,
                     index_t n_latent, T* grad_head, int n_threads);

/// Squared-error loss of predictions `p` against targets `y` (both n_rows x n_cols), one
/// pass: out[r] = scale * sum_j (p[r, j] - y[r, j])^2, accumulated in double, and (when
/// `grad` is not null) grad[r, j] = T(2 * grad_scale) * (p[r, j] - y[r, j]).
template <class T>
void squared_error(const T* y, const T* p, index_t n_rows, index_t n_cols, double scale,
                   double grad_scale, T* out, T* grad, int n_threads);

/// One Adam step (Kingma & Ba 2015, as in torch.optim.Adam) over n parameters, in place:
///   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
///   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
/// `step` is t (>= 1).
template <class T>
void adam_update(T* param, const T* grad, T* m, T* v, index_t n, double lr, double beta1,
                 double beta2, double eps, std::int64_t step, int n_threads);

}  // namespace infogen::vae
