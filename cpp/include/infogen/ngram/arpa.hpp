// ARPA text output: formatting the n-gram lines of one order (the Python layer writes the
// header, the section titles and the file, atomically).
#pragma once

#include <string>
#include <vector>

#include "infogen/ngram/hash.hpp"

namespace infogen::ngram {

/// Lines "<log10 p>\t<w1 .. wk>[\t<log10 backoff>]\n" for m n-grams of order k.
/// `ngrams` (m x k word ids) may be null for k = 1: then row r is word r. Natural logs are
/// converted to base 10 and printed in the shortest form that reads back to the same
/// double; -inf (and anything <= -99) is printed as -99. `logbo` null (highest order) or
/// a backoff of exactly 0 omits the third field. <s> gets probability -99.
std::string format_arpa_lines(int k, const word_t* ngrams, index_t m, const double* logp, const double* logbo,
                              const std::vector<std::string>& vocab);

}  // namespace infogen::ngram
