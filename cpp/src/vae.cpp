// Implementation of the VAE's fused elementwise kernels (see vae.hpp for the contract).
//
// Loops are plain scalar code over fixed chunks: no cross-row reductions and no
// address-dependent SIMD paths, so every result is bit-identical for any thread count.
#include "infogen/vae.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "infogen/random.hpp"

namespace infogen::vae {
namespace {

constexpr index_t kAdamBlock = 256;

/// Below this many elements a VAE kernel runs on the calling thread. A minibatch's
/// elementwise passes take microseconds, less than waking a sleeping OpenMP team (with
/// OMP_WAIT_POLICY=PASSIVE) and far less than waiting for a thread whose core another
/// process holds; only large passes (a big model's Adam step, importance sampling with
/// many draws) are worth splitting.
constexpr index_t kMinParallelWork = index_t(1) << 18;

int threads_for(index_t work, int n_threads) { return work < kMinParallelWork ? 1 : n_threads; }

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(what);
}

/// Elementwise loop over [0, n) in fixed chunks.
template <class Body>
void parallel_elements(index_t n, int n_threads, Body&& body) {
  parallel_chunks(n, kChunkWork, threads_for(n, n_threads), n,
                  [&](index_t, index_t b, index_t e) { body(b, e); });
}

template <class T>
inline T apply(Activation act, T a) {
  switch (act) {
    case Activation::relu:
      return a > T(0) ? a : T(0);
    case Activation::tanh:
      return std::tanh(a);
    case Activation::sigmoid:
      return a >= T(0) ? T(1) / (T(1) + std::exp(-a)) : std::exp(a) / (T(1) + std::exp(a));
    case Activation::softplus:
      return a > T(0) ? a + std::log1p(std::exp(-a)) : std::log1p(std::exp(a));
    case Activation::identity:
    default:
      return a;
  }
}

template <class T>
inline T derivative(Activation act, T h) {
  switch (act) {
    case Activation::relu:
      return h > T(0) ? T(1) : T(0);
    case Activation::tanh:
      return T(1) - h * h;
    case Activation::sigmoid:
      return h * (T(1) - h);
    case Activation::softplus:
      return -std::expm1(-h);
    case Activation::identity:
    default:
      return T(1);
  }
}

void check_activation(Activation act) {
  const int a = static_cast<int>(act);
  require(a >= 0 && a <= 4, "vae: unknown activation code");
}

}  // namespace

template <class T>
void bias_activation(T* a, const T* bias, index_t n_rows, index_t n_cols, Activation act,
                     int n_threads) {
  check_activation(act);
  require(n_rows >= 0 && n_cols >= 0, "bias_activation: negative shape");
  if (n_cols == 0) return;
  parallel_rows(n_rows, n_cols, threads_for(n_rows * n_cols, n_threads), [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      T* row = a + r * n_cols;
      if (act == Activation::relu) {  // the common case, kept vectorisable
        if (bias) {
          for (index_t j = 0; j < n_cols; ++j) row[j] = std::max(row[j] + bias[j], T(0));
        } else {
          for (index_t j = 0; j < n_cols; ++j) row[j] = std::max(row[j], T(0));
        }
        continue;
      }
      for (index_t j = 0; j < n_cols; ++j) row[j] = apply(act, bias ? row[j] + bias[j] : row[j]);
    }
  });
}

template <class T>
void activation_backward(T* grad, const T* h, index_t n, Activation act, int n_threads) {
  check_activation(act);
  require(n >= 0, "activation_backward: negative size");
  if (act == Activation::identity) return;
  parallel_elements(n, n_threads, [&](index_t b, index_t e) {
    if (act == Activation::relu) {
      for (index_t i = b; i < e; ++i) grad[i] = h[i] > T(0) ? grad[i] : T(0);
      return;
    }
    for (index_t i = b; i < e; ++i) grad[i] *= derivative(act, h[i]);
  });
}

template <class T>
void split_head(const T* raw, const T* bias, index_t n_rows, index_t n_latent, double lo, double hi,
                T* mu, T* logvar, int n_threads) {
  require(n_rows >= 0 && n_latent > 0, "split_head: the latent axis must not be empty");
  require(lo < hi, "split_head: lo must be below hi");
  const T l = static_cast<T>(lo), h = static_cast<T>(hi);
  const index_t width = 2 * n_latent;
  parallel_rows(n_rows, width, threads_for(n_rows * width, n_threads), [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const T* in = raw + r * width;
      T* m = mu + r * n_latent;
      T* lv = logvar + r * n_latent;
      for (index_t j = 0; j < n_latent; ++j) m[j] = bias ? in[j] + bias[j] : in[j];
      for (index_t j = 0; j < n_latent; ++j) {
        const T v = bias ? in[n_latent + j] + bias[n_latent + j] : in[n_latent + j];
        lv[j] = v < l ? l : (v > h ? h : v);  // NaN fails both comparisons and stays NaN
      }
    }
  });
}

template <class T>
void reparameterize(const T* mu, const T* logvar, index_t n_src_rows, index_t n_cols,
                    index_t repeat, std::uint64_t seed, std::uint64_t stream_offset, T* z, T* eps,
                    T* log_ratio, int n_threads) {
  require(n_src_rows >= 0 && n_cols > 0, "reparameterize: the latent axis must not be empty");
  require(repeat >= 1, "reparameterize: repeat must be at least 1");
  const index_t n_rows = n_src_rows * repeat;
  // Each draw costs a Philox block and a log/sqrt/sin/cos: worth splitting 8x earlier.
  parallel_rows(n_rows, n_cols, threads_for(8 * n_rows * n_cols, n_threads), [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      Philox rng(seed, stream_offset + static_cast<std::uint64_t>(r));
      const index_t src = r / repeat;
      const T* m = mu + src * n_cols;
      const T* lv = logvar + src * n_cols;
      T* zr = z + r * n_cols;
      T* er = eps + r * n_cols;
      double acc = 0.0;
      for (index_t j = 0; j < n_cols; ++j) {
        const T e = static_cast<T>(rng.normal());
        const double lvj = static_cast<double>(lv[j]);
        const T zj = static_cast<T>(static_cast<double>(m[j]) + std::exp(0.5 * lvj) * static_cast<double>(e));
        er[j] = e;
        zr[j] = zj;
        const double zd = static_cast<double>(zj), ed = static_cast<double>(e);
        // log N(z; 0, 1) - log N(z; mu, e^lv) = -z^2/2 + eps^2/2 + lv/2
        acc += 0.5 * (ed * ed - zd * zd + lvj);
      }
      if (log_ratio) log_ratio[r] = static_cast<T>(acc);
    }
  });
}

template <class T>
void latent_backward(const T* grad_z, const T* eps, const T* logvar, const T* kl_grad_mu,
                     const T* kl_grad_lv, double kl_scale, double lo, double hi, index_t n_rows,
                     index_t n_latent, T* grad_head, int n_threads) {
  require(n_rows >= 0 && n_latent > 0, "latent_backward: the latent axis must not be empty");
  const T ks = static_cast<T>(kl_scale), l = static_cast<T>(lo), h = static_cast<T>(hi);
  parallel_rows(n_rows, 2 * n_latent, threads_for(2 * n_rows * n_latent, n_threads),
                [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const index_t o = r * n_latent;
      T* g_mu = grad_head + 2 * o;
      T* g_lv = g_mu + n_latent;
      for (index_t j = 0; j < n_latent; ++j) {
        const T gz = grad_z[o + j], lv = logvar[o + j];
        const T sigma_half = static_cast<T>(0.5) * std::exp(static_cast<T>(0.5) * lv);
        const T glv = gz * eps[o + j] * sigma_half + ks * kl_grad_lv[o + j];
        g_mu[j] = gz + ks * kl_grad_mu[o + j];
        g_lv[j] = (lv > l && lv < h) ? glv : T(0);
      }
    }
  });
}

template <class T>
void squared_error(const T* y, const T* p, index_t n_rows, index_t n_cols, double scale,
                   double grad_scale, T* out, T* grad, int n_threads) {
  require(n_rows >= 0 && n_cols >= 0, "squared_error: negative shape");
  const T g2 = static_cast<T>(2.0 * grad_scale);
  parallel_rows(n_rows, n_cols, threads_for(n_rows * n_cols, n_threads), [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const T* yr = y + r * n_cols;
      const T* pr = p + r * n_cols;
      double acc = 0.0;
      for (index_t j = 0; j < n_cols; ++j) {
        const T diff = pr[j] - yr[j];
        acc += static_cast<double>(diff) * static_cast<double>(diff);
        if (grad) grad[r * n_cols + j] = g2 * diff;
      }
      out[r] = static_cast<T>(acc * scale);
    }
  });
}

template <class T>
void adam_update(T* param, const T* grad, T* m, T* v, index_t n, double lr, double beta1,
                 double beta2, double eps, std::int64_t step, int n_threads) {
  require(n >= 0, "adam_update: negative size");
  require(step >= 1, "adam_update: step must be at least 1");
  require(beta1 >= 0.0 && beta1 < 1.0 && beta2 >= 0.0 && beta2 < 1.0,
          "adam_update: betas must be in [0, 1)");
  const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
  const T b1 = static_cast<T>(beta1), b2 = static_cast<T>(beta2);
  const T c1 = static_cast<T>(1.0 - beta1), c2 = static_cast<T>(1.0 - beta2);
  const T step_size = static_cast<T>(lr / bc1);
  const T inv_sqrt_bc2 = static_cast<T>(1.0 / std::sqrt(bc2));
  const T e = static_cast<T>(eps);
  parallel_elements(n, n_threads, [&](index_t b, index_t end) {
    // Blocks through an aligned stack buffer: the square roots run as SIMD packets
    // (correctly rounded, like the scalar std::sqrt) at an address that does not depend
    // on the caller's arrays, and the two plain loops vectorise.
    alignas(64) T root[kAdamBlock];
    for (index_t b0 = b; b0 < end; b0 += kAdamBlock) {
      const index_t len = std::min<index_t>(kAdamBlock, end - b0);
      T* __restrict mp = m + b0;
      T* __restrict vp = v + b0;
      const T* __restrict gp = grad + b0;
      for (index_t k = 0; k < len; ++k) {
        const T g = gp[k];
        mp[k] = b1 * mp[k] + c1 * g;
        const T vk = b2 * vp[k] + c2 * g * g;
        vp[k] = vk;
        root[k] = vk;
      }
      Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>, Eigen::Aligned64> R(root, len);
      R = R.sqrt();
      T* __restrict pp = param + b0;
      for (index_t k = 0; k < len; ++k) pp[k] -= step_size * mp[k] / (root[k] * inv_sqrt_bc2 + e);
    }
  });
}

#define INFOGEN_INSTANTIATE(T)                                                                     \
  template void bias_activation<T>(T*, const T*, index_t, index_t, Activation, int);              \
  template void activation_backward<T>(T*, const T*, index_t, Activation, int);                   \
  template void split_head<T>(const T*, const T*, index_t, index_t, double, double, T*, T*, int); \
  template void reparameterize<T>(const T*, const T*, index_t, index_t, index_t, std::uint64_t,   \
                                  std::uint64_t, T*, T*, T*, int);                                \
  template void latent_backward<T>(const T*, const T*, const T*, const T*, const T*, double,      \
                                   double, double, index_t, index_t, T*, int);                    \
  template void adam_update<T>(T*, const T*, T*, T*, index_t, double, double, double, double,     \
                               std::int64_t, int);                                                \
  template void squared_error<T>(const T*, const T*, index_t, index_t, double, double, T*, T*, int);

INFOGEN_INSTANTIATE(float)
INFOGEN_INSTANTIATE(double)
#undef INFOGEN_INSTANTIATE

}  // namespace infogen::vae
