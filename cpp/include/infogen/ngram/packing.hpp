// Packing n-grams into integer keys and sorting the keys (LSD radix): shared by the
// counters (counter.hpp, count_trie.hpp) and the Kneser-Ney estimator.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "infogen/ngram/hash.hpp"

namespace infogen::ngram {

/// Bits needed to write v (at least 1).
inline int bit_width(word_t v) noexcept {
  int b = 1;
  while (b < 32 && (static_cast<std::uint64_t>(v) >> b) != 0) ++b;
  return b;
}

/// LSD radix sort of keys[0..n) on their low `total_bits` bits (stable), in as few passes
/// of at most 14 bits as possible (16k buckets: the histogram stays in L2), with tmp[0..n)
/// as scratch (the caller's, so a buffer reused across sorts is not faulted in again).
/// Returns where the sorted keys are: `keys` or `tmp`.
/// The histograms of all passes are taken in one read of the keys; a pass whose digit is
/// the same for every key is skipped.
template <class Key>
Key* radix_sort(Key* keys, std::size_t n, Key* tmp, int total_bits) {
  constexpr int kMaxDigit = 14;
  const int passes = (total_bits + kMaxDigit - 1) / kMaxDigit;
  if (passes == 0 || n < 2) return keys;
  const int digit = (total_bits + passes - 1) / passes;
  const std::size_t buckets = std::size_t(1) << digit;
  const std::size_t mask = buckets - 1;
  std::vector<std::size_t> count(static_cast<std::size_t>(passes) * buckets, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (int p = 0; p < passes; ++p)
      ++count[static_cast<std::size_t>(p) * buckets + (static_cast<std::size_t>(keys[i] >> (p * digit)) & mask)];
  Key* src = keys;
  Key* dst = tmp;
  for (int p = 0; p < passes; ++p) {
    std::size_t* c = &count[static_cast<std::size_t>(p) * buckets];
    const int shift = p * digit;
    if (c[static_cast<std::size_t>(src[0] >> shift) & mask] == n) continue;  // one bucket
    std::size_t sum = 0;
    for (std::size_t b = 0; b < buckets; ++b) {
      const std::size_t m = c[b];
      c[b] = sum;
      sum += m;
    }
    for (std::size_t i = 0; i < n; ++i) dst[c[static_cast<std::size_t>(src[i] >> shift) & mask]++] = src[i];
    std::swap(src, dst);
  }
  return src;
}

/// radix_sort of a whole vector, with scratch of its own.
template <class Key>
void radix_sort(std::vector<Key>& keys, int total_bits) {
  if (keys.size() < 2) return;
  std::vector<Key> tmp(keys.size());
  if (radix_sort(keys.data(), keys.size(), tmp.data(), total_bits) == tmp.data()) keys.swap(tmp);
}

}  // namespace infogen::ngram
