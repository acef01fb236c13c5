// Counting n-grams of orders 1..N of a tokenised corpus (CSR word ids).
//
// Padding follows KenLM and the lecture: a sentence w1..wn is read as <s> w1..wn </s> and
// yields n + 1 predicted positions (w1..wn and </s>). At each predicted position i and for
// every order k with i - k + 1 >= 0, the n-gram ending at i is counted. So <s> is counted
// only as the first word of an n-gram, never as a unigram, and n-grams never cross
// sentences.
//
// Two counters, both giving n-grams sorted lexicographically by word ids (so the output is
// identical with any number of threads):
//  * sort-based (when k * bits(vocab) <= 128 for every order k, i.e. almost always): the
//    n-gram ending at each position is packed into a 64- or 128-bit key, the keys are LSD
//    radix-sorted (11 bits per pass) and equal runs counted. Orders run in parallel.
//    Memory while counting order k: 2 keys (8 or 16 bytes each) per *occurrence*.
//  * hash-based (wider keys): the n-gram space is split into shards by hash; each thread
//    owns one shard, scans the whole corpus and adds its shard's n-grams to open-addressing
//    tables (see CountTable for the bytes per *distinct* n-gram); the tables are then
//    gathered and sorted. Counts are integers, so the order of additions does not matter.
// Output: 4k + 8 bytes per distinct n-gram of order k.
#pragma once

#include <cstdint>
#include <vector>

#include "infogen/ngram/hash.hpp"

namespace infogen::ngram {

/// All distinct n-grams of one order, sorted lexicographically, with their counts.
struct NGramArrays {
  int order = 1;
  std::vector<word_t> ngrams;  ///< row-major (size x order)
  std::vector<count_t> counts;
  index_t size() const noexcept { return static_cast<index_t>(counts.size()); }
};

struct CountStats {
  std::vector<std::size_t> table_bytes;  ///< peak hash-table bytes per order (all shards)
  double scan_seconds = 0.0;             ///< hashing and counting
  double export_seconds = 0.0;           ///< gathering and sorting the tables
};

/// Count orders 1..`order` of sentences ids[offsets[s]..offsets[s+1]). Word ids must be
/// < vocab_size and never <s> or </s> (checked). Returns one NGramArrays per order.
std::vector<NGramArrays> count_ngrams(const word_t* ids, const std::int64_t* offsets, index_t n_sentences,
                                      int order, word_t vocab_size, int n_threads,
                                      CountStats* stats = nullptr);

/// Check a CSR corpus: offsets start at 0 and never decrease; every id is < vocab_size and
/// neither <s> nor </s>. Throws std::invalid_argument naming the first bad token.
void check_corpus(const word_t* ids, const std::int64_t* offsets, index_t n_sentences, word_t vocab_size,
                  int n_threads);

/// Sort the rows of a (n x k) n-gram array lexicographically, permuting `counts` (any
/// payload of 8-byte values) alongside. Used for counts and for merged tables.
void sort_ngrams(std::vector<word_t>& ngrams, std::vector<count_t>& counts, int k, word_t vocab_size);

}  // namespace infogen::ngram
