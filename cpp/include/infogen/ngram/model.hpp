// Backoff n-gram models: estimation from counts, and queries (score, conditional
// distribution, generation, fill-in-the-blank).
//
// Every model is held in backoff form, the form ARPA files store: for each order k an
// explicit log-probability for the listed n-grams and a log-backoff weight for each listed
// n-gram used as a context. Queries follow KenLM: find the longest listed n-gram (c_j..c_m,
// w), searching from the unigram upwards and stopping at the first miss; its
// log-probability plus the backoffs of every longer context (c_i..c_m), i < j, that is
// listed, is log P(w | c_1..c_m). All logs here are natural.
//
// Estimators (count c(hw), context total C(h) = sum_w c(hw), n_h = distinct continuations,
// |V| = vocabulary size without <s>):
//  * mle:   P(w|h) = c(hw) / C(h); a listed context leaves nothing for unseen words
//           (backoff -inf). Unseen contexts back off to their longest listed suffix.
//  * add_k: P(w|h) = (c(hw) + k) / (C(h) + k|V|) for listed n-grams (exactly Laplace at
//           order 1 and for every seen n-gram); the remaining mass k(|V| - n_h)/(C(h)+k|V|)
//           goes to the unseen words in proportion to the order below (Katz-style backoff
//           weight), so each context's distribution sums to 1 and is exactly an ARPA model.
//  * stupid_backoff: Brants et al.'s score c(hw)/C(h), else alpha * score(w|h'), divided
//           by its sum over the vocabulary Z(h) = 1 + alpha (1 - sum_{listed w} P(w|h')),
//           so it is a distribution (backoff weight alpha / Z(h)).
#pragma once

#include <cstdint>
#include <vector>

#include "infogen/ngram/hash.hpp"
#include "infogen/random.hpp"

namespace infogen::ngram {

enum class Smoothing : int { mle = 0, add_k = 1, stupid_backoff = 2 };

/// Borrowed view of one order's sorted n-grams and their counts.
struct CountsView {
  const word_t* ngrams;
  const count_t* counts;
  index_t size;
};

/// Log-probabilities and log-backoffs of one order. Order 1 is dense over the vocabulary.
struct OrderLogs {
  std::vector<double> logp, logbo;
};

/// Estimate a backoff model from counts of orders 1..N (counts[k-1] sorted, as
/// count_ngrams returns them). `param` is k for add_k and alpha for stupid_backoff.
std::vector<OrderLogs> estimate(const std::vector<CountsView>& counts, word_t vocab_size, Smoothing smoothing,
                                double param);

class BackoffModel {
 public:
  /// `ngrams[k-2]` (k = 2..N): sorted row-major (size x k) arrays; `logs[k-1]` their
  /// log-probabilities/backoffs; logs[0] dense over the vocabulary. Data are copied.
  BackoffModel(int order, word_t vocab_size, std::vector<std::vector<word_t>> ngrams, std::vector<OrderLogs> logs);

  int order() const noexcept { return order_; }
  word_t vocab_size() const noexcept { return vocab_; }

  /// log P(seq[m] | seq[0..m)); only the last order-1 words of the context are used.
  double logprob(const word_t* seq, int m) const;

  /// Log-probabilities of sentences ids[offsets[s]..offsets[s+1]) (no <s>/</s> inside),
  /// padded with <s> when `bos` and predicting </s> when `eos`. `out_tokens` (nullable)
  /// receives each prediction's log-probability, sentence s starting at
  /// offsets[s] + (eos ? s : 0).
  void score(const word_t* ids, const std::int64_t* offsets, index_t n_sentences, bool bos, bool eos,
             double* out_sentences, double* out_tokens, int n_threads) const;

  /// out[w] = log P(w | context) for every word id w (context = seq[0..m)).
  void distribution(const word_t* seq, int m, double* out) const;

  /// Generate `n` continuations of `prefix` (which starts with <s> when sentences start
  /// there), each up to `max_words` words, stopping at </s> (not included). Sentence i
  /// draws from Philox(seed, i). temperature > 0 divides the log-probabilities; top_k > 0
  /// keeps the k most probable words; greedy takes the most probable word (smallest id on
  /// ties). Words listed in `banned` are never produced. Output: CSR ids/offsets.
  void generate(const word_t* prefix, int prefix_len, index_t n, int max_words, std::uint64_t seed,
                double temperature, int top_k, bool greedy, const std::vector<word_t>& banned,
                std::vector<word_t>& out_ids, std::vector<std::int64_t>& out_offsets, int n_threads) const;

  /// out[w] = log P(sentence with seq[blank] = w) minus the terms that do not depend on w
  /// (only the predictions at blank..blank+order-1 are summed). seq is the padded
  /// sentence (with <s> and </s> when used); `first` is the first predicted position.
  void fill(const word_t* seq, int len, int first, int blank, double* out, int n_threads) const;

  std::size_t bytes() const noexcept;

 private:
  /// Query table of one order: 64-bit n-gram hash -> (log p, log backoff), one cache line
  /// per probe. Like KenLM's probing tables, a lookup compares hashes, not words; an
  /// unlisted n-gram whose 64-bit hash equals a listed one's (probability ~ m / 2^64 per
  /// query) would be mistaken for it. Two listed n-grams with equal hashes are detected
  /// when the table is built, and that order then falls back to the exact NGramIndex.
  struct Entry {
    std::uint64_t hash;  // 0 = empty (a real hash of 0 is stored as 1)
    double logp;
    double logbo;
  };
  const Entry* lookup(int k, const word_t* words, std::uint64_t h) const noexcept;

  /// Rows [lo, hi) of order k whose first k-1 words equal ctx.
  std::pair<index_t, index_t> continuations(const word_t* ctx, int k) const;
  double backoff(const word_t* ctx, int len) const;
  /// One draw from P(. | seq[0..m)) by walking the backoff structure (rejection for the
  /// words listed at a longer context, and for banned ones); vocab_ if it gives up.
  word_t sample_backoff(const word_t* seq, int m, const std::vector<double>& uni_cum,
                        const std::vector<char>& banned, Philox& rng) const;

  int order_;
  word_t vocab_;
  std::vector<std::vector<word_t>> ngrams_;  // [k-2], k = 2..N
  std::vector<OrderLogs> logs_;              // [k-1]
  std::vector<NGramIndex> index_;            // [k-2]: exact, used only where hashes collide
  std::vector<std::vector<Entry>> table_;    // [k-2]
  std::vector<std::size_t> mask_;            // [k-2]
  std::vector<char> exact_;                  // [k-2]: this order's hashes collide (char: written by parallel builders)
  std::vector<std::vector<Entry>> by_row_;   // [k-2]: entries by row, only where exact_
};

}  // namespace infogen::ngram
