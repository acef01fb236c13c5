// Counting into a trie: see infogen/ngram/count_trie.hpp.
#include "infogen/ngram/count_trie.hpp"

#include <algorithm>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>

#include "infogen/ngram/counter.hpp"
#include "infogen/ngram/packing.hpp"

namespace infogen::ngram {
namespace {

/// Windows per bucket (unless a single first word starts more: a sixteenth of the corpus's
/// windows, within 2^17..2^22) and bytes of keys gathered per scan of the corpus, by
/// default (count_trie.hpp): as many as the corpus's ids take
/// (4 bytes a token), between 128 and 512 MB. Fewer, larger rounds mean fewer scans and
/// more buckets per round to share between threads (on 10^8 tokens, 512 MB rounds took
/// 4.0 s against 5.4 s for 128 MB ones).
constexpr std::size_t kBucketWindows = std::size_t(1) << 22, kMinBucketWindows = std::size_t(1) << 17;
constexpr std::size_t kMinRoundBytes = std::size_t(1) << 27, kMaxRoundBytes = std::size_t(1) << 29;
constexpr std::uint64_t kMaxRows = std::numeric_limits<std::uint32_t>::max();

inline void add_count(std::uint32_t& c, std::uint64_t n) {
  const std::uint64_t s = static_cast<std::uint64_t>(c) + n;
  if (s > kMaxRows) throw std::length_error("an n-gram count reaches 2^32: too large for the count trie");
  c = static_cast<std::uint32_t>(s);
}

/// Turns one bucket's sorted keys into trie rows. Rows of orders 2..N go to `orders` (the
/// bucket's own fragment: first_child indexes the fragment's rows of the next order);
/// unigram counts and the number of bigrams each first word starts go straight to the
/// shared arrays, of which each bucket owns the entries of its first words.
template <class Key>
class Emitter {
 public:
  Emitter(std::vector<TrieOrder>& orders, int N, int bits, std::uint32_t* unigram_count, std::uint64_t* children1)
      : orders_(orders), N_(N), bits_(bits), unigram_(unigram_count), children1_(children1) {}

  void emit(const Key* keys, std::size_t n) {
    const Key wmask = static_cast<Key>((Key(1) << bits_) - 1);
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i + 1;
      while (j < n && keys[j] == keys[i]) ++j;
      const auto c = static_cast<std::uint64_t>(j - i);
      word_t w[kMaxOrder];
      int len = 0;
      for (int q = 0; q < N_; ++q) {
        const auto e = static_cast<word_t>((keys[i] >> ((N_ - 1 - q) * bits_)) & wmask);
        if (e == 0) break;
        w[len++] = e - 1;
      }
      int lcp = 0;
      while (lcp < len && lcp < prev_len_ && w[lcp] == prev_[lcp]) ++lcp;
      if (w[0] != kBos) add_count(unigram_[w[0]], c);
      for (int k = 2; k <= len; ++k) {
        TrieOrder& o = orders_[static_cast<std::size_t>(k - 1)];
        if (k > lcp) {  // a new n-gram of order k: the child of cur_[k - 1]
          if (static_cast<std::uint64_t>(o.m) >= kMaxRows)
            throw std::length_error("order " + std::to_string(k) + " has 2^32 n-grams or more: too many for the count trie");
          if (k < N_) o.first_child.push_back(static_cast<std::uint32_t>(orders_[static_cast<std::size_t>(k)].m));
          if (k == 2) ++children1_[w[0]];
          o.word.push_back(w[k - 1]);
          o.count.push_back(0);
          cur_[k] = o.m++;
        }
        add_count(o.count[static_cast<std::size_t>(cur_[k])], c);
      }
      std::copy(w, w + len, prev_);
      prev_len_ = len;
      i = j;
    }
  }

 private:
  std::vector<TrieOrder>& orders_;
  int N_, bits_;
  std::uint32_t* unigram_;
  std::uint64_t* children1_;
  index_t cur_[kMaxOrder + 1] = {};
  word_t prev_[kMaxOrder] = {};
  int prev_len_ = 0;
};

/// Appends a bucket's fragment (orders 2..N) to the trie: its first_child entries move by
/// the rows of the next order already in the trie.
void append_fragment(CountTrie& t, std::vector<TrieOrder>& frag) {
  const int N = t.order;
  // (the rows counts move last: order k's shift is order k + 1's rows before this fragment)
  for (int k = 2; k <= N; ++k) {
    TrieOrder& o = t.orders[static_cast<std::size_t>(k - 1)];
    TrieOrder& f = frag[static_cast<std::size_t>(k - 1)];
    if (static_cast<std::uint64_t>(o.m) + static_cast<std::uint64_t>(f.m) >= kMaxRows)
      throw std::length_error("order " + std::to_string(k) + " has 2^32 n-grams or more: too many for the count trie");
    o.word.insert(o.word.end(), f.word.begin(), f.word.end());
    o.count.insert(o.count.end(), f.count.begin(), f.count.end());
    if (k < N) {
      const auto shift = static_cast<std::uint32_t>(t.orders[static_cast<std::size_t>(k)].m);
      for (const std::uint32_t fc : f.first_child) o.first_child.push_back(fc + shift);
    }
  }
  for (int k = 2; k <= N; ++k) {
    t.orders[static_cast<std::size_t>(k - 1)].m += frag[static_cast<std::size_t>(k - 1)].m;
    frag[static_cast<std::size_t>(k - 1)] = TrieOrder{};
  }
}

/// A contiguous range of sentences, [s0, s1): one thread's share of the corpus.
struct Part {
  index_t s0 = 0, s1 = 0;
};

/// Calls f(words, n) for every non-empty sentence of the part.
template <class F>
inline void for_each_sentence(const word_t* ids, const std::int64_t* offsets, const Part& part, F&& f) {
  for (index_t s = part.s0; s < part.s1; ++s) {
    const index_t n = offsets[s + 1] - offsets[s];
    if (n == 0) continue;
    f(ids + offsets[s], n);
  }
}

/// The key of the window at position i of a padded sentence w (n words): the codes (id + 1)
/// of up to N words from position i, first word in the high bits, 0 past the sentence end.
template <class Key>
inline Key window_key(const word_t* w, index_t n, index_t i, int N, int bits) {
  const index_t padded = n + 2;
  Key key = 0;
  for (int q = 0; q < N; ++q) {
    const index_t pos = i + q;
    const word_t code = pos >= padded ? 0 : (pos == 0 ? kBos : (pos <= n ? w[pos - 1] : kEos)) + 1;
    key = static_cast<Key>((key << bits) | static_cast<Key>(code));
  }
  return key;
}

template <class Key>
void count_into(const word_t* ids, const std::int64_t* offsets, index_t n_sentences, int n_threads, int bits,
                std::size_t bucket_windows, std::size_t round_bytes, CountTrie& t) {
  const int N = t.order;
  const auto V = static_cast<std::size_t>(t.vocab_size);
  const int threads = std::max(1, resolve_threads(n_threads));
  // The corpus in one part per thread, of about equal numbers of tokens.
  std::vector<Part> parts(static_cast<std::size_t>(threads));
  {
    const std::int64_t total = offsets[n_sentences];
    index_t s = 0;
    for (int p = 0; p < threads; ++p) {
      const std::int64_t goal = total / threads * (p + 1);
      parts[static_cast<std::size_t>(p)].s0 = s;
      if (p == threads - 1) {
        s = n_sentences;
      } else {
        s = static_cast<index_t>(std::upper_bound(offsets + s, offsets + n_sentences, goal) - offsets);
        s = std::max(s, parts[static_cast<std::size_t>(p)].s0);
        s = std::min(s, n_sentences);
      }
      parts[static_cast<std::size_t>(p)].s1 = s;
    }
  }
  const index_t work = static_cast<index_t>(offsets[n_sentences]) * N + kSerialWorkThreshold;
  // How many windows each first word starts (by code, id + 1), part by part.
  std::vector<std::vector<std::uint64_t>> part_starts(parts.size());
  parallel_chunks(static_cast<index_t>(parts.size()), 1, threads, work, [&](index_t p, index_t, index_t) {
    auto& st = part_starts[static_cast<std::size_t>(p)];
    st.assign(V + 1, 0);
    for_each_sentence(ids, offsets, parts[static_cast<std::size_t>(p)], [&](const word_t* w, index_t n) {
      ++st[kBos + 1];
      ++st[kEos + 1];
      for (index_t i = 0; i < n; ++i) ++st[w[i] + 1];
    });
  });
  std::vector<std::uint64_t> starts(V + 1, 0);
  for (const auto& st : part_starts)
    for (std::size_t c = 0; c <= V; ++c) starts[c] += st[c];
  // Each order's row bound, and the number of sentences.
  std::vector<std::uint64_t> bound(static_cast<std::size_t>(N) + 1, 0);
  for (index_t s = 0; s < n_sentences; ++s) {
    const index_t n = offsets[s + 1] - offsets[s];
    if (n == 0) continue;
    ++t.n_sentences;
    for (int k = 2; k <= N; ++k) bound[static_cast<std::size_t>(k)] += static_cast<std::uint64_t>(std::max<index_t>(0, n + 3 - k));
  }
  t.orders.assign(static_cast<std::size_t>(N), TrieOrder{});
  t.orders[0].m = static_cast<index_t>(V);
  t.orders[0].count.assign(V, 0);
  // Reserved, not touched: the pages beyond the final sizes are never resident.
  for (int k = 2; k <= N; ++k) {
    TrieOrder& o = t.orders[static_cast<std::size_t>(k - 1)];
    const auto b = static_cast<std::size_t>(std::min<std::uint64_t>(bound[static_cast<std::size_t>(k)], kMaxRows));
    o.word.reserve(b);
    o.count.reserve(b);
    if (k < N) o.first_child.reserve(b + 1);
  }
  // Buckets: consecutive first-word codes holding up to bucket_windows windows, each
  // sorted on its own; rounds: consecutive buckets holding up to round_bytes of keys (at
  // least one bucket), gathered in one scan of the corpus.
  struct Bucket {
    word_t lo, hi;
    std::uint64_t size;
  };
  std::vector<Bucket> buckets;
  std::vector<std::uint32_t> bucket_of(V + 1, 0);
  {
    word_t lo = 1;
    std::uint64_t held = 0;
    for (word_t code = 1; code <= static_cast<word_t>(V); ++code) {
      if (held > 0 && held + starts[code] > bucket_windows) {
        buckets.push_back({lo, code, held});
        lo = code;
        held = 0;
      }
      held += starts[code];
      bucket_of[code] = static_cast<std::uint32_t>(buckets.size());
    }
    if (held > 0) buckets.push_back({lo, static_cast<word_t>(V) + 1, held});
  }
  std::vector<std::uint64_t>().swap(starts);
  const std::uint64_t round_windows = std::max<std::uint64_t>(round_bytes / sizeof(Key), 1);
  UninitVector<Key> keys;  // written by the scatter before they are read
  // The sorts' scratch: one buffer per running sort (a bucket at a time, not the round),
  // taken from and returned to a pool.
  std::vector<UninitVector<Key>> scratch;
  std::mutex scratch_mutex;
  std::vector<std::uint64_t> children1(V, 0);
  const int key_bits = N * bits;
  for (std::size_t b0 = 0; b0 < buckets.size();) {
    std::size_t b1 = b0 + 1;
    std::uint64_t held = buckets[b0].size;
    while (b1 < buckets.size() && held + buckets[b1].size <= round_windows) held += buckets[b1++].size;
    const word_t lo = buckets[b0].lo, span = buckets[b1 - 1].hi - lo;
    // Where each part writes each bucket's windows: buckets in order, parts in order within.
    const std::size_t nb = b1 - b0;
    std::vector<std::uint64_t> bucket_start(nb + 1, 0);
    std::vector<std::vector<std::uint64_t>> cursor(parts.size(), std::vector<std::uint64_t>(nb, 0));
    for (std::size_t b = 0; b < nb; ++b) {
      std::uint64_t at = bucket_start[b];
      for (std::size_t p = 0; p < parts.size(); ++p) {
        cursor[p][b] = at;
        for (word_t c = buckets[b0 + b].lo; c < buckets[b0 + b].hi; ++c) at += part_starts[p][c];
      }
      bucket_start[b + 1] = at;
    }
    keys.resize(held);  // after the first round, no new pages
    const auto first_bucket = static_cast<std::uint32_t>(b0);
    parallel_chunks(static_cast<index_t>(parts.size()), 1, threads, work, [&](index_t p, index_t, index_t) {
      std::uint64_t* cur = cursor[static_cast<std::size_t>(p)].data();
      Key* out = keys.data();
      for_each_sentence(ids, offsets, parts[static_cast<std::size_t>(p)], [&](const word_t* w, index_t n) {
        const index_t padded = n + 2;
        for (index_t i = 0; i < padded; ++i) {
          const word_t first = (i == 0 ? kBos : (i <= n ? w[i - 1] : kEos)) + 1;
          if (first - lo >= span) continue;
          out[cur[bucket_of[first] - first_bucket]++] = window_key<Key>(w, n, i, N, bits);
        }
      });
    });
    // Each bucket sorted and turned into rows on its own (its fragment), in parallel; the
    // fragments then join the trie in bucket order.
    std::vector<std::vector<TrieOrder>> frags(nb, std::vector<TrieOrder>(static_cast<std::size_t>(N)));
    parallel_chunks(static_cast<index_t>(nb), 1, threads, static_cast<index_t>(held) * 8 + kSerialWorkThreshold,
                    [&](index_t b, index_t, index_t) {
                      const auto at = bucket_start[static_cast<std::size_t>(b)];
                      const auto n = bucket_start[static_cast<std::size_t>(b) + 1] - at;
                      UninitVector<Key> tmp;
                      {
                        std::lock_guard<std::mutex> lock(scratch_mutex);
                        if (!scratch.empty()) {
                          tmp = std::move(scratch.back());
                          scratch.pop_back();
                        }
                      }
                      if (tmp.size() < n) tmp.resize(n);
                      const Key* sorted = radix_sort(keys.data() + at, n, tmp.data(), key_bits);
                      Emitter<Key> emitter(frags[static_cast<std::size_t>(b)], N, bits, t.orders[0].count.data(),
                                           children1.data());
                      emitter.emit(sorted, n);
                      std::lock_guard<std::mutex> lock(scratch_mutex);
                      scratch.push_back(std::move(tmp));
                    });
    for (auto& f : frags) append_fragment(t, f);
    b0 = b1;
  }
  // Order 1's first children from the bigrams each word starts; a sentinel row for the others.
  if (N >= 2) {
    TrieOrder& o1 = t.orders[0];
    o1.first_child.assign(V + 1, 0);
    std::uint64_t sum = 0;
    for (std::size_t w = 0; w < V; ++w) {
      o1.first_child[w] = static_cast<std::uint32_t>(sum);
      sum += children1[w];
    }
    o1.first_child.back() = static_cast<std::uint32_t>(sum);
  }
  for (int k = 2; k < N; ++k)
    t.orders[static_cast<std::size_t>(k - 1)].first_child.push_back(static_cast<std::uint32_t>(t.orders[static_cast<std::size_t>(k)].m));
}

}  // namespace

std::size_t CountTrie::bytes() const noexcept {
  std::size_t b = 0;
  for (const auto& o : orders)
    b += o.word.size() * sizeof(word_t) + o.count.size() * 4 + o.first_child.size() * 4;
  return b;
}

void CountTrie::table(int k, UninitVector<word_t>& ngrams, UninitVector<count_t>& counts, int n_threads) const {
  if (k < 1 || k > order || static_cast<int>(orders.size()) != order)
    throw std::invalid_argument("no order " + std::to_string(k) + " in this count trie");
  const TrieOrder& o = orders[static_cast<std::size_t>(k - 1)];
  ngrams.clear();
  counts.clear();
  if (k == 1) {
    for (index_t w = 0; w < o.m; ++w) {
      if (o.count[static_cast<std::size_t>(w)] == 0) continue;
      ngrams.push_back(static_cast<word_t>(w));
      counts.push_back(o.count[static_cast<std::size_t>(w)]);
    }
    return;
  }
  const auto ku = static_cast<std::size_t>(k);
  ngrams.resize(static_cast<std::size_t>(o.m) * ku);
  counts.resize(static_cast<std::size_t>(o.m));
  parallel_chunks(o.m, index_t(1) << 16, n_threads, o.m * k, [&](index_t, index_t b, index_t e) {
    TrieCursor cur(orders, k, b);
    for (index_t r = b; r < e; ++r) {
      cur.move_to(r);
      word_t* row = ngrams.data() + static_cast<std::size_t>(r) * ku;
      for (int j = 1; j <= k; ++j) row[j - 1] = cur.word(j);
      counts[static_cast<std::size_t>(r)] = o.count[static_cast<std::size_t>(r)];
    }
  });
}

bool count_trie_supported(int order, word_t vocab_size) noexcept {
  return order >= 1 && order <= kMaxOrder && vocab_size >= kFirstWord && order * bit_width(vocab_size) <= 128;
}

CountTrie count_trie(const word_t* ids, const std::int64_t* offsets, index_t n_sentences, int order,
                     word_t vocab_size, int n_threads, std::size_t bucket_windows, std::size_t round_bytes) {
  if (order < 1 || order > kMaxOrder)
    throw std::invalid_argument("order must be in 1.." + std::to_string(kMaxOrder) + ", got " + std::to_string(order));
  if (vocab_size < kFirstWord) throw std::invalid_argument("vocab_size must include the 3 reserved words");
  if (!count_trie_supported(order, vocab_size))
    throw std::invalid_argument("order " + std::to_string(order) + " with " + std::to_string(vocab_size) +
                                " word types does not pack into 128-bit keys");
  check_corpus(ids, offsets, n_sentences, vocab_size, n_threads);
  CountTrie t;
  t.order = order;
  t.vocab_size = vocab_size;
  t.n_tokens = offsets[n_sentences];
  const int bits = bit_width(vocab_size);  // codes are id + 1 <= vocab_size
  if (bucket_windows == 0)  // enough buckets to share between threads on small corpora too
    bucket_windows = std::clamp(static_cast<std::size_t>(offsets[n_sentences] + 2 * n_sentences) / 16,
                                kMinBucketWindows, kBucketWindows);
  if (round_bytes == 0)
    round_bytes = std::clamp(static_cast<std::size_t>(offsets[n_sentences]) * 4, kMinRoundBytes, kMaxRoundBytes);
  if (order * bits <= 64) {
    count_into<std::uint64_t>(ids, offsets, n_sentences, n_threads, bits, bucket_windows, round_bytes, t);
  } else {
    count_into<unsigned __int128>(ids, offsets, n_sentences, n_threads, bits, bucket_windows, round_bytes, t);
  }
  return t;
}

TrieBuilder::TrieBuilder(int order, word_t vocab_size, const std::vector<index_t>& sizes) : sizes_(sizes) {
  if (order < 1 || order > kMaxOrder)
    throw std::invalid_argument("order must be in 1.." + std::to_string(kMaxOrder) + ", got " + std::to_string(order));
  if (vocab_size < kFirstWord) throw std::invalid_argument("vocab_size must include the 3 reserved words");
  if (static_cast<int>(sizes.size()) != order) throw std::invalid_argument("sizes needs one entry per order");
  t_.order = order;
  t_.vocab_size = vocab_size;
  t_.orders.assign(static_cast<std::size_t>(order), TrieOrder{});
  t_.orders[0].m = static_cast<index_t>(vocab_size);
  t_.orders[0].count.assign(static_cast<std::size_t>(vocab_size), 0);
  for (int k = 2; k <= order; ++k) {
    const index_t m = sizes[static_cast<std::size_t>(k - 1)];
    if (m < 0 || static_cast<std::uint64_t>(m) >= kMaxRows)
      throw std::length_error("order " + std::to_string(k) + " has 2^32 n-grams or more: too many for the count trie");
    t_.orders[static_cast<std::size_t>(k - 1)].word.reserve(static_cast<std::size_t>(m));
    t_.orders[static_cast<std::size_t>(k - 1)].count.reserve(static_cast<std::size_t>(m));
  }
  last_.assign(kMaxOrder, 0);
}

void TrieBuilder::start_order(int k) {
  if (k != k_ + 1)
    throw std::invalid_argument("orders must come in turn: got order " + std::to_string(k) + " after order " +
                                std::to_string(k_));
  if (k_ >= 1) end_order();
  k_ = k;
  have_last_ = false;
  parent_ = -1;
  filled_ = 0;
  if (k >= 2) {
    TrieOrder& lo = t_.orders[static_cast<std::size_t>(k - 2)];
    lo.first_child.assign(static_cast<std::size_t>(lo.m) + 1, 0);
  }
  parents_.reset();
  if (k >= 3 && t_.orders[static_cast<std::size_t>(k - 2)].m > 0) parents_.emplace(t_.orders, k - 1, 0);
}

void TrieBuilder::end_order() {
  if (k_ >= 2) {
    TrieOrder& lo = t_.orders[static_cast<std::size_t>(k_ - 2)];
    const auto m = static_cast<std::uint32_t>(t_.orders[static_cast<std::size_t>(k_ - 1)].m);
    for (index_t q = filled_; q <= lo.m; ++q) lo.first_child[static_cast<std::size_t>(q)] = m;
    filled_ = lo.m + 1;
  }
}

int TrieBuilder::compare_parent(index_t p, const word_t* w) {
  const int j = k_ - 1;
  if (j == 1) return p < w[0] ? -1 : (p > w[0] ? 1 : 0);
  parents_->move_to(p);
  for (int i = 1; i <= j; ++i) {
    const word_t x = parents_->word(i);
    if (x != w[i - 1]) return x < w[i - 1] ? -1 : 1;
  }
  return 0;
}

void TrieBuilder::add(int k, const word_t* ngrams, const count_t* counts, index_t n) {
  if (k < 1 || k > t_.order) throw std::invalid_argument("order " + std::to_string(k) + " is outside 1.." + std::to_string(t_.order));
  if (k != k_) start_order(k);
  const auto ku = static_cast<std::size_t>(k);
  const auto V = t_.vocab_size;
  auto not_corpus = [&](const std::string& what) {
    throw std::invalid_argument("not counts of one corpus: " + what + " (order " + std::to_string(k) + ")");
  };
  for (index_t r = 0; r < n; ++r) {
    const word_t* w = ngrams + static_cast<std::size_t>(r) * ku;
    const count_t c = counts[r];
    if (c < 1 || static_cast<std::uint64_t>(c) > kMaxRows) not_corpus("a count is below 1 or at least 2^32");
    for (std::size_t i = 0; i < ku; ++i)
      if (w[i] >= V) not_corpus("a word id is outside the vocabulary");
    if (have_last_ && !std::lexicographical_compare(last_.begin(), last_.begin() + static_cast<std::ptrdiff_t>(ku), w, w + ku))
      not_corpus("rows are not sorted, or repeat");
    std::copy(w, w + ku, last_.begin());
    have_last_ = true;
    if (k == 1) {
      if (w[0] == kBos) not_corpus("<s> is counted as a unigram");
      t_.orders[0].count[w[0]] = static_cast<std::uint32_t>(c);
      continue;
    }
    TrieOrder& lo = t_.orders[static_cast<std::size_t>(k - 2)];
    if (parent_ < 0 || compare_parent(parent_, w) != 0) {
      index_t p = parent_ + 1;
      if (k == 2) {
        p = static_cast<index_t>(w[0]);
      } else {
        while (p < lo.m && compare_parent(p, w) < 0) ++p;
        if (p >= lo.m || compare_parent(p, w) != 0) not_corpus("an n-gram's first words are not an n-gram of the order below");
      }
      parent_ = p;
      const auto m = static_cast<std::uint32_t>(t_.orders[static_cast<std::size_t>(k - 1)].m);
      for (; filled_ <= p; ++filled_) lo.first_child[static_cast<std::size_t>(filled_)] = m;
    }
    TrieOrder& o = t_.orders[static_cast<std::size_t>(k - 1)];
    if (static_cast<std::uint64_t>(o.m) >= kMaxRows) throw std::length_error("too many n-grams for the count trie");
    o.word.push_back(w[k - 1]);
    o.count.push_back(static_cast<std::uint32_t>(c));
    ++o.m;
  }
}

CountTrie TrieBuilder::finish(std::int64_t n_tokens, std::int64_t n_sentences) {
  while (k_ < t_.order) start_order(k_ + 1);  // orders without rows
  end_order();
  for (int k = 2; k <= t_.order; ++k)
    if (t_.orders[static_cast<std::size_t>(k - 1)].m != sizes_[static_cast<std::size_t>(k - 1)])
      throw std::invalid_argument("order " + std::to_string(k) + " was announced with " +
                                  std::to_string(sizes_[static_cast<std::size_t>(k - 1)]) + " rows, got " +
                                  std::to_string(t_.orders[static_cast<std::size_t>(k - 1)].m));
  t_.n_tokens = n_tokens;
  t_.n_sentences = n_sentences;
  k_ = 0;
  return std::move(t_);
}

}  // namespace infogen::ngram
