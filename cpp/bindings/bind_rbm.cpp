// Bindings of the RBM kernels: check shapes, convert, release the GIL, call the core.
#include "pybind11.hpp"

#include <string>

#include "infogen/rbm.hpp"

namespace infogen::bindings {
namespace {

/// A parameter array that the core updates in place: it must already have dtype T, be
/// C-contiguous and writeable, so an update can never land in a hidden temporary copy.
template <class T>
T* mutable_data(py::array& a, const char* name, std::int64_t rows, std::int64_t cols) {
  // (equivalence, not identity: an unpickled array carries its own dtype object)
  if (!py::isinstance<py::array_t<T>>(a)) {
    throw py::type_error(std::string(name) + " must have dtype " + std::string(py::str(py::dtype::of<T>())) +
                         ", got " + std::string(py::str(a.dtype())));
  }
  if (!(a.flags() & py::array::c_style)) throw py::value_error(std::string(name) + " must be C-contiguous");
  if (!a.writeable()) throw py::value_error(std::string(name) + " must be writeable");
  const bool shape_ok = cols < 0 ? (a.ndim() == 1 && a.shape(0) == rows)
                                 : (a.ndim() == 2 && a.shape(0) == rows && a.shape(1) == cols);
  if (!shape_ok) {
    throw py::value_error(std::string(name) + " has the wrong shape for this model");
  }
  return static_cast<T*>(a.mutable_data());
}

template <class T>
rbm::Model<T> model(const CArray<T>& W, const CArray<T>& b, const CArray<T>& c) {
  auto [n, m] = shape2d(W, "W");
  if (b.ndim() != 1 || b.shape(0) != m) {
    throw py::value_error("b (visible biases) must have shape (" + std::to_string(m) + ",)");
  }
  if (c.ndim() != 1 || c.shape(0) != n) {
    throw py::value_error("c (hidden biases) must have shape (" + std::to_string(n) + ",)");
  }
  return rbm::Model<T>{W.data(), b.data(), c.data(), m, n};
}

template <class T>
std::int64_t rows_with(const CArray<T>& x, const char* name, std::int64_t cols) {
  auto [r, k] = shape2d(x, name);
  if (k != cols) {
    throw py::value_error(std::string(name) + " must have " + std::to_string(cols) + " columns, got " +
                          std::to_string(k));
  }
  return r;
}

template <class T>
void bind_dtype(py::module_& m) {
  const std::string sfx = dtype_suffix<T>();
  auto name = [&](const char* base) { return std::string("rbm_") + base + sfx; };

  m.def(name("hidden_probs").c_str(),
        [](const CArray<T>& W, const CArray<T>& b, const CArray<T>& c, const CArray<T>& V, int n_threads) {
          const auto mdl = model(W, b, c);
          const auto rows = rows_with(V, "V", mdl.n_visible);
          CArray<T> out({py::ssize_t(rows), py::ssize_t(mdl.n_hidden)});
          const T* vp = V.data();
          T* op = out.mutable_data();
          py::gil_scoped_release nogil;
          rbm::hidden_probs<T>(mdl, vp, rows, op, n_threads);
          return out;
        },
        py::arg("W"), py::arg("b"), py::arg("c"), py::arg("V"), py::arg("n_threads"), "P(H=1|V).");

  m.def(name("visible_probs").c_str(),
        [](const CArray<T>& W, const CArray<T>& b, const CArray<T>& c, const CArray<T>& H, int n_threads) {
          const auto mdl = model(W, b, c);
          const auto rows = rows_with(H, "H", mdl.n_hidden);
          CArray<T> out({py::ssize_t(rows), py::ssize_t(mdl.n_visible)});
          const T* hp = H.data();
          T* op = out.mutable_data();
          py::gil_scoped_release nogil;
          rbm::visible_probs<T>(mdl, hp, rows, op, n_threads);
          return out;
        },
        py::arg("W"), py::arg("b"), py::arg("c"), py::arg("H"), py::arg("n_threads"), "P(V=1|H).");

  m.def(name("sample_bernoulli").c_str(),
        [](const CArray<T>& P, std::uint64_t seed, int n_threads) {
          auto [rows, cols] = shape2d(P, "P");
          CArray<T> out({py::ssize_t(rows), py::ssize_t(cols)});
          const T* pp = P.data();
          T* op = out.mutable_data();
          py::gil_scoped_release nogil;
          rbm::sample_bernoulli<T>(pp, rows, cols, seed, op, n_threads);
          return out;
        },
        py::arg("P"), py::arg("seed"), py::arg("n_threads"), "Bernoulli draws, stream (seed, row).");

  m.def(name("gibbs").c_str(),
        [](const CArray<T>& W, const CArray<T>& b, const CArray<T>& c, const CArray<T>& V0, int k,
           std::uint64_t seed, int n_threads) {
          const auto mdl = model(W, b, c);
          const auto rows = rows_with(V0, "V", mdl.n_visible);
          CArray<T> ov({py::ssize_t(rows), py::ssize_t(mdl.n_visible)});
          CArray<T> oh({py::ssize_t(rows), py::ssize_t(mdl.n_hidden)});
          const T* vp = V0.data();
          T *ovp = ov.mutable_data(), *ohp = oh.mutable_data();
          {
            py::gil_scoped_release nogil;
            rbm::gibbs<T>(mdl, vp, rows, k, seed, ovp, ohp, n_threads);
          }
          return py::make_tuple(ov, oh);
        },
        py::arg("W"), py::arg("b"), py::arg("c"), py::arg("V"), py::arg("k"), py::arg("seed"),
        py::arg("n_threads"), "k steps of block Gibbs sampling; returns (v, h) samples.");

  m.def(name("gibbs_clamped").c_str(),
        [](const CArray<T>& W, const CArray<T>& b, const CArray<T>& c, const CArray<T>& V0,
           const CArray<std::uint8_t>& mask, int k, int burn_in, bool mean_field, std::uint64_t seed,
           int n_threads) {
          const auto mdl = model(W, b, c);
          const auto rows = rows_with(V0, "V", mdl.n_visible);
          if (mask.ndim() != 2 || mask.shape(0) != rows || mask.shape(1) != mdl.n_visible)
            throw py::value_error("mask must have V's shape");
          CArray<T> out({py::ssize_t(rows), py::ssize_t(mdl.n_visible)});
          const T* vp = V0.data();
          const std::uint8_t* mp = mask.data();
          T* op = out.mutable_data();
          {
            py::gil_scoped_release nogil;
            rbm::gibbs_clamped<T>(mdl, vp, mp, rows, k, burn_in, mean_field, seed, op, n_threads);
          }
          return out;
        },
        py::arg("W"), py::arg("b"), py::arg("c"), py::arg("V"), py::arg("mask").noconvert(), py::arg("k"),
        py::arg("burn_in"), py::arg("mean_field"), py::arg("seed"), py::arg("n_threads"),
        "Clamped block Gibbs (or mean-field): P(v = 1 | observed), observed entries copied.");

  m.def(name("energy").c_str(),
        [](const CArray<T>& W, const CArray<T>& b, const CArray<T>& c, const CArray<T>& V, const CArray<T>& H,
           int n_threads) {
          const auto mdl = model(W, b, c);
          const auto rows = rows_with(V, "V", mdl.n_visible);
          if (rows_with(H, "H", mdl.n_hidden) != rows) throw py::value_error("V and H must have the same rows");
          CArray<T> out(py::ssize_t{rows});
          const T *vp = V.data(), *hp = H.data();
          T* op = out.mutable_data();
          py::gil_scoped_release nogil;
          rbm::energy<T>(mdl, vp, hp, rows, op, n_threads);
          return out;
        },
        py::arg("W"), py::arg("b"), py::arg("c"), py::arg("V"), py::arg("H"), py::arg("n_threads"), "E(v, h).");

  m.def(name("free_energy").c_str(),
        [](const CArray<T>& W, const CArray<T>& b, const CArray<T>& c, const CArray<T>& V, int n_threads) {
          const auto mdl = model(W, b, c);
          const auto rows = rows_with(V, "V", mdl.n_visible);
          CArray<T> out(py::ssize_t{rows});
          const T* vp = V.data();
          T* op = out.mutable_data();
          py::gil_scoped_release nogil;
          rbm::free_energy<T>(mdl, vp, rows, op, n_threads);
          return out;
        },
        py::arg("W"), py::arg("b"), py::arg("c"), py::arg("V"), py::arg("n_threads"), "F(v).");

  m.def(name("pseudo_likelihood").c_str(),
        [](const CArray<T>& W, const CArray<T>& b, const CArray<T>& c, const CArray<T>& V, int n_threads) {
          const auto mdl = model(W, b, c);
          const auto rows = rows_with(V, "V", mdl.n_visible);
          CArray<T> out(py::ssize_t{rows});
          const T* vp = V.data();
          T* op = out.mutable_data();
          py::gil_scoped_release nogil;
          rbm::pseudo_likelihood<T>(mdl, vp, rows, op, n_threads);
          return out;
        },
        py::arg("W"), py::arg("b"), py::arg("c"), py::arg("V"), py::arg("n_threads"),
        "Exact pseudo-log-likelihood over all visible units, per row.");

  m.def(name("column_totals").c_str(),
        [](const CArray<T>& X, int n_threads) {
          auto [rows, cols] = shape2d(X, "X");
          py::array_t<double> out(py::ssize_t{cols});
          const T* xp = X.data();
          double* op = out.mutable_data();
          py::gil_scoped_release nogil;
          rbm::column_totals<T>(xp, rows, cols, op, n_threads);
          return out;
        },
        py::arg("X"), py::arg("n_threads"), "Sums of X's columns, in double (the visible marginals' counts).");

  m.def(name("log_partition").c_str(),
        [](const CArray<T>& W, const CArray<T>& b, const CArray<T>& c, int max_units, int n_threads) {
          const auto mdl = model(W, b, c);
          py::gil_scoped_release nogil;
          return rbm::log_partition<T>(mdl, max_units, n_threads);
        },
        py::arg("W"), py::arg("b"), py::arg("c"), py::arg("max_units"), py::arg("n_threads"),
        "Exact log Z by enumerating the smaller layer.");

  m.def(name("ais").c_str(),
        [](const CArray<T>& W, const CArray<T>& b, const CArray<T>& c, const CArray<T>& base_b,
           const CArray<double>& betas, std::int64_t n_runs, std::uint64_t seed, int n_threads,
           std::int64_t run_offset) {
          const auto mdl = model(W, b, c);
          if (base_b.ndim() != 1 || base_b.shape(0) != mdl.n_visible) {
            throw py::value_error("base_b must have shape (n_visible,)");
          }
          if (betas.ndim() != 1) throw py::value_error("betas must be 1-D");
          if (n_runs < 1) throw py::value_error("n_runs must be at least 1");
          CArray<double> log_w(py::ssize_t{n_runs});
          const T* bb = base_b.data();
          const double* bp = betas.data();
          const auto nb = static_cast<std::int64_t>(betas.shape(0));
          double* lw = log_w.mutable_data();
          double log_z0;
          {
            py::gil_scoped_release nogil;
            log_z0 = rbm::ais<T>(mdl, bb, bp, nb, n_runs, seed, lw, n_threads, run_offset);
          }
          return py::make_tuple(log_z0, log_w);
        },
        py::arg("W"), py::arg("b"), py::arg("c"), py::arg("base_b"), py::arg("betas"), py::arg("n_runs"),
        py::arg("seed"), py::arg("n_threads"), py::arg("run_offset") = 0,
        "Annealed importance sampling: returns (log Z of the base model, log weights); run r uses "
        "the stream (seed, run_offset + r).");

  m.def(name("cd_train").c_str(),
        [](py::array W, py::array b, py::array c, py::array vel_W, py::array vel_b, py::array vel_c, py::array q,
           py::array chain, const CArray<T>& X, std::optional<py::array_t<std::int64_t, py::array::c_style>> order,
           std::int64_t batch_size, int k, bool persistent, double learning_rate, double momentum,
           double weight_decay, double sparsity_target, double sparsity_cost, std::uint64_t seed,
           int n_threads) {
          if (W.ndim() != 2) throw py::value_error("W must be 2-D");
          const auto n = static_cast<std::int64_t>(W.shape(0)), mv = static_cast<std::int64_t>(W.shape(1));
          if (chain.ndim() != 2) throw py::value_error("chain must be 2-D");
          const auto n_chain = static_cast<std::int64_t>(chain.shape(0));
          rbm::TrainState<T> s{mutable_data<T>(W, "W", n, mv),
                               mutable_data<T>(b, "b", mv, -1),
                               mutable_data<T>(c, "c", n, -1),
                               mutable_data<T>(vel_W, "vel_W", n, mv),
                               mutable_data<T>(vel_b, "vel_b", mv, -1),
                               mutable_data<T>(vel_c, "vel_c", n, -1),
                               mutable_data<T>(q, "q", n, -1),
                               mutable_data<T>(chain, "chain", n_chain, n),
                               mv, n, n_chain};
          const auto rows = rows_with(X, "X", mv);
          const std::int64_t* op = nullptr;
          if (order) {
            if (order->ndim() != 1 || order->shape(0) != rows) {
              throw py::value_error("order must be 1-D with one index per row of X");
            }
            op = order->data();
          }
          rbm::TrainOptions opt;
          opt.batch_size = batch_size;
          opt.k = k;
          opt.persistent = persistent;
          opt.learning_rate = learning_rate;
          opt.momentum = momentum;
          opt.weight_decay = weight_decay;
          opt.sparsity_target = sparsity_target;
          opt.sparsity_cost = sparsity_cost;
          const T* xp = X.data();
          py::gil_scoped_release nogil;
          return rbm::cd_train<T>(s, xp, rows, op, opt, seed, n_threads);
        },
        py::arg("W"), py::arg("b"), py::arg("c"), py::arg("vel_W"), py::arg("vel_b"), py::arg("vel_c"),
        py::arg("q"), py::arg("chain"), py::arg("X"), py::arg("order"), py::arg("batch_size"), py::arg("k"),
        py::arg("persistent"), py::arg("learning_rate"), py::arg("momentum"), py::arg("weight_decay"),
        py::arg("sparsity_target"), py::arg("sparsity_cost"), py::arg("seed"), py::arg("n_threads"),
        "Fused CD-k / PCD training over minibatches of X; parameters updated in place.");
}

}  // namespace

void bind_rbm(py::module_& m) {
  bind_dtype<float>(m);
  bind_dtype<double>(m);
}

}  // namespace infogen::bindings
