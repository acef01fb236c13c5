// Bindings of the count trie and the streaming Kneser-Ney ARPA writer.
#include "pybind11.hpp"

#include <optional>
#include <string>
#include <vector>

#include "infogen/ngram/count_trie.hpp"
#include "infogen/ngram/kn_stream.hpp"
#include "ngram_common.hpp"

namespace infogen::bindings {
namespace {

using ngram::count_t;
using ngram::word_t;

ngram::CountTrie count_trie(const CArray<word_t>& ids, const CArray<std::int64_t>& offsets, int order,
                            word_t vocab_size, int n_threads, std::size_t bucket_windows, std::size_t round_bytes) {
  if (ids.ndim() != 1 || offsets.ndim() != 1 || offsets.size() < 1)
    throw py::value_error("ids and offsets must be 1-D, offsets non-empty");
  const index_t n_sentences = static_cast<index_t>(offsets.size()) - 1;
  if (offsets.at(n_sentences) != static_cast<std::int64_t>(ids.size()))
    throw py::value_error("offsets[-1] must equal len(ids)");
  const word_t* ip = ids.data();
  const std::int64_t* op = offsets.data();
  py::gil_scoped_release nogil;
  return ngram::count_trie(ip, op, n_sentences, order, vocab_size, n_threads, bucket_windows, round_bytes);
}

/// The trie's n-grams of one order as the sorted (m, k) array count_ngrams gives, and counts.
py::tuple trie_table(const ngram::CountTrie& t, int k, int n_threads) {
  UninitVector<word_t> ng;
  UninitVector<count_t> ct;
  {
    py::gil_scoped_release nogil;
    t.table(k, ng, ct, n_threads);
  }
  const auto m = static_cast<py::ssize_t>(ct.size());
  return py::make_tuple(to_numpy(std::move(ng), {m, static_cast<py::ssize_t>(k)}), to_numpy(std::move(ct)));
}

py::dict write_kn_arpa(ngram::CountTrie& trie, const py::list& vocab, std::vector<count_t> prune,
                       std::vector<double> fallback, int n_threads, const py::function& sink, index_t slab_rows,
                       const std::optional<py::function>& progress, bool float32) {
  const auto words = to_strings(vocab);
  ngram::KneserNeyOptions opt;
  opt.prune = std::move(prune);
  opt.fallback = std::move(fallback);
  opt.n_threads = n_threads;
  // Each piece reaches Python as a memoryview of the C++ buffer: no copy of the text.
  const ngram::TextSink to_python = [&sink](std::string&& text) {
    py::gil_scoped_acquire gil;
    sink(py::memoryview::from_memory(text.data(), static_cast<py::ssize_t>(text.size()), true));
  };
  ngram::SlabProgress report;
  if (progress) {
    report = [&progress](int k, index_t done, index_t total) {
      py::gil_scoped_acquire gil;
      (*progress)(k, done, total);
    };
  }
  ngram::KneserNeyArpaInfo info;
  {
    py::gil_scoped_release nogil;
    info = ngram::write_kneser_ney_arpa(std::move(trie), words, opt, to_python, slab_rows, report, float32);
  }
  py::dict out;
  add_kn_stats(out, info);
  out["sizes"] = info.sizes;
  return out;
}

}  // namespace

void bind_ngram_stream(py::module_& m) {
  py::class_<ngram::CountTrie>(m, "_CountTrie", "Counts of orders 1..N in trie form (see count_trie.hpp).")
      .def_readonly("order", &ngram::CountTrie::order)
      .def_readonly("vocab_size", &ngram::CountTrie::vocab_size)
      .def_readonly("n_tokens", &ngram::CountTrie::n_tokens)
      .def_readonly("n_sentences", &ngram::CountTrie::n_sentences)
      .def_property_readonly("sizes",
                             [](const ngram::CountTrie& t) {
                               std::vector<index_t> s;
                               for (const auto& o : t.orders) s.push_back(o.m);
                               return s;
                             })
      .def_property_readonly("nbytes", &ngram::CountTrie::bytes)
      .def("table", &trie_table, py::arg("k"), py::arg("n_threads") = 0,
           "Order k as (sorted (m, k) uint32 n-grams, int64 counts); unigrams without the unseen words.");
  py::class_<ngram::TrieBuilder>(m, "_TrieBuilder", "A _CountTrie from sorted count tables, fed order by order.")
      .def(py::init<int, word_t, const std::vector<index_t>&>(), py::arg("order"), py::arg("vocab_size"), py::arg("sizes"))
      .def(
          "add",
          [](ngram::TrieBuilder& b, int k, const CArray<word_t>& ngrams, const CArray<count_t>& counts) {
            const auto n = static_cast<index_t>(counts.size());
            if (counts.ndim() != 1 || ngrams.ndim() != 2 || ngrams.shape(0) != n || ngrams.shape(1) != k)
              throw py::value_error("ngrams must have shape (len(counts), k) and counts be 1-D");
            const word_t* g = ngrams.data();
            const count_t* c = counts.data();
            py::gil_scoped_release nogil;
            b.add(k, g, c, n);
          },
          py::arg("k"), py::arg("ngrams").noconvert(), py::arg("counts").noconvert(),
          "Sorted rows of order k (orders in turn).")
      .def("finish", &ngram::TrieBuilder::finish, py::arg("n_tokens"), py::arg("n_sentences"),
           py::call_guard<py::gil_scoped_release>());
  m.def("ngram_count_trie_supported", &ngram::count_trie_supported, py::arg("order"), py::arg("vocab_size"));
  m.def("ngram_count_trie", &count_trie, py::arg("ids").noconvert(), py::arg("offsets").noconvert(), py::arg("order"),
        py::arg("vocab_size"), py::arg("n_threads") = 0, py::arg("bucket_windows") = 0, py::arg("round_bytes") = 0,
        "Count orders 1..order of a CSR corpus into a _CountTrie (bucket_windows, round_bytes: 0 for the "
        "defaults; small values for tests).");
  m.def("ngram_write_kn_arpa", &write_kn_arpa, py::arg("trie"), py::arg("vocab"), py::arg("prune"), py::arg("fallback"),
        py::arg("n_threads"), py::arg("sink"), py::arg("slab_rows") = index_t(1) << 21,
        py::arg("progress") = py::none(), py::arg("float32") = false,
        "Estimate modified Kneser-Ney from a _CountTrie (consumed) and pass the ARPA file's text to "
        "sink(memoryview) piece by piece; the memoryview is valid only during the call; progress(k, done, "
        "total) after each slab of lines. Returns the "
        "discounts, count-of-counts, fallbacks, warnings and the n-grams written per order.");
}

}  // namespace infogen::bindings
