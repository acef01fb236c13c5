// Bindings of the n-gram engine: convert, release the GIL, call the core.
#include "pybind11.hpp"

#include <memory>
#include <vector>

#include "infogen/ngram/arpa.hpp"
#include "infogen/ngram/corpus.hpp"
#include "infogen/ngram/counter.hpp"
#include "infogen/ngram/kneser_ney.hpp"
#include "infogen/ngram/model.hpp"
#include "ngram_common.hpp"

namespace infogen::bindings {
namespace {

using ngram::count_t;
using ngram::word_t;

py::tuple count(const CArray<word_t>& ids, const CArray<std::int64_t>& offsets, int order, word_t vocab_size,
                int n_threads) {
  if (ids.ndim() != 1 || offsets.ndim() != 1 || offsets.size() < 1)
    throw py::value_error("ids and offsets must be 1-D, offsets non-empty");
  const index_t n_sentences = static_cast<index_t>(offsets.size()) - 1;
  if (offsets.at(n_sentences) != static_cast<std::int64_t>(ids.size()))
    throw py::value_error("offsets[-1] must equal len(ids)");
  std::vector<ngram::NGramArrays> res;
  ngram::CountStats stats;
  const word_t* ip = ids.data();
  const std::int64_t* op = offsets.data();
  {
    py::gil_scoped_release nogil;
    res = ngram::count_ngrams(ip, op, n_sentences, order, vocab_size, n_threads, &stats);
  }
  py::list out;
  for (auto& a : res) {
    const auto m = static_cast<py::ssize_t>(a.counts.size());
    const auto k = static_cast<py::ssize_t>(a.order);
    out.append(py::make_tuple(to_numpy(std::move(a.ngrams), {m, k}), to_numpy(std::move(a.counts))));
  }
  py::dict info;
  info["table_bytes"] = stats.table_bytes;
  info["scan_seconds"] = stats.scan_seconds;
  info["export_seconds"] = stats.export_seconds;
  return py::make_tuple(out, info);
}

/// Views of the per-order (n-grams, counts) tables passed from Python, checked; the arrays
/// are kept alive here for as long as the views are used.
struct CountTables {
  std::vector<ngram::CountsView> views;
  std::vector<CArray<word_t>> keep_ng;
  std::vector<CArray<count_t>> keep_ct;

  explicit CountTables(const py::list& tables) {
    int k = 0;
    for (auto item : tables) {
      ++k;
      auto t = item.cast<py::tuple>();
      auto ng = t[0].cast<CArray<word_t>>();
      auto ct = t[1].cast<CArray<count_t>>();
      if (ng.ndim() != 2 || ng.shape(1) != k || ct.ndim() != 1 || ct.shape(0) != ng.shape(0))
        throw py::value_error("order-" + std::to_string(k) + " counts must be (m, " + std::to_string(k) +
                              ") n-grams and (m,) counts");
      views.push_back({ng.data(), ct.data(), static_cast<index_t>(ct.shape(0))});
      keep_ng.push_back(ng);
      keep_ct.push_back(ct);
    }
  }
};

py::list estimate(const py::list& tables, word_t vocab_size, int smoothing, double param) {
  if (smoothing < 0 || smoothing > 2)
    throw py::value_error("smoothing must be 0 (mle), 1 (add_k) or 2 (stupid_backoff); Kneser-Ney is ngram_estimate_kn");
  const CountTables counts(tables);
  std::vector<ngram::OrderLogs> logs;
  {
    py::gil_scoped_release nogil;
    logs = ngram::estimate(counts.views, vocab_size, static_cast<ngram::Smoothing>(smoothing), param);
  }
  py::list out;
  for (auto& o : logs) out.append(py::make_tuple(to_numpy(std::move(o.logp)), to_numpy(std::move(o.logbo))));
  return out;
}

py::dict estimate_kn(const py::list& tables, word_t vocab_size, std::vector<count_t> prune,
                     std::vector<double> fallback, int n_threads) {
  const CountTables counts(tables);
  ngram::KneserNeyOptions opt;
  opt.prune = std::move(prune);
  opt.fallback = std::move(fallback);
  opt.n_threads = n_threads;
  ngram::KneserNeyModel res;
  {
    py::gil_scoped_release nogil;
    res = ngram::estimate_kneser_ney(counts.views, vocab_size, opt);
  }
  py::dict out;
  py::list ngrams, logp, logbo;
  for (std::size_t i = 0; i < res.ngrams.size(); ++i) {
    if (res.all_kept[i]) {
      ngrams.append(counts.keep_ng[i + 1]);
      continue;
    }
    const auto kk = static_cast<py::ssize_t>(i + 2);
    const auto m = static_cast<py::ssize_t>(res.ngrams[i].size()) / kk;
    ngrams.append(to_numpy(std::move(res.ngrams[i]), {m, kk}));
  }
  const py::object zeros = py::module_::import("numpy").attr("zeros");
  for (auto& o : res.logs) {
    const std::size_t m = o.logp.size();
    logp.append(to_numpy(std::move(o.logp)));
    // the highest order comes without backoffs: zeros from calloc, no memory until touched
    if (o.logbo.size() == m) {
      logbo.append(to_numpy(std::move(o.logbo)));
    } else {
      logbo.append(zeros(m));
    }
  }
  out["ngrams"] = ngrams;
  out["logp"] = logp;
  out["logbo"] = logbo;
  add_kn_stats(out, res);
  return out;
}

}  // namespace

void bind_ngram(py::module_& m) {
  m.def("ngram_arpa_lines",
        [](int k, std::optional<CArray<word_t>> ngrams, const CArray<double>& logp, std::optional<CArray<double>> logbo,
           const py::list& vocab, const std::string& bos, int n_threads, std::optional<py::function> sink,
           std::int64_t slab_rows, bool float32) -> py::object {
          const auto words = to_strings(vocab);
          const index_t rows = static_cast<index_t>(logp.size());
          if (ngrams && (ngrams->ndim() != 2 || ngrams->shape(0) != rows || ngrams->shape(1) != k))
            throw py::value_error("ngrams must have shape (len(logp), k)");
          if (logbo && logbo->size() != logp.size()) throw py::value_error("logbo must match logp");
          if (slab_rows < 1) throw py::value_error("slab_rows must be positive");
          const word_t* gp = ngrams ? ngrams->data() : nullptr;
          const double* pp = logp.data();
          const double* bp = logbo ? logbo->data() : nullptr;
          // Without a sink: all lines as one bytes object. With one: slabs of rows, each
          // formatted without the GIL and handed to sink(bytes), so memory stays bounded.
          // Unigram rows without word ids are indexed by position (<s> is found by its
          // id), so they are never split.
          const index_t slab = (!sink || gp == nullptr) ? std::max<index_t>(rows, 1) : slab_rows;
          for (index_t a = 0; a < std::max<index_t>(rows, 1); a += slab) {
            const index_t n = std::min(slab, rows - a);
            std::string text;
            {
              py::gil_scoped_release nogil;
              text = ngram::format_arpa_lines(k, gp ? gp + a * k : nullptr, n, pp + a, bp ? bp + a : nullptr, words,
                                              bos, n_threads, float32);
            }
            if (!sink) return py::bytes(text);
            (*sink)(py::bytes(text));
          }
          return py::none();
        },
        py::arg("k"), py::arg("ngrams"), py::arg("logp"), py::arg("logbo"), py::arg("vocab"), py::arg("bos") = "-99",
        py::arg("n_threads") = 1, py::arg("sink") = py::none(), py::arg("slab_rows") = 1 << 21,
        py::arg("float32") = false,
        "ARPA lines of one order (log10, shortest round-trip numbers, -99 for zero): as bytes, or "
        "passed to sink(bytes) in slabs of slab_rows lines.");

  m.def("ngram_parse_arpa_section",
        [](const py::bytes& body, int k, bool highest, std::int64_t first_line, std::optional<py::list> unigrams) {
          const std::string_view sv(body);
          std::vector<std::string> uni;
          if (unigrams) uni = to_strings(*unigrams);
          ngram::ArpaSection sec;
          {
            py::gil_scoped_release nogil;
            sec = ngram::parse_arpa_section(sv.data(), sv.size(), k, highest, first_line, unigrams ? &uni : nullptr);
          }
          const auto m = static_cast<py::ssize_t>(sec.logp10.size());
          py::object words = py::none();
          py::object ids = py::none();
          if (k == 1) {
            py::list w;
            for (const auto& s : sec.words) w.append(py::bytes(s));
            words = w;
          } else {
            ids = to_numpy(std::move(sec.ids), {m, static_cast<py::ssize_t>(k)});
          }
          return py::make_tuple(words, ids, to_numpy(std::move(sec.logp10)), to_numpy(std::move(sec.logbo10)));
        },
        py::arg("body"), py::arg("k"), py::arg("highest"), py::arg("first_line"), py::arg("unigrams"),
        "Parse one ARPA section body: (unigram words | None, ids (m, k) | None, log10 p, log10 backoff).");

  py::class_<ngram::Tokenizer>(m, "_Tokenizer")
      .def(py::init<bool, bool>(), py::arg("grow"), py::arg("keep_empty") = false)
      .def("set_vocabulary", [](ngram::Tokenizer& t, const py::list& words) { t.set_vocabulary(to_strings(words)); },
           py::arg("words"), "Start from a vocabulary (list of bytes, beginning with <unk>, <s>, </s>).")
      .def("feed_file",
           [](ngram::Tokenizer& t, const std::string& path, int n_threads, std::size_t block_bytes) {
             py::gil_scoped_release nogil;
             t.feed_file(path, n_threads, block_bytes);
           },
           py::arg("path"), py::arg("n_threads"), py::arg("block_bytes") = std::size_t(64) << 20)
      .def("feed_buffer",
           [](ngram::Tokenizer& t, const py::bytes& data, int n_threads) {
             const std::string_view sv(data);
             py::gil_scoped_release nogil;
             t.feed(sv.data(), sv.size(), n_threads, "<text>");
           },
           py::arg("data"), py::arg("n_threads"))
      .def_property_readonly("n_words", [](const ngram::Tokenizer& t) { return t.words().size(); })
      .def("words_from",
           [](const ngram::Tokenizer& t, std::size_t start) {
             py::list out;
             for (std::size_t i = start; i < t.words().size(); ++i) out.append(py::bytes(t.words()[i]));
             return out;
           },
           py::arg("start"), "Vocabulary entries from id `start` on, as bytes.")
      .def("words_text_from",
           [](const ngram::Tokenizer& t, std::size_t start) {
             // one decode of the joined words instead of one bytes object per word
             std::string joined;
             for (std::size_t i = start; i < t.words().size(); ++i) {
               if (i > start) joined += '\n';
               joined += t.words()[i];
             }
             PyObject* text = PyUnicode_DecodeUTF8(joined.data(), static_cast<Py_ssize_t>(joined.size()),
                                                   "surrogateescape");
             if (text == nullptr) throw py::error_already_set();
             return py::reinterpret_steal<py::str>(text);
           },
           py::arg("start"),
           "Vocabulary entries from id `start` on, '\\n'-joined and decoded as UTF-8 with surrogateescape.")
      .def("take",
           [](ngram::Tokenizer& t) {
             ngram::Tokenized r = std::move(t.result());
             t.result() = ngram::Tokenized{};
             const auto n_lines = r.n_lines, n_bytes = r.n_bytes;
             return py::make_tuple(to_numpy(std::move(r.ids)), to_numpy(std::move(r.offsets)), n_lines, n_bytes);
           },
           "Move out the tokens read so far: (ids uint32, offsets int64, n_lines, n_bytes).");
  m.def("ngram_count", &count, py::arg("ids"), py::arg("offsets"), py::arg("order"), py::arg("vocab_size"),
        py::arg("n_threads"), "Count orders 1..order: ([(ngrams, counts)] sorted, {table_bytes, scan_seconds, export_seconds}).");
  m.def("ngram_estimate", &estimate, py::arg("tables"), py::arg("vocab_size"), py::arg("smoothing"), py::arg("param"),
        "Backoff-form natural-log tables [(logp, logbo)] per order from sorted counts.");

  m.def("ngram_estimate_kn", &estimate_kn, py::arg("tables"), py::arg("vocab_size"), py::arg("prune"),
        py::arg("fallback"), py::arg("n_threads"),
        "Interpolated modified Kneser-Ney as lmplz estimates it: {ngrams, logp, logbo, discounts, count_of_counts, "
        "used_fallback, warnings}.");

}

}  // namespace infogen::bindings
