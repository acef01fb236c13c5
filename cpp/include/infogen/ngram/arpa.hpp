// ARPA text output: formatting the n-gram lines of one order (the Python layer writes the
// header, the section titles and the file, atomically).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "infogen/ngram/hash.hpp"

namespace infogen::ngram {

/// Write log10 of e^ln at p in the shortest form that reads back to the same double (or,
/// with `single`, to the same float: KenLM's precision, about 9 significant digits), or
/// "-99" for anything <= -99 (and -inf); at most 32 characters. Returns the end.
char* write_log10(char* p, double ln, bool single = false) noexcept;

/// Lines "<log10 p>\t<w1 .. wk>[\t<log10 backoff>]\n" for m n-grams of order k.
/// `ngrams` (m x k word ids) may be null for k = 1: then row r is word r. Natural logs are
/// converted to base 10 and printed in the shortest form that reads back to the same
/// double (with `single`: float); -inf (and anything <= -99) is printed as -99. `logbo` null (highest order) or
/// a backoff of exactly 0 omits the third field. The unigram <s> gets `bos_logp` as its
/// probability field ("-99" by default; lmplz's Kneser-Ney models write "0"). Rows are
/// formatted in parallel in fixed-size chunks and joined in order.
std::string format_arpa_lines(int k, const word_t* ngrams, index_t m, const double* logp, const double* logbo,
                              const std::vector<std::string>& vocab, const std::string& bos_logp = "-99",
                              int n_threads = 1, bool single = false);

/// One parsed "\\k-grams:" section: log10 values as written, word ids as positions in the
/// unigram section (for k = 1, `words` holds the unigram strings instead).
struct ArpaSection {
  std::vector<word_t> ids;  ///< m x k, k >= 2
  std::vector<std::string> words;  ///< k = 1
  std::vector<double> logp10, logbo10;
};

/// Parse the body of an order-k section (the lines after its title up to the next title).
/// `unigrams` maps words to positions (required for k >= 2). Blank lines are skipped.
/// Errors throw std::invalid_argument("<line>: <message>") with line = first_line + the
/// line's offset in the body.
ArpaSection parse_arpa_section(const char* data, std::size_t n, int k, bool highest, std::int64_t first_line,
                               const std::vector<std::string>* unigrams);

}  // namespace infogen::ngram
