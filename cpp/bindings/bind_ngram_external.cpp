// Bindings of out-of-core counting and table merging: convert, release the GIL, call the core.
#include "pybind11.hpp"

#include <memory>
#include <vector>

#include "infogen/ngram/external.hpp"

namespace infogen::bindings {
namespace {

using ngram::count_t;
using ngram::word_t;

/// Run Python's signal handlers (Ctrl-C, SIGTERM): a raised exception aborts the count.
void check_signals() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

py::dict stats_dict(const ngram::ExternalStats& s) {
  py::dict d;
  d["sentences"] = s.n_sentences;
  d["tokens"] = s.n_tokens;
  d["blocks"] = s.n_blocks;
  d["runs"] = s.n_runs;
  d["spilled_bytes"] = s.spilled_bytes;
  d["block_tokens"] = s.block_tokens;
  d["read_block_bytes"] = s.read_block_bytes;
  d["count_seconds"] = s.count_seconds;
  d["merge_seconds"] = s.merge_seconds;
  return d;
}

py::list words_list(const std::deque<std::string>& words, std::size_t start) {
  py::list out;
  for (std::size_t i = start; i < words.size(); ++i) out.append(py::bytes(words[i]));
  return out;
}

}  // namespace

void bind_ngram_external(py::module_& m) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ngram::FileError& e) {
      py::object err = py::module_::import("builtins").attr("OSError")(e.error_code(), e.what(), e.path());
      PyErr_SetObject(PyExc_OSError, err.ptr());
    }
  });

  m.def("_ngram_set_write_failure_after", &ngram::set_write_failure_after, py::arg("bytes"),
        "Testing hook: file writes of the out-of-core counter fail with ENOSPC after this many bytes (-1: off).");

  py::class_<ngram::ExternalCounter>(m, "_ExternalCounter")
      .def(py::init([](int order, std::size_t memory_bytes, const std::string& temp_dir, int n_threads,
                       std::optional<py::list> vocabulary, int max_fan_in) {
             ngram::ExternalOptions o;
             o.order = order;
             o.memory_bytes = memory_bytes;
             o.temp_dir = temp_dir;
             o.n_threads = n_threads;
             if (vocabulary)
               for (auto w : *vocabulary) o.vocabulary.push_back(w.cast<std::string>());
             o.check_interrupt = check_signals;
             o.max_fan_in = max_fan_in;
             return std::make_unique<ngram::ExternalCounter>(std::move(o));
           }),
           py::arg("order"), py::arg("memory_bytes"), py::arg("temp_dir"), py::arg("n_threads"),
           py::arg("vocabulary") = py::none(), py::arg("max_fan_in") = 64)
      .def("add_file",
           [](ngram::ExternalCounter& c, const std::string& path) {
             py::gil_scoped_release nogil;
             c.add_file(path);
           },
           py::arg("path"))
      .def("add_buffer",
           [](ngram::ExternalCounter& c, const py::bytes& data) {
             const std::string_view sv(data);
             py::gil_scoped_release nogil;
             c.add_buffer(sv.data(), sv.size());
           },
           py::arg("data"))
      .def("merge_to_memory",
           [](ngram::ExternalCounter& c) {
             std::vector<ngram::NGramArrays> res;
             {
               py::gil_scoped_release nogil;
               res = c.merge_to_memory();
             }
             py::list out;
             for (auto& a : res) {
               const auto rows = static_cast<py::ssize_t>(a.counts.size());
               out.append(py::make_tuple(to_numpy(std::move(a.ngrams), {rows, static_cast<py::ssize_t>(a.order)}),
                                         to_numpy(std::move(a.counts))));
             }
             return out;
           },
           "Merge the runs: [(ngrams (m, k) uint32, counts int64)] per order.")
      .def("merge_to_files",
           [](ngram::ExternalCounter& c, const std::vector<std::string>& ngram_paths,
              const std::vector<std::string>& count_paths) {
             py::gil_scoped_release nogil;
             return c.merge_to_files(ngram_paths, count_paths);
           },
           py::arg("ngram_paths"), py::arg("count_paths"), "Merge the runs into raw files; rows per order.")
      .def("words_from", [](const ngram::ExternalCounter& c, std::size_t start) { return words_list(c.words(), start); },
           py::arg("start"))
      .def_property_readonly("stats", [](const ngram::ExternalCounter& c) { return stats_dict(c.stats()); });

  m.def("ngram_scan_vocabulary",
        [](const std::vector<std::string>& paths, int n_threads, std::size_t block_bytes) {
          std::deque<std::string> words;
          std::vector<count_t> freq;
          {
            py::gil_scoped_release nogil;
            ngram::scan_vocabulary(paths, n_threads, block_bytes, words, freq, check_signals);
          }
          return py::make_tuple(words_list(words, 3), to_numpy(std::move(freq)));
        },
        py::arg("paths"), py::arg("n_threads"), py::arg("block_bytes"),
        "Vocabulary (from id 3, bytes) and word frequencies of files, without counting n-grams.");

  m.def("ngram_merge_tables",
        [](const CArray<word_t>& a_ngrams, const CArray<count_t>& a_counts, const CArray<word_t>& b_ngrams,
           const CArray<count_t>& b_counts, const CArray<word_t>& remap_b, word_t vocab_size) {
          if (a_ngrams.ndim() != 2 || b_ngrams.ndim() != 2 || a_ngrams.shape(1) != b_ngrams.shape(1) ||
              a_counts.size() != a_ngrams.shape(0) || b_counts.size() != b_ngrams.shape(0))
            throw py::value_error("tables must be (m, k) n-grams with (m,) counts, of the same order");
          const int k = static_cast<int>(a_ngrams.shape(1));
          const auto* ag = a_ngrams.data();
          const auto* ac = a_counts.data();
          const auto* bg = b_ngrams.data();
          const auto* bc = b_counts.data();
          const auto* rm = remap_b.data();
          const auto an = static_cast<index_t>(a_counts.size()), bn = static_cast<index_t>(b_counts.size());
          const auto rn = static_cast<std::size_t>(remap_b.size());
          ngram::NGramArrays res;
          {
            py::gil_scoped_release nogil;
            res = ngram::merge_tables(ag, ac, an, bg, bc, bn, rm, rn, k, vocab_size);
          }
          const auto rows = static_cast<py::ssize_t>(res.counts.size());
          return py::make_tuple(to_numpy(std::move(res.ngrams), {rows, static_cast<py::ssize_t>(k)}),
                                to_numpy(std::move(res.counts)));
        },
        py::arg("a_ngrams"), py::arg("a_counts"), py::arg("b_ngrams"), py::arg("b_counts"), py::arg("remap_b"),
        py::arg("vocab_size"), "Merge two sorted tables of one order (b's ids mapped through remap_b first).");
}

}  // namespace infogen::bindings
