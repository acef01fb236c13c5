// The n-gram model image: one contiguous, 64-byte-aligned block of bytes that is both the
// query model in memory and the `.ngram` model file on disk. Saving writes the bytes;
// loading memory-maps the file and points into it (no parse, no rebuild), so opening a
// model takes the same few milliseconds whatever its size, and processes that open the
// same file share its pages.
//
// Layout (all integers little-endian on the machine that wrote it; the header records the
// byte order and a reader on a machine of the other order refuses the file):
//
//   header (1024 bytes)   magic "infogen-ngram\0\0\0", format version, byte-order mark,
//                         order, value precision, vocabulary size, n-grams per order,
//                         the offset and size of every section, a hash of the header
//                         and a hash of everything after it (checked by verify()).
//   metadata              JSON text from the Python layer (smoothing, discounts, ...).
//   vocabulary            offsets (uint64 x (V+1)) into the word bytes; the bytes; a
//                         probing table of 16-byte slots {tag, length, id} keyed by
//                         hash_bytes (a word of <= 8 bytes is its own tag), load <= 0.5.
//   unigrams              log p and log backoff, float64 x V each (dense by word id).
//   order k = 2..N        the sorted n-grams (uint32 x k per row) - read only to list,
//                         continue or write ARPA, never to score - and a probing table
//                         keyed by the n-gram's 64-bit hash: {hash, log p, log backoff}
//                         (24 bytes in float64, 16 in float32) below the highest order,
//                         {hash, log p} (16 or 12 bytes) at it, 1.5 slots per n-gram as
//                         KenLM's probing model (18-36 bytes per n-gram in the table).
//
// As in KenLM's probing model a lookup compares 64-bit hashes, not words: an unlisted
// n-gram whose hash equals a listed one's (probability ~ m / 2^64 per query) is taken for
// it. Two listed n-grams of one order never share a key: when they would, that order's
// keys are re-mixed with a salt (recorded in the header) until they do not.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "infogen/ngram/hash.hpp"

namespace infogen::ngram {

/// How log-probabilities and backoffs of orders >= 2 are stored in the image.
enum class Precision : std::uint32_t { f64 = 0, f32 = 1 };

/// Current version of the `.ngram` format.
constexpr std::uint32_t kModelFileVersion = 1;
/// The first 16 bytes of a `.ngram` file.
constexpr char kModelMagic[16] = {'i', 'n', 'f', 'o', 'g', 'e', 'n', '-', 'n', 'g', 'r', 'a', 'm', 0, 0, 0};

struct ModelFileHeader {
  char magic[16];
  std::uint32_t version;
  std::uint32_t byte_order;  // 0x01020304 as written
  std::uint32_t order;
  std::uint32_t precision;
  std::uint64_t vocab_size;
  std::uint64_t file_size;
  std::uint64_t header_hash;   // hash of these 1024 bytes with this field zero
  std::uint64_t content_hash;  // hash of bytes [1024, file_size)
  std::uint64_t meta_off, meta_size;
  std::uint64_t vocab_offsets_off, vocab_bytes_off, vocab_bytes_size, vocab_table_off, vocab_slots;
  std::uint64_t unigram_off;
  std::uint64_t counts[kMaxOrder];     // [k-1]: n-grams of order k ([0] = vocabulary size)
  std::uint64_t words_off[kMaxOrder];  // [k-1], k >= 2
  std::uint64_t table_off[kMaxOrder];
  std::uint64_t table_slots[kMaxOrder];
  std::uint64_t salt[kMaxOrder];
  std::uint8_t reserved[1024 - 16 - 16 - 8 * 4 - 8 * 8 - 8 * 5 * kMaxOrder];
};
static_assert(sizeof(ModelFileHeader) == 1024, "the header is 1024 bytes");

/// The bytes of an image: owned (built in memory) or a read-only memory map of a file.
class ImageStorage {
 public:
  /// `n` zeroed bytes, 64-byte aligned.
  static std::shared_ptr<ImageStorage> allocate(std::size_t n);
  /// Map `path` read-only (shared pages). `populate` faults every page in now.
  static std::shared_ptr<ImageStorage> map_file(const std::string& path, bool populate);
  ~ImageStorage();
  ImageStorage(const ImageStorage&) = delete;
  ImageStorage& operator=(const ImageStorage&) = delete;

  const std::uint8_t* data() const noexcept { return data_; }
  std::uint8_t* mutable_data() noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool mapped() const noexcept { return mapped_; }

 private:
  ImageStorage() = default;
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  bool mapped_ = false;
};

/// Hash of a byte range, 8 bytes at a time (used for the header and content checks).
std::uint64_t image_hash(const std::uint8_t* p, std::size_t n) noexcept;

}  // namespace infogen::ngram
