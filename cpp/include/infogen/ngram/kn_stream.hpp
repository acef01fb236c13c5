// Modified Kneser-Ney from a count trie straight to ARPA text, order by order, in bounded
// memory: the streaming twin of estimate_kneser_ney + format_arpa_lines, with the same
// numbers (see kneser_ney.hpp for the model) and byte for byte the same file.
//
// Passes over the trie (count_trie.hpp), each parallel over fixed chunks of rows:
//  1. suffix rows: the row of w2..wk in order k - 1, found among the children of the
//     suffix of the row's parent (a binary search in a short sorted run; no hash table);
//     the adjusted counts of order k - 1 are the number of rows of order k per suffix
//     (n-grams starting with <s> keep their raw counts);
//  2. count-of-counts and discounts of every order;
//  3. for k = 1..N: the probabilities of order k (each context's gamma and the order
//     k - 1 probability of each row's suffix), then the lines of order k, whose backoffs
//     are the gammas of their children in order k + 1. Order k - 1's probabilities, order
//     k's suffix rows and order k - 1's counts are freed as soon as they are used.
//
// Memory at its peak (order N): the trie's words and first-child offsets, the counts and
// suffix rows of order N, and the probabilities of orders N - 1 and N (8 bytes each), plus
// one slab of text.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "infogen/ngram/count_trie.hpp"
#include "infogen/ngram/kneser_ney.hpp"

namespace infogen::ngram {

/// Receives the ARPA file's text, piece after piece.
using TextSink = std::function<void(std::string&&)>;

struct KneserNeyArpaInfo : KneserNeyStats {
  std::vector<index_t> sizes;  ///< n-grams written per order
};

/// Estimate from `trie` (consumed: its arrays are released as the passes finish) and send
/// the whole ARPA file to `sink`: the \data\ header, one section per order in slabs of at
/// most `slab_rows` lines (each followed by `progress`, if given), and \end\; numbers as
/// write_log10 writes them (`single`: float precision, as KenLM). `vocab` holds the word of every id. Throws like
/// estimate_kneser_ney on invalid discounts or options.
/// Called after each slab as progress(k, rows of order k done, rows of order k).
using SlabProgress = std::function<void(int, index_t, index_t)>;

KneserNeyArpaInfo write_kneser_ney_arpa(CountTrie&& trie, const std::vector<std::string>& vocab,
                                        const KneserNeyOptions& options, const TextSink& sink,
                                        index_t slab_rows = index_t(1) << 21, const SlabProgress& progress = {},
                                        bool single = false);

}  // namespace infogen::ngram
