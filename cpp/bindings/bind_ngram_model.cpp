// Bindings of the n-gram query model (its image in memory or a mapped .ngram file):
// convert, release the GIL, call the core.
#include "pybind11.hpp"

#include <memory>
#include <string>
#include <vector>

#include "infogen/ngram/model.hpp"
#include "ngram_common.hpp"

namespace infogen::bindings {
namespace {

using ngram::BackoffModel;
using ngram::word_t;
using Model = std::shared_ptr<BackoffModel>;

/// A read-only NumPy view of `n` Ts at `p` inside the model's image, keeping it alive.
template <class T>
py::array_t<T> view(const Model& model, const T* p, std::vector<py::ssize_t> shape) {
  auto* keep = new std::shared_ptr<ngram::ImageStorage>(model->storage());
  py::capsule owner(keep, [](void* q) { delete static_cast<std::shared_ptr<ngram::ImageStorage>*>(q); });
  py::array_t<T> a(shape, p, owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

Model build(int order, const py::list& vocab, const py::list& ngrams, const py::list& logp, const py::list& logbo,
            const std::string& meta, int precision, double slots_per_ngram, int n_threads) {
  if (static_cast<int>(logp.size()) != order || static_cast<int>(logbo.size()) != order ||
      static_cast<int>(ngrams.size()) != order - 1)
    throw py::value_error("a model of order N needs N-1 n-gram arrays and N log tables");
  if (precision != 0 && precision != 1) throw py::value_error("precision must be 0 (float64) or 1 (float32)");
  std::vector<std::string> words = to_strings(vocab);
  // Keep the arrays alive (and contiguous) while the image is built without the GIL.
  std::vector<CArray<word_t>> ng;
  std::vector<CArray<double>> lp, lb;
  std::vector<const word_t*> ngp;
  std::vector<index_t> sizes;
  std::vector<const double*> lpp, lbp;
  for (int k = 1; k <= order; ++k) {
    lp.push_back(logp[static_cast<std::size_t>(k - 1)].cast<CArray<double>>());
    lb.push_back(logbo[static_cast<std::size_t>(k - 1)].cast<CArray<double>>());
    const py::ssize_t m = k == 1 ? static_cast<py::ssize_t>(words.size()) : -1;
    if (k >= 2) {
      auto g = ngrams[static_cast<std::size_t>(k - 2)].cast<CArray<word_t>>();
      if (g.ndim() != 2 || g.shape(1) != k)
        throw py::value_error("order-" + std::to_string(k) + " n-grams must have shape (m, " + std::to_string(k) + ")");
      sizes.push_back(static_cast<index_t>(g.shape(0)));
      ngp.push_back(g.data());
      ng.push_back(std::move(g));
    }
    const py::ssize_t rows = k == 1 ? m : static_cast<py::ssize_t>(sizes.back());
    if (lp.back().size() != rows || (lb.back().size() != rows && !(k == order && k > 1)))
      throw py::value_error("order-" + std::to_string(k) + " log tables do not match its n-grams");
    lpp.push_back(lp.back().data());
    lbp.push_back(lb.back().data());  // never read at the highest order (no backoffs there)
  }
  py::gil_scoped_release nogil;
  return std::make_shared<BackoffModel>(order, words, ngp, sizes, lpp, lbp, meta, static_cast<ngram::Precision>(precision),
                                        slots_per_ngram, n_threads);
}

py::dict header(const BackoffModel& self) {
  const auto& h = self.header();
  py::dict d;
  d["version"] = h.version;
  d["order"] = h.order;
  d["precision"] = h.precision == 0 ? "double" : "float";
  d["vocab_size"] = h.vocab_size;
  d["file_size"] = h.file_size;
  d["header_hash"] = h.header_hash;
  d["content_hash"] = h.content_hash;
  py::list counts;
  for (std::uint32_t k = 1; k <= h.order; ++k) counts.append(h.counts[k - 1]);
  d["counts"] = counts;
  return d;
}

}  // namespace

void bind_ngram_model(py::module_& m) {
  py::class_<BackoffModel, Model>(m, "_NGramModel")
      .def_static("build", &build, py::arg("order"), py::arg("vocab"), py::arg("ngrams"), py::arg("logp"),
                  py::arg("logbo"), py::arg("meta"), py::arg("precision"), py::arg("slots_per_ngram"),
                  py::arg("n_threads"), "Build the model's image in memory from its tables.")
      .def_static(
          "open",
          [](const std::string& path, bool populate) {
            py::gil_scoped_release nogil;
            return std::make_shared<BackoffModel>(path, populate);
          },
          py::arg("path"), py::arg("populate"), "Memory-map a .ngram model file (checks the header only).")
      .def_property_readonly("order", &BackoffModel::order)
      .def_property_readonly("vocab_size", &BackoffModel::vocab_size)
      .def_property_readonly("nbytes", &BackoffModel::bytes)
      .def_property_readonly("mapped", [](const BackoffModel& self) { return self.storage()->mapped(); })
      .def_property_readonly("meta", [](const BackoffModel& self) { return py::bytes(std::string(self.meta())); })
      .def_property_readonly("header", &header)
      .def("verify",
           [](const BackoffModel& self) {
             py::gil_scoped_release nogil;
             return self.verify();
           },
           "Recompute the content checksum and compare it with the header's.")
      .def("prefault",
           [](const BackoffModel& self, int n_threads) {
             py::gil_scoped_release nogil;
             self.prefault(n_threads);
           },
           py::arg("n_threads"), "Map the pages scoring reads now (a mapped file; once).")
      .def("image", [](const Model& self) { return view(self, self->storage()->data(), {static_cast<py::ssize_t>(self->bytes())}); },
           "The image's bytes (a read-only uint8 view): write them to save the model.")
      .def("words",
           [](const BackoffModel& self) {
             py::list out;
             for (word_t i = 0; i < self.vocab_size(); ++i) {
               const auto w = self.word(i);
               out.append(py::bytes(w.data(), w.size()));
             }
             return out;
           },
           "Every word by id, as bytes.")
      .def("find_word",
           [](const BackoffModel& self, const py::bytes& w) {
             const std::string_view s = w;
             return self.find_word(s.data(), s.size());
           },
           py::arg("word"), "Id of a word (bytes), or -1.")
      .def("encode",
           [](const BackoffModel& self, const py::buffer& text, int n_threads) {
             const py::buffer_info info = text.request();
             const char* p = static_cast<const char*>(info.ptr);
             const auto n = static_cast<std::size_t>(info.size * info.itemsize);
             std::vector<word_t> ids;
             std::vector<std::int64_t> offsets;
             {
               py::gil_scoped_release nogil;
               self.encode(p, n, ids, offsets, n_threads);
             }
             return py::make_tuple(to_numpy(std::move(ids)), to_numpy(std::move(offsets)));
           },
           py::arg("text"), py::arg("n_threads"),
           "Text (one sentence per line) -> (ids uint32, offsets int64); unknown words are <unk>.")
      .def("ngrams",
           [](const Model& self, int k) {
             if (k < 2 || k > self->order()) throw py::value_error("order out of range");
             return view(self, self->ngrams(k), {static_cast<py::ssize_t>(self->count(k)), k});
           },
           py::arg("k"), "The sorted n-grams of order k >= 2 (a read-only view).")
      .def("order_logs",
           [](const Model& self, int k, int n_threads) {
             if (k < 1 || k > self->order()) throw py::value_error("order out of range");
             const auto m = static_cast<py::ssize_t>(k == 1 ? self->vocab_size() : self->count(k));
             CArray<double> lp(m), lb(m);
             double* pp = lp.mutable_data();
             double* bp = lb.mutable_data();
             {
               py::gil_scoped_release nogil;
               self->order_logs(k, pp, bp, n_threads);
             }
             return py::make_tuple(lp, lb);
           },
           py::arg("k"), py::arg("n_threads"), "(log p, log backoff) of every n-gram of order k, in row order.")
      .def("score",
           [](const BackoffModel& self, const CArray<word_t>& ids, const CArray<std::int64_t>& offsets, bool bos,
              bool eos, bool per_token, int n_threads, bool lengths) {
             const index_t n = static_cast<index_t>(offsets.size()) - 1;
             if (n < 0 || offsets.at(n) != static_cast<std::int64_t>(ids.size()))
               throw py::value_error("offsets must be non-empty and end at len(ids)");
             CArray<double> sent(n);
             py::object tok = py::none(), lens = py::none();
             double* tp = nullptr;
             std::uint8_t* lp = nullptr;
             const auto n_pred = static_cast<py::ssize_t>(ids.size() + (eos ? n : 0));
             if (per_token) {
               CArray<double> t(n_pred);
               tp = t.mutable_data();
               tok = t;
             }
             if (lengths) {
               CArray<std::uint8_t> l(n_pred);
               lp = l.mutable_data();
               lens = l;
             }
             const word_t* ip = ids.data();
             const std::int64_t* op = offsets.data();
             double* sp = sent.mutable_data();
             {
               py::gil_scoped_release nogil;
               self.score(ip, op, n, bos, eos, sp, tp, n_threads, lp);
             }
             return py::make_tuple(sent, tok, lens);
           },
           py::arg("ids").noconvert(), py::arg("offsets").noconvert(), py::arg("bos"), py::arg("eos"),
           py::arg("per_token"), py::arg("n_threads"), py::arg("lengths") = false,
           "(sentence log-probs, per-prediction log-probs or None, n-gram lengths or None).")
      .def("logprob",
           [](const BackoffModel& self, const CArray<word_t>& seq) {
             if (seq.size() < 1) throw py::value_error("logprob needs at least the predicted word");
             for (py::ssize_t i = 0; i < seq.size(); ++i)
               if (seq.data()[i] >= self.vocab_size()) throw py::value_error("word id outside the vocabulary");
             int length = 0;
             const double lp = self.logprob(seq.data(), static_cast<int>(seq.size()) - 1, &length);
             return py::make_tuple(lp, length);
           },
           py::arg("seq"), "(log P(seq[-1] | seq[:-1]) natural log, length of the n-gram found).")
      .def("advance",
           [](const BackoffModel& self, const py::tuple& state, const py::bytes& word) {
             // KenLM's decoder step, whole in C++: a Python call per word is the cost here.
             const std::string_view w = word;
             if (w.empty()) throw py::value_error("word must be one token, got an empty string");
             for (char ch : w)
               if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f')
                 throw py::value_error("word must be one token (no whitespace), got '" + std::string(w) + "'");
             const std::int64_t id = self.find_word(w.data(), w.size());
             if (id == ngram::kBos) throw py::value_error("<s> cannot be predicted: start a sentence with begin_state()");
             const auto n_state = static_cast<int>(state.size());
             const int keep_in = std::min(n_state, self.order() - 1);
             word_t seq[ngram::kMaxOrder + 1];
             for (int i = 0; i < keep_in; ++i) {
               const py::handle item = state[static_cast<std::size_t>(n_state - keep_in + i)];
               if (!py::isinstance<py::int_>(item))
                 throw py::type_error("state must be a tuple of word ids, from begin_state(), null_state() or advance()");
               const auto v = item.cast<long long>();
               if (v < 0 || v >= static_cast<long long>(self.vocab_size())) throw py::value_error("state holds a word id outside the vocabulary");
               seq[i] = static_cast<word_t>(v);
             }
             seq[keep_in] = id < 0 ? ngram::kUnk : static_cast<word_t>(id);
             int length = 0;
             const double lp = self.logprob(seq, keep_in, &length);
             const int keep = std::min(length, self.order() - 1);
             py::tuple out(static_cast<std::size_t>(keep));
             for (int i = 0; i < keep; ++i) out[static_cast<std::size_t>(i)] = py::int_(seq[keep_in + 1 - keep + i]);
             return py::make_tuple(lp, out);
           },
           py::arg("state"), py::arg("word"), "(log P(word | state), new state): KenLM's BaseScore in natural log.")
      .def("distribution",
           [](const BackoffModel& self, const CArray<word_t>& context) {
             for (py::ssize_t i = 0; i < context.size(); ++i)
               if (context.data()[i] >= self.vocab_size()) throw py::value_error("context word id outside the vocabulary");
             CArray<double> out(static_cast<py::ssize_t>(self.vocab_size()));
             self.distribution(context.data(), static_cast<int>(context.size()), out.mutable_data());
             return out;
           },
           py::arg("context"))
      .def("generate",
           [](const BackoffModel& self, const CArray<word_t>& prefix, index_t n, int max_words, std::uint64_t seed,
              double temperature, int top_k, bool greedy, std::vector<word_t> banned, int n_threads) {
             std::vector<word_t> ids;
             std::vector<std::int64_t> offsets;
             for (word_t b : banned)
               if (b >= self.vocab_size()) throw py::value_error("banned word id outside the vocabulary");
             const word_t* pp = prefix.data();
             const int plen = static_cast<int>(prefix.size());
             {
               py::gil_scoped_release nogil;
               self.generate(pp, plen, n, max_words, seed, temperature, top_k, greedy, banned, ids, offsets, n_threads);
             }
             return py::make_tuple(to_numpy(std::move(ids)), to_numpy(std::move(offsets)));
           },
           py::arg("prefix"), py::arg("n"), py::arg("max_words"), py::arg("seed"), py::arg("temperature"),
           py::arg("top_k"), py::arg("greedy"), py::arg("banned"), py::arg("n_threads"))
      .def("fill",
           [](const BackoffModel& self, const CArray<word_t>& seq, int first, int blank, int n_threads) {
             CArray<double> out(static_cast<py::ssize_t>(self.vocab_size()));
             const word_t* sp = seq.data();
             const int len = static_cast<int>(seq.size());
             double* op = out.mutable_data();
             {
               py::gil_scoped_release nogil;
               self.fill(sp, len, first, blank, op, n_threads);
             }
             return out;
           },
           py::arg("seq"), py::arg("first"), py::arg("blank"), py::arg("n_threads"));
}

}  // namespace infogen::bindings
