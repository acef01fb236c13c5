// Interpolated modified Kneser-Ney: see infogen/ngram/kneser_ney.hpp.
//
// Data layout: every order k >= 2 is the sorted (m_k x k) array of count_ngrams; order 1
// is dense over the vocabulary. The estimator keeps, per order, parallel arrays indexed
// by row (adjusted count, pruned flag, suffix row, probability, backoff) and compacts the
// kept rows at the end. Rows sharing their first k - 1 words (a context) are consecutive,
// so a context is a run of rows; the suffix of row r (its last k - 1 words) is found once
// through a hash index of order k - 1 and serves both the adjusted counts and the
// interpolation. Parallel loops work on fixed-size chunks of rows (a context belongs to
// the chunk where it starts) and write disjoint entries: the result does not depend on
// the number of threads. With the environment variable INFOGEN_KN_TIMING set, the time of
// each phase is printed to stderr.
#include "infogen/ngram/kneser_ney.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "infogen/common.hpp"
#include "infogen/fastlog.hpp"
#include "infogen/ngram/packing.hpp"

namespace infogen::ngram {
namespace {

constexpr index_t kRowChunk = 1 << 15;

struct Order {
  int k = 1;
  const word_t* ngrams = nullptr;  // k >= 2
  index_t m = 0;
  std::vector<count_t> adj;        // adjusted (or raw) counts
  std::vector<char> pruned;        // k >= 2, and only when the order prunes (else empty)
  std::vector<std::uint32_t> suffix;  // k >= 2: row of the last k-1 words in order k-1
  std::vector<double> p;           // interpolated probability (kept rows)
  std::vector<double> bo;          // gamma when a context, else 1

  const count_t* raw = nullptr;    // the highest order: its raw counts, read in place (no copy)
  bool is_pruned(index_t r) const { return !pruned.empty() && pruned[static_cast<std::size_t>(r)] != 0; }
  count_t count(index_t r) const { return raw ? raw[r] : adj[static_cast<std::size_t>(r)]; }
};

/// Exact index of a sorted n-gram table of order j: the n-gram packed into one 64-bit key
/// (when j * bits <= 64) -> row, one cache line per probe; lookups are issued in batches
/// with prefetching. Falls back to NGramIndex for wider keys.
class RowIndex {
 public:
  RowIndex(const word_t* ngrams, index_t m, int j, int bits) : ngrams_(ngrams), m_(m), j_(j), bits_(bits) {
    packed_ = j * bits <= 64;
    if (!packed_) {
      exact_.build(ngrams, m, j);
      return;
    }
    const std::size_t cap = next_pow2(static_cast<std::size_t>(m) * 2 + 2);
    slots_.assign(cap, Slot{0, kEmpty});
    mask_ = cap - 1;
    for (index_t r = 0; r < m; ++r) {
      const std::uint64_t key = pack(ngrams + static_cast<std::size_t>(r) * static_cast<std::size_t>(j));
      std::size_t s = splitmix64(key) & mask_;
      while (slots_[s].row != kEmpty) s = (s + 1) & mask_;
      slots_[s] = Slot{key, static_cast<std::uint32_t>(r)};
    }
  }

  std::uint64_t pack(const word_t* w) const noexcept {
    std::uint64_t key = 0;
    for (int i = 0; i < j_; ++i) key = (key << bits_) | w[i];
    return key;
  }

  /// rows[i] = row of the n-gram starting at words + i * stride (j words), or -1; n queries.
  void find_batch(const word_t* words, std::size_t stride, index_t n, index_t* rows) const {
    if (!packed_) {
      for (index_t i = 0; i < n; ++i) rows[i] = exact_.find(words + static_cast<std::size_t>(i) * stride);
      return;
    }
    constexpr index_t kBatch = 16;
    std::uint64_t keys[kBatch];
    std::size_t pos[kBatch];
    for (index_t b = 0; b < n; b += kBatch) {
      const index_t e = std::min(n, b + kBatch);
      for (index_t i = b; i < e; ++i) {
        const std::uint64_t key = pack(words + static_cast<std::size_t>(i) * stride);
        keys[i - b] = key;
        pos[i - b] = splitmix64(key) & mask_;
#if defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(&slots_[pos[i - b]], 0, 1);
#endif
      }
      for (index_t i = b; i < e; ++i) {
        std::size_t s = pos[i - b];
        const std::uint64_t key = keys[i - b];
        index_t found = -1;
        while (slots_[s].row != kEmpty) {
          if (slots_[s].key == key) {
            found = slots_[s].row;
            break;
          }
          s = (s + 1) & mask_;
        }
        rows[i] = found;
      }
    }
  }

 private:
  static constexpr std::uint32_t kEmpty = 0xFFFFFFFFu;
  struct Slot {
    std::uint64_t key;
    std::uint32_t row;
  };
  const word_t* ngrams_;
  index_t m_;
  int j_, bits_;
  bool packed_ = false;
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  NGramIndex exact_;
};

bool less_words(const word_t* a, const word_t* b, int n) noexcept {
  for (int i = 0; i < n; ++i)
    if (a[i] != b[i]) return a[i] < b[i];
  return false;
}

}  // namespace

namespace {

std::string format_discount(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

/// Discounts of one order from its count-of-counts, or an error message.
bool compute_discounts(int k, const std::array<count_t, 4>& t, std::array<double, 3>& d, std::string& error) {
  for (int j = 1; j < 4; ++j) {
    if (t[static_cast<std::size_t>(j - 1)] == 0) {
      error = "Could not calculate Kneser-Ney discounts for " + std::to_string(k) + "-grams with adjusted count " +
              std::to_string(j + 1) + " because we didn't observe any " + std::to_string(k) +
              "-grams with adjusted count " + std::to_string(j) + "; Is this small or artificial data?";
      return false;
    }
  }
  const double t1 = static_cast<double>(t[0]), t2 = static_cast<double>(t[1]);
  const double y = t1 / (t1 + 2.0 * t2);
  for (int j = 1; j < 4; ++j) {
    const double tj = static_cast<double>(t[static_cast<std::size_t>(j - 1)]);
    const double tj1 = static_cast<double>(t[static_cast<std::size_t>(j)]);
    const double dj = j - (j + 1) * y * tj1 / tj;
    if (!(dj >= 0.0 && dj <= j)) {
      error = "ERROR: " + std::to_string(k) + "-gram discount out of range for adjusted count " + std::to_string(j) +
              ": " + format_discount(dj);
      return false;
    }
    d[static_cast<std::size_t>(j - 1)] = dj;
  }
  return true;
}

}  // namespace

void check_kneser_ney_options(int N, word_t vocab_size, const KneserNeyOptions& options) {
  if (N < 1 || N > kMaxOrder) throw std::invalid_argument("order must be in 1.." + std::to_string(kMaxOrder));
  if (vocab_size <= kFirstWord - 1) throw std::invalid_argument("vocab_size must include the 3 reserved words");
  if (!options.prune.empty() && static_cast<int>(options.prune.size()) != N)
    throw std::invalid_argument("prune needs one threshold per order");
  if (!options.prune.empty()) {
    if (options.prune[0] != 0) throw std::invalid_argument("unigram pruning is not supported: prune[0] must be 0");
    for (int k = 1; k < N; ++k)
      if (options.prune[static_cast<std::size_t>(k)] < options.prune[static_cast<std::size_t>(k - 1)])
        throw std::invalid_argument("prune thresholds must be non-decreasing");
  }
  if (!options.fallback.empty() && options.fallback.size() != 3)
    throw std::invalid_argument("fallback discounts are (D1, D2, D3+)");
}

void set_kneser_ney_discounts(int k, const std::array<count_t, 4>& t, const KneserNeyOptions& options,
                              KneserNeyStats& stats) {
  const auto N = static_cast<std::size_t>(std::max(k, 1));
  if (stats.discounts.size() < N) {
    stats.discounts.resize(N);
    stats.count_of_counts.resize(N);
    stats.used_fallback.resize(N, 0);
  }
  const auto i = static_cast<std::size_t>(k - 1);
  stats.count_of_counts[i] = t;
  std::string error;
  std::array<double, 3> d{};
  if (!compute_discounts(k, t, d, error)) {
    if (options.fallback.empty()) throw std::invalid_argument(error);
    d = {options.fallback[0], options.fallback[1], options.fallback[2]};
    stats.used_fallback[i] = 1;
    stats.warnings.push_back(error + "  Substituting fallback discounts D1=" + format_discount(d[0]) +
                             " D2=" + format_discount(d[1]) + " D3+=" + format_discount(d[2]));
  }
  stats.discounts[i] = d;
}

KneserNeyModel estimate_kneser_ney(const std::vector<CountsView>& counts, word_t vocab_size,
                                   const KneserNeyOptions& options) {
  const int N = static_cast<int>(counts.size());
  check_kneser_ney_options(N, vocab_size, options);
  const int threads = options.n_threads;
  const auto V = static_cast<std::size_t>(vocab_size);
  const int bits = bit_width(vocab_size - 1);

  std::vector<Order> ord(static_cast<std::size_t>(N));
  // Order 1, dense: raw counts first.
  {
    Order& o = ord[0];
    o.k = 1;
    o.m = static_cast<index_t>(V);
    o.adj.assign(V, 0);
    const CountsView& c = counts[0];
    for (index_t r = 0; r < c.size; ++r) {
      const word_t w = c.ngrams[r];
      if (w >= vocab_size) throw std::invalid_argument("unigram id outside the vocabulary");
      if (w == kBos) throw std::invalid_argument("<s> cannot be counted as a unigram");
      if (c.counts[r] < 0) throw std::invalid_argument("negative count");
      o.adj[w] = c.counts[r];
    }
  }
  for (int k = 2; k <= N; ++k) {
    Order& o = ord[static_cast<std::size_t>(k - 1)];
    const CountsView& c = counts[static_cast<std::size_t>(k - 1)];
    o.k = k;
    o.ngrams = c.ngrams;
    o.m = c.size;
    if (o.m >= static_cast<index_t>(0xFFFFFFFFu)) throw std::length_error("too many n-grams for one order");
    if (k == N) {
      o.raw = c.counts;  // the highest order keeps its raw counts: no adjusted copy needed
    } else {
      o.adj.assign(c.counts, c.counts + c.size);
    }
  }

  // Suffix rows (order k -> k-1), in parallel over fixed chunks.
  for (int k = 2; k <= N; ++k) {
    Order& o = ord[static_cast<std::size_t>(k - 1)];
    o.suffix.assign(static_cast<std::size_t>(o.m), 0);
    const auto ku = static_cast<std::size_t>(k);
    if (k == 2) {
      bool bad = false;
      for (index_t r = 0; r < o.m; ++r) {
        const word_t w = o.ngrams[static_cast<std::size_t>(r) * 2 + 1];
        if (w >= vocab_size || o.count(r) < 1) bad = true;
        o.suffix[static_cast<std::size_t>(r)] = w;
      }
      if (bad) throw std::invalid_argument("bigram table holds ids outside the vocabulary or counts < 1");
      continue;
    }
    const Order& lo = ord[static_cast<std::size_t>(k - 2)];
    const RowIndex index(lo.ngrams, lo.m, k - 1, bits);
    const index_t n_chunks = (o.m + kRowChunk - 1) / kRowChunk;
    std::vector<char> missing(static_cast<std::size_t>(std::max<index_t>(n_chunks, 1)), 0);
    parallel_chunks(o.m, kRowChunk, threads, o.m * k, [&](index_t ch, index_t b, index_t e) {
      std::vector<index_t> rows(static_cast<std::size_t>(e - b));
      index.find_batch(o.ngrams + static_cast<std::size_t>(b) * ku + 1, ku, e - b, rows.data());
      for (index_t r = b; r < e; ++r) {
        const index_t s = rows[static_cast<std::size_t>(r - b)];
        if (s < 0) {
          missing[static_cast<std::size_t>(ch)] = 1;
          return;
        }
        o.suffix[static_cast<std::size_t>(r)] = static_cast<std::uint32_t>(s);
      }
    });
    for (char x : missing)
      if (x) throw std::invalid_argument("the " + std::to_string(k) + "-gram table has an n-gram whose suffix is not among the " +
                                         std::to_string(k - 1) + "-grams: not counts of one corpus");
  }

  // Raw counts decide pruning (lmplz: the count of the n-gram itself, for every order).
  if (!options.prune.empty()) {
    for (int k = 2; k <= N; ++k) {
      Order& o = ord[static_cast<std::size_t>(k - 1)];
      const count_t t = options.prune[static_cast<std::size_t>(k - 1)];
      if (t <= 0) continue;
      o.pruned.assign(static_cast<std::size_t>(o.m), 0);  // only orders that prune pay for flags
      for (index_t r = 0; r < o.m; ++r) o.pruned[static_cast<std::size_t>(r)] = o.count(r) <= t;
    }
  }

  // Adjusted counts of orders < N: distinct left extensions; <s>-initial n-grams keep raw.
  for (int k = N - 1; k >= 1; --k) {
    Order& o = ord[static_cast<std::size_t>(k - 1)];
    const Order& hi = ord[static_cast<std::size_t>(k)];
    std::vector<count_t> a(o.adj.size(), 0);
    for (index_t r = 0; r < hi.m; ++r) ++a[hi.suffix[static_cast<std::size_t>(r)]];
    if (k >= 2) {
      const auto ku = static_cast<std::size_t>(k);
      for (index_t r = 0; r < o.m; ++r)
        if (o.ngrams[static_cast<std::size_t>(r) * ku] == kBos) a[static_cast<std::size_t>(r)] = o.adj[static_cast<std::size_t>(r)];
    }
    o.adj.swap(a);
  }

  KneserNeyModel out;
  for (int k = 1; k <= N; ++k) {
    const Order& o = ord[static_cast<std::size_t>(k - 1)];
    std::array<count_t, 4> t{0, 0, 0, 0};
    for (index_t r = 0; r < o.m; ++r) {
      const count_t a = o.count(r);
      if (a >= 1 && a <= 4) ++t[static_cast<std::size_t>(a - 1)];
    }
    set_kneser_ney_discounts(k, t, options, out);
  }

  // Order 1: one context; interpolated with the uniform distribution over V \ {<s>}.
  {
    Order& o = ord[0];
    const auto& d = out.discounts[0];
    double denom = 0.0, numer = 0.0;
    for (std::size_t w = 0; w < V; ++w) {
      denom += static_cast<double>(o.adj[w]);
      numer += kn_discount(d, o.adj[w]);
    }
    if (!(denom > 0)) throw std::invalid_argument("empty counts: no unigram was seen");
    const double gamma = numer / denom;
    const double uniform = 1.0 / static_cast<double>(V - 1);
    o.p.assign(V, 0.0);
    o.bo.assign(V, 1.0);
    for (std::size_t w = 0; w < V; ++w) {
      const count_t a = o.adj[w];
      o.p[w] = (a > 0 ? (static_cast<double>(a) - kn_discount(d, a)) / denom : 0.0) + gamma * uniform;
    }
    o.p[kBos] = 0.0;
  }

  // Orders 2..N, low to high: each context's gamma, its rows' probabilities, and the
  // context's backoff in the order below.
  for (int k = 2; k <= N; ++k) {
    Order& o = ord[static_cast<std::size_t>(k - 1)];
    Order& lo = ord[static_cast<std::size_t>(k - 2)];
    const auto& d = out.discounts[static_cast<std::size_t>(k - 1)];
    const auto ku = static_cast<std::size_t>(k);
    o.p.assign(static_cast<std::size_t>(o.m), 0.0);
    if (k < N) o.bo.assign(static_cast<std::size_t>(o.m), 1.0);  // backoffs of contexts only
    const int km1 = k - 1;
    const auto km1u = static_cast<std::size_t>(km1);
    auto same_context = [&](index_t a, index_t b) {
      return same_words(o.ngrams + static_cast<std::size_t>(a) * ku, o.ngrams + static_cast<std::size_t>(b) * ku, k - 1);
    };
    const index_t n_chunks = (o.m + kRowChunk - 1) / kRowChunk;
    std::vector<char> missing(static_cast<std::size_t>(std::max<index_t>(n_chunks, 1)), 0);
    parallel_chunks(o.m, kRowChunk, threads, o.m * k, [&](index_t ch, index_t b, index_t e) {
      index_t r = b;
      while (r > 0 && r < o.m && same_context(r, r - 1)) ++r;  // the previous chunk owns this context
      // Contexts come in sorted order, like the rows of order k-1: walk both.
      index_t pr = 0;
      if (r < e && k > 2) {
        const word_t* ctx0 = o.ngrams + static_cast<std::size_t>(r) * ku;
        index_t lo_i = 0, hi_i = lo.m;
        while (lo_i < hi_i) {
          const index_t mid = lo_i + (hi_i - lo_i) / 2;
          if (less_words(lo.ngrams + static_cast<std::size_t>(mid) * km1u, ctx0, km1)) lo_i = mid + 1; else hi_i = mid;
        }
        pr = lo_i;
      }
      while (r < e) {
        index_t end = r + 1;
        while (end < o.m && same_context(end, r)) ++end;
        double denom = 0.0, numer = 0.0;
        for (index_t i = r; i < end; ++i) {
          const count_t a = o.count(i);
          denom += static_cast<double>(a);
          numer += o.is_pruned(i) ? static_cast<double>(a) : kn_discount(d, a);
        }
        const double gamma = numer / denom;
        for (index_t i = r; i < end; ++i) {
          if (o.is_pruned(i)) continue;
          const count_t a = o.count(i);
          o.p[static_cast<std::size_t>(i)] = (static_cast<double>(a) - kn_discount(d, a)) / denom +
                                             gamma * lo.p[o.suffix[static_cast<std::size_t>(i)]];
        }
        const word_t* ctx = o.ngrams + static_cast<std::size_t>(r) * ku;
        if (k == 2) {
          pr = static_cast<index_t>(ctx[0]);
        } else {
          while (pr < lo.m && less_words(lo.ngrams + static_cast<std::size_t>(pr) * km1u, ctx, km1)) ++pr;
          if (pr >= lo.m || !same_words(lo.ngrams + static_cast<std::size_t>(pr) * km1u, ctx, km1)) {
            missing[static_cast<std::size_t>(ch)] = 1;
            return;
          }
        }
        lo.bo[static_cast<std::size_t>(pr)] = gamma;
        r = end;
      }
    });
    for (char x : missing)
      if (x) throw std::invalid_argument("the " + std::to_string(k) + "-gram table has an n-gram whose context is not among the " +
                                         std::to_string(k - 1) + "-grams: not counts of one corpus");
  }

  // Natural logs (in parallel); compact the kept rows of orders >= 2 (no copy when all kept).
  out.logs.resize(static_cast<std::size_t>(N));
  out.ngrams.resize(static_cast<std::size_t>(N > 1 ? N - 1 : 0));
  out.all_kept.assign(static_cast<std::size_t>(N > 1 ? N - 1 : 0), 1);
  // In place (through a chunk-sized buffer), then moved out: no second array per order.
  auto logs_of = [&](std::vector<double>& x, std::vector<double>& y) {
    const auto n = static_cast<index_t>(x.size());
    parallel_chunks(n, kRowChunk, threads, n * 4, [&](index_t, index_t b, index_t e) {
      std::vector<double> buf(static_cast<std::size_t>(e - b));
      vlog(x.data() + b, e - b, buf.data());
      for (index_t i = b; i < e; ++i) x[static_cast<std::size_t>(i)] = std::min(0.0, buf[static_cast<std::size_t>(i - b)]);
    });
    y = std::move(x);
    std::vector<double>().swap(x);
  };
  // The highest order has no backoffs: an empty vector (the binding hands out zeros that
  // cost no memory until touched).
  auto release = [](Order& o) {
    std::vector<count_t>().swap(o.adj);
    std::vector<char>().swap(o.pruned);
    std::vector<std::uint32_t>().swap(o.suffix);
    std::vector<double>().swap(o.p);
    std::vector<double>().swap(o.bo);
  };
  for (int k = 1; k <= N; ++k) {
    Order& o = ord[static_cast<std::size_t>(k - 1)];
    OrderLogs& L = out.logs[static_cast<std::size_t>(k - 1)];
    std::size_t kept = static_cast<std::size_t>(o.m);
    if (k >= 2)
      for (char x : o.pruned) kept -= x != 0;
    if (k == 1 || kept == static_cast<std::size_t>(o.m)) {
      logs_of(o.p, L.logp);
      if (k < N) {
        logs_of(o.bo, L.logbo);
        for (double& b : L.logbo) b = b == 0.0 ? 0.0 : b;  // log 1 = +0
      }
      if (k >= 2) release(o);  // order 1's probabilities are small; keep the code simple
      continue;
    }
    const auto ku = static_cast<std::size_t>(k);
    out.all_kept[static_cast<std::size_t>(k - 2)] = 0;
    auto& g = out.ngrams[static_cast<std::size_t>(k - 2)];
    g.resize(kept * ku);
    std::vector<double> p(kept), bo(kept, 1.0);
    std::size_t j = 0;
    for (index_t r = 0; r < o.m; ++r) {
      const auto ru = static_cast<std::size_t>(r);
      if (o.is_pruned(r)) continue;
      std::copy(o.ngrams + ru * ku, o.ngrams + (ru + 1) * ku, g.begin() + static_cast<std::ptrdiff_t>(j * ku));
      p[j] = o.p[ru];
      if (k < N) bo[j] = o.bo[ru];
      ++j;
    }
    release(o);
    logs_of(p, L.logp);
    if (k < N) logs_of(bo, L.logbo);
  }
  return out;
}

}  // namespace infogen::ngram
