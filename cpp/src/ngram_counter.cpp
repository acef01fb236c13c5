// Counting n-grams: see infogen/ngram/counter.hpp.
#include "infogen/ngram/counter.hpp"
#include "infogen/ngram/packing.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <stdexcept>
#include <string>

namespace infogen::ngram {
namespace {

template <class Key>
void sort_packed(std::vector<word_t>& ngrams, std::vector<count_t>& counts, int k, int bits) {
  const std::size_t n = counts.size();
  std::vector<std::pair<Key, count_t>> rows(n);
  for (std::size_t r = 0; r < n; ++r) {
    Key key = 0;
    for (int j = 0; j < k; ++j) key = static_cast<Key>((key << bits) | static_cast<Key>(ngrams[r * static_cast<std::size_t>(k) + static_cast<std::size_t>(j)]));
    rows[r] = {key, counts[r]};
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const Key mask = static_cast<Key>((Key(1) << bits) - 1);
  for (std::size_t r = 0; r < n; ++r) {
    Key key = rows[r].first;
    for (int j = k - 1; j >= 0; --j) {
      ngrams[r * static_cast<std::size_t>(k) + static_cast<std::size_t>(j)] = static_cast<word_t>(key & mask);
      key = static_cast<Key>(key >> bits);
    }
    counts[r] = rows[r].second;
  }
}

void sort_generic(std::vector<word_t>& ngrams, std::vector<count_t>& counts, int k) {
  const std::size_t n = counts.size();
  const auto ku = static_cast<std::size_t>(k);
  std::vector<std::size_t> perm(n);
  std::iota(perm.begin(), perm.end(), std::size_t(0));
  std::sort(perm.begin(), perm.end(), [&](std::size_t a, std::size_t b) {
    return std::lexicographical_compare(&ngrams[a * ku], &ngrams[a * ku] + ku, &ngrams[b * ku], &ngrams[b * ku] + ku);
  });
  std::vector<word_t> ng(ngrams.size());
  std::vector<count_t> ct(n);
  for (std::size_t r = 0; r < n; ++r) {
    std::copy(&ngrams[perm[r] * ku], &ngrams[perm[r] * ku] + ku, &ng[r * ku]);
    ct[r] = counts[perm[r]];
  }
  ngrams.swap(ng);
  counts.swap(ct);
}


/// Count the order-k n-grams by sorting packed keys (k * bits <= 8 * sizeof(Key)): the
/// n-grams come out sorted, so no hash table and no export sort are needed.
template <class Key>
void count_sorted(const word_t* ids, const std::int64_t* offsets, index_t n_sentences, int k, int bits,
                  NGramArrays& out) {
  std::size_t n = 0;
  for (index_t s = 0; s < n_sentences; ++s) {
    const index_t len = offsets[s + 1] - offsets[s];
    if (len > 0) n += static_cast<std::size_t>(std::max<index_t>(0, len + 2 - std::max(1, k - 1)));
  }
  std::vector<Key> keys;
  keys.reserve(n);
  const int total_bits = k * bits;
  const Key mask = total_bits >= static_cast<int>(8 * sizeof(Key)) ? ~Key(0) : static_cast<Key>((Key(1) << total_bits) - 1);
  for (index_t s = 0; s < n_sentences; ++s) {
    const index_t len = offsets[s + 1] - offsets[s];
    if (len == 0) continue;
    const word_t* w = ids + offsets[s];
    // padded sequence: position 0 = <s>, 1..len = words, len+1 = </s>
    Key key = static_cast<Key>(kBos);
    for (index_t i = 1; i <= len + 1; ++i) {
      const word_t x = i <= len ? w[i - 1] : kEos;
      key = static_cast<Key>(((key << bits) | static_cast<Key>(x)) & mask);
      if (i - k + 1 >= 0) keys.push_back(key);
    }
  }
  radix_sort(keys, total_bits);
  out.order = k;
  std::size_t n_unique = keys.empty() ? 0 : 1;
  for (std::size_t i = 1; i < keys.size(); ++i) n_unique += keys[i] != keys[i - 1];
  const auto ku = static_cast<std::size_t>(k);
  out.ngrams.assign(n_unique * ku, 0);
  out.counts.assign(n_unique, 0);
  const Key wmask = static_cast<Key>((Key(1) << bits) - 1);
  std::size_t u = 0;
  for (std::size_t i = 0; i < keys.size();) {
    std::size_t j = i + 1;
    while (j < keys.size() && keys[j] == keys[i]) ++j;
    word_t* row = &out.ngrams[u * ku];
    Key key = keys[i];
    for (int q = k - 1; q >= 0; --q) {
      row[q] = static_cast<word_t>(key & wmask);
      key = static_cast<Key>(key >> bits);
    }
    out.counts[u++] = static_cast<count_t>(j - i);
    i = j;
  }
}

/// Unigrams: a dense counter over the vocabulary.
void count_unigrams(const word_t* ids, const std::int64_t* offsets, index_t n_sentences, word_t vocab_size,
                    NGramArrays& out) {
  std::vector<count_t> c(vocab_size, 0);
  for (index_t s = 0; s < n_sentences; ++s) {
    if (offsets[s + 1] == offsets[s]) continue;
    for (index_t t = offsets[s]; t < offsets[s + 1]; ++t) ++c[ids[t]];
    ++c[kEos];
  }
  out.order = 1;
  out.ngrams.clear();
  out.counts.clear();
  for (word_t w = 0; w < vocab_size; ++w) {
    if (c[w] == 0) continue;
    out.ngrams.push_back(w);
    out.counts.push_back(c[w]);
  }
}

}  // namespace

void check_corpus(const word_t* ids, const std::int64_t* offsets, index_t n_sentences, word_t vocab_size, int n_threads) {
  if (n_sentences < 0 || offsets[0] != 0) throw std::invalid_argument("offsets must start at 0");
  for (index_t s = 0; s < n_sentences; ++s)
    if (offsets[s + 1] < offsets[s]) throw std::invalid_argument("offsets must be non-decreasing");
  const index_t n_tokens = offsets[n_sentences];
  // The ids, in parallel; chunk results combined in order.
  {
    const index_t chunk = 1 << 20;
    const index_t n_chunks = (n_tokens + chunk - 1) / chunk;
    std::vector<index_t> bad(static_cast<std::size_t>(std::max<index_t>(n_chunks, 1)), -1);
    parallel_chunks(n_tokens, chunk, n_threads, n_tokens, [&](index_t c, index_t b, index_t e) {
      for (index_t t = b; t < e; ++t) {
        const word_t w = ids[t];
        if (w >= vocab_size || w == kBos || w == kEos) {
          bad[static_cast<std::size_t>(c)] = t;
          return;
        }
      }
    });
    for (index_t t : bad) {
      if (t >= 0) {
        throw std::invalid_argument("token " + std::to_string(t) + " has id " + std::to_string(ids[t]) +
                                    ", which is " + (ids[t] >= vocab_size ? "outside the vocabulary" : "a sentence boundary"));
      }
    }
  }

}

void sort_ngrams(std::vector<word_t>& ngrams, std::vector<count_t>& counts, int k, word_t vocab_size) {
  const int bits = bit_width(vocab_size > 0 ? vocab_size - 1 : 0);
  if (k * bits <= 64) {
    sort_packed<std::uint64_t>(ngrams, counts, k, bits);
  } else if (k * bits <= 128) {
    sort_packed<unsigned __int128>(ngrams, counts, k, bits);
  } else {
    sort_generic(ngrams, counts, k);
  }
}

std::vector<NGramArrays> count_ngrams(const word_t* ids, const std::int64_t* offsets, index_t n_sentences,
                                      int order, word_t vocab_size, int n_threads, CountStats* stats) {
  if (order < 1 || order > kMaxOrder)
    throw std::invalid_argument("order must be in 1.." + std::to_string(kMaxOrder) + ", got " + std::to_string(order));
  if (vocab_size < kFirstWord) throw std::invalid_argument("vocab_size must include the 3 reserved words");
  check_corpus(ids, offsets, n_sentences, vocab_size, n_threads);
  const index_t n_tokens = offsets[n_sentences];

  // Sort-based counting when every order's n-grams pack into 128 bits (the usual case).
  const int bits = bit_width(vocab_size - 1);
  if (order * bits <= 128) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<NGramArrays> out(static_cast<std::size_t>(order));
    // Largest orders first: they take longest.
    parallel_chunks(order, 1, n_threads, n_tokens * order, [&](index_t c, index_t, index_t) {
      const int k = order - static_cast<int>(c);
      NGramArrays& a = out[static_cast<std::size_t>(k - 1)];
      if (k == 1) {
        count_unigrams(ids, offsets, n_sentences, vocab_size, a);
      } else if (k * bits <= 64) {
        count_sorted<std::uint64_t>(ids, offsets, n_sentences, k, bits, a);
      } else {
        count_sorted<unsigned __int128>(ids, offsets, n_sentences, k, bits, a);
      }
    });
    if (stats) {
      stats->table_bytes.assign(static_cast<std::size_t>(order), 0);
      stats->scan_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      stats->export_seconds = 0.0;
    }
    return out;
  }

  const int n_shards = static_cast<int>(std::max<index_t>(1, std::min<index_t>(resolve_threads(n_threads), 64)));
  // tables[shard][k-1]
  std::vector<std::vector<CountTable>> tables(static_cast<std::size_t>(n_shards));
  // Initial sizes: at most one distinct n-gram per prediction, split over the shards,
  // capped so that a large corpus grows its tables instead of reserving its worst case.
  const index_t n_pred = n_tokens + n_sentences;
  for (auto& t : tables) {
    for (int k = 1; k <= order; ++k) {
      index_t expect = std::min<index_t>(n_pred / 8, index_t(1) << 18) / n_shards;
      if (k == 1) expect = std::min<index_t>(expect, static_cast<index_t>(vocab_size));
      t.emplace_back(k, static_cast<std::size_t>(std::max<index_t>(expect, 16)));
    }
  }

  const auto t_scan = std::chrono::steady_clock::now();
  const index_t work = n_tokens * order;
  parallel_chunks(n_shards, 1, n_shards, work < kSerialWorkThreshold ? kSerialWorkThreshold : work,
                  [&](index_t shard, index_t, index_t) {
    auto& tab = tables[static_cast<std::size_t>(shard)];
    const auto my = static_cast<std::uint64_t>(shard);
    const auto ns = static_cast<std::uint64_t>(n_shards);
    std::vector<word_t> buf;
    for (index_t s = 0; s < n_sentences; ++s) {
      const index_t len = offsets[s + 1] - offsets[s];
      if (len == 0) continue;
      buf.resize(static_cast<std::size_t>(len + 2));
      buf[0] = kBos;
      std::copy(ids + offsets[s], ids + offsets[s + 1], buf.begin() + 1);
      buf[static_cast<std::size_t>(len + 1)] = kEos;
      const word_t* b = buf.data();
      // Software pipeline: hash and prefetch position i's n-grams, then insert position
      // i-1's, whose slots were prefetched one step earlier.
      std::uint64_t hprev[kMaxOrder], hcur[kMaxOrder];
      int kprev = 0;
      for (index_t i = 1; i <= len + 2; ++i) {
        int kcur = 0;
        if (i <= len + 1) {
          kcur = static_cast<int>(std::min<index_t>(order, i + 1));
          std::uint64_t h = 0;
          for (int k = 1; k <= kcur; ++k) {
            const word_t w = b[i - k + 1];
            h = k == 1 ? hash_word(w) : hash_extend(h, w);
            hcur[k - 1] = h;
            if (ns == 1 || ((h >> 40) % ns) == my) tab[static_cast<std::size_t>(k - 1)].prefetch(h);
          }
        }
        for (int k = 1; k <= kprev; ++k) {
          const std::uint64_t h = hprev[k - 1];
          if (ns == 1 || ((h >> 40) % ns) == my) tab[static_cast<std::size_t>(k - 1)].add(b + (i - 1) - k + 1, h);
        }
        std::copy(hcur, hcur + kcur, hprev);
        kprev = kcur;
      }
    }
  });

  const auto t_export = std::chrono::steady_clock::now();
  std::vector<NGramArrays> out(static_cast<std::size_t>(order));
  if (stats) stats->table_bytes.assign(static_cast<std::size_t>(order), 0);
  parallel_chunks(order, 1, n_threads, n_tokens * order, [&](index_t km1, index_t, index_t) {
    const int k = static_cast<int>(km1) + 1;
    NGramArrays& a = out[static_cast<std::size_t>(km1)];
    a.order = k;
    std::size_t total = 0;
    for (auto& t : tables) total += t[static_cast<std::size_t>(km1)].size();
    a.ngrams.reserve(total * static_cast<std::size_t>(k));
    a.counts.reserve(total);
    std::size_t bytes = 0;
    for (auto& t : tables) {
      CountTable& table = t[static_cast<std::size_t>(km1)];
      bytes += table.bytes();
      table.for_each([&](const word_t* w, count_t c) {
        a.ngrams.insert(a.ngrams.end(), w, w + k);
        a.counts.push_back(c);
      });
      table = CountTable(k, 1);  // release memory early
    }
    if (stats) stats->table_bytes[static_cast<std::size_t>(km1)] = bytes;
    sort_ngrams(a.ngrams, a.counts, k, vocab_size);
  });
  if (stats) {
    const auto t_end = std::chrono::steady_clock::now();
    stats->scan_seconds = std::chrono::duration<double>(t_export - t_scan).count();
    stats->export_seconds = std::chrono::duration<double>(t_end - t_export).count();
  }
  return out;
}

}  // namespace infogen::ngram
