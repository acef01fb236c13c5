// Counting into a trie: see infogen/ngram/count_trie.hpp.
#include "infogen/ngram/count_trie.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>

#include "infogen/ngram/counter.hpp"
#include "infogen/ngram/packing.hpp"

namespace infogen::ngram {
namespace {

/// Windows per bucket (unless a single first word starts more: a sixteenth of the corpus's
/// windows, within 2^17..2^20) and bytes of keys gathered per scan of the corpus, by
/// default (count_trie.hpp). On 10^8 Zipf tokens, buckets of 2^20 windows took 2.07 s
/// against 2.29 s for 2^22 (more of each sort in cache, and more buckets to balance two
/// threads); its keys in one round of 880 MB took 2.2 s against 3.1 s in two of 512 MB
/// (each round scans the whole corpus, and ends waiting for its last bucket).
constexpr std::size_t kBucketWindows = std::size_t(1) << 20, kMinBucketWindows = std::size_t(1) << 17;
/// All the corpus's keys go in one round when they take at most kOneRoundBytes; otherwise
/// rounds hold as many bytes of keys as the corpus's ids take (4 a token), within
/// kMinRoundBytes..kMaxRoundBytes (a larger bound would raise the peak of the order-5
/// Kneser-Ney build on 10^8 tokens, whose 16-byte keys take 1.7 GB, past lmplz's).
constexpr std::size_t kMinRoundBytes = std::size_t(1) << 27, kMaxRoundBytes = std::size_t(1) << 29;
constexpr std::size_t kOneRoundBytes = std::size_t(1) << 30;
constexpr std::uint64_t kMaxRows = std::numeric_limits<std::uint32_t>::max();
/// Keys between the spare slots of the scatter's parts (a cache line of 8-byte keys).
constexpr std::size_t kSpareStride = 8;

/// Position of the highest set bit of x (x > 0).
inline int high_bit(std::uint64_t x) noexcept { return 63 - __builtin_clzll(x); }
inline int high_bit(unsigned __int128 x) noexcept {
  const auto hi = static_cast<std::uint64_t>(x >> 64);
  return hi != 0 ? 64 + high_bit(hi) : high_bit(static_cast<std::uint64_t>(x));
}
/// Number of trailing zero bits of x (x > 0).
inline int low_bit(std::uint64_t x) noexcept { return __builtin_ctzll(x); }
inline int low_bit(unsigned __int128 x) noexcept {
  const auto lo = static_cast<std::uint64_t>(x);
  return lo != 0 ? low_bit(lo) : 64 + low_bit(static_cast<std::uint64_t>(x >> 64));
}

/// Turns one bucket's sorted keys into trie rows, in two passes: `count` finds how many
/// new rows of each order the bucket adds (and adds its first words' unigram counts and
/// bigram children: each bucket owns the entries of its first words), and once every
/// bucket's rows have a place in the trie, `write` writes them there (first_child
/// pointing at the rows the bucket writes in the next order).
/// A key's words are its codes (id + 1), first word in the high bits, 0 past the
/// sentence end: its length is N less its trailing zero words, and the words it shares
/// with the key before it are those above their highest differing bit.
template <class Key>
class Emitter {
 public:
  Emitter(int N, int bits) : N_(N), bits_(bits), top_(N * bits - 1) {}

  /// rows[k] (k = 2..N): the bucket's distinct n-grams of order k.
  void count(const Key* keys, std::size_t n, std::uint32_t* unigram, std::uint64_t* children1, std::uint64_t* rows) const {
    // Every count and row number of a bucket is at most n.
    if (static_cast<std::uint64_t>(n) >= kMaxRows)
      throw std::length_error("2^32 windows or more in one bucket of first words: too many for the count trie");
    for (int k = 0; k <= N_; ++k) rows[k] = 0;
    runs(keys, n, [&](Key key, std::uint32_t c, int len, int lcp) {
      const auto w0 = first_word(key);
      if (w0 != kBos) unigram[w0] += c;
      if (lcp < 2 && len >= 2) ++children1[w0];
      for (int k = std::max(lcp + 1, 2); k <= len; ++k) ++rows[k];
    });
  }

  /// Writes the bucket's rows of order k from row at[k] of the trie's order k.
  void write(const Key* keys, std::size_t n, std::vector<TrieOrder>& orders, const std::uint64_t* at) const {
    const Key wmask = static_cast<Key>((Key(1) << bits_) - 1);
    word_t* word[kMaxOrder + 1] = {};
    std::uint32_t* count[kMaxOrder + 1] = {};
    std::uint32_t* child[kMaxOrder + 1] = {};
    std::uint32_t next[kMaxOrder + 2] = {};  // the next row of each order
    for (int k = 2; k <= N_; ++k) {
      TrieOrder& o = orders[static_cast<std::size_t>(k - 1)];
      word[k] = o.word.data() + at[k];
      count[k] = o.count.data() + at[k];
      if (k < N_) child[k] = o.first_child.data() + at[k];
      next[k] = static_cast<std::uint32_t>(at[k]);
    }
    std::uint32_t* cur[kMaxOrder + 1] = {};
    runs(keys, n, [&](Key key, std::uint32_t c, int len, int lcp) {
      for (int k = 2; k <= std::min(lcp, len); ++k) *cur[k] += c;
      for (int k = std::max(lcp + 1, 2); k <= len; ++k) {  // new n-grams: children of the current row of k - 1
        if (k < N_) *child[k]++ = next[k + 1];
        *word[k]++ = static_cast<word_t>((key >> ((N_ - k) * bits_)) & wmask) - 1;
        cur[k] = count[k]++;
        *cur[k] = c;
        ++next[k];
      }
    });
  }

 private:
  word_t first_word(Key key) const { return static_cast<word_t>(key >> (top_ + 1 - bits_)) - 1; }

  /// f(key, count, length, words shared with the previous key) for each run of equal keys.
  template <class F>
  void runs(const Key* keys, std::size_t n, F&& f) const {
    for (std::size_t i = 0; i < n;) {
      const Key key = keys[i];
      std::size_t j = i + 1;
      while (j < n && keys[j] == key) ++j;
      const int len = N_ - low_bit(key) / bits_;
      const int lcp = i == 0 ? 0 : (top_ - high_bit(static_cast<Key>(key ^ keys[i - 1]))) / bits_;
      f(key, static_cast<std::uint32_t>(j - i), len, lcp);
      i = j;
    }
  }

  int N_, bits_, top_;
};

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

/// The code (id + 1) of position pos of the padded sentence <s> w[0..n) </s>, 0 past its end.
inline word_t code_at(const word_t* w, index_t n, index_t pos) {
  return pos == 0 ? kBos + 1 : (pos <= n ? w[pos - 1] + 1 : (pos == n + 1 ? kEos + 1 : 0));
}

/// Sorts a bucket's keys in place (radix_sort on their low `bits` bits: the others are
/// the same in every key), with tmp[0..n) as scratch.
template <class Key>
void sort_bucket(Key* keys, std::size_t n, Key* tmp, int bits) {
  const Key* sorted = radix_sort(keys, n, tmp, bits);
  if (sorted != keys) std::memcpy(static_cast<void*>(keys), sorted, n * sizeof(Key));
}

/// Writes the key of every window of the part whose first word is in [lo, lo + span) at
/// its bucket's cursor, cur[rel[first - lo]], and the others at cur[rel[span]] (a spare
/// slot, which does not move). The key rolls along the sentence: each window shifts in
/// the code N - 1 positions ahead. (Everything in locals: through the lambda's references
/// the compiler would reload them after every store.)
template <class Key>
void scatter_part(const word_t* ids, const std::int64_t* offsets, Part part, int N, int bits, Key kmask, word_t lo,
                  word_t span, const std::uint32_t* rel, std::uint64_t* cur, Key* out) {
  const int top_shift = (N - 1) * bits;
  for_each_sentence(ids, offsets, part, [=](const word_t* w, index_t n) {
    Key key = 0;
    for (int q = 0; q < N - 1; ++q) key = static_cast<Key>((key << bits) | code_at(w, n, q));
    const index_t padded = n + 2;
    for (index_t i = 0; i < padded; ++i) {
      key = static_cast<Key>(((key << bits) | code_at(w, n, i + N - 1)) & kmask);
      const word_t d = static_cast<word_t>(key >> top_shift) - lo;
      const bool in_round = d < span;
      const std::uint32_t b = rel[in_round ? d : span];
      const std::uint64_t at = cur[b];
      out[at] = key;
      cur[b] = at + static_cast<std::uint64_t>(in_round);
    }
  });
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
  const Key kmask = key_bits >= static_cast<int>(sizeof(Key) * 8) ? ~Key(0) : static_cast<Key>((Key(1) << key_bits) - 1);
  const Emitter<Key> emitter(N, bits);
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
    // A window whose first word is in another round goes to its part's spare slot (past
    // the round's keys, a cache line apart), so the loop has no branch on the round.
    keys.resize(held + kSpareStride * parts.size());  // after the first round, no new pages
    for (std::size_t p = 0; p < parts.size(); ++p) cursor[p].push_back(held + kSpareStride * p);
    // The round's bucket of each first word [lo, lo + span), and nb (the spare slot) for
    // every other word, as rel[min(first - lo, span)]: a load, not a branch.
    std::vector<std::uint32_t> rel(static_cast<std::size_t>(span) + 1);
    for (std::size_t b = 0; b < nb; ++b)
      for (word_t c = buckets[b0 + b].lo; c < buckets[b0 + b].hi; ++c) rel[c - lo] = static_cast<std::uint32_t>(b);
    rel[span] = static_cast<std::uint32_t>(nb);
    parallel_chunks(static_cast<index_t>(parts.size()), 1, threads, work, [&](index_t p, index_t, index_t) {
      scatter_part<Key>(ids, offsets, parts[static_cast<std::size_t>(p)], N, bits, kmask, lo, span, rel.data(),
                        cursor[static_cast<std::size_t>(p)].data(), keys.data());
    });
    // Each bucket sorted in place and its rows counted, in parallel; then the rows of every
    // bucket get their place in the trie (in bucket order), and the buckets write them there
    // in parallel.
    const std::size_t stride = static_cast<std::size_t>(N) + 1;
    std::vector<std::uint64_t> rows(nb * stride, 0);
    const index_t sort_work = static_cast<index_t>(held) * 8 + kSerialWorkThreshold;
    parallel_chunks(static_cast<index_t>(nb), 1, threads, sort_work, [&](index_t b, index_t, index_t) {
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
      // Bits above the highest one in which the bucket's first words differ are equal.
      const Bucket& bk = buckets[b0 + static_cast<std::size_t>(b)];
      const word_t spread = bk.lo ^ (bk.hi - 1);
      const int bits_b = (N - 1) * bits + (spread == 0 ? 0 : bit_width(spread));
      sort_bucket(keys.data() + at, n, tmp.data(), bits_b);
      {
        std::lock_guard<std::mutex> lock(scratch_mutex);
        scratch.push_back(std::move(tmp));
      }
      emitter.count(keys.data() + at, n, t.orders[0].count.data(), children1.data(),
                    rows.data() + static_cast<std::size_t>(b) * stride);
    });
    for (int k = 2; k <= N; ++k) {  // rows[b][k] becomes where bucket b's rows of order k start
      TrieOrder& o = t.orders[static_cast<std::size_t>(k - 1)];
      std::uint64_t m = static_cast<std::uint64_t>(o.m);
      for (std::size_t b = 0; b < nb; ++b) {
        const std::uint64_t r = rows[b * stride + static_cast<std::size_t>(k)];
        rows[b * stride + static_cast<std::size_t>(k)] = m;
        m += r;
      }
      if (m >= kMaxRows)
        throw std::length_error("order " + std::to_string(k) + " has 2^32 n-grams or more: too many for the count trie");
      o.m = static_cast<index_t>(m);
      o.word.resize(m);  // within the reserved bound, and not zeroed: no copy, no page touched
      o.count.resize(m);
      if (k < N) o.first_child.resize(m);
    }
    parallel_chunks(static_cast<index_t>(nb), 1, threads, sort_work, [&](index_t b, index_t, index_t) {
      const auto at = bucket_start[static_cast<std::size_t>(b)];
      emitter.write(keys.data() + at, bucket_start[static_cast<std::size_t>(b) + 1] - at, t.orders,
                    rows.data() + static_cast<std::size_t>(b) * stride);
    });
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
  if (round_bytes == 0) {
    const std::size_t all = (static_cast<std::size_t>(offsets[n_sentences]) + 2 * static_cast<std::size_t>(n_sentences)) *
                            (order * bits <= 64 ? 8 : 16);
    round_bytes = all <= kOneRoundBytes
                      ? std::max(all, kMinRoundBytes)
                      : std::clamp(static_cast<std::size_t>(offsets[n_sentences]) * 4, kMinRoundBytes, kMaxRoundBytes);
  }
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
