// Conversions shared by the n-gram binding files.
#pragma once

#include "pybind11.hpp"

#include <string>
#include <vector>

#include "infogen/ngram/kneser_ney.hpp"

namespace infogen::bindings {

/// A list of bytes/str as C++ strings.
inline std::vector<std::string> to_strings(const py::list& words) {
  std::vector<std::string> out;
  out.reserve(words.size());
  for (auto w : words) out.push_back(w.cast<std::string>());
  return out;
}

/// discounts, count_of_counts, used_fallback and warnings of a Kneser-Ney estimate into `out`.
inline void add_kn_stats(py::dict& out, const ngram::KneserNeyStats& s) {
  py::list disc, coc, fb;
  for (std::size_t i = 0; i < s.discounts.size(); ++i) {
    disc.append(py::make_tuple(s.discounts[i][0], s.discounts[i][1], s.discounts[i][2]));
    const auto& t = s.count_of_counts[i];
    coc.append(py::make_tuple(t[0], t[1], t[2], t[3]));
    fb.append(static_cast<bool>(s.used_fallback[i]));
  }
  out["discounts"] = disc;
  out["count_of_counts"] = coc;
  out["used_fallback"] = fb;
  out["warnings"] = s.warnings;
}

}  // namespace infogen::bindings
