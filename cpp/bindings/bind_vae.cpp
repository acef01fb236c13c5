// Bindings of the VAE's fused kernels: convert, release the GIL, call the core.
// Every array argument is `.noconvert()` (see pybind11.hpp); for the in-place ones a
// converted copy would also silently drop the update.
#include "pybind11.hpp"

#include "infogen/vae.hpp"

namespace infogen::bindings {
namespace {

using vae::Activation;

template <class T>
std::int64_t size_of(const CArray<T>& a) {
  return static_cast<std::int64_t>(a.size());
}

template <class T>
void require_size(const CArray<T>& a, std::int64_t n, const char* name) {
  if (size_of(a) != n) {
    throw py::value_error(std::string(name) + " has " + std::to_string(size_of(a)) +
                          " entries, expected " + std::to_string(n));
  }
}

template <class T>
void bind_dtype(py::module_& m) {
  const std::string sfx = dtype_suffix<T>();
  auto name = [&](const char* base) { return std::string("vae_") + base + sfx; };

  m.def(name("bias_activation").c_str(),
        [](CArray<T>& a, std::optional<CArray<T>> bias, int act, int n_threads) {
          auto [rows, cols] = shape2d(a, "a");
          if (bias) require_size(*bias, cols, "bias");
          T* ap = a.mutable_data();
          const T* bp = bias ? bias->data() : nullptr;
          py::gil_scoped_release nogil;
          vae::bias_activation<T>(ap, bp, rows, cols, static_cast<Activation>(act), n_threads);
        },
        py::arg("a").noconvert(), py::arg("bias").noconvert(), py::arg("activation"), py::arg("n_threads"),
        "In place: a = act(a + bias), row-wise bias.");

  m.def(name("activation_backward").c_str(),
        [](CArray<T>& grad, const CArray<T>& h, int act, int n_threads) {
          require_size(h, size_of(grad), "h");
          T* gp = grad.mutable_data();
          const T* hp = h.data();
          const auto n = size_of(grad);
          py::gil_scoped_release nogil;
          vae::activation_backward<T>(gp, hp, n, static_cast<Activation>(act), n_threads);
        },
        py::arg("grad").noconvert(), py::arg("h").noconvert(), py::arg("activation"), py::arg("n_threads"),
        "In place: grad *= act'(h), from the layer output h.");

  m.def(name("split_head").c_str(),
        [](const CArray<T>& raw, std::optional<CArray<T>> bias, double lo, double hi, int n_threads) {
          auto [rows, cols] = shape2d(raw, "raw");
          if (cols % 2 != 0 || cols == 0) {
            throw py::value_error("raw must have 2 * n_latent columns, got " + std::to_string(cols));
          }
          if (bias) require_size(*bias, cols, "bias");
          const std::int64_t latent = cols / 2;
          CArray<T> mu({py::ssize_t(rows), py::ssize_t(latent)});
          CArray<T> lv({py::ssize_t(rows), py::ssize_t(latent)});
          const T* rp = raw.data();
          const T* bp = bias ? bias->data() : nullptr;
          T *mp = mu.mutable_data(), *lp = lv.mutable_data();
          {
            py::gil_scoped_release nogil;
            vae::split_head<T>(rp, bp, rows, latent, lo, hi, mp, lp, n_threads);
          }
          return py::make_tuple(mu, lv);
        },
        py::arg("raw").noconvert(), py::arg("bias").noconvert(), py::arg("lo"), py::arg("hi"),
        py::arg("n_threads"), "(mu, logvar) = (raw[:, :L] + b[:L], clip(raw[:, L:] + b[L:], lo, hi)).");

  m.def(name("reparameterize").c_str(),
        [](const CArray<T>& mu, const CArray<T>& logvar, std::int64_t repeat, std::uint64_t seed,
           std::uint64_t stream_offset, bool want_log_ratio, int n_threads) {
          same_shape(mu, logvar, "mu", "logvar");
          auto [rows, cols] = shape2d(mu, "mu");
          if (repeat < 1) throw py::value_error("repeat must be at least 1");
          const std::int64_t out_rows = rows * repeat;
          CArray<T> z({py::ssize_t(out_rows), py::ssize_t(cols)});
          CArray<T> eps({py::ssize_t(out_rows), py::ssize_t(cols)});
          std::optional<CArray<T>> lr;
          if (want_log_ratio) lr = CArray<T>(py::ssize_t(out_rows));
          const T *mp = mu.data(), *lp = logvar.data();
          T *zp = z.mutable_data(), *ep = eps.mutable_data();
          T* rp = lr ? lr->mutable_data() : nullptr;
          {
            py::gil_scoped_release nogil;
            vae::reparameterize<T>(mp, lp, rows, cols, repeat, seed, stream_offset, zp, ep, rp, n_threads);
          }
          return py::make_tuple(z, eps, lr ? py::object(*lr) : py::none());
        },
        py::arg("mu").noconvert(), py::arg("logvar").noconvert(), py::arg("repeat"), py::arg("seed"), py::arg("stream_offset"),
        py::arg("want_log_ratio"), py::arg("n_threads"),
        "z = mu + exp(logvar/2) eps with eps from Philox(seed, stream_offset + row); returns (z, eps, log_ratio).");

  m.def(name("latent_backward").c_str(),
        [](const CArray<T>& grad_z, const CArray<T>& eps, const CArray<T>& logvar,
           const CArray<T>& kl_grad_mu, const CArray<T>& kl_grad_lv, double kl_scale, double lo,
           double hi, int n_threads) {
          auto [rows, cols] = shape2d(grad_z, "grad_z");
          same_shape(grad_z, eps, "grad_z", "eps");
          same_shape(grad_z, logvar, "grad_z", "logvar");
          same_shape(grad_z, kl_grad_mu, "grad_z", "kl_grad_mu");
          same_shape(grad_z, kl_grad_lv, "grad_z", "kl_grad_logvar");
          CArray<T> head({py::ssize_t(rows), py::ssize_t(2 * cols)});
          const T *gz = grad_z.data(), *ep = eps.data(), *lv = logvar.data();
          const T *km = kl_grad_mu.data(), *kl = kl_grad_lv.data();
          T* hp = head.mutable_data();
          {
            py::gil_scoped_release nogil;
            vae::latent_backward<T>(gz, ep, lv, km, kl, kl_scale, lo, hi, rows, cols, hp, n_threads);
          }
          return head;
        },
        py::arg("grad_z").noconvert(), py::arg("eps").noconvert(), py::arg("logvar").noconvert(),
        py::arg("kl_grad_mu").noconvert(), py::arg("kl_grad_logvar").noconvert(), py::arg("kl_scale"),
        py::arg("lo"), py::arg("hi"), py::arg("n_threads"),
        "Gradient w.r.t. the heads' output [mu | clamped logvar] through the sampling layer, plus kl_scale * KL grads.");

  m.def(name("squared_error").c_str(),
        [](const CArray<T>& y, const CArray<T>& p, double scale, double grad_scale, bool want_grad,
           int n_threads) {
          same_shape(y, p, "y", "p");
          auto [rows, cols] = shape2d(y, "y");
          CArray<T> out(static_cast<py::ssize_t>(rows));
          std::optional<CArray<T>> grad;
          if (want_grad) grad = CArray<T>({py::ssize_t(rows), py::ssize_t(cols)});
          const T *yp = y.data(), *pp = p.data();
          T* op = out.mutable_data();
          T* gp = grad ? grad->mutable_data() : nullptr;
          {
            py::gil_scoped_release nogil;
            vae::squared_error<T>(yp, pp, rows, cols, scale, grad_scale, op, gp, n_threads);
          }
          return py::make_tuple(out, grad ? py::object(*grad) : py::none());
        },
        py::arg("y").noconvert(), py::arg("p").noconvert(), py::arg("scale"), py::arg("grad_scale"),
        py::arg("want_grad"), py::arg("n_threads"),
        "Per-row scale * sum (p - y)^2 (double accumulation) and optionally 2 * grad_scale * (p - y).");

  m.def(name("adam_update").c_str(),
        [](CArray<T>& param, const CArray<T>& grad, CArray<T>& m1, CArray<T>& m2, double lr,
           double beta1, double beta2, double eps, std::int64_t step, int n_threads) {
          const auto n = size_of(param);
          require_size(grad, n, "grad");
          require_size(m1, n, "m");
          require_size(m2, n, "v");
          T *pp = param.mutable_data(), *mp = m1.mutable_data(), *vp = m2.mutable_data();
          const T* gp = grad.data();
          py::gil_scoped_release nogil;
          vae::adam_update<T>(pp, gp, mp, vp, n, lr, beta1, beta2, eps, step, n_threads);
        },
        py::arg("param").noconvert(), py::arg("grad").noconvert(), py::arg("m").noconvert(), py::arg("v").noconvert(),
        py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("step"),
        py::arg("n_threads"), "One in-place Adam step over flat parameter, moment and gradient vectors.");
}

}  // namespace

void bind_vae(py::module_& m) {
  bind_dtype<float>(m);
  bind_dtype<double>(m);
}

}  // namespace infogen::bindings
