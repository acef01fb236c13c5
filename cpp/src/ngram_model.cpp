// Backoff n-gram models: see infogen/ngram/model.hpp.
#include "infogen/ngram/model.hpp"

#include <algorithm>
#include <functional>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "infogen/random.hpp"

namespace infogen::ngram {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

bool row_less(const word_t* a, const word_t* b, int k) noexcept {
  return std::lexicographical_compare(a, a + k, b, b + k);
}

}  // namespace

std::vector<OrderLogs> estimate(const std::vector<CountsView>& counts, word_t vocab_size, Smoothing smoothing,
                                double param) {
  const int order = static_cast<int>(counts.size());
  if (order < 1) throw std::invalid_argument("estimate needs at least the unigram counts");
  if (vocab_size < kFirstWord) throw std::invalid_argument("vocab_size must include the 3 reserved words");
  if (smoothing == Smoothing::add_k && !(param > 0.0)) throw std::invalid_argument("add_k needs k > 0");
  if (smoothing == Smoothing::stupid_backoff && !(param > 0.0 && param <= 1.0))
    throw std::invalid_argument("stupid_backoff needs 0 < alpha <= 1");
  const double V = static_cast<double>(vocab_size - 1);  // <s> is never predicted
  std::vector<OrderLogs> out(static_cast<std::size_t>(order));

  // Order 1: dense.
  {
    std::vector<double> c(vocab_size, 0.0);
    double total = 0.0;
    const CountsView& u = counts[0];
    for (index_t r = 0; r < u.size; ++r) {
      const word_t w = u.ngrams[r];
      if (w >= vocab_size || w == kBos) throw std::invalid_argument("unigram counts hold an invalid word id");
      c[w] += static_cast<double>(u.counts[r]);
      total += static_cast<double>(u.counts[r]);
    }
    if (!(total > 0.0)) throw std::invalid_argument("no unigram counts: the corpus is empty");
    OrderLogs& o = out[0];
    o.logp.assign(vocab_size, kNegInf);
    o.logbo.assign(vocab_size, 0.0);
    for (word_t w = 0; w < vocab_size; ++w) {
      if (w == kBos) continue;
      if (smoothing == Smoothing::add_k) {
        o.logp[w] = std::log(c[w] + param) - std::log(total + param * V);
      } else {
        o.logp[w] = c[w] > 0 ? std::log(c[w]) - std::log(total) : kNegInf;
      }
    }
  }

  std::vector<NGramIndex> index(static_cast<std::size_t>(order));
  for (int k = 2; k <= order; ++k) {
    const CountsView& cv = counts[static_cast<std::size_t>(k - 1)];
    const CountsView& lower = counts[static_cast<std::size_t>(k - 2)];
    if (k - 1 >= 2) index[static_cast<std::size_t>(k - 2)].build(lower.ngrams, lower.size, k - 1);
    OrderLogs& o = out[static_cast<std::size_t>(k - 1)];
    OrderLogs& lo = out[static_cast<std::size_t>(k - 2)];
    o.logp.assign(static_cast<std::size_t>(cv.size), kNegInf);
    o.logbo.assign(static_cast<std::size_t>(cv.size), 0.0);
    const auto ku = static_cast<std::size_t>(k);
    auto lower_logp = [&](const word_t* w) -> double {  // log P(w[k-2] | w[0..k-2)) of order k-1
      if (k - 1 == 1) return lo.logp[w[0]];
      const index_t r = index[static_cast<std::size_t>(k - 2)].find(w);
      if (r < 0) throw std::invalid_argument("order-" + std::to_string(k) + " counts hold an n-gram whose suffix is missing from order " + std::to_string(k - 1));
      return lo.logp[static_cast<std::size_t>(r)];
    };
    auto context_bo = [&](const word_t* h) -> double& {
      if (k - 1 == 1) return lo.logbo[h[0]];
      const index_t r = index[static_cast<std::size_t>(k - 2)].find(h);
      if (r < 0) throw std::invalid_argument("order-" + std::to_string(k) + " counts hold an n-gram whose context is missing from order " + std::to_string(k - 1));
      return lo.logbo[static_cast<std::size_t>(r)];
    };
    index_t r0 = 0;
    while (r0 < cv.size) {
      const word_t* h = cv.ngrams + static_cast<std::size_t>(r0) * ku;
      index_t r1 = r0 + 1;
      while (r1 < cv.size && std::equal(h, h + k - 1, cv.ngrams + static_cast<std::size_t>(r1) * ku)) ++r1;
      double C = 0.0, lower_seen = 0.0;
      for (index_t r = r0; r < r1; ++r) {
        const word_t* g = cv.ngrams + static_cast<std::size_t>(r) * ku;
        if (g[k - 1] >= vocab_size || g[k - 1] == kBos) throw std::invalid_argument("counts hold an invalid word id");
        C += static_cast<double>(cv.counts[r]);
        if (smoothing != Smoothing::mle) lower_seen += std::exp(lower_logp(g + 1));
      }
      const double nh = static_cast<double>(r1 - r0);
      double bo = 0.0, logz = 0.0;
      if (smoothing == Smoothing::mle) {
        bo = kNegInf;
      } else if (smoothing == Smoothing::add_k) {
        const double left = param * (V - nh) / (C + param * V);
        const double denom = 1.0 - lower_seen;
        bo = (left > 0.0 && denom > 0.0) ? std::log(left) - std::log(denom) : kNegInf;
      } else {
        const double z = 1.0 + param * std::max(0.0, 1.0 - lower_seen);
        logz = std::log(z);
        bo = std::log(param) - logz;
      }
      for (index_t r = r0; r < r1; ++r) {
        const double c = static_cast<double>(cv.counts[r]);
        double lp;
        if (smoothing == Smoothing::add_k) {
          lp = std::log(c + param) - std::log(C + param * V);
        } else {
          lp = std::log(c) - std::log(C) - logz;
        }
        o.logp[static_cast<std::size_t>(r)] = lp;
      }
      context_bo(h) = bo;
      r0 = r1;
    }
  }
  return out;
}

double BackoffModel::backoff(const word_t* ctx, int len) const {
  if (len == 1) return uni_b_[ctx[0]];
  const std::uint8_t* e = lookup(len, hash_ngram(ctx, len));
  return e ? entry_logbo(len, e) : 0.0;
}

double BackoffModel::logprob(const word_t* seq, int m, int* ngram_length) const {
  if (m > order_ - 1) {
    seq += m - (order_ - 1);
    m = order_ - 1;
  }
  const word_t w = seq[m];
  double lp = uni_p_[w];
  int matched = 1;
  std::uint64_t h = hash_word(w);
  for (int k = 2; k <= m + 1; ++k) {
    const word_t* g = seq + m - k + 1;
    h = hash_extend(h, g[0]);
    const std::uint8_t* e = lookup(k, h);
    if (!e) break;
    lp = entry_logp(k, e);
    matched = k;
  }
  // Backoffs of the contexts longer than the matched one's: lengths matched..m.
  std::uint64_t hc = 0;
  for (int L = 1; L <= m; ++L) {
    const word_t* c = seq + m - L;
    hc = L == 1 ? hash_word(c[0]) : hash_extend(hc, c[0]);
    if (L < matched) continue;
    if (L == 1) {
      lp += uni_b_[c[0]];
    } else if (const std::uint8_t* e = lookup(L, hc)) {
      lp += entry_logbo(L, e);
    }
  }
  if (ngram_length) *ngram_length = matched;
  return lp;
}

void BackoffModel::score(const word_t* ids, const std::int64_t* offsets, index_t n_sentences, bool bos, bool eos,
                         double* out_sentences, double* out_tokens, int n_threads, std::uint8_t* out_lengths) const {
  if (n_sentences <= 0) return;
  if (offsets[0] != 0) throw std::invalid_argument("offsets must start at 0");
  for (index_t s = 0; s < n_sentences; ++s)
    if (offsets[s + 1] < offsets[s]) throw std::invalid_argument("offsets must be non-decreasing");
  const index_t n_tokens = offsets[n_sentences];
  for (index_t t = 0; t < n_tokens; ++t)
    if (ids[t] >= vocab_) throw std::invalid_argument("word id " + std::to_string(ids[t]) + " is outside the vocabulary");
  // A text long enough to touch most pages of a mapped model's tables: map them all first,
  // in parallel, rather than one fault at a time inside the scoring loop.
  {
    std::size_t table_bytes = 16 * static_cast<std::size_t>(vocab_);
    for (int k = 2; k <= order_; ++k) table_bytes += tables_[k].entry * tables_[k].slots;
    if (static_cast<double>(n_tokens + n_sentences) * order_ * 4096.0 > 0.5 * static_cast<double>(table_bytes))
      prefault(n_threads);
  }
  const index_t chunk = 256;
  constexpr std::size_t kAhead = 3;  // positions whose slots are requested before they are probed
  parallel_chunks(n_sentences, chunk, n_threads, n_tokens * order_, [&](index_t, index_t s0, index_t s1) {
    std::vector<word_t> buf;
    std::vector<std::uint64_t> hashes;  // [i * order_ + k - 1]: hash of the k-gram ending at i
    for (index_t s = s0; s < s1; ++s) {
      buf.clear();
      if (bos) buf.push_back(kBos);
      buf.insert(buf.end(), ids + offsets[s], ids + offsets[s + 1]);
      if (eos) buf.push_back(kEos);
      const std::size_t first = bos ? 1 : 0;
      const auto no = static_cast<std::size_t>(order_);
      // Hashes of every n-gram ending at every position (cheap), so that the table slots
      // of positions ahead can be requested while this one is probed.
      hashes.resize(buf.size() * no);
      for (std::size_t i = first; i < buf.size(); ++i) {
        const std::size_t m = std::min<std::size_t>(i, no - 1);
        std::uint64_t h = hash_word(buf[i]);
        for (std::size_t k = 2; k <= m + 1; ++k) {
          h = hash_extend(h, buf[i - k + 1]);
          hashes[i * no + k - 1] = h;
        }
      }
      auto request = [&](std::size_t i) {
        if (i >= buf.size()) return;
        const std::size_t m = std::min<std::size_t>(i, no - 1);
        for (std::size_t k = 2; k <= m + 1; ++k) prefetch(static_cast<int>(k), hashes[i * no + k - 1]);
      };
      for (std::size_t i = first; i < first + kAhead; ++i) request(i);
      double total = 0.0;
      const index_t out_at = offsets[s] + (eos ? s : 0);
      double* tok = out_tokens ? out_tokens + out_at : nullptr;
      std::uint8_t* lens = out_lengths ? out_lengths + out_at : nullptr;
      // State as in KenLM: the backoffs of the n-grams found ending at the previous
      // position are the contexts of this one, so they need no new lookup.
      double prev_bo[kMaxOrder + 1] = {0.0};
      int prev_found = 0;  // n-grams of lengths 1..prev_found ending at i-1 were found
      double cur_bo[kMaxOrder + 1] = {0.0};
      if (bos && buf.size() > 1) prev_found = 1;  // <s> as a context (its unigram backoff)
      for (std::size_t i = first; i < buf.size(); ++i) {
        request(i + kAhead);
        const int m = static_cast<int>(std::min<std::size_t>(i, no - 1));
        const word_t w = buf[i];
        double lp = uni_p_[w];
        int matched = 1;
        for (int k = 2; k <= m + 1; ++k) {
          const std::uint8_t* e = lookup(k, hashes[i * no + static_cast<std::size_t>(k) - 1]);
          if (!e) break;
          cur_bo[k] = entry_logbo(k, e);
          lp = entry_logp(k, e);
          matched = k;
        }
        // contexts of length L = matched..m end at i-1: length 1 is a unigram backoff,
        // longer ones were looked up at the previous position (absent if not found).
        for (int L = matched; L <= m; ++L) {
          if (L == 1) {
            lp += uni_b_[buf[i - 1]];
          } else if (L <= prev_found) {
            lp += prev_bo[L];
          }
        }
        std::copy(cur_bo + 2, cur_bo + matched + 1, prev_bo + 2);
        prev_found = matched;
        total += lp;
        if (tok) *tok++ = lp;
        if (lens) *lens++ = static_cast<std::uint8_t>(matched);
      }
      out_sentences[s] = total;
    }
  });
}

std::pair<index_t, index_t> BackoffModel::continuations(const word_t* ctx, int k) const {
  const word_t* ng = words_[k];
  const auto ku = static_cast<std::size_t>(k);
  const index_t m = count(k);
  const int p = k - 1;
  auto prefix_cmp = [&](index_t r) {  // <0 if row r's prefix < ctx, 0 if equal, >0 if greater
    const word_t* g = ng + static_cast<std::size_t>(r) * ku;
    for (int j = 0; j < p; ++j) {
      if (g[j] < ctx[j]) return -1;
      if (g[j] > ctx[j]) return 1;
    }
    return 0;
  };
  index_t lo = 0, hi = m;
  while (lo < hi) {
    const index_t mid = lo + (hi - lo) / 2;
    if (prefix_cmp(mid) < 0) lo = mid + 1; else hi = mid;
  }
  index_t a = lo;
  hi = m;
  while (lo < hi) {
    const index_t mid = lo + (hi - lo) / 2;
    if (prefix_cmp(mid) <= 0) lo = mid + 1; else hi = mid;
  }
  return {a, lo};
}

void BackoffModel::distribution(const word_t* seq, int m, double* out) const {
  if (m > order_ - 1) {
    seq += m - (order_ - 1);
    m = order_ - 1;
  }
  std::copy(uni_p_, uni_p_ + vocab_, out);
  for (int L = 1; L <= m; ++L) {
    const word_t* c = seq + m - L;
    const double bo = backoff(c, L);
    if (bo != 0.0)
      for (word_t w = 0; w < vocab_; ++w) out[w] += bo;
    const auto [a, b] = continuations(c, L + 1);
    const word_t* ng = words_[L + 1];
    for (index_t r = a; r < b; ++r) {
      const word_t w = ng[static_cast<std::size_t>(r) * static_cast<std::size_t>(L + 1) + static_cast<std::size_t>(L)];
      if (w < vocab_) out[w] = row_logp(L + 1, r);
    }
  }
}

void BackoffModel::generate(const word_t* prefix, int prefix_len, index_t n, int max_words, std::uint64_t seed,
                            double temperature, int top_k, bool greedy, const std::vector<word_t>& banned,
                            std::vector<word_t>& out_ids, std::vector<std::int64_t>& out_offsets,
                            int n_threads) const {
  if (!(temperature > 0.0)) throw std::invalid_argument("temperature must be > 0");
  if (max_words < 0) throw std::invalid_argument("max_words must be >= 0");
  for (int i = 0; i < prefix_len; ++i)
    if (prefix[i] >= vocab_) throw std::invalid_argument("prefix holds a word id outside the vocabulary");
  std::vector<std::vector<word_t>> results(static_cast<std::size_t>(std::max<index_t>(n, 0)));
  // Plain sampling (temperature 1, no top-k) walks the backoff structure instead of
  // building the whole distribution: O(continuations) per word instead of O(vocabulary).
  const bool backoff_sampling = !greedy && temperature == 1.0 && top_k <= 0;
  std::vector<double> uni_cum;
  if (backoff_sampling) {
    uni_cum.resize(vocab_);
    double acc = 0.0;
    for (word_t w = 0; w < vocab_; ++w) {
      if (w != kBos) acc += std::exp(uni_p_[w]);
      uni_cum[w] = acc;
    }
  }
  std::vector<char> is_banned(vocab_, 0);
  for (word_t b : banned) is_banned[b] = 1;
  parallel_chunks(n, 1, n_threads, n * max_words * static_cast<index_t>(vocab_), [&](index_t, index_t i0, index_t i1) {
    std::vector<double> dist(vocab_);
    std::vector<double> weight(vocab_);
    std::vector<word_t> seq;
    std::vector<word_t> order_buf;
    for (index_t i = i0; i < i1; ++i) {
      Philox rng(seed, static_cast<std::uint64_t>(i));
      seq.assign(prefix, prefix + prefix_len);
      auto& res = results[static_cast<std::size_t>(i)];
      for (int step = 0; step < max_words; ++step) {
        const int m = static_cast<int>(std::min<std::size_t>(seq.size(), static_cast<std::size_t>(order_ - 1)));
        if (backoff_sampling) {
          const word_t w = sample_backoff(seq.data() + seq.size() - static_cast<std::size_t>(m), m, uni_cum, is_banned, rng);
          if (w < vocab_) {
            if (w == kEos) break;
            seq.push_back(w);
            res.push_back(w);
            continue;
          }
          // too many rejections (almost all mass banned or excluded): exact full distribution
        }
        distribution(seq.data() + seq.size() - static_cast<std::size_t>(m), m, dist.data());
        dist[kBos] = kNegInf;
        for (word_t b : banned) dist[b] = kNegInf;
        word_t chosen;
        if (greedy) {
          chosen = static_cast<word_t>(std::max_element(dist.begin(), dist.end()) - dist.begin());
          if (dist[chosen] == kNegInf) break;
        } else {
          if (top_k > 0 && static_cast<word_t>(top_k) < vocab_) {
            order_buf.resize(vocab_);
            std::iota(order_buf.begin(), order_buf.end(), word_t(0));
            std::nth_element(order_buf.begin(), order_buf.begin() + (top_k - 1), order_buf.end(),
                             [&](word_t a, word_t b) { return dist[a] > dist[b] || (dist[a] == dist[b] && a < b); });
            const word_t kth = order_buf[static_cast<std::size_t>(top_k - 1)];
            const double thr = dist[kth];
            // Keep words strictly above the k-th value, plus ties up to k in id order.
            int kept = 0;
            for (word_t w = 0; w < vocab_; ++w) if (dist[w] > thr) ++kept;
            for (word_t w = 0; w < vocab_; ++w) {
              if (dist[w] > thr) continue;
              if (dist[w] == thr && kept < top_k) { ++kept; continue; }
              dist[w] = kNegInf;
            }
          }
          const double mx = *std::max_element(dist.begin(), dist.end());
          if (mx == kNegInf) break;
          double total = 0.0;
          for (word_t w = 0; w < vocab_; ++w) {
            weight[w] = dist[w] == kNegInf ? 0.0 : std::exp((dist[w] - mx) / temperature);
            total += weight[w];
          }
          const double u = rng.uniform() * total;
          double acc = 0.0;
          chosen = vocab_;
          for (word_t w = 0; w < vocab_; ++w) {
            acc += weight[w];
            if (u < acc && weight[w] > 0.0) { chosen = w; break; }
          }
          if (chosen == vocab_) {  // rounding at the top end: the last word with weight
            for (word_t w = vocab_; w-- > 0;) if (weight[w] > 0.0) { chosen = w; break; }
          }
        }
        if (chosen == kEos) break;
        seq.push_back(chosen);
        res.push_back(chosen);
      }
    }
  });
  out_ids.clear();
  out_offsets.assign(1, 0);
  for (const auto& r : results) {
    out_ids.insert(out_ids.end(), r.begin(), r.end());
    out_offsets.push_back(static_cast<std::int64_t>(out_ids.size()));
  }
}

word_t BackoffModel::sample_backoff(const word_t* seq, int m, const std::vector<double>& uni_cum,
                                   const std::vector<char>& banned, Philox& rng) const {
  // P(w | c_L) = p(c_L w) for the listed continuations E_L of context c_L, else
  // bo(c_L) P(w | c_{L-1}). Draw u: below the listed mass, pick a listed word; otherwise
  // draw from the shorter context and reject words of E_L. In a normalised model this is
  // exactly P; banned words are rejected at the top (conditioning on "not banned").
  constexpr int kMaxTries = 1000;
  std::function<word_t(int, int&)> draw = [&](int L, int& budget) -> word_t {
    if (L == 0) {
      const double total = uni_cum.back();
      const double u = rng.uniform() * total;
      auto it = std::upper_bound(uni_cum.begin(), uni_cum.end(), u);
      if (it == uni_cum.end()) --it;
      return static_cast<word_t>(it - uni_cum.begin());
    }
    const word_t* c = seq + m - L;
    const auto [a, b] = continuations(c, L + 1);
    const word_t* ng = words_[L + 1];
    const auto ku = static_cast<std::size_t>(L + 1);
    const double u = rng.uniform();
    double acc = 0.0;
    for (index_t r = a; r < b; ++r) {
      acc += std::exp(row_logp(L + 1, r));
      if (u < acc) return ng[static_cast<std::size_t>(r) * ku + static_cast<std::size_t>(L)];
    }
    while (budget-- > 0) {
      const word_t w = draw(L - 1, budget);
      if (w >= vocab_) return vocab_;
      // listed after c_L? (rows a..b share the prefix, so their last words are sorted)
      index_t lo = a, hi = b;
      while (lo < hi) {
        const index_t mid = lo + (hi - lo) / 2;
        if (ng[static_cast<std::size_t>(mid) * ku + static_cast<std::size_t>(L)] < w) lo = mid + 1; else hi = mid;
      }
      if (lo < b && ng[static_cast<std::size_t>(lo) * ku + static_cast<std::size_t>(L)] == w) continue;
      return w;
    }
    return vocab_;
  };
  int budget = kMaxTries;
  while (budget-- > 0) {
    const word_t w = draw(m, budget);
    if (w >= vocab_) return vocab_;
    if (w != kBos && !banned[w]) return w;
  }
  return vocab_;
}

void BackoffModel::fill(const word_t* seq, int len, int first, int blank, double* out, int n_threads) const {
  if (blank < first || blank >= len) throw std::invalid_argument("blank position outside the sentence");
  for (int i = 0; i < len; ++i)
    if (seq[i] >= vocab_) throw std::invalid_argument("sentence holds a word id outside the vocabulary");
  const int last = std::min(len - 1, blank + order_ - 1);
  parallel_chunks(vocab_, 1024, n_threads, static_cast<index_t>(vocab_) * order_ * order_, [&](index_t, index_t w0, index_t w1) {
    std::vector<word_t> buf(seq, seq + len);
    for (index_t w = w0; w < w1; ++w) {
      if (w == kBos || w == kEos) {
        out[w] = kNegInf;
        continue;
      }
      buf[static_cast<std::size_t>(blank)] = static_cast<word_t>(w);
      double total = 0.0;
      for (int i = blank; i <= last; ++i) {
        const int m = std::min(i - std::max(0, first - 1), order_ - 1);
        total += logprob(buf.data() + i - m, m);
      }
      out[w] = total;
    }
  });
}

}  // namespace infogen::ngram
