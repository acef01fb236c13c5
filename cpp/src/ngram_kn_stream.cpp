// Streaming Kneser-Ney to ARPA: see infogen/ngram/kn_stream.hpp. The arithmetic is
// written exactly as in ngram_kneser_ney.cpp (same sums in the same order, same logs), so
// the two give identical numbers and identical text.
#include "infogen/ngram/kn_stream.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <string>

#include "infogen/common.hpp"
#include "infogen/fastlog.hpp"
#include "infogen/ngram/arpa.hpp"

namespace infogen::ngram {
namespace {

constexpr index_t kRowChunk = 1 << 15;
constexpr index_t kLineChunk = 1 << 16;

[[noreturn]] void inconsistent(int k) {
  throw std::invalid_argument("the count trie is inconsistent: an n-gram of order " + std::to_string(k) +
                              " has no suffix in order " + std::to_string(k - 1));
}

class Estimator {
 public:
  Estimator(CountTrie&& trie, const std::vector<std::string>& vocab, const KneserNeyOptions& options,
            const TextSink& sink, index_t slab_rows, const SlabProgress& progress, bool single)
      : t_(std::move(trie)), vocab_(vocab), options_(options), sink_(sink), progress_(progress), slab_(slab_rows),
        single_(single),
        N_(t_.order), V_(t_.vocab_size), threads_(options.n_threads) {}

  KneserNeyArpaInfo run() {
    flag_pruned();
    for (int k = 2; k <= N_; ++k) {
      find_suffixes(k);
      adjust_counts(k - 1);
    }
    discounts();
    header();
    unigram_probabilities();
    for (int k = 1; k <= N_; ++k) {
      if (k >= 2) {
        UninitVector<std::uint32_t>().swap(order(k - 1).count);  // order k-1's lines are written
        probabilities(k);
      }
      write_section(k);
    }
    sink_("\n\\end\\\n");
    return std::move(info_);
  }

 private:
  TrieOrder& order(int k) { return t_.orders[static_cast<std::size_t>(k - 1)]; }
  const UninitVector<std::uint32_t>& fc(int k) { return order(k).first_child; }
  bool is_pruned(int k, index_t r) const {
    const auto& p = pruned_[static_cast<std::size_t>(k - 1)];
    return !p.empty() && p[static_cast<std::size_t>(r)] != 0;
  }
  index_t suffix_of(int k, index_t r) {
    return k == 2 ? static_cast<index_t>(order(2).word[static_cast<std::size_t>(r)])
                  : static_cast<index_t>(suffix_[static_cast<std::size_t>(k - 1)][static_cast<std::size_t>(r)]);
  }

  // Raw counts decide pruning (lmplz: the count of the n-gram itself, for every order).
  void flag_pruned() {
    pruned_.assign(static_cast<std::size_t>(N_), {});
    if (options_.prune.empty()) return;
    for (int k = 2; k <= N_; ++k) {
      const count_t thr = options_.prune[static_cast<std::size_t>(k - 1)];
      if (thr <= 0) continue;
      TrieOrder& o = order(k);
      auto& p = pruned_[static_cast<std::size_t>(k - 1)];
      p.assign(static_cast<std::size_t>(o.m), 0);
      for (index_t r = 0; r < o.m; ++r) p[static_cast<std::size_t>(r)] = o.count[static_cast<std::size_t>(r)] <= thr;
    }
  }

  // Order k >= 3: the suffix w2..wk of a child of parent p is a child of suffix(p) in
  // order k-1; both runs are sorted by last word, so each is found by a binary search
  // that starts where the previous one ended.
  void find_suffixes(int k) {
    if (k < 3) return;
    auto& suf = suffix_[static_cast<std::size_t>(k - 1)];
    suf.assign(static_cast<std::size_t>(order(k).m), 0);
    const auto& pc = fc(k - 1);             // children of order k-1 rows, in order k
    const auto& sc = fc(k - 2);             // children of order k-2 rows, in order k-1
    const word_t* lo_words = order(k - 1).word.data();
    const word_t* words = order(k).word.data();
    const index_t parents = order(k - 1).m;
    parallel_chunks(parents, kRowChunk, threads_, order(k).m * 8, [&](index_t, index_t b, index_t e) {
      for (index_t p = b; p < e; ++p) {
        const std::uint32_t cb = pc[static_cast<std::size_t>(p)], ce = pc[static_cast<std::size_t>(p) + 1];
        if (cb == ce) continue;
        const auto s = static_cast<std::size_t>(suffix_of(k - 1, p));
        const word_t* pos = lo_words + sc[s];
        const word_t* end = lo_words + sc[s + 1];
        for (std::uint32_t r = cb; r < ce; ++r) {
          pos = std::lower_bound(pos, end, words[r]);
          if (pos == end || *pos != words[r]) inconsistent(k);
          suf[r] = static_cast<std::uint32_t>(pos - lo_words);
        }
      }
    });
  }

  // Adjusted counts of order j < N: the number of rows of order j + 1 with that suffix;
  // rows starting with <s> (a subtree of the trie) keep their raw counts.
  void adjust_counts(int j) {
    TrieOrder& o = order(j);
    UninitVector<std::uint32_t> adj(static_cast<std::size_t>(o.m), 0);
    const index_t rows = order(j + 1).m;
    std::uint32_t* a = adj.data();
    parallel_chunks(rows, kRowChunk * 4, threads_, rows * 4, [&](index_t, index_t b, index_t e) {
      for (index_t r = b; r < e; ++r) __atomic_fetch_add(a + suffix_of(j + 1, r), 1u, __ATOMIC_RELAXED);
    });
    if (j >= 2) {
      index_t lo = kBos, hi = kBos + 1;
      for (int i = 1; i < j; ++i) {
        const auto& c = fc(i);
        lo = c[static_cast<std::size_t>(lo)];
        hi = c[static_cast<std::size_t>(hi)];
      }
      std::copy(o.count.begin() + lo, o.count.begin() + hi, adj.begin() + lo);
    }
    o.count.swap(adj);
  }

  void discounts() {
    for (int k = 1; k <= N_; ++k) {
      const auto& c = order(k).count;
      const auto n = static_cast<index_t>(c.size());
      const index_t chunks = std::max<index_t>(1, (n + kRowChunk * 8 - 1) / (kRowChunk * 8));
      std::vector<std::array<count_t, 4>> part(static_cast<std::size_t>(chunks), {0, 0, 0, 0});
      parallel_chunks(n, kRowChunk * 8, threads_, n, [&](index_t ch, index_t b, index_t e) {
        auto& t = part[static_cast<std::size_t>(ch)];
        for (index_t r = b; r < e; ++r) {
          const std::uint32_t a = c[static_cast<std::size_t>(r)];
          if (a >= 1 && a <= 4) ++t[a - 1];
        }
      });
      std::array<count_t, 4> t{0, 0, 0, 0};
      for (const auto& x : part)
        for (int i = 0; i < 4; ++i) t[static_cast<std::size_t>(i)] += x[static_cast<std::size_t>(i)];
      set_kneser_ney_discounts(k, t, options_, info_);
    }
  }

  void header() {
    info_.sizes.assign(static_cast<std::size_t>(N_), 0);
    std::string h = "\\data\\\n";
    for (int k = 1; k <= N_; ++k) {
      index_t kept = order(k).m;
      for (char x : pruned_[static_cast<std::size_t>(k - 1)]) kept -= x != 0;
      info_.sizes[static_cast<std::size_t>(k - 1)] = kept;
      h += "ngram " + std::to_string(k) + "=" + std::to_string(kept) + "\n";
    }
    sink_(std::move(h));
  }

  /// gamma of the context whose children are rows [b, e) of order k; their count sum in denom.
  double gamma(int k, index_t b, index_t e, double& denom) {
    const auto& d = info_.discounts[static_cast<std::size_t>(k - 1)];
    const std::uint32_t* c = order(k).count.data();
    double numer = 0.0;
    denom = 0.0;
    for (index_t i = b; i < e; ++i) {
      const count_t a = c[i];
      denom += static_cast<double>(a);
      numer += is_pruned(k, i) ? static_cast<double>(a) : kn_discount(d, a);
    }
    return numer / denom;
  }

  // Order 1: one context; interpolated with the uniform distribution over V \ {<s>}.
  void unigram_probabilities() {
    const auto V = static_cast<std::size_t>(V_);
    const auto& d = info_.discounts[0];
    const auto& c = order(1).count;
    double denom = 0.0, numer = 0.0;
    for (std::size_t w = 0; w < V; ++w) {
      denom += static_cast<double>(c[w]);
      numer += kn_discount(d, c[w]);
    }
    if (!(denom > 0)) throw std::invalid_argument("empty counts: no unigram was seen");
    const double g = numer / denom;
    const double uniform = 1.0 / static_cast<double>(V - 1);
    p_.assign(V, 0.0);
    for (std::size_t w = 0; w < V; ++w) {
      const count_t a = c[w];
      p_[w] = (a > 0 ? (static_cast<double>(a) - kn_discount(d, a)) / denom : 0.0) + g * uniform;
    }
    p_[kBos] = 0.0;
  }

  // Order k >= 2 from order k-1's probabilities (p_), one context (parent) at a time.
  void probabilities(int k) {
    std::vector<double> p(static_cast<std::size_t>(order(k).m), 0.0);
    const auto& d = info_.discounts[static_cast<std::size_t>(k - 1)];
    const auto& pc = fc(k - 1);
    const std::uint32_t* c = order(k).count.data();
    parallel_chunks(order(k - 1).m, kRowChunk, threads_, order(k).m * 8, [&](index_t, index_t b, index_t e) {
      for (index_t q = b; q < e; ++q) {
        const index_t cb = pc[static_cast<std::size_t>(q)], ce = pc[static_cast<std::size_t>(q) + 1];
        if (cb == ce) continue;
        double denom;
        const double g = gamma(k, cb, ce, denom);
        for (index_t i = cb; i < ce; ++i) {
          if (is_pruned(k, i)) continue;
          const count_t a = c[i];
          p[static_cast<std::size_t>(i)] = (static_cast<double>(a) - kn_discount(d, a)) / denom +
                                           g * p_[static_cast<std::size_t>(suffix_of(k, i))];
        }
      }
    });
    p_.swap(p);
    std::vector<std::uint32_t>().swap(suffix_[static_cast<std::size_t>(k - 1)]);
  }

  // The lines of order k, in slabs; each slab formatted in parallel chunks.
  void write_section(int k) {
    sink_("\n\\" + std::to_string(k) + "-grams:\n");
    const index_t m = order(k).m;
    std::size_t longest = 8;
    for (const auto& w : vocab_) longest = std::max(longest, w.size());
    const auto ku = static_cast<std::size_t>(k);
    const std::size_t line_max = 2 * 32 + ku * (longest + 1) + 4;
    for (index_t a = 0; a < m; a += slab_) {
      const index_t z = std::min(m, a + slab_);
      const index_t n_chunks = (z - a + kLineChunk - 1) / kLineChunk;
      std::vector<std::string> parts(static_cast<std::size_t>(n_chunks));
      parallel_chunks(z - a, kLineChunk, threads_, (z - a) * 8, [&](index_t ch, index_t b0, index_t e0) {
        format_rows(k, a + b0, a + e0, line_max, parts[static_cast<std::size_t>(ch)]);
      });
      std::string text;
      std::size_t total = 0;
      for (const auto& s : parts) total += s.size();
      text.reserve(total);
      for (auto& s : parts) {
        text += s;
        std::string().swap(s);
      }
      sink_(std::move(text));
      if (progress_) progress_(k, z, m);
    }
  }

  // The backoffs of order k are the gammas of their children, which probabilities(k + 1)
  // computes again: one linear pass over the counts, cheaper than keeping 8 bytes per row
  // of order k alive until then (0.5 GB at order 4 of the 10^8-token corpus).
  void format_rows(int k, index_t b, index_t e, std::size_t line_max, std::string& out) {
    const auto n = static_cast<std::size_t>(e - b);
    std::vector<double> lp(n), lb(n, 1.0);
    vlog(p_.data() + b, e - b, lp.data());
    if (k < N_) {
      const auto& c = fc(k);
      for (index_t r = b; r < e; ++r) {
        const index_t cb = c[static_cast<std::size_t>(r)], ce = c[static_cast<std::size_t>(r) + 1];
        if (cb == ce) continue;
        double denom;
        lb[static_cast<std::size_t>(r - b)] = gamma(k + 1, cb, ce, denom);
      }
      vlog(lb.data(), e - b, lb.data());
    }
    TrieCursor cur(t_.orders, k, b);
    out.resize(n * (24 + 8 * static_cast<std::size_t>(k)) + line_max);
    char* p = out.data();
    for (index_t r = b; r < e; ++r) {
      cur.move_to(r);
      if (is_pruned(k, r)) continue;
      if (static_cast<std::size_t>(out.data() + out.size() - p) < line_max) {  // grow
        const auto used = static_cast<std::size_t>(p - out.data());
        out.resize(out.size() * 2);
        p = out.data() + used;
      }
      const auto i = static_cast<std::size_t>(r - b);
      if (k == 1 && r == kBos) {
        *p++ = '0';  // lmplz writes the unigram <s> of a Kneser-Ney model with probability 0
      } else {
        p = write_log10(p, std::min(0.0, lp[i]), single_);
      }
      *p++ = '\t';
      for (int j = 1; j <= k; ++j) {
        const word_t w = cur.word(j);
        if (j > 1) *p++ = ' ';
        const std::string& word = vocab_[w];
        std::memcpy(p, word.data(), word.size());
        p += word.size();
      }
      const double bo = std::min(0.0, lb[i]);
      if (k < N_ && bo != 0.0) {
        *p++ = '\t';
        p = write_log10(p, bo, single_);
      }
      *p++ = '\n';
    }
    out.resize(static_cast<std::size_t>(p - out.data()));
  }

  CountTrie t_;
  const std::vector<std::string>& vocab_;
  const KneserNeyOptions& options_;
  const TextSink& sink_;
  const SlabProgress& progress_;
  index_t slab_;
  bool single_;
  int N_;
  word_t V_;
  int threads_;
  std::vector<std::vector<char>> pruned_;
  std::vector<std::vector<std::uint32_t>> suffix_ = std::vector<std::vector<std::uint32_t>>(kMaxOrder);
  std::vector<double> p_;  // probabilities of the order being written
  KneserNeyArpaInfo info_;
};

}  // namespace

KneserNeyArpaInfo write_kneser_ney_arpa(CountTrie&& trie, const std::vector<std::string>& vocab,
                                        const KneserNeyOptions& options, const TextSink& sink, index_t slab_rows,
                                        const SlabProgress& progress, bool single) {
  check_kneser_ney_options(trie.order, trie.vocab_size, options);
  if (vocab.size() != static_cast<std::size_t>(trie.vocab_size))
    throw std::invalid_argument("vocab has " + std::to_string(vocab.size()) + " words, the counts " +
                                std::to_string(trie.vocab_size));
  if (static_cast<int>(trie.orders.size()) != trie.order) throw std::invalid_argument("the count trie is empty");
  if (slab_rows < 1) throw std::invalid_argument("slab_rows must be positive");
  return Estimator(std::move(trie), vocab, options, sink, slab_rows, progress, single).run();
}

}  // namespace infogen::ngram
