// Bindings of the information measures: convert, release the GIL, call the core.
#include "pybind11.hpp"

#include "infogen/fastlog.hpp"
#include "infogen/info.hpp"

namespace infogen::bindings {
namespace {

using info::Dist;
using info::Input;
using info::Reduction;

template <class T>
CArray<T> new_like_rows(std::int64_t rows) {
  return CArray<T>(py::ssize_t(rows));
}

template <class T>
CArray<T> new_2d(std::int64_t rows, std::int64_t cols) {
  return CArray<T>({py::ssize_t(rows), py::ssize_t(cols)});
}

template <class T>
py::tuple problem_tuple(const info::Problem& p) {
  return py::make_tuple(p.row, p.col, p.code, p.value);
}

template <class T>
void bind_dtype(py::module_& m) {
  const std::string sfx = dtype_suffix<T>();
  auto name = [&](const char* base) { return std::string(base) + sfx; };

  m.def(name("logsumexp").c_str(),
        [](const CArray<T>& x, std::optional<CArray<T>> w, bool want_sign, int n_threads) {
          auto [rows, cols] = shape2d(x, "x");
          if (w) same_shape(x, *w, "x", "weights");
          auto out = new_like_rows<T>(rows);
          std::optional<CArray<T>> sign;
          if (want_sign) sign = new_like_rows<T>(rows);
          const T* wp = w ? w->data() : nullptr;
          const T* xp = x.data();
          T* op = out.mutable_data();
          T* sp = sign ? sign->mutable_data() : nullptr;
          {
            py::gil_scoped_release nogil;
            info::logsumexp<T>(xp, wp, rows, cols, op, sp, n_threads);
          }
          return py::make_tuple(out, sign ? py::object(*sign) : py::none());
        },
        py::arg("x").noconvert(), py::arg("weights").noconvert(), py::arg("want_sign"), py::arg("n_threads"),
        "Row-wise log|sum w exp(x)| of a 2-D array, and the sign of the sum when asked: (out, sign or None).");

  using Elementwise2 = void (*)(const T*, const T*, index_t, T*, int);
  auto bind_elementwise2 = [&](const char* base, Elementwise2 fn, const char* doc) {
    m.def(name(base).c_str(),
          [fn](const CArray<T>& x, const CArray<T>& y, int n_threads) {
            if (x.size() != y.size()) throw py::value_error("x and y must have the same size");
            CArray<T> out(x.size());
            const T* xp = x.data();
            const T* yp = y.data();
            T* op = out.mutable_data();
            const auto n = static_cast<index_t>(x.size());
            py::gil_scoped_release nogil;
            fn(xp, yp, n, op, n_threads);
            return out;
          },
          py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("n_threads"), doc);
  };
  bind_elementwise2("rel_entr", &info::rel_entr<T>, "Elementwise x log(x/y) as scipy.special.rel_entr (flat result).");
  bind_elementwise2("kl_div", &info::kl_div<T>, "Elementwise x log(x/y) - x + y as scipy.special.kl_div (flat result).");
  m.def(name("entr").c_str(),
        [](const CArray<T>& x, int n_threads) {
          CArray<T> out(x.size());
          const T* xp = x.data();
          T* op = out.mutable_data();
          const auto n = static_cast<index_t>(x.size());
          py::gil_scoped_release nogil;
          info::entr<T>(xp, n, op, n_threads);
          return out;
        },
        py::arg("x").noconvert(), py::arg("n_threads"), "Elementwise -x log x as scipy.special.entr (flat result).");

  m.def(name("softmax").c_str(),
        [](const CArray<T>& x, bool log, int n_threads) {
          auto [rows, cols] = shape2d(x, "x");
          auto out = new_2d<T>(rows, cols);
          const T* xp = x.data();
          T* op = out.mutable_data();
          py::gil_scoped_release nogil;
          info::softmax<T>(xp, rows, cols, log, op, n_threads);
          return out;
        },
        py::arg("x").noconvert(), py::arg("log"), py::arg("n_threads"), "Row-wise (log-)softmax of a 2-D array.");

  m.def(name("information_content").c_str(),
        [](const CArray<T>& p, int input, double scale, int n_threads) {
          auto [rows, cols] = shape2d(p, "p");
          auto out = new_2d<T>(rows, cols);
          const Dist<T> d{p.data(), static_cast<Input>(input)};
          T* op = out.mutable_data();
          py::gil_scoped_release nogil;
          info::information_content<T>(d, rows, cols, scale, op, n_threads);
          return out;
        },
        py::arg("p").noconvert(), py::arg("input"), py::arg("scale"), py::arg("n_threads"),
        "Elementwise -log p times scale.");

  m.def(name("entropy").c_str(),
        [](const CArray<T>& p, int input, double scale, int n_threads) {
          auto [rows, cols] = shape2d(p, "p");
          auto out = new_like_rows<T>(rows);
          const Dist<T> d{p.data(), static_cast<Input>(input)};
          T* op = out.mutable_data();
          py::gil_scoped_release nogil;
          info::entropy<T>(d, rows, cols, scale, op, n_threads);
          return out;
        },
        py::arg("p").noconvert(), py::arg("input"), py::arg("scale"), py::arg("n_threads"), "Row-wise entropy.");

  m.def(name("entropy_stats").c_str(),
        [](const CArray<T>& p, double scale, int n_threads) {
          auto [rows, cols] = shape2d(p, "p");
          auto out = new_like_rows<T>(rows);
          auto mins = new_like_rows<T>(rows);
          py::array_t<double> sums(static_cast<py::ssize_t>(rows));
          T* op = out.mutable_data();
          T* mp = mins.mutable_data();
          double* sp = sums.mutable_data();
          {
            py::gil_scoped_release nogil;
            info::entropy_with_stats<T>(p.data(), rows, cols, scale, op, sp, mp, n_threads);
          }
          return py::make_tuple(out, sums, mins);
        },
        py::arg("p").noconvert(), py::arg("scale"), py::arg("n_threads"),
        "Row-wise entropy of probabilities with each row's sum and minimum (one pass).");

  using TwoDist = void (*)(Dist<T>, Dist<T>, index_t, index_t, double, T*, int);
  auto bind_two = [&](const char* base, TwoDist fn, const char* doc) {
    m.def(name(base).c_str(),
          [fn](const CArray<T>& p, int p_input, const CArray<T>& q, int q_input, double scale, int n_threads) {
            same_shape(p, q, "p", "q");
            auto [rows, cols] = shape2d(p, "p");
            auto out = new_like_rows<T>(rows);
            const Dist<T> dp{p.data(), static_cast<Input>(p_input)};
            const Dist<T> dq{q.data(), static_cast<Input>(q_input)};
            T* op = out.mutable_data();
            py::gil_scoped_release nogil;
            fn(dp, dq, rows, cols, scale, op, n_threads);
            return out;
          },
          py::arg("p").noconvert(), py::arg("p_input"), py::arg("q").noconvert(), py::arg("q_input"), py::arg("scale"),
          py::arg("n_threads"), doc);
  };
  bind_two("cross_entropy", &info::cross_entropy<T>, "Row-wise cross-entropy H(p, q).");
  bind_two("kl_divergence", &info::kl_divergence<T>, "Row-wise KL(p || q).");
  bind_two("js_divergence", &info::js_divergence<T>, "Row-wise Jensen-Shannon divergence.");

  m.def(name("binary_cross_entropy").c_str(),
        [](const CArray<T>& y, const CArray<T>& p, bool logits, int reduction, bool want_grad, int n_threads) {
          same_shape(y, p, "y", "p");
          auto [rows, cols] = shape2d(y, "y");
          const auto red = static_cast<Reduction>(reduction);
          auto out = red == Reduction::none ? new_2d<T>(rows, cols) : new_like_rows<T>(rows);
          std::optional<CArray<T>> grad;
          if (want_grad) grad = new_2d<T>(rows, cols);
          const T* yp = y.data();
          const T* pp = p.data();
          T* op = out.mutable_data();
          T* gp = grad ? grad->mutable_data() : nullptr;
          {
            py::gil_scoped_release nogil;
            info::binary_cross_entropy<T>(yp, pp, logits, rows, cols, red, op, gp, n_threads);
          }
          return py::make_tuple(out, grad ? py::object(*grad) : py::none());
        },
        py::arg("y").noconvert(), py::arg("p").noconvert(), py::arg("logits"), py::arg("reduction"), py::arg("want_grad"),
        py::arg("n_threads"), "Binary cross-entropy (and optionally its gradient).");

  m.def(name("gaussian_kl").c_str(),
        [](const CArray<T>& mu_q, const CArray<T>& lv_q, std::optional<CArray<T>> mu_p,
           std::optional<CArray<T>> lv_p, bool want_grad, int n_threads) {
          same_shape(mu_q, lv_q, "mu_q", "logvar_q");
          if (mu_p) same_shape(mu_q, *mu_p, "mu_q", "mu_p");
          if (lv_p) same_shape(mu_q, *lv_p, "mu_q", "logvar_p");
          auto [rows, cols] = shape2d(mu_q, "mu_q");
          auto out = new_like_rows<T>(rows);
          std::optional<CArray<T>> g_mu, g_lv;
          if (want_grad) {
            g_mu = new_2d<T>(rows, cols);
            g_lv = new_2d<T>(rows, cols);
          }
          const T *a = mu_q.data(), *b = lv_q.data();
          const T* c = mu_p ? mu_p->data() : nullptr;
          const T* d = lv_p ? lv_p->data() : nullptr;
          T* op = out.mutable_data();
          T* gm = g_mu ? g_mu->mutable_data() : nullptr;
          T* gl = g_lv ? g_lv->mutable_data() : nullptr;
          {
            py::gil_scoped_release nogil;
            info::gaussian_kl<T>(a, b, c, d, rows, cols, op, gm, gl, n_threads);
          }
          return py::make_tuple(out, g_mu ? py::object(*g_mu) : py::none(),
                                g_lv ? py::object(*g_lv) : py::none());
        },
        py::arg("mu_q").noconvert(), py::arg("logvar_q").noconvert(), py::arg("mu_p").noconvert(), py::arg("logvar_p").noconvert(), py::arg("want_grad"),
        py::arg("n_threads"), "KL between diagonal Gaussians, summed over the last axis (and gradients).");

  m.def(name("perplexity").c_str(),
        [](const CArray<T>& lp, std::optional<CArray<std::int64_t>> n_valid, double log_base, int n_threads) {
          auto [rows, cols] = shape2d(lp, "log_probs");
          if (n_valid && n_valid->size() != rows) throw py::value_error("n_valid must hold one count per row");
          auto out = new_like_rows<T>(rows);
          const T* xp = lp.data();
          const index_t* np_ = n_valid ? n_valid->data() : nullptr;
          T* op = out.mutable_data();
          py::gil_scoped_release nogil;
          info::perplexity<T>(xp, np_, rows, cols, log_base, op, n_threads);
          return out;
        },
        py::arg("log_probs").noconvert(), py::arg("n_valid").noconvert(), py::arg("log_base"), py::arg("n_threads"),
        "Row-wise perplexity (n_valid: optional per-row counts for the mean).");

  m.def(name("joint_measures").c_str(),
        [](const CArray<T>& joint, double scale, int n_threads) {
          if (joint.ndim() != 3) throw py::value_error("joint must be 3-D (batch, n_x, n_y)");
          const auto b = static_cast<std::int64_t>(joint.shape(0));
          const auto nx = static_cast<std::int64_t>(joint.shape(1));
          const auto ny = static_cast<std::int64_t>(joint.shape(2));
          auto mi = new_like_rows<T>(b), hyx = new_like_rows<T>(b), hxy = new_like_rows<T>(b);
          const T* jp = joint.data();
          T *a = mi.mutable_data(), *c = hyx.mutable_data(), *d = hxy.mutable_data();
          {
            py::gil_scoped_release nogil;
            info::joint_measures<T>(jp, b, nx, ny, scale, a, c, d, n_threads);
          }
          return py::make_tuple(mi, hyx, hxy);
        },
        py::arg("joint").noconvert(), py::arg("scale"), py::arg("n_threads"),
        "Mutual information, H(Y|X) and H(X|Y) of a batch of joint tables.");

  m.def(name("check_distribution").c_str(),
        [](const CArray<T>& x, int input, double sum_tol, int n_threads) {
          auto [rows, cols] = shape2d(x, "x");
          const T* xp = x.data();
          info::Problem p;
          {
            py::gil_scoped_release nogil;
            p = info::check_distribution<T>(xp, static_cast<Input>(input), rows, cols, sum_tol, n_threads);
          }
          return problem_tuple<T>(p);
        },
        py::arg("x").noconvert(), py::arg("input"), py::arg("sum_tol"), py::arg("n_threads"),
        "First invalid row of a batch of distributions: (row, col, code, value); row -1 if none.");

  m.def(name("check_range").c_str(),
        [](const CArray<T>& x, double lo, double hi, int n_threads) {
          auto [rows, cols] = shape2d(x, "x");
          const T* xp = x.data();
          info::Problem p;
          {
            py::gil_scoped_release nogil;
            p = info::check_range<T>(xp, rows, cols, lo, hi, n_threads);
          }
          return problem_tuple<T>(p);
        },
        py::arg("x").noconvert(), py::arg("lo"), py::arg("hi"), py::arg("n_threads"),
        "First entry that is NaN or outside [lo, hi]: (row, col, code, value); row -1 if none.");
}

}  // namespace

void bind_info(py::module_& m) {
  bind_dtype<float>(m);
  bind_dtype<double>(m);
  m.def(
      "vlog_f64",
      [](const CArray<double>& x) {
        CArray<double> out(x.size());
        const double* xp = x.data();
        double* op = out.mutable_data();
        const auto n = static_cast<index_t>(x.size());
        py::gil_scoped_release nogil;
        vlog(xp, n, op);
        return out;
      },
      py::arg("x").noconvert(), "Elementwise natural log of a float64 array with the kernels' fast log (for tests).");
}

}  // namespace infogen::bindings
