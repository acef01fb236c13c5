// Corpus reading: see infogen/ngram/corpus.hpp.
#include "infogen/ngram/corpus.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <sys/stat.h>
#define INFOGEN_HAS_MMAP 1
#endif

#if defined(__AVX512BW__) && defined(__BMI2__)
#include <immintrin.h>
#endif

namespace infogen::ngram {
namespace {

constexpr word_t kLocalFlag = 0x80000000u;

struct SpaceTable {
  std::array<bool, 256> space{};
  SpaceTable() {
    for (unsigned char c : {' ', '\t', '\r', '\v', '\f', '\n'}) space[c] = true;
  }
};
const SpaceTable kSpace;

inline bool is_space(char c) noexcept { return kSpace.space[static_cast<unsigned char>(c)]; }

/// Tokens looked up per group (tokeniser's prefetching).
constexpr int kLookAhead = 16;
/// New words a chunk's own map holds before it grows.
constexpr std::size_t kLocalWords = 4096;
/// New words the vocabulary makes room for before a merge, at most.
constexpr std::size_t kMergeReserve = std::size_t(1) << 17;

/// The position of the first whitespace byte in data[j..end), or end: 64 bytes at a time
/// where AVX-512BW is available (a masked load reads nothing past end).
inline std::size_t token_end(const char* data, std::size_t j, std::size_t end) noexcept {
#if defined(__AVX512BW__) && defined(__BMI2__)
  const __m512i space = _mm512_set1_epi8(' '), tab = _mm512_set1_epi8('\t'), five = _mm512_set1_epi8(5);
  for (; j < end; j += 64) {
    const std::size_t left = end - j;
    const __mmask64 live = left >= 64 ? ~__mmask64(0) : _bzhi_u64(~std::uint64_t(0), static_cast<unsigned>(left));
    const __m512i v = _mm512_maskz_loadu_epi8(live, data + j);
    // ' ' or one of \t \n \v \f \r (9..13): the whitespace of is_space
    const __mmask64 ws = _mm512_cmpeq_epi8_mask(v, space) | _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, tab), five);
    const std::uint64_t stop = static_cast<std::uint64_t>(ws & live);
    if (stop != 0) return j + static_cast<std::size_t>(__builtin_ctzll(stop));
  }
  return end;
#else
  while (j < end && !is_space(data[j])) ++j;
  return j;
#endif
}

/// One chunk's tokens: known words as global ids, new ones as flagged local ids.
struct Chunk {
  std::size_t begin = 0, end = 0;
  std::vector<word_t> ids;
  std::vector<std::int64_t> lengths;
  std::vector<std::string_view> new_words;
  std::vector<std::uint64_t> new_hashes;  // of new_words, for the merge
  StringMap local;  // made (over new_words, sized) by the thread that tokenises the chunk
  std::int64_t newlines = 0;
  std::int64_t error_line = -1;  // 0-based line within the chunk of a reserved token
  std::string error_token;
};

}  // namespace

Tokenizer::Tokenizer(bool grow, bool keep_empty) : grow_(grow), keep_empty_(keep_empty) {
  set_vocabulary({"<unk>", "<s>", "</s>"});
}

void Tokenizer::set_vocabulary(const std::vector<std::string>& words) {
  if (words.size() < 3 || words[0] != "<unk>" || words[1] != "<s>" || words[2] != "</s>")
    throw std::invalid_argument("a vocabulary must start with <unk>, <s>, </s>");
  if (words.size() >= kLocalFlag) throw std::length_error("vocabulary too large");
  words_.clear();
  word_views_.clear();
  index_ = StringMap(&word_views_, words.size());
  for (const auto& w : words) {
    if (w.size() >= 0xFFFFFFFFu) throw std::length_error("word too long");
    words_.push_back(w);
    word_views_.emplace_back(words_.back());
    const auto id = static_cast<word_t>(words_.size() - 1);
    const std::string& s = words_.back();
    const auto n = static_cast<std::uint32_t>(s.size());
    const std::uint64_t h = hash_bytes(s.data(), n);
    if (index_.find(s.data(), n, h) >= 0) throw std::invalid_argument("duplicate word in vocabulary: '" + w + "'");
    index_.insert(s.data(), n, h, id);
  }
}

void Tokenizer::feed(const char* data, std::size_t n, int n_threads, const std::string& source) {
  if (n == 0) return;
  // Chunk boundaries depend only on the data: every ~kTokenChunk bytes, moved to a line end.
  std::vector<Chunk> chunks;
  for (std::size_t b = 0; b < n;) {
    std::size_t e = std::min(n, b + kTokenChunk);
    if (e < n) {
      const void* nl = std::memchr(data + e, '\n', n - e);
      e = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1 : n;
    }
    Chunk c;
    c.begin = b;
    c.end = e;
    chunks.push_back(std::move(c));
    b = e;
  }
  const bool grow = grow_;
  const bool keep_empty = keep_empty_;
  const auto& index = index_;
  const char* const data_end = data + n;
  // Tokenise one chunk. `only_reserved`: the vocabulary holds only the reserved words,
  // which all start with '<', so other tokens skip the global lookup.
  auto tokenize_chunk = [&](Chunk& c, bool only_reserved) {
    c.ids.reserve((c.end - c.begin) / 5 + 16);
    c.local = StringMap(&c.new_words, kLocalWords);  // (the chunks no longer move)
    // Tokens are found, hashed and their slots in the vocabulary prefetched a group at a
    // time, then looked up: the lookups' cache misses overlap instead of queueing.
    struct Pending {
      const char* p;
      std::uint32_t n;
      std::uint64_t h, tag;
    };
    Pending group[kLookAhead];
    int pending = 0;
    auto resolve = [&]() {
      for (int g = 0; g < pending; ++g) {
        const Pending& t = group[g];
        word_t id;
        const std::int64_t known = (only_reserved && t.p[0] != '<') ? -1 : index.find(t.p, t.n, t.h, t.tag);
        if (known >= 0) {
          id = static_cast<word_t>(known);
          if ((id == kBos || id == kEos) && c.error_line < 0) {
            c.error_line = c.newlines;
            c.error_token = std::string(t.p, t.n);
          }
        } else if (!grow) {
          id = kUnk;
        } else {
          const std::int64_t local = c.local.find(t.p, t.n, t.h, t.tag);
          if (local >= 0) {
            id = static_cast<word_t>(local) | kLocalFlag;
          } else {
            const auto lid = static_cast<word_t>(c.new_words.size());
            c.local.insert(t.n, t.h, t.tag, lid);
            c.new_words.emplace_back(t.p, t.n);
            c.new_hashes.push_back(t.h);
            id = lid | kLocalFlag;
          }
        }
        c.ids.push_back(id);
      }
      pending = 0;
    };
    std::int64_t sentence_start = 0;
    std::size_t i = c.begin;
    while (i < c.end) {
      const char ch = data[i];
      if (ch == '\n') {
        resolve();
        const auto len = static_cast<std::int64_t>(c.ids.size()) - sentence_start;
        if (len > 0 || keep_empty) c.lengths.push_back(len);
        sentence_start = static_cast<std::int64_t>(c.ids.size());
        ++c.newlines;
        ++i;
        continue;
      }
      if (is_space(ch)) {
        ++i;
        continue;
      }
      const std::size_t j = token_end(data, i + 1, c.end);
      if (j - i >= 0xFFFFFFFFu) throw std::length_error("token longer than 4 GiB");
      Pending& t = group[pending++];
      t.p = data + i;
      t.n = static_cast<std::uint32_t>(j - i);
      i = j;
      if (t.n <= 8) {
        t.tag = t.p + 8 <= data_end ? pack_short_unsafe(t.p, t.n) : pack_short(t.p, t.n);
        t.h = hash_short(t.tag, t.n);
      } else {
        t.h = hash_bytes(t.p, t.n);
        t.tag = t.h;
      }
      if (!only_reserved) index.prefetch(t.h);
      if (pending == kLookAhead) resolve();
    }
    resolve();
    const auto len = static_cast<std::int64_t>(c.ids.size()) - sentence_start;
    if (len > 0) c.lengths.push_back(len);
  };

  // Merge a chunk's new words into the vocabulary (chunks in order: ids in order of first
  // occurrence). remap[ci][k]: the id of chunk ci's new word k.
  std::vector<std::vector<word_t>> remap(chunks.size());
  auto merge_chunk = [&](std::size_t ci) {
    Chunk& c = chunks[ci];
    remap[ci].resize(c.new_words.size());
    const std::size_t m = c.new_words.size();
    for (std::size_t k = 0; k < m; ++k) {
      // (the vocabulary's slots are cache misses: the search for a word a group ahead starts
      // loading its slot, and each word is searched once, found or placed where it ends)
      if (k + kLookAhead < m) index_.prefetch(c.new_hashes[k + kLookAhead]);
      const std::string_view w = c.new_words[k];
      const auto n = static_cast<std::uint32_t>(w.size());
      const std::uint64_t h = c.new_hashes[k];
      const std::uint64_t tag = StringMap::tag_of(w.data(), n, h);
      const std::size_t slot = index_.probe(w.data(), n, h, tag);
      if (!index_.occupied(slot)) {
        if (words_.size() >= kLocalFlag - 1) throw std::length_error("vocabulary too large");
        words_.emplace_back(w);
        word_views_.emplace_back(words_.back());
        const auto id = static_cast<word_t>(words_.size() - 1);
        index_.insert_at(slot, n, h, tag, id);
        remap[ci][k] = id;
      } else {
        remap[ci][k] = index_.id_at(slot);
      }
    }
    c.local.clear();
  };

  // A fresh vocabulary (the corpus's first block) would make every word of every chunk
  // new, all to be merged on one thread: the first chunk is tokenised and merged first, so
  // that the others find the frequent words in the vocabulary and hold only rarer ones.
  std::size_t first = 0;
  const std::size_t words_before = words_.size();
  if (grow && index_.size() == kFirstWord && chunks.size() > 1) {
    tokenize_chunk(chunks[0], true);
    if (chunks[0].error_line < 0) {
      index_.reserve(chunks[0].new_words.size());
      merge_chunk(0);
    }
    first = 1;
  }
  const bool only_reserved = index_.size() == kFirstWord;
  parallel_chunks(static_cast<index_t>(chunks.size() - first), 1, n_threads, static_cast<index_t>(n),
                  [&](index_t ci, index_t, index_t) {
                    tokenize_chunk(chunks[first + static_cast<std::size_t>(ci)], only_reserved);
                  });

  // Errors: the first reserved token in text order, the vocabulary left as it was (the
  // first chunk's early merge undone).
  std::int64_t lines_before = out_.n_lines;
  for (const Chunk& c : chunks) {
    if (c.error_line >= 0) {
      if (words_.size() > words_before)
        set_vocabulary(std::vector<std::string>(words_.begin(), words_.begin() + static_cast<std::ptrdiff_t>(words_before)));
      throw std::invalid_argument(source + ":" + std::to_string(lines_before + c.error_line + 1) +
                                  ": the token '" + c.error_token +
                                  "' is reserved for sentence boundaries and may not appear in a corpus");
    }
    lines_before += c.newlines;
  }

  // Merge the other chunks' new words. The index makes room for them all at once (repeats
  // across chunks included), but for at most kMergeReserve: beyond, it grows as it fills.
  // (Reserving for every repeat made the first block of 10^8 Zipf tokens size the index for
  // 2M words, not 200k: 8x the memory to miss in for every later lookup, 1.9 s -> 1.57 s.)
  {
    std::size_t total_new = 0;
    for (std::size_t ci = first; ci < chunks.size(); ++ci) total_new += chunks[ci].new_words.size();
    index_.reserve(std::min(total_new, kMergeReserve));
  }
  for (std::size_t ci = first; ci < chunks.size(); ++ci) merge_chunk(ci);
  std::vector<std::size_t> pos(chunks.size() + 1, out_.ids.size());
  for (std::size_t ci = 0; ci < chunks.size(); ++ci) pos[ci + 1] = pos[ci] + chunks[ci].ids.size();
  out_.ids.resize(pos.back());
  for (const Chunk& c : chunks) {
    for (auto len : c.lengths) out_.offsets.push_back(out_.offsets.back() + len);
  }
  word_t* dst_all = out_.ids.data();
  parallel_chunks(static_cast<index_t>(chunks.size()), 1, n_threads,
                  static_cast<index_t>(pos.back() - pos.front()), [&](index_t ci, index_t, index_t) {
    const Chunk& c = chunks[static_cast<std::size_t>(ci)];
    const auto& rm = remap[static_cast<std::size_t>(ci)];
    word_t* dst = dst_all + pos[static_cast<std::size_t>(ci)];
    for (std::size_t t = 0; t < c.ids.size(); ++t) {
      const word_t id = c.ids[t];
      dst[t] = (id & kLocalFlag) ? rm[id & ~kLocalFlag] : id;
    }
  });
  std::int64_t newlines = 0;
  for (const Chunk& c : chunks) newlines += c.newlines;
  out_.n_lines += newlines + (data[n - 1] != '\n' ? 1 : 0);
  out_.n_bytes += static_cast<std::int64_t>(n);
}

namespace {

/// A read-only memory map of a whole regular file, or nothing (empty files, pipes and
/// other files that cannot be mapped are read with fread instead). It maps the file
/// already open as `f`: opening a named pipe a second time would wait for a writer that
/// may already have gone.
class MappedFile {
 public:
  explicit MappedFile(std::FILE* f) {
#if defined(INFOGEN_HAS_MMAP)
    const int fd = ::fileno(f);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        data_ = static_cast<const char*>(p);
        size_ = static_cast<std::size_t>(st.st_size);
        ::madvise(p, size_, MADV_SEQUENTIAL);
      }
    }
#else
    (void)f;
#endif
  }
  ~MappedFile() {
#if defined(INFOGEN_HAS_MMAP)
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
#endif
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace

/// The longest line a corpus read through a stream (a pipe, a device) may have.
constexpr std::size_t kMaxLineBytes = std::size_t(1) << 30;

void Tokenizer::feed_file(const std::string& path, int n_threads, std::size_t block_bytes,
                          const std::function<void()>& on_block) {
  struct Closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> f(std::fopen(path.c_str(), "rb"));
  if (!f) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  block_bytes = std::max<std::size_t>(block_bytes, 1 << 12);
  // n_lines counts per feed; a line split across blocks must be counted once, so feeds
  // always end on a newline except the file's last one.
  const MappedFile map(f.get());
  if (map.data() != nullptr) {
    // Mapped: blocks are fed straight from the page cache (no copy, and the chunks fault
    // their pages in in parallel). Room for the tokens is reserved (not touched) when they
    // accumulate: a token and its separator take two bytes or more, and words five or so.
    if (!on_block && out_.ids.size() + map.size() / 4 <= (std::size_t(1) << 30))
      out_.ids.reserve(out_.ids.size() + map.size() / 4);
    const char* p = map.data();
    std::size_t left = map.size();
    while (left > 0) {
      std::size_t len = std::min(block_bytes, left);
      if (len < left) {
        std::size_t last = len;
        while (last > 0 && p[last - 1] != '\n') --last;
        if (last == 0) {  // no line end in the whole block: a very long line, up to its end
          const void* nl = std::memchr(p + len, '\n', left - len);
          last = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - p) + 1 : left;
        }
        len = last;
      }
      feed(p, len, n_threads, path);
      if (on_block) on_block();
      p += len;
      left -= len;
    }
    return;
  }
  // A small file needs no full block (allocating and touching 64 MiB costs more than
  // reading a few megabytes).
  if (std::fseek(f.get(), 0, SEEK_END) == 0) {
    const long size = std::ftell(f.get());
    if (size >= 0) block_bytes = std::min<std::size_t>(block_bytes, static_cast<std::size_t>(size) + 1);
    std::rewind(f.get());
  }
  std::vector<char> buf(block_bytes);
  std::size_t filled = 0;
  while (true) {
    const std::size_t got = std::fread(buf.data() + filled, 1, buf.size() - filled, f.get());
    if (got == 0 && std::ferror(f.get())) throw std::runtime_error("error reading " + path);
    filled += got;
    const bool eof = got == 0 || std::feof(f.get());
    if (eof) {
      feed(buf.data(), filled, n_threads, path);
      if (on_block) on_block();
      break;
    }
    std::size_t last = filled;
    while (last > 0 && buf[last - 1] != '\n') --last;
    if (last == 0) {  // no line end in the whole buffer: a very long line, read more
      if (buf.size() >= kMaxLineBytes)  // e.g. /dev/zero: stop before memory runs out
        throw std::invalid_argument(path + ": a line of more than " + std::to_string(kMaxLineBytes >> 20) +
                                    " MiB without a line end: not a text corpus (one sentence per line)");
      buf.resize(buf.size() * 2);
      continue;
    }
    feed(buf.data(), last, n_threads, path);
    if (on_block) on_block();
    std::memmove(buf.data(), buf.data() + last, filled - last);
    filled -= last;
  }
}

}  // namespace infogen::ngram
