// Word ids, n-gram hashing and the two open-addressing tables of the n-gram engine:
// `CountTable` (n-gram -> count, used while counting) and `NGramIndex` (n-gram -> row of a
// sorted n-gram array, used by estimation and queries).
//
// An n-gram of order k is k consecutive 32-bit word ids. Its hash folds the words from the
// last to the first, so the hashes of the n-grams ending at one position are computed
// incrementally (order 1, 2, ..., N) while scanning a sentence.
//
// Memory per distinct n-gram of order k: a CountTable slot is 8 bytes of count + the k
// words padded to 8 bytes (16 bytes for k <= 2, 24 for k = 3..4, 32 for k = 5..6) and the
// load factor stays in (0.35, 0.7], i.e. slot / load bytes (~23-46 bytes for trigrams);
// NGramIndex stores 8 bytes per slot at load <= 0.5 on top of the sorted array it indexes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "infogen/common.hpp"
#include "infogen/random.hpp"

namespace infogen::ngram {

using word_t = std::uint32_t;
using count_t = std::int64_t;

/// Reserved word ids, identical in every vocabulary.
constexpr word_t kUnk = 0;
constexpr word_t kBos = 1;
constexpr word_t kEos = 2;
constexpr word_t kFirstWord = 3;

/// Largest supported order.
constexpr int kMaxOrder = 16;

inline std::uint64_t hash_word(word_t w) noexcept { return splitmix64(w + 0x51ED27ULL); }

inline std::uint64_t hash_extend(std::uint64_t h, word_t w) noexcept {
  return splitmix64(h ^ (static_cast<std::uint64_t>(w) * 0x9E3779B97F4A7C15ULL + 0x2545F491ULL));
}

/// Hash of the n-gram words[0..k), folding from the last word to the first.
inline std::uint64_t hash_ngram(const word_t* words, int k) noexcept {
  std::uint64_t h = hash_word(words[k - 1]);
  for (int j = k - 2; j >= 0; --j) h = hash_extend(h, words[j]);
  return h;
}

inline bool same_words(const word_t* a, const word_t* b, int k) noexcept {
  for (int j = 0; j < k; ++j)
    if (a[j] != b[j]) return false;
  return true;
}

inline std::size_t next_pow2(std::size_t n) noexcept {
  std::size_t c = 16;
  while (c < n) c <<= 1;
  return c;
}

/// n-gram -> count with linear probing. A slot is one count (8 bytes, 0 = empty) followed
/// by the k words, padded to 8 bytes, so a probe touches one place in memory.
class CountTable {
 public:
  explicit CountTable(int order, std::size_t expected = 1024)
      : k_(order), stride_(1 + (static_cast<std::size_t>(order) + 1) / 2), key_bytes_(sizeof(word_t) * static_cast<std::size_t>(order)) {
    allocate(next_pow2(expected * 10 / 7 + 1));
  }

  int order() const noexcept { return k_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return mask_ + 1; }
  std::size_t bytes() const noexcept { return data_.size() * sizeof(std::uint64_t); }

  /// Add `c` to the count of words[0..k) whose hash is `h`.
  void add(const word_t* words, std::uint64_t h, count_t c = 1) {
    if ((size_ + 1) * 10 > capacity() * 7) grow();
    std::size_t slot = h & mask_;
    while (true) {
      std::uint64_t* s = &data_[slot * stride_];
      if (s[0] == 0) {
        std::memcpy(s + 1, words, key_bytes_);
        s[0] = static_cast<std::uint64_t>(c);
        ++size_;
        return;
      }
      if (std::memcmp(s + 1, words, key_bytes_) == 0) {
        s[0] += static_cast<std::uint64_t>(c);
        return;
      }
      slot = (slot + 1) & mask_;
    }
  }

  /// Hint that the slot of hash `h` will be needed soon.
  void prefetch(std::uint64_t h) const noexcept {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(&data_[(h & mask_) * stride_], 1, 1);
#else
    (void)h;
#endif
  }

  /// Call f(words, count) for every entry (in slot order).
  template <class F>
  void for_each(F&& f) const {
    word_t w[kMaxOrder];
    for (std::size_t slot = 0; slot <= mask_; ++slot) {
      const std::uint64_t* s = &data_[slot * stride_];
      if (s[0] == 0) continue;
      std::memcpy(w, s + 1, key_bytes_);
      f(static_cast<const word_t*>(w), static_cast<count_t>(s[0]));
    }
  }

 private:
  void allocate(std::size_t cap) {
    data_.assign(cap * stride_, 0);
    mask_ = cap - 1;
    size_ = 0;
  }
  void grow() {
    std::vector<std::uint64_t> old;
    old.swap(data_);
    const std::size_t old_cap = mask_ + 1;
    allocate(old_cap * 2);
    word_t w[kMaxOrder];
    for (std::size_t slot = 0; slot < old_cap; ++slot) {
      const std::uint64_t* s = &old[slot * stride_];
      if (s[0] == 0) continue;
      std::memcpy(w, s + 1, key_bytes_);
      std::size_t t = hash_ngram(w, k_) & mask_;
      while (data_[t * stride_] != 0) t = (t + 1) & mask_;
      std::memcpy(&data_[t * stride_], s, stride_ * sizeof(std::uint64_t));
      ++size_;
    }
  }

  int k_;
  std::size_t stride_;     // 64-bit words per slot
  std::size_t key_bytes_;  // 4k
  std::vector<std::uint64_t> data_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

/// Hash index over a row-major (n_rows x order) array of distinct n-grams: words -> row.
/// The array is borrowed: it must outlive the index and not move.
class NGramIndex {
 public:
  NGramIndex() = default;
  NGramIndex(const word_t* ngrams, index_t n_rows, int order) { build(ngrams, n_rows, order); }

  void build(const word_t* ngrams, index_t n_rows, int order) {
    if (n_rows >= static_cast<index_t>(0xFFFFFFFFu)) throw std::length_error("too many n-grams for one order");
    data_ = ngrams;
    k_ = order;
    n_ = n_rows;
    const std::size_t cap = next_pow2(static_cast<std::size_t>(n_rows) * 2 + 2);
    slots_.assign(cap, Slot{0, 0});
    mask_ = cap - 1;
    for (index_t r = 0; r < n_rows; ++r) {
      const word_t* w = ngrams + r * order;
      const std::uint64_t h = hash_ngram(w, order);
      std::size_t s = h & mask_;
      const auto fp = static_cast<std::uint32_t>(h >> 32);
      while (slots_[s].row1 != 0) {
        if (slots_[s].fp == fp && same_words(data_ + (slots_[s].row1 - 1) * static_cast<std::size_t>(k_), w, k_))
          throw std::invalid_argument("duplicate n-gram in an order-" + std::to_string(order) + " table");
        s = (s + 1) & mask_;
      }
      slots_[s] = Slot{static_cast<std::uint32_t>(r + 1), fp};
    }
  }

  /// Row of words[0..k) given its hash, or -1.
  index_t find(const word_t* words, std::uint64_t h) const noexcept {
    if (n_ == 0) return -1;
    std::size_t s = h & mask_;
    const auto fp = static_cast<std::uint32_t>(h >> 32);
    while (slots_[s].row1 != 0) {
      if (slots_[s].fp == fp) {
        const index_t r = slots_[s].row1 - 1;
        if (same_words(data_ + r * k_, words, k_)) return r;
      }
      s = (s + 1) & mask_;
    }
    return -1;
  }
  index_t find(const word_t* words) const noexcept { return find(words, hash_ngram(words, k_)); }

  index_t size() const noexcept { return n_; }
  int order() const noexcept { return k_; }
  std::size_t bytes() const noexcept { return slots_.size() * sizeof(Slot); }

 private:
  struct Slot {
    std::uint32_t row1;  // row + 1; 0 = empty
    std::uint32_t fp;    // high hash bits, checked before the words
  };
  const word_t* data_ = nullptr;
  int k_ = 1;
  index_t n_ = 0;
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

}  // namespace infogen::ngram
