// ARPA text output: see infogen/ngram/arpa.hpp.
#include "infogen/ngram/arpa.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace infogen::ngram {
namespace {

void append_log10(std::string& out, double ln) {
  constexpr double kLn10 = 2.302585092994045684017991454684364208;
  const double v = ln / kLn10;
  if (!(v > -99.0)) {
    out += "-99";
    return;
  }
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

}  // namespace

std::string format_arpa_lines(int k, const word_t* ngrams, index_t m, const double* logp, const double* logbo,
                              const std::vector<std::string>& vocab) {
  if (k < 1) throw std::invalid_argument("order must be >= 1");
  if (k > 1 && ngrams == nullptr) throw std::invalid_argument("n-grams of order > 1 need their word ids");
  std::string out;
  out.reserve(static_cast<std::size_t>(m) * static_cast<std::size_t>(16 + 8 * k));
  const auto V = static_cast<word_t>(vocab.size());
  for (index_t r = 0; r < m; ++r) {
    if (k == 1 && ngrams == nullptr && static_cast<word_t>(r) == kBos) {
      out += "-99";
    } else {
      append_log10(out, logp[r]);
    }
    out += '\t';
    for (int j = 0; j < k; ++j) {
      const word_t w = ngrams ? ngrams[static_cast<std::size_t>(r) * static_cast<std::size_t>(k) + static_cast<std::size_t>(j)]
                              : static_cast<word_t>(r);
      if (w >= V) throw std::out_of_range("word id outside the vocabulary");
      if (j) out += ' ';
      out += vocab[w];
    }
    if (logbo != nullptr && logbo[r] != 0.0) {
      out += '\t';
      append_log10(out, logbo[r]);
    }
    out += '\n';
  }
  return out;
}

}  // namespace infogen::ngram
