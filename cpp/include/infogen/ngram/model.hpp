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

#include <atomic>
#include <cstdint>
#include <vector>

#include <string>
#include <string_view>

#include "infogen/ngram/hash.hpp"
#include "infogen/ngram/model_file.hpp"
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

/// A backoff model over its image (see model_file.hpp): built in memory from tables, or a
/// memory-mapped `.ngram` file. Every query reads the image; nothing else is held.
class BackoffModel {
 public:
  /// Build the image: `vocab` holds the words by id (the first three <unk>, <s>, </s>),
  /// `ngrams[k-2]` (k = 2..N) sorted row-major (size x k) arrays, `logs[k-1]` their
  /// log-probabilities/backoffs (logs[0] dense over the vocabulary), `meta` any text the
  /// caller wants kept (JSON). `slots_per_ngram` >= 1.05 sizes the probing tables.
  BackoffModel(int order, const std::vector<std::string>& vocab, const std::vector<const word_t*>& ngrams,
               const std::vector<index_t>& sizes, const std::vector<const double*>& logp,
               const std::vector<const double*>& logbo, const std::string& meta, Precision precision,
               double slots_per_ngram, int n_threads);
  /// Open a `.ngram` file (memory-mapped; checks the header, never the whole content).
  BackoffModel(const std::string& path, bool populate);

  int order() const noexcept { return order_; }
  word_t vocab_size() const noexcept { return vocab_; }
  Precision precision() const noexcept { return precision_; }
  const ModelFileHeader& header() const noexcept { return *header_; }
  const std::shared_ptr<ImageStorage>& storage() const noexcept { return storage_; }
  std::string_view meta() const noexcept;
  /// Recompute the content hash and compare it with the header's.
  bool verify() const noexcept;

  // --- vocabulary ---
  std::string_view word(word_t id) const noexcept;
  /// Id of a word, or -1.
  std::int64_t find_word(const char* p, std::size_t n) const noexcept;
  /// Text -> word ids in CSR form: one sentence per line (empty lines included; a last
  /// line without '\n' counts), tokens split on ASCII whitespace, unknown words <unk>.
  /// "<s>" and "</s>" inside a sentence are an error naming the line.
  void encode(const char* text, std::size_t n, std::vector<word_t>& ids, std::vector<std::int64_t>& offsets,
              int n_threads) const;

  // --- tables ---
  index_t count(int k) const noexcept { return static_cast<index_t>(header_->counts[k - 1]); }
  /// Sorted n-grams of order k >= 2 (count(k) rows of k words).
  const word_t* ngrams(int k) const noexcept { return words_[static_cast<std::size_t>(k)]; }
  const double* unigram_logp() const noexcept { return uni_p_; }
  const double* unigram_logbo() const noexcept { return uni_b_; }
  /// log p and log backoff of every n-gram of order k >= 2, in row order.
  void order_logs(int k, double* logp, double* logbo, int n_threads) const;

  // --- queries ---
  /// log P(seq[m] | seq[0..m)); only the last order-1 words of the context are used.
  /// `ngram_length` (nullable) receives the length of the n-gram found, as KenLM reports.
  double logprob(const word_t* seq, int m, int* ngram_length = nullptr) const;

  /// Log-probabilities of sentences ids[offsets[s]..offsets[s+1]) (no <s>/</s> inside),
  /// padded with <s> when `bos` and predicting </s> when `eos`. `out_tokens` (nullable)
  /// receives each prediction's log-probability, sentence s starting at
  /// offsets[s] + (eos ? s : 0); `out_lengths` (nullable) the n-gram length used.
  void score(const word_t* ids, const std::int64_t* offsets, index_t n_sentences, bool bos, bool eos,
             double* out_sentences, double* out_tokens, int n_threads, std::uint8_t* out_lengths = nullptr) const;

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

  std::size_t bytes() const noexcept { return storage_->size(); }

  /// Map every page of the unigrams and hash tables (what scoring reads) now, in parallel
  /// pieces, instead of one page fault at a time while scoring. Only for a mapped file,
  /// and only once; score() calls it when the text is long enough to touch most pages.
  void prefault(int n_threads) const;

 private:
  struct Table {
    const std::uint8_t* base = nullptr;
    std::uint64_t slots = 0;
    std::uint64_t salt = 0;
    std::uint32_t entry = 0;  // bytes per slot
    bool f32 = false;
    bool has_backoff = false;
  };
  /// The slot of the order-k n-gram whose hash is h, or nullptr.
  const std::uint8_t* lookup(int k, std::uint64_t h) const noexcept;
  /// Start loading the slot where lookup(k, h) begins (scoring asks a few positions ahead,
  /// so the cache misses of several lookups overlap instead of following one another).
  void prefetch(int k, std::uint64_t h) const noexcept;
  double entry_logp(int k, const std::uint8_t* e) const noexcept;
  double entry_logbo(int k, const std::uint8_t* e) const noexcept;
  /// Rows [lo, hi) of order k whose first k-1 words equal ctx.
  std::pair<index_t, index_t> continuations(const word_t* ctx, int k) const;
  double row_logp(int k, index_t row) const noexcept;
  double backoff(const word_t* ctx, int len) const;
  /// One draw from P(. | seq[0..m)) by walking the backoff structure (rejection for the
  /// words listed at a longer context, and for banned ones); vocab_ if it gives up.
  word_t sample_backoff(const word_t* seq, int m, const std::vector<double>& uni_cum,
                        const std::vector<char>& banned, Philox& rng) const;
  /// Point the members into storage_ after checking the header (errors name `what`).
  void attach(const std::string& what);

  std::shared_ptr<ImageStorage> storage_;
  const ModelFileHeader* header_ = nullptr;
  int order_ = 0;
  word_t vocab_ = 0;
  Precision precision_ = Precision::f64;
  const std::uint64_t* vocab_offsets_ = nullptr;
  const char* vocab_bytes_ = nullptr;
  const std::uint8_t* vocab_table_ = nullptr;
  std::uint64_t vocab_mask_ = 0;
  const double* uni_p_ = nullptr;
  const double* uni_b_ = nullptr;
  const word_t* words_[kMaxOrder + 1] = {nullptr};
  Table tables_[kMaxOrder + 1];
  mutable std::atomic<bool> prefaulted_{false};
};

}  // namespace infogen::ngram
