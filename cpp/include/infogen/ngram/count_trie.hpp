// Counting every order of a corpus straight into a count trie: the compact form the
// streaming Kneser-Ney builder (kn_stream.hpp) works on.
//
// Every start position of a padded sentence <s> w1 .. wn </s> begins a window of up to N
// words that stops at </s>; the windows' prefixes are exactly the n-grams count_ngrams
// counts (<s> only first, never alone; </s> only last). The windows are packed into
// integer keys (id + 1 per word, most significant first, 0 after the end, so a prefix
// sorts before its extensions) and radix-sorted in buckets of first words, the buckets of
// a round gathered by one scan of the corpus and sorted in parallel. Walking the sorted
// keys gives the n-grams of all orders in lexicographic order, each after its parent (its
// first k - 1 words), which is a trie; each bucket's walk first counts its rows, then
// (every bucket having its place) writes them into the trie's arrays in parallel:
//
//   order 1: dense over the vocabulary (row = word id);
//   order k >= 2: rows sorted lexicographically; `word[r]` is the last word of row r and
//   the children of row p of order k - 1 (its one-word extensions) are the rows
//   [first_child[p], first_child[p + 1]) of order k, sorted by last word.
//
// Memory: 8 bytes per n-gram of order k >= 2 (word and count), 4 per n-gram of order
// k < N (first_child), plus while counting a round of keys (8 or 16 bytes a window) and a
// bucket of scratch per thread (buckets hold at most ~4M windows unless one word starts
// more).
// Deterministic: buckets are merged in order, whatever the number of threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "infogen/ngram/hash.hpp"
#include "infogen/uninit_vector.hpp"

namespace infogen::ngram {

struct TrieOrder {
  index_t m = 0;                         ///< rows (order 1: the vocabulary size)
  UninitVector<word_t> word;            ///< order >= 2: last word of each row
  UninitVector<std::uint32_t> count;    ///< raw count of each row
  UninitVector<std::uint32_t> first_child;  ///< order < N: m + 1 offsets into the next order
};

struct CountTrie {
  int order = 0;
  word_t vocab_size = 0;
  std::int64_t n_tokens = 0;
  std::int64_t n_sentences = 0;  ///< non-empty sentences
  std::vector<TrieOrder> orders;  ///< [k-1]

  /// Bytes held by the arrays.
  std::size_t bytes() const noexcept;

  /// Order k as count_ngrams gives it: the sorted (m x k) n-grams and their counts (order 1:
  /// only the words seen). Rows are written in parallel chunks.
  void table(int k, UninitVector<word_t>& ngrams, UninitVector<count_t>& counts, int n_threads) const;
};

/// Rows of one order visited in increasing order, with their words: the ancestors of the
/// first row (its prefixes in the orders below) are found by binary search over the
/// first-child offsets, then walked forward as the row advances. Only the offsets of the
/// orders below k are read, so a TrieBuilder may use it on the order it is filling.
class TrieCursor {
 public:
  TrieCursor(const std::vector<TrieOrder>& orders, int k, index_t first) : orders_(&orders), k_(k) {
    anc_[k] = first;
    for (int j = k - 1; j >= 1; --j) {
      const auto& c = offsets(j);
      anc_[j] = static_cast<index_t>(std::upper_bound(c.begin(), c.end(), static_cast<std::uint32_t>(anc_[j + 1])) -
                                     c.begin()) - 1;
    }
  }
  /// Move to row r, at or after the current one.
  void move_to(index_t r) noexcept {
    anc_[k_] = r;
    for (int j = k_ - 1; j >= 1; --j) {
      const auto& c = offsets(j);
      while (c[static_cast<std::size_t>(anc_[j]) + 1] <= anc_[j + 1]) ++anc_[j];
    }
  }
  /// Word j (1..k) of the current row.
  word_t word(int j) const noexcept {
    return j == 1 ? static_cast<word_t>(anc_[1])
                  : (*orders_)[static_cast<std::size_t>(j - 1)].word[static_cast<std::size_t>(anc_[j])];
  }

 private:
  const UninitVector<std::uint32_t>& offsets(int j) const noexcept {
    return (*orders_)[static_cast<std::size_t>(j - 1)].first_child;
  }
  const std::vector<TrieOrder>* orders_;
  int k_;
  index_t anc_[kMaxOrder + 1] = {};
};

/// True when windows of `order` words of a vocabulary of `vocab_size` pack into 128 bits
/// (count_trie's requirement; about 25 bits per word at order 5).
bool count_trie_supported(int order, word_t vocab_size) noexcept;

/// Count orders 1..`order` of the CSR corpus (checked as count_ngrams checks it) into a
/// trie. Throws std::invalid_argument for bad input or an unsupported order/vocabulary,
/// std::length_error when an order has 2^32 rows or more, or a count reaches 2^32.
///
/// Every window's key goes to the bucket of its first word (consecutive first words, up to
/// `bucket_windows` windows; when 0, a sixteenth of the corpus's windows within 2^17..2^20),
/// sorted alone. A round of consecutive buckets holding up to `round_bytes` of keys is
/// gathered in one scan of the corpus; when 0, all the corpus's keys (8 or 16 bytes a
/// window) if they take at most 1 GB, else 4 bytes a token within 128..512 MB. Memory is
/// that, plus the sorts' scratch (a bucket per thread), plus the trie. The result depends
/// on neither, nor on the number of threads (small values are for tests).
CountTrie count_trie(const word_t* ids, const std::int64_t* offsets, index_t n_sentences, int order,
                     word_t vocab_size, int n_threads, std::size_t bucket_windows = 0, std::size_t round_bytes = 0);

/// A count trie from sorted count tables (count_ngrams' form, a merged count file, the
/// tables of a distributed count), fed in pieces so that no table need be in memory whole:
/// all rows of order 1, then of order 2, ..., each order's rows in sorted order. Each row's
/// parent (its first k - 1 words) is found by walking order k - 1 forward. Rows that are
/// not sorted, repeated, or lack their prefix in the order below throw
/// std::invalid_argument (not counts of one corpus).
class TrieBuilder {
 public:
  /// `sizes[k-1]`: rows of order k to come (reserved up front); sizes[0] is ignored.
  TrieBuilder(int order, word_t vocab_size, const std::vector<index_t>& sizes);
  void add(int k, const word_t* ngrams, const count_t* counts, index_t n);
  /// The trie (the builder is left empty); throws unless every order has its announced rows.
  CountTrie finish(std::int64_t n_tokens, std::int64_t n_sentences);

 private:
  void start_order(int k);
  void end_order();
  /// -1, 0, 1: the words of row p of order k_ - 1 (at or after the last one asked)
  /// against w[0..k_ - 1).
  int compare_parent(index_t p, const word_t* w);

  CountTrie t_;
  std::vector<index_t> sizes_;
  int k_ = 0;                        // order being added
  index_t parent_ = -1;              // current parent row in order k_ - 1
  index_t filled_ = 0;               // rows of order k_ - 1 whose first child is set
  std::optional<TrieCursor> parents_;  // over order k_ - 1 (k_ >= 3)
  std::vector<word_t> last_;         // previous row of order k_
  bool have_last_ = false;
};

}  // namespace infogen::ngram
