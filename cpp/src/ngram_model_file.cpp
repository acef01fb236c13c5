// The n-gram model image: building it, mapping it from a file, and reading its vocabulary
// and tables (see infogen/ngram/model_file.hpp). The queries are in ngram_model.cpp.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define INFOGEN_HAS_MMAP 1
#else
#include <cstdio>
#endif

#include "infogen/ngram/corpus.hpp"
#include "infogen/ngram/model.hpp"
#include "infogen/ngram/model_file.hpp"

namespace infogen::ngram {
namespace {

constexpr std::uint32_t kByteOrderMark = 0x01020304u;
constexpr std::uint32_t kNoWord = 0xFFFFFFFFu;

std::size_t align64(std::size_t n) noexcept { return (n + 63) & ~static_cast<std::size_t>(63); }

/// Slot of `key` among `slots` (Lemire's multiply-shift range reduction).
inline std::uint64_t slot_of(std::uint64_t key, std::uint64_t slots) noexcept {
#if defined(__SIZEOF_INT128__)
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(key) * slots) >> 64);
#else
  return key % slots;
#endif
}

/// The table key of an n-gram hash under an order's salt (never 0: 0 marks an empty slot).
inline std::uint64_t table_key(std::uint64_t h, std::uint64_t salt) noexcept {
  const std::uint64_t k = salt == 0 ? h : splitmix64(h ^ salt);
  return k == 0 ? 1 : k;
}

/// A vocabulary slot: the word's tag (its bytes if <= 8, else its hash), length and id.
struct VocabSlot {
  std::uint64_t tag;
  std::uint32_t len;
  std::uint32_t id;
};
static_assert(sizeof(VocabSlot) == 16, "vocabulary slots are 16 bytes");

std::uint32_t entry_bytes(Precision p, bool has_backoff) noexcept {
  const std::uint32_t v = p == Precision::f32 ? 4 : 8;
  return 8 + v * (has_backoff ? 2 : 1);
}

void put_value(std::uint8_t* at, double x, bool f32) noexcept {
  if (f32) {
    const float f = static_cast<float>(x);
    std::memcpy(at, &f, 4);
  } else {
    std::memcpy(at, &x, 8);
  }
}

double get_value(const std::uint8_t* at, bool f32) noexcept {
  if (f32) {
    float f;
    std::memcpy(&f, at, 4);
    return static_cast<double>(f);
  }
  double d;
  std::memcpy(&d, at, 8);
  return d;
}

[[noreturn]] void bad_file(const std::string& what, const std::string& why) {
  throw std::invalid_argument(what + ": " + why);
}

}  // namespace

// --- storage -------------------------------------------------------------------------------

std::shared_ptr<ImageStorage> ImageStorage::allocate(std::size_t n) {
  std::shared_ptr<ImageStorage> s(new ImageStorage());
  const std::size_t bytes = align64(std::max<std::size_t>(n, 64));
  void* p = std::aligned_alloc(64, bytes);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  s->data_ = static_cast<std::uint8_t*>(p);
  s->size_ = n;
  return s;
}

std::shared_ptr<ImageStorage> ImageStorage::map_file(const std::string& path, bool populate) {
  std::shared_ptr<ImageStorage> s(new ImageStorage());
#ifdef INFOGEN_HAS_MMAP
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), path);
  }
  const auto n = static_cast<std::size_t>(st.st_size);
  if (n < sizeof(ModelFileHeader)) {
    ::close(fd);
    bad_file(path, "too short to be an infogen .ngram model file (" + std::to_string(n) + " bytes)");
  }
  int flags = MAP_SHARED;
#ifdef MAP_POPULATE
  if (populate) flags |= MAP_POPULATE;
#else
  (void)populate;
#endif
  void* p = ::mmap(nullptr, n, PROT_READ, flags, fd, 0);
  const int e = errno;
  ::close(fd);
  if (p == MAP_FAILED) throw std::system_error(e, std::generic_category(), path);
  s->data_ = static_cast<std::uint8_t*>(p);
  s->size_ = n;
  s->mapped_ = true;
#else
  (void)populate;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::system_error(errno, std::generic_category(), path);
  std::fseek(f, 0, SEEK_END);
  const long n = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  if (n < static_cast<long>(sizeof(ModelFileHeader))) {
    std::fclose(f);
    bad_file(path, "too short to be an infogen .ngram model file");
  }
  auto owned = allocate(static_cast<std::size_t>(n));
  const std::size_t got = std::fread(owned->data_, 1, static_cast<std::size_t>(n), f);
  std::fclose(f);
  if (got != static_cast<std::size_t>(n)) bad_file(path, "could not read the whole file");
  return owned;
#endif
  return s;
}

ImageStorage::~ImageStorage() {
  if (data_ == nullptr) return;
#ifdef INFOGEN_HAS_MMAP
  if (mapped_) {
    ::munmap(data_, size_);
    return;
  }
#endif
  std::free(data_);
}

std::uint64_t image_hash(const std::uint8_t* p, std::size_t n) noexcept {
  // Four independent lanes (so the loop is not one long dependency chain), folded at the end.
  std::uint64_t h[4] = {0x9E3779B97F4A7C15ULL, 0xC2B2AE3D27D4EB4FULL, 0x165667B19E3779F9ULL, 0x27D4EB2F165667C5ULL};
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int j = 0; j < 4; ++j) {
      std::uint64_t v;
      std::memcpy(&v, p + i + 8 * static_cast<std::size_t>(j), 8);
      h[j] = (h[j] ^ v) * 0xBF58476D1CE4E5B9ULL;
      h[j] ^= h[j] >> 31;
    }
  }
  std::uint64_t tail = 0;
  for (std::size_t t = 0; i + t < n; ++t) tail |= static_cast<std::uint64_t>(p[i + t]) << (8 * (t % 8));
  std::uint64_t out = splitmix64(n ^ tail);
  for (int j = 0; j < 4; ++j) out = splitmix64(out ^ h[j]);
  return out;
}

// --- building ------------------------------------------------------------------------------

BackoffModel::BackoffModel(int order, const std::vector<std::string>& vocab, const std::vector<const word_t*>& ngrams,
                           const std::vector<index_t>& sizes, const std::vector<const double*>& logp,
                           const std::vector<const double*>& logbo, const std::string& meta, Precision precision,
                           double slots_per_ngram, int n_threads) {
  if (order < 1 || order > kMaxOrder) throw std::invalid_argument("order must be in 1.." + std::to_string(kMaxOrder));
  if (vocab.size() < kFirstWord || vocab[0] != "<unk>" || vocab[1] != "<s>" || vocab[2] != "</s>")
    throw std::invalid_argument("a vocabulary must start with <unk>, <s>, </s>");
  if (vocab.size() >= kNoWord) throw std::invalid_argument("vocabulary too large");
  if (static_cast<int>(ngrams.size()) != order - 1 || static_cast<int>(sizes.size()) != order - 1 ||
      static_cast<int>(logp.size()) != order || static_cast<int>(logbo.size()) != order)
    throw std::invalid_argument("a model of order N needs N-1 n-gram arrays and N log tables");
  if (!(slots_per_ngram >= 1.05 && slots_per_ngram <= 16.0))
    throw std::invalid_argument("slots_per_ngram must be in [1.05, 16]");
  const auto V = static_cast<word_t>(vocab.size());

  // Layout.
  std::size_t vocab_bytes = 0;
  for (const auto& w : vocab) vocab_bytes += w.size();
  const std::uint64_t vocab_slots = next_pow2(vocab.size() * 2 + 2);
  ModelFileHeader h{};
  std::memcpy(h.magic, kModelMagic, sizeof(kModelMagic));
  h.version = kModelFileVersion;
  h.byte_order = kByteOrderMark;
  h.order = static_cast<std::uint32_t>(order);
  h.precision = static_cast<std::uint32_t>(precision);
  h.vocab_size = V;
  std::size_t at = sizeof(ModelFileHeader);
  h.meta_off = at;
  h.meta_size = meta.size();
  at = align64(at + meta.size());
  h.vocab_offsets_off = at;
  at = align64(at + 8 * (vocab.size() + 1));
  h.vocab_bytes_off = at;
  h.vocab_bytes_size = vocab_bytes;
  at = align64(at + vocab_bytes);
  h.vocab_table_off = at;
  h.vocab_slots = vocab_slots;
  at = align64(at + sizeof(VocabSlot) * vocab_slots);
  h.unigram_off = at;
  at = align64(at + 16 * static_cast<std::size_t>(V));
  h.counts[0] = V;
  for (int k = 2; k <= order; ++k) {
    const auto m = static_cast<std::uint64_t>(sizes[static_cast<std::size_t>(k - 2)]);
    if (sizes[static_cast<std::size_t>(k - 2)] < 0) throw std::invalid_argument("negative n-gram count");
    h.counts[k - 1] = m;
    h.words_off[k - 1] = at;
    at = align64(at + 4 * static_cast<std::size_t>(k) * m);
    h.table_off[k - 1] = at;
    const auto slots = std::max<std::uint64_t>(m + 1, static_cast<std::uint64_t>(std::ceil(static_cast<double>(m) * slots_per_ngram)));
    h.table_slots[k - 1] = slots;
    at = align64(at + entry_bytes(precision, k < order) * slots);
  }
  h.file_size = at;
  storage_ = ImageStorage::allocate(at);
  std::uint8_t* base = storage_->mutable_data();

  // Metadata, vocabulary and its table.
  std::memcpy(base + h.meta_off, meta.data(), meta.size());
  auto* offs = reinterpret_cast<std::uint64_t*>(base + h.vocab_offsets_off);
  char* bytes = reinterpret_cast<char*>(base + h.vocab_bytes_off);
  auto* vslots = reinterpret_cast<VocabSlot*>(base + h.vocab_table_off);
  for (std::uint64_t s = 0; s < vocab_slots; ++s) vslots[s] = VocabSlot{0, 0, kNoWord};
  std::size_t pos = 0;
  for (word_t id = 0; id < V; ++id) {
    const std::string& w = vocab[id];
    offs[id] = pos;
    std::memcpy(bytes + pos, w.data(), w.size());
    const std::uint64_t hw = hash_bytes(w.data(), w.size());
    const std::uint64_t tag = w.size() <= 8 ? pack_short(w.data(), w.size()) : hw;
    std::uint64_t s = hw & (vocab_slots - 1);
    while (vslots[s].id != kNoWord) {
      const VocabSlot& e = vslots[s];
      if (e.tag == tag && e.len == w.size() && std::memcmp(bytes + offs[e.id], w.data(), w.size()) == 0)
        throw std::invalid_argument("the vocabulary lists the word '" + w + "' twice");
      s = (s + 1) & (vocab_slots - 1);
    }
    vslots[s] = VocabSlot{tag, static_cast<std::uint32_t>(w.size()), id};
    pos += w.size();
  }
  offs[V] = pos;

  // Unigrams.
  auto* up = reinterpret_cast<double*>(base + h.unigram_off);
  std::memcpy(up, logp[0], sizeof(double) * V);
  std::memcpy(up + V, logbo[0], sizeof(double) * V);

  // Orders 2..N, in parallel (one order per chunk): rows checked, words copied, tables filled.
  index_t total_rows = 0;
  for (index_t m : sizes) total_rows += m;
  const bool f32 = precision == Precision::f32;
  parallel_chunks(order - 1, 1, n_threads, total_rows, [&](index_t c, index_t, index_t) {
    const int k = static_cast<int>(c) + 2;
    const auto ku = static_cast<std::size_t>(k);
    const auto m = static_cast<index_t>(h.counts[k - 1]);
    const word_t* src = ngrams[static_cast<std::size_t>(k - 2)];
    const double* lp = logp[static_cast<std::size_t>(k - 1)];
    const double* lb = logbo[static_cast<std::size_t>(k - 1)];
    for (index_t r = 0; r < m; ++r) {
      const word_t* g = src + static_cast<std::size_t>(r) * ku;
      for (int j = 0; j < k; ++j)
        if (g[j] >= V) throw std::invalid_argument("order-" + std::to_string(k) + " n-gram holds a word id outside the vocabulary");
      if (r > 0 && !std::lexicographical_compare(g - ku, g, g, g + ku))
        throw std::invalid_argument("order-" + std::to_string(k) + " n-grams must be sorted and distinct");
    }
    if (m > 0) std::memcpy(base + h.words_off[k - 1], src, 4 * ku * static_cast<std::size_t>(m));
    const bool has_bo = k < order;
    const std::uint32_t esz = entry_bytes(precision, has_bo);
    const std::uint64_t slots = h.table_slots[k - 1];
    std::uint8_t* tab = base + h.table_off[k - 1];
    std::vector<std::uint64_t> hashes(static_cast<std::size_t>(m));
    for (index_t r = 0; r < m; ++r) hashes[static_cast<std::size_t>(r)] = hash_ngram(src + static_cast<std::size_t>(r) * ku, k);
    for (std::uint64_t salt = 0;; ++salt) {
      std::memset(tab, 0, esz * slots);
      bool clash = false;
      for (index_t r = 0; r < m && !clash; ++r) {
        const std::uint64_t key = table_key(hashes[static_cast<std::size_t>(r)], salt);
        std::uint64_t s = slot_of(key, slots);
        while (true) {
          std::uint64_t cur;
          std::memcpy(&cur, tab + s * esz, 8);
          if (cur == 0) break;
          if (cur == key) {
            clash = true;  // two listed n-grams share a key: re-mix this order's keys
            break;
          }
          if (++s == slots) s = 0;
        }
        if (clash) break;
        std::uint8_t* e = tab + s * esz;
        std::memcpy(e, &key, 8);
        put_value(e + 8, lp[r], f32);
        if (has_bo) put_value(e + 8 + (f32 ? 4 : 8), lb[r], f32);
      }
      if (!clash) {
        h.salt[k - 1] = salt;
        break;
      }
    }
  });

  h.content_hash = image_hash(base + sizeof(ModelFileHeader), h.file_size - sizeof(ModelFileHeader));
  h.header_hash = 0;
  h.header_hash = image_hash(reinterpret_cast<const std::uint8_t*>(&h), sizeof(h));
  std::memcpy(base, &h, sizeof(h));
  attach("model image");
}

// --- opening -------------------------------------------------------------------------------

BackoffModel::BackoffModel(const std::string& path, bool populate) {
  storage_ = ImageStorage::map_file(path, populate);
  attach(path);
}

void BackoffModel::attach(const std::string& what) {
  const std::uint8_t* base = storage_->data();
  const std::size_t size = storage_->size();
  if (size < sizeof(ModelFileHeader)) bad_file(what, "too short to be an infogen .ngram model file");
  if (std::memcmp(base, kModelMagic, sizeof(kModelMagic)) != 0)
    bad_file(what, "not an infogen .ngram model file (wrong magic bytes)");
  ModelFileHeader h;
  std::memcpy(&h, base, sizeof(h));
  if (h.byte_order != kByteOrderMark)
    bad_file(what, "written on a machine of the other byte order; rebuild it here or convert it through ARPA");
  if (h.version != kModelFileVersion)
    bad_file(what, "format version " + std::to_string(h.version) + ", this infogen reads version " +
                       std::to_string(kModelFileVersion) + "; convert it through ARPA with the infogen that wrote it");
  const std::uint64_t stored = h.header_hash;
  h.header_hash = 0;
  if (image_hash(reinterpret_cast<const std::uint8_t*>(&h), sizeof(h)) != stored)
    bad_file(what, "the header is corrupt (its checksum does not match)");
  if (h.file_size != size)
    bad_file(what, "truncated or extended: the header says " + std::to_string(h.file_size) + " bytes, the file has " +
                       std::to_string(size));
  if (h.order < 1 || h.order > static_cast<std::uint32_t>(kMaxOrder) || h.precision > 1 || h.vocab_size < kFirstWord ||
      h.vocab_size >= kNoWord || h.counts[0] != h.vocab_size)
    bad_file(what, "the header holds impossible values");
  auto inside = [&](std::uint64_t off, std::uint64_t len, std::uint64_t align) {
    return off % align == 0 && off >= sizeof(ModelFileHeader) && off <= size && len <= size - off;
  };
  const std::uint64_t V = h.vocab_size;
  bool ok = inside(h.meta_off, h.meta_size, 1) && inside(h.vocab_offsets_off, 8 * (V + 1), 8) &&
            inside(h.vocab_bytes_off, h.vocab_bytes_size, 1) && h.vocab_slots >= 2 &&
            (h.vocab_slots & (h.vocab_slots - 1)) == 0 && h.vocab_slots > V &&
            inside(h.vocab_table_off, sizeof(VocabSlot) * h.vocab_slots, 8) && inside(h.unigram_off, 16 * V, 8);
  const auto prec = static_cast<Precision>(h.precision);
  for (std::uint32_t k = 2; ok && k <= h.order; ++k) {
    const std::uint64_t m = h.counts[k - 1];
    ok = m < (std::uint64_t(1) << 40) && inside(h.words_off[k - 1], 4 * k * m, 4) && h.table_slots[k - 1] > m &&
         inside(h.table_off[k - 1], entry_bytes(prec, k < h.order) * h.table_slots[k - 1], 4);
  }
  if (!ok) bad_file(what, "the header's sections do not fit in the file");
  header_ = reinterpret_cast<const ModelFileHeader*>(base);
  order_ = static_cast<int>(h.order);
  vocab_ = static_cast<word_t>(V);
  precision_ = prec;
  vocab_offsets_ = reinterpret_cast<const std::uint64_t*>(base + h.vocab_offsets_off);
  for (std::uint64_t i = 0; i < V; ++i)
    if (vocab_offsets_[i] > vocab_offsets_[i + 1]) bad_file(what, "the vocabulary's offsets are corrupt");
  if (vocab_offsets_[0] != 0 || vocab_offsets_[V] != h.vocab_bytes_size) bad_file(what, "the vocabulary's offsets are corrupt");
  vocab_bytes_ = reinterpret_cast<const char*>(base + h.vocab_bytes_off);
  vocab_table_ = base + h.vocab_table_off;
  vocab_mask_ = h.vocab_slots - 1;
  uni_p_ = reinterpret_cast<const double*>(base + h.unigram_off);
  uni_b_ = uni_p_ + V;
  for (int k = 2; k <= order_; ++k) {
    words_[k] = reinterpret_cast<const word_t*>(base + h.words_off[k - 1]);
    Table& t = tables_[k];
    t.base = base + h.table_off[k - 1];
    t.slots = h.table_slots[k - 1];
    t.salt = h.salt[k - 1];
    t.has_backoff = k < order_;
    t.f32 = prec == Precision::f32;
    t.entry = entry_bytes(prec, t.has_backoff);
  }
}

void BackoffModel::prefault(int n_threads) const {
  if (!storage_->mapped() || prefaulted_.exchange(true)) return;
#ifdef INFOGEN_HAS_MMAP
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::uint8_t* base = storage_->data();
  // [begin, end) byte ranges of what scoring reads, cut into pieces of 16 MiB
  std::vector<std::pair<std::size_t, std::size_t>> pieces;
  auto add = [&](std::size_t b, std::size_t e) {
    b -= b % page;
    for (std::size_t at = b; at < e; at += std::size_t(16) << 20) pieces.emplace_back(at, std::min(e, at + (std::size_t(16) << 20)));
  };
  add(header_->unigram_off, header_->unigram_off + 16 * static_cast<std::size_t>(vocab_));
  for (int k = 2; k <= order_; ++k)
    add(header_->table_off[k - 1], header_->table_off[k - 1] + tables_[k].entry * tables_[k].slots);
  parallel_chunks(static_cast<index_t>(pieces.size()), 1, n_threads, static_cast<index_t>(pieces.size()) << 20,
                  [&](index_t c, index_t, index_t) {
                    const auto [b, e] = pieces[static_cast<std::size_t>(c)];
#ifdef MADV_POPULATE_READ
                    if (::madvise(const_cast<std::uint8_t*>(base + b), e - b, MADV_POPULATE_READ) == 0) return;
#endif
                    volatile std::uint8_t sink = 0;  // older kernels: touch one byte per page
                    for (std::size_t at = b; at < e; at += page) sink = static_cast<std::uint8_t>(sink + base[at]);
                    (void)sink;
                  });
#else
  (void)n_threads;
#endif
}

bool BackoffModel::verify() const noexcept {
  return image_hash(storage_->data() + sizeof(ModelFileHeader), storage_->size() - sizeof(ModelFileHeader)) ==
         header_->content_hash;
}

std::string_view BackoffModel::meta() const noexcept {
  return {reinterpret_cast<const char*>(storage_->data() + header_->meta_off), static_cast<std::size_t>(header_->meta_size)};
}

// --- vocabulary ----------------------------------------------------------------------------

std::string_view BackoffModel::word(word_t id) const noexcept {
  if (id >= vocab_) return {};
  return {vocab_bytes_ + vocab_offsets_[id], static_cast<std::size_t>(vocab_offsets_[id + 1] - vocab_offsets_[id])};
}

std::int64_t BackoffModel::find_word(const char* p, std::size_t n) const noexcept {
  const std::uint64_t hw = hash_bytes(p, n);
  const std::uint64_t tag = n <= 8 ? pack_short(p, n) : hw;
  const auto* slots = reinterpret_cast<const VocabSlot*>(vocab_table_);
  std::uint64_t s = hw & vocab_mask_;
  for (std::uint64_t probes = 0; probes <= vocab_mask_; ++probes) {
    const VocabSlot& e = slots[s];
    if (e.id == kNoWord) return -1;
    if (e.tag == tag && e.len == n && e.id < vocab_) {
      const std::string_view w = word(e.id);
      if (w.size() == n && (n <= 8 || std::memcmp(w.data(), p, n) == 0)) return e.id;
    }
    s = (s + 1) & vocab_mask_;
  }
  return -1;
}

void BackoffModel::encode(const char* text, std::size_t n, std::vector<word_t>& ids, std::vector<std::int64_t>& offsets,
                          int n_threads) const {
  // Cut the text into pieces of ~1 MiB at line ends; tokenise them in parallel into their
  // own vectors and join them in order, so the result does not depend on the thread count.
  constexpr std::size_t kPiece = 1 << 20;
  std::vector<std::size_t> cuts{0};
  while (cuts.back() < n) {
    std::size_t c = std::min(n, cuts.back() + kPiece);
    if (c < n) {
      const void* nl = std::memchr(text + c, '\n', n - c);
      c = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - text) + 1 : n;
    }
    cuts.push_back(c);
  }
  const auto pieces = static_cast<index_t>(cuts.size() - 1);
  struct Piece {
    std::vector<word_t> ids;
    std::vector<std::int64_t> lens;
    std::int64_t bad_line = -1;
    std::string bad_token;
  };
  std::vector<Piece> out(static_cast<std::size_t>(pieces));
  auto is_space = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f'; };
  parallel_chunks(pieces, 1, n_threads, static_cast<index_t>(n), [&](index_t c, index_t, index_t) {
    Piece& pc = out[static_cast<std::size_t>(c)];
    const char* p = text + cuts[static_cast<std::size_t>(c)];
    const char* end = text + cuts[static_cast<std::size_t>(c) + 1];
    pc.ids.reserve(static_cast<std::size_t>(end - p) / 5);
    while (p < end) {
      const char* eol = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (!eol) eol = end;
      const std::size_t before = pc.ids.size();
      while (p < eol) {
        while (p < eol && is_space(*p)) ++p;
        const char* t = p;
        while (p < eol && !is_space(*p)) ++p;
        if (p == t) break;
        const std::int64_t id = find_word(t, static_cast<std::size_t>(p - t));
        if ((id == kBos || id == kEos) && pc.bad_line < 0) {
          pc.bad_line = static_cast<std::int64_t>(pc.lens.size());
          pc.bad_token.assign(t, p);
        }
        pc.ids.push_back(id < 0 ? kUnk : static_cast<word_t>(id));
      }
      pc.lens.push_back(static_cast<std::int64_t>(pc.ids.size() - before));
      p = eol + 1;
    }
  });
  std::size_t n_ids = 0, n_lines = 0;
  for (const Piece& pc : out) {
    if (pc.bad_line >= 0)
      throw std::invalid_argument("line " + std::to_string(n_lines + static_cast<std::size_t>(pc.bad_line) + 1) +
                                  ": the token '" + pc.bad_token +
                                  "' is reserved for sentence boundaries and may not appear in a sentence");
    n_ids += pc.ids.size();
    n_lines += pc.lens.size();
  }
  ids.clear();
  ids.reserve(n_ids);
  offsets.assign(1, 0);
  offsets.reserve(n_lines + 1);
  for (const Piece& pc : out) {
    ids.insert(ids.end(), pc.ids.begin(), pc.ids.end());
    for (std::int64_t len : pc.lens) offsets.push_back(offsets.back() + len);
  }
}

// --- tables --------------------------------------------------------------------------------

const std::uint8_t* BackoffModel::lookup(int k, std::uint64_t h) const noexcept {
  const Table& t = tables_[k];
  const std::uint64_t key = table_key(h, t.salt);
  std::uint64_t s = slot_of(key, t.slots);
  for (std::uint64_t probes = 0; probes < t.slots; ++probes) {
    const std::uint8_t* e = t.base + s * t.entry;
    std::uint64_t cur;
    std::memcpy(&cur, e, 8);
    if (cur == key) return e;
    if (cur == 0) return nullptr;
    if (++s == t.slots) s = 0;
  }
  return nullptr;
}

void BackoffModel::prefetch(int k, std::uint64_t h) const noexcept {
#if defined(__GNUC__) || defined(__clang__)
  const Table& t = tables_[k];
  __builtin_prefetch(t.base + slot_of(table_key(h, t.salt), t.slots) * t.entry, 0, 0);
#else
  (void)k;
  (void)h;
#endif
}

double BackoffModel::entry_logp(int k, const std::uint8_t* e) const noexcept {
  return get_value(e + 8, tables_[k].f32);
}

double BackoffModel::entry_logbo(int k, const std::uint8_t* e) const noexcept {
  const Table& t = tables_[k];
  return t.has_backoff ? get_value(e + 8 + (t.f32 ? 4 : 8), t.f32) : 0.0;
}

double BackoffModel::row_logp(int k, index_t row) const noexcept {
  const std::uint8_t* e = lookup(k, hash_ngram(words_[k] + static_cast<std::size_t>(row) * static_cast<std::size_t>(k), k));
  return e ? entry_logp(k, e) : -std::numeric_limits<double>::infinity();
}

void BackoffModel::order_logs(int k, double* logp, double* logbo, int n_threads) const {
  if (k == 1) {
    std::copy(uni_p_, uni_p_ + vocab_, logp);
    std::copy(uni_b_, uni_b_ + vocab_, logbo);
    return;
  }
  const index_t m = count(k);
  parallel_chunks(m, 1 << 14, n_threads, m * k, [&](index_t, index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const std::uint8_t* e = lookup(k, hash_ngram(words_[k] + static_cast<std::size_t>(r) * static_cast<std::size_t>(k), k));
      logp[r] = e ? entry_logp(k, e) : std::numeric_limits<double>::quiet_NaN();
      logbo[r] = e ? entry_logbo(k, e) : std::numeric_limits<double>::quiet_NaN();
    }
  });
}

}  // namespace infogen::ngram
