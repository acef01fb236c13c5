// Interpolated modified Kneser-Ney estimation (Chen & Goodman 1998), computed the way
// KenLM's lmplz does it, from the sorted count tables of count_ngrams.
//
// Counts. The highest order N uses raw counts. Every lower order k < N uses adjusted
// (continuation) counts a(g) = number of distinct words v with v g seen at order k + 1,
// except n-grams that start with <s>, which keep their raw counts (nothing can precede
// <s>). <s> itself is never counted as a unigram.
//
// Discounts. Per order, from the count-of-counts t_1..t_4 of the (adjusted) counts of
// that order: Y = t1 / (t1 + 2 t2), D_j = j - (j + 1) Y t_{j+1} / t_j (j = 1, 2, 3; D_3
// applies to every count >= 3). lmplz's validity rule: t_1, t_2, t_3 > 0 and 0 <= D_j <= j;
// otherwise the order's discounts are invalid (an error, or the fallback discounts).
//
// Probabilities. For a context h with adjusted counts a(hw):
//   gamma(h) = (D1 N1(h) + D2 N2(h) + D3 N3+(h) + pruned(h)) / sum_w a(hw)
//   P(w | h) = (a(hw) - D(a(hw))) / sum_w a(hw) + gamma(h) P(w | h')
// where h' drops the first word of h, N_j(h) counts the kept continuations with a = j
// (3+), pruned(h) is the adjusted count of the pruned ones, and the recursion ends with the
// uniform distribution 1/|V| over the vocabulary without <s> (with <unk> and </s>). A word
// never seen (<unk> in most corpora) gets gamma() / |V| at order 1.
//
// Backoff form. A listed n-gram hw has P(w | h) as above; the backoff of a listed n-gram
// g is gamma(g) if g is a context of order k + 1, else 1. A backoff-style query then
// reproduces the interpolated probability exactly.
//
// Pruning (lmplz --prune): thresholds t_k per order, non-decreasing, t_1 = 0; an n-gram of
// order k >= 2 whose raw count is <= t_k is dropped and its adjusted count goes to its
// context's gamma. Discounts and denominators are computed before pruning, as lmplz does.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "infogen/ngram/hash.hpp"
#include "infogen/ngram/model.hpp"

namespace infogen::ngram {

struct KneserNeyOptions {
  /// Per-order raw-count thresholds (size N or empty = no pruning).
  std::vector<count_t> prune;
  /// If non-empty: discounts (D1, D2, D3+) used for every order whose own are invalid.
  std::vector<double> fallback;
  int n_threads = 0;
};

/// What the estimation decided per order, besides the probabilities.
struct KneserNeyStats {
  std::vector<std::array<double, 3>> discounts;         ///< [k-1]: D1, D2, D3+
  std::vector<std::array<count_t, 4>> count_of_counts;  ///< [k-1]: t1..t4 of adjusted counts
  std::vector<char> used_fallback;                      ///< [k-1]
  std::vector<std::string> warnings;                    ///< lmplz-style messages for fallbacks
};

struct KneserNeyModel : KneserNeyStats {
  std::vector<std::vector<word_t>> ngrams;  ///< [k-2], kept n-grams of order k, sorted (empty if all_kept)
  std::vector<char> all_kept;               ///< [k-2]: nothing pruned, the n-grams are the input's
  std::vector<OrderLogs> logs;              ///< [k-1]; order 1 dense over the vocabulary
};

/// Throws std::invalid_argument unless the options suit order N: one prune threshold per
/// order, non-decreasing, the unigram's 0; fallback discounts empty or three.
void check_kneser_ney_options(int N, word_t vocab_size, const KneserNeyOptions& options);

/// Record order k's count-of-counts t1..t4 and its discounts in `stats`: computed, or the
/// fallback (with a warning) when invalid; throws lmplz's message when invalid without one.
void set_kneser_ney_discounts(int k, const std::array<count_t, 4>& t, const KneserNeyOptions& options,
                              KneserNeyStats& stats);

/// The discount of an (adjusted) count: D1, D2 or D3+; 0 for a count of 0.
inline double kn_discount(const std::array<double, 3>& d, count_t a) noexcept {
  return a <= 0 ? 0.0 : d[static_cast<std::size_t>(std::min<count_t>(a, 3) - 1)];
}

/// Estimate from counts of orders 1..N (counts[k-1] sorted, as count_ngrams returns them).
/// Throws std::invalid_argument with lmplz's message when a discount is invalid and no
/// fallback is given.
KneserNeyModel estimate_kneser_ney(const std::vector<CountsView>& counts, word_t vocab_size,
                                   const KneserNeyOptions& options);

}  // namespace infogen::ngram
