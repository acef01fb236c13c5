// Corpus reading: text (files or an in-memory buffer) -> word ids in CSR form.
//
// Format: one sentence per line ('\n'; a trailing '\r' is whitespace), tokens separated by
// ASCII whitespace (space, tab, \r, \v, \f). Bytes are passed through untouched, so UTF-8
// (or any other encoding, valid or not) arrives as the same bytes in the vocabulary.
// Lines with no token are skipped (they are not sentences). The token "<unk>" maps to the
// unknown word; "<s>" and "</s>" are reserved and rejected (as KenLM does).
//
// Files are memory-mapped (pipes and other unmappable files are read with fread) and fed
// in large blocks (default 64 MiB); each block is cut into ~256 KiB chunks at line
// boundaries that are tokenised in parallel, each with its own small word table, and merged
// in chunk order (with a fresh vocabulary, the first chunk goes first, so that the others
// find the frequent words). New word types therefore get ids in order of first occurrence
// in the text, whatever the number of threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "infogen/ngram/hash.hpp"
#include "infogen/uninit_vector.hpp"

namespace infogen::ngram {

/// The bytes of a string of at most 8 bytes as one integer (little-endian, zero-padded):
/// two such strings of the same length are equal exactly when these are.
inline std::uint64_t pack_short(const char* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  if (n == 8) {
    std::memcpy(&v, p, 8);
  } else {
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

/// pack_short(p, n) when 8 bytes from p may be read (one load, masked to n bytes).
inline std::uint64_t pack_short_unsafe(const char* p, std::size_t n) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return n >= 8 ? v : v & ((std::uint64_t(1) << (8 * n)) - 1);
}

/// hash_bytes of a string of n <= 8 bytes, from its pack_short.
inline std::uint64_t hash_short(std::uint64_t packed, std::size_t n) noexcept {
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xC2B2AE3D27D4EB4FULL);
  if (n == 8) {
    h = (h ^ packed) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 29;
  } else if (n > 0) {
    h = (h ^ packed) * 0x94D049BB133111EBULL;
  }
  return splitmix64(h);
}

/// Hash of a byte string (8 bytes at a time, multiply-xorshift mixing; the tail as a
/// little-endian word).
inline std::uint64_t hash_bytes(const char* p, std::size_t n) noexcept {
  if (n <= 8) return hash_short(pack_short(p, n), n);
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xC2B2AE3D27D4EB4FULL);
  while (n >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) h = (h ^ pack_short(p, n)) * 0x94D049BB133111EBULL;
  return splitmix64(h);
}

/// a[0..n) == b[0..n): a plain loop for the short strings words are (a call to memcmp
/// costs more than comparing five bytes), memcmp for long ones.
inline bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  if (n > 16) return std::memcmp(a, b, n) == 0;
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

/// Open-addressing map from byte strings to ids, keyed by hash_bytes. A slot is 16 bytes:
/// a string of up to 8 bytes is held in it (pack_short), so finding it reads the slot only
/// (the tokeniser's lookups are cache misses, and most words are short); a longer one is
/// held as its hash and compared through `keys`, the strings by id, which the owner keeps
/// (a string's entry must be there before it is searched for: a vector that may grow is
/// fine, the map holds the vector, not its data). Smaller slots than a pointer per slot
/// made tokenising 10^6 Zipf tokens 15% faster and 10^8 8% (a smaller table to miss in).
class StringMap {
 public:
  using Keys = std::vector<std::string_view>;
  explicit StringMap(const Keys* keys = nullptr, std::size_t expected = 64) : keys_(keys) {
    rehash(next_pow2(expected * 2));
  }

  /// The slot tag of a string: its pack_short if it has up to 8 bytes, else its hash h.
  static std::uint64_t tag_of(const char* p, std::uint32_t n, std::uint64_t h) noexcept {
    return n <= 8 ? pack_short(p, n) : h;
  }
  /// Id of the string, or -1.
  std::int64_t find(const char* p, std::uint32_t n, std::uint64_t h) const noexcept {
    return find(p, n, h, tag_of(p, n, h));
  }
  /// find, with the tag known.
  std::int64_t find(const char* p, std::uint32_t n, std::uint64_t h, std::uint64_t tag) const noexcept {
    const std::size_t s = probe(p, n, h, tag);
    return occupied(s) ? static_cast<std::int64_t>(slots_[s].id) : -1;
  }
  /// Insert a string known to be absent, whose entry in `keys` is id (if longer than 8 bytes).
  void insert(const char* p, std::uint32_t n, std::uint64_t h, word_t id) { insert(n, h, tag_of(p, n, h), id); }
  void insert(std::uint32_t n, std::uint64_t h, std::uint64_t tag, word_t id) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    place(Slot{tag, n, id}, h);
    ++size_;
  }
  /// The slot where a search for the string ends: its own, or the empty slot where it
  /// would be inserted (then insert_at places it there, unless the map must grow first).
  std::size_t probe(const char* p, std::uint32_t n, std::uint64_t h, std::uint64_t tag) const noexcept {
    const bool short_key = n <= 8;
    std::size_t s = h & mask_;
    while (slots_[s].id != kNoId) {
      const Slot& e = slots_[s];
      if (e.tag == tag && e.len == n && (short_key || same_bytes((*keys_)[e.id].data(), p, n))) return s;
      s = (s + 1) & mask_;
    }
    return s;
  }
  bool occupied(std::size_t slot) const noexcept { return slots_[slot].id != kNoId; }
  word_t id_at(std::size_t slot) const noexcept { return slots_[slot].id; }
  /// Insert a string known to be absent, whose probe ended at `slot` (no insert since).
  void insert_at(std::size_t slot, std::uint32_t n, std::uint64_t h, std::uint64_t tag, word_t id) {
    if ((size_ + 1) * 2 > slots_.size()) {
      insert(n, h, tag, id);
      return;
    }
    slots_[slot] = Slot{tag, n, id};
    ++size_;
  }
  /// Room for n more strings without rehashing.
  void reserve(std::size_t n) {
    if ((size_ + n) * 2 > slots_.size()) rehash(next_pow2((size_ + n) * 2));
  }
  /// Start loading the slot where the search for hash h begins.
  void prefetch(std::uint64_t h) const noexcept { __builtin_prefetch(&slots_[h & mask_]); }
  std::size_t size() const noexcept { return size_; }
  void clear() {
    slots_.assign(16, Slot{});
    mask_ = 15;
    size_ = 0;
  }

 private:
  static constexpr word_t kNoId = ~word_t(0);  ///< an empty slot (no string has this id)
  struct Slot {
    std::uint64_t tag = 0;  ///< the bytes (pack_short) of a string of up to 8 bytes, else its hash
    std::uint32_t len = 0;
    word_t id = kNoId;
  };
  void place(const Slot& e, std::uint64_t h) {
    std::size_t s = h & mask_;
    while (slots_[s].id != kNoId) s = (s + 1) & mask_;
    slots_[s] = e;
  }
  /// (a slot's hash comes from its tag alone: hash_short of the bytes, or the hash itself)
  void rehash(std::size_t cap) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (const Slot& e : old)
      if (e.id != kNoId) place(e, e.len <= 8 ? hash_short(e.tag, e.len) : e.tag);
  }
  const Keys* keys_;
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

/// Tokenised corpus in CSR form plus the vocabulary it was read with.
struct Tokenized {
  UninitVector<word_t> ids;             ///< all tokens, sentence after sentence (filled in parallel)
  std::vector<std::int64_t> offsets{0};  ///< sentence s is ids[offsets[s]..offsets[s+1])
  std::int64_t n_lines = 0;             ///< lines read, including empty ones
  std::int64_t n_bytes = 0;             ///< bytes read
};

class Tokenizer {
 public:
  /// `grow`: add unseen words to the vocabulary (ids in order of first occurrence);
  /// otherwise unseen words become <unk>. `keep_empty`: a line without tokens is an empty
  /// sentence (for scoring sentence by sentence) instead of being skipped.
  explicit Tokenizer(bool grow, bool keep_empty = false);
  // (the vocabulary's map holds &word_views_: a copy or a move would point at another's)
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  /// Start from a known vocabulary: words[i] gets id i (words[0..3) must be the reserved
  /// <unk>, <s>, </s>).
  void set_vocabulary(const std::vector<std::string>& words);

  /// Tokenise a buffer of whole lines (the last one may lack its newline).
  void feed(const char* data, std::size_t n, int n_threads, const std::string& source);

  /// Tokenise a file, block by block. Throws std::runtime_error naming the path if it
  /// cannot be read. `on_block`, if given, is called after each block is tokenised (it may
  /// consume and clear result().ids/offsets).
  void feed_file(const std::string& path, int n_threads, std::size_t block_bytes = std::size_t(64) << 20,
                 const std::function<void()>& on_block = {});

  /// The vocabulary so far (id -> bytes) and the number of times each id was read.
  const std::deque<std::string>& words() const noexcept { return words_; }
  const std::vector<count_t>& frequencies() const noexcept { return freq_; }

  Tokenized& result() noexcept { return out_; }

 private:
  bool grow_;
  bool keep_empty_;
  std::deque<std::string> words_;        // stable addresses: word_views_ view into them
  std::vector<std::string_view> word_views_;  // words_ by id, for index_'s long words
  StringMap index_{&word_views_};
  std::vector<count_t> freq_;
  Tokenized out_;
};

/// Chunk size for parallel tokenisation (bytes, extended to the next line end).
constexpr std::size_t kTokenChunk = std::size_t(1) << 18;

}  // namespace infogen::ngram
