// Counting under a memory budget: see infogen/ngram/external.hpp.
#include "infogen/ngram/external.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <queue>

namespace infogen::ngram {
namespace {

std::atomic<std::int64_t> g_fail_after{-1};
std::atomic<std::int64_t> g_written{0};

constexpr char kRunMagic[8] = {'I', 'G', 'R', 'U', 'N', '0', '0', '1'};

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

/// Buffered binary writer that reports errors with errno and the path.
class Writer {
 public:
  Writer(std::string path, std::size_t buffer_bytes) : path_(std::move(path)) {
    f_.reset(std::fopen(path_.c_str(), "wb"));
    if (!f_) fail(errno, "cannot create");
    buf_.reserve(std::max<std::size_t>(buffer_bytes, 1 << 12));
  }
  void write(const void* p, std::size_t n) {
    const auto* c = static_cast<const char*>(p);
    if (buf_.size() + n > buf_.capacity()) flush_buffer();
    if (n > buf_.capacity()) {
      put(c, n);
      return;
    }
    buf_.insert(buf_.end(), c, c + n);
  }
  void close() {
    flush_buffer();
    if (std::fflush(f_.get()) != 0) fail(errno, "cannot write");
    std::FILE* f = f_.release();
    if (std::fclose(f) != 0) fail(errno, "cannot write");
  }
  std::int64_t bytes() const noexcept { return bytes_; }
  const std::string& path() const noexcept { return path_; }

 private:
  void flush_buffer() {
    if (!buf_.empty()) put(buf_.data(), buf_.size());
    buf_.clear();
  }
  void put(const char* p, std::size_t n) {
    const std::int64_t limit = g_fail_after.load();
    if (limit >= 0 && g_written.fetch_add(static_cast<std::int64_t>(n)) + static_cast<std::int64_t>(n) > limit)
      fail(ENOSPC, "cannot write");
    if (std::fwrite(p, 1, n, f_.get()) != n) fail(errno != 0 ? errno : EIO, "cannot write");
    bytes_ += static_cast<std::int64_t>(n);
  }
  [[noreturn]] void fail(int err, const char* what) {
    throw FileError(err, path_, std::string(what) + " " + path_ + ": " + std::strerror(err));
  }
  std::string path_;
  std::unique_ptr<std::FILE, FileCloser> f_;
  std::vector<char> buf_;
  std::int64_t bytes_ = 0;
};

/// One sorted source of (n-gram, count) rows: a run file or an in-memory table.
class Source {
 public:
  Source(const NGramArrays* mem, int k) : mem_(mem), k_(k) {}
  Source(const std::string& path, int k, std::size_t buffer_bytes) : k_(k), path_(path) {
    f_.reset(std::fopen(path.c_str(), "rb"));
    if (!f_) throw FileError(errno, path, "cannot open " + path + ": " + std::strerror(errno));
    char magic[8];
    std::int32_t hdr[2];
    if (std::fread(magic, 1, 8, f_.get()) != 8 || std::memcmp(magic, kRunMagic, 8) != 0 ||
        std::fread(hdr, sizeof hdr, 1, f_.get()) != 1 || hdr[0] != k ||
        std::fread(&rows_, sizeof rows_, 1, f_.get()) != 1)
      throw FileError(EIO, path, "corrupt run file " + path);
    row_bytes_ = 4 * static_cast<std::size_t>(k) + 8;
    buf_.resize(std::max<std::size_t>(buffer_bytes / row_bytes_, 16) * row_bytes_);
  }
  std::int64_t rows() const noexcept { return mem_ ? mem_->size() : rows_; }

  /// Next row into (words, count); false at the end.
  bool next(word_t* words, count_t& c) {
    if (pos_ >= rows()) return false;
    if (mem_) {
      const auto ku = static_cast<std::size_t>(k_);
      std::memcpy(words, &mem_->ngrams[static_cast<std::size_t>(pos_) * ku], 4 * ku);
      c = mem_->counts[static_cast<std::size_t>(pos_)];
    } else {
      if (at_ == have_) refill();
      const char* p = buf_.data() + at_;
      std::memcpy(words, p, 4 * static_cast<std::size_t>(k_));
      std::memcpy(&c, p + 4 * static_cast<std::size_t>(k_), 8);
      at_ += row_bytes_;
    }
    ++pos_;
    return true;
  }

 private:
  void refill() {
    const std::size_t want = std::min<std::size_t>(buf_.size() / row_bytes_, static_cast<std::size_t>(rows_ - pos_));
    if (std::fread(buf_.data(), row_bytes_, want, f_.get()) != want)
      throw FileError(errno != 0 ? errno : EIO, path_, "cannot read run file " + path_ + " (truncated?)");
    at_ = 0;
    have_ = want * row_bytes_;
  }
  const NGramArrays* mem_ = nullptr;
  int k_;
  std::string path_;
  std::unique_ptr<std::FILE, FileCloser> f_;
  std::int64_t rows_ = 0, pos_ = 0;
  std::size_t row_bytes_ = 0, at_ = 0, have_ = 0;
  std::vector<char> buf_;
};

struct MemorySink {
  NGramArrays& out;
  void put(const word_t* w, int k, count_t c) {
    out.ngrams.insert(out.ngrams.end(), w, w + k);
    out.counts.push_back(c);
  }
};

struct FileSink {
  Writer& ngrams;
  Writer& counts;
  std::int64_t rows = 0;
  void put(const word_t* w, int k, count_t c) {
    ngrams.write(w, 4 * static_cast<std::size_t>(k));
    counts.write(&c, 8);
    ++rows;
  }
};

void remove_quietly(const std::string& path) noexcept { std::remove(path.c_str()); }

}  // namespace

void set_write_failure_after(std::int64_t bytes) noexcept {
  g_written.store(0);
  g_fail_after.store(bytes);
}

ExternalCounter::ExternalCounter(ExternalOptions opt) : opt_(std::move(opt)), tok_(opt_.vocabulary.empty()) {
  if (opt_.order < 1 || opt_.order > kMaxOrder)
    throw std::invalid_argument("order must be in 1.." + std::to_string(kMaxOrder));
  if (opt_.memory_bytes < (std::size_t(1) << 20)) throw std::invalid_argument("the memory budget must be at least 1 MiB");
  if (!opt_.vocabulary.empty()) tok_.set_vocabulary(opt_.vocabulary);
  const int n = opt_.order;
  const int parallel = std::max(1, std::min(resolve_threads(opt_.n_threads), n - 1));
  std::size_t tables = 0;
  for (int k = 2; k <= n; ++k) tables += 4 * static_cast<std::size_t>(k) + 8;
  // Keys: 16 bytes when an order-N n-gram of a 2^24-word vocabulary does not fit 64 bits.
  const std::size_t key = n * 24 <= 64 ? 8 : 16;
  token_cost_ = 4 + static_cast<std::size_t>(parallel) * 2 * key + tables;
  runs_.resize(static_cast<std::size_t>(n));
  // A read block holds at most 1 token per 2 bytes: its tokens then cost <= budget / 8.
  stats_.read_block_bytes =
      std::clamp<std::size_t>(opt_.memory_bytes / (4 * token_cost_), std::size_t(64) << 10, std::size_t(64) << 20);
}

ExternalCounter::~ExternalCounter() {
  for (auto& r : runs_)
    for (auto& p : r) remove_quietly(p);
  for (auto& p : scratch_) remove_quietly(p);
}

void ExternalCounter::add_file(const std::string& path) {
  if (merged_) throw std::logic_error("counts already merged");
  interrupt();
  tok_.feed_file(path, opt_.n_threads, stats_.read_block_bytes, [this] { maybe_flush(false); });
}

void ExternalCounter::add_buffer(const char* data, std::size_t n) {
  if (merged_) throw std::logic_error("counts already merged");
  for (std::size_t b = 0; b < n;) {
    std::size_t e = std::min(n, b + stats_.read_block_bytes);
    if (e < n) {
      const void* nl = std::memchr(data + e, '\n', n - e);
      e = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1 : n;
    }
    tok_.feed(data + b, e - b, opt_.n_threads, "<text>");
    maybe_flush(false);
    b = e;
  }
}

void ExternalCounter::maybe_flush(bool final) {
  interrupt();
  Tokenized& t = tok_.result();
  const std::size_t fixed = 4 * stats_.read_block_bytes + 80 * tok_.words().size();
  const std::size_t held = t.ids.size() * token_cost_ + 8 * t.offsets.size();
  // Count now if another read block could push the held tokens past the budget.
  const std::size_t next_block = stats_.read_block_bytes / 2 * token_cost_;
  if (!final && fixed + held + next_block <= opt_.memory_bytes) return;
  if (t.ids.empty()) return;
  count_block();
  if (final) return;  // the last block stays in memory as one more merge source
  // Spill the block's tables as one sorted run per order.
  const auto t0 = std::chrono::steady_clock::now();
  for (int k = 1; k <= opt_.order; ++k) {
    NGramArrays& a = last_[static_cast<std::size_t>(k - 1)];
    const std::string path = opt_.temp_dir + "/run-" + std::to_string(stats_.n_runs) + "-order" + std::to_string(k) + ".bin";
    runs_[static_cast<std::size_t>(k - 1)].push_back(path);
    Writer w(path, std::size_t(1) << 20);
    w.write(kRunMagic, 8);
    const std::int32_t hdr[2] = {k, 0};
    w.write(hdr, sizeof hdr);
    const std::int64_t rows = a.size();
    w.write(&rows, 8);
    const auto ku = static_cast<std::size_t>(k);
    for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r) {
      w.write(&a.ngrams[r * ku], 4 * ku);
      w.write(&a.counts[r], 8);
    }
    w.close();
    stats_.spilled_bytes += w.bytes();
    a = NGramArrays{};
  }
  last_.clear();
  ++stats_.n_runs;
  stats_.count_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void ExternalCounter::count_block() {
  Tokenized& t = tok_.result();
  const auto t0 = std::chrono::steady_clock::now();
  const auto n_sent = static_cast<index_t>(t.offsets.size()) - 1;
  const auto vocab = static_cast<word_t>(tok_.words().size());
  last_ = count_ngrams(t.ids.data(), t.offsets.data(), n_sent, opt_.order, vocab, opt_.n_threads);
  stats_.n_sentences += n_sent;
  stats_.n_tokens += static_cast<std::int64_t>(t.ids.size());
  stats_.block_tokens = std::max<std::int64_t>(stats_.block_tokens, static_cast<std::int64_t>(t.ids.size()));
  ++stats_.n_blocks;
  t.ids.clear();
  t.ids.shrink_to_fit();
  t.offsets.assign(1, 0);
  t.offsets.shrink_to_fit();
  stats_.count_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

namespace {

/// k-way merge of sorted sources into `sink`, summing the counts of equal n-grams. When
/// the n-grams pack into a 128-bit key (k * bits(vocab) <= 128) the heap compares keys;
/// otherwise word by word.
template <class Sink>
void merge_sources(std::vector<Source>& src, int k, Sink& sink, const std::function<void()>& interrupt,
                   word_t vocab_size) {
  using Key = unsigned __int128;
  const auto ku = static_cast<std::size_t>(k);
  const std::size_t n = src.size();
  int bits = 1;
  while (bits < 32 && (static_cast<std::uint64_t>(vocab_size > 0 ? vocab_size - 1 : 0) >> bits) != 0) ++bits;
  const bool packed = k * bits <= 128;
  std::vector<word_t> head(n * ku);
  std::vector<count_t> hc(n);
  std::vector<Key> key(n, 0);
  auto load = [&](std::size_t i) {
    if (!src[i].next(&head[i * ku], hc[i])) return false;
    if (packed) {
      Key x = 0;
      for (std::size_t j = 0; j < ku; ++j) x = (x << bits) | head[i * ku + j];
      key[i] = x;
    }
    return true;
  };
  auto later = [&](std::size_t a, std::size_t b) {  // min-heap: "a after b"
    if (packed) return key[a] != key[b] ? key[a] > key[b] : a > b;
    const word_t* x = &head[a * ku];
    const word_t* y = &head[b * ku];
    for (std::size_t j = 0; j < ku; ++j)
      if (x[j] != y[j]) return x[j] > y[j];
    return a > b;
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> heap(later);
  for (std::size_t i = 0; i < n; ++i)
    if (load(i)) heap.push(i);
  std::vector<word_t> cur(ku);
  count_t cc = 0;
  bool have = false;
  std::int64_t step = 0;
  while (!heap.empty()) {
    const std::size_t i = heap.top();
    heap.pop();
    const word_t* w = &head[i * ku];
    if (have && std::equal(cur.begin(), cur.end(), w)) {
      cc += hc[i];
    } else {
      if (have) sink.put(cur.data(), k, cc);
      std::copy(w, w + ku, cur.begin());
      cc = hc[i];
      have = true;
    }
    if (load(i)) heap.push(i);
    if ((++step & ((1 << 22) - 1)) == 0 && interrupt) interrupt();
  }
  if (have) sink.put(cur.data(), k, cc);
}

/// Writes a run file (header first, its row count patched at the end).
struct RunSink {
  Writer w;
  std::int64_t rows = 0;
  RunSink(const std::string& path, int k, std::size_t buffer) : w(path, buffer) {
    w.write(kRunMagic, 8);
    const std::int32_t hdr[2] = {k, 0};
    w.write(hdr, sizeof hdr);
    w.write(&rows, 8);
  }
  void put(const word_t* words, int k, count_t c) {
    w.write(words, 4 * static_cast<std::size_t>(k));
    w.write(&c, 8);
    ++rows;
  }
  void finish() {
    w.close();
    std::unique_ptr<std::FILE, FileCloser> f(std::fopen(w.path().c_str(), "r+b"));
    if (!f || std::fseek(f.get(), 16, SEEK_SET) != 0 || std::fwrite(&rows, 8, 1, f.get()) != 1)
      throw FileError(errno != 0 ? errno : EIO, w.path(), "cannot write " + w.path() + ": " + std::strerror(errno));
    std::FILE* raw = f.release();
    if (std::fclose(raw) != 0)
      throw FileError(errno, w.path(), "cannot write " + w.path() + ": " + std::strerror(errno));
  }
};

}  // namespace

template <class Sink>
void ExternalCounter::merge_order(int k, Sink& sink) {
  auto& paths = runs_[static_cast<std::size_t>(k - 1)];
  // More runs than kMaxFanIn (open files, buffer memory): merge them in groups into
  // longer runs first, as many passes as needed.
  const std::size_t kMaxFanIn = static_cast<std::size_t>(std::max(2, opt_.max_fan_in));
  std::int64_t pass = 0;
  while (paths.size() + (last_.empty() ? 0 : 1) > kMaxFanIn) {
    std::vector<std::string> next;
    const std::size_t buffer = std::clamp<std::size_t>(opt_.memory_bytes / 4 / (kMaxFanIn + 1), std::size_t(64) << 10,
                                                       std::size_t(8) << 20);
    for (std::size_t g = 0; g < paths.size(); g += kMaxFanIn) {
      const std::size_t e = std::min(paths.size(), g + kMaxFanIn);
      if (e - g == 1) {
        next.push_back(paths[g]);
        continue;
      }
      const std::string out = opt_.temp_dir + "/merge-" + std::to_string(pass) + "-" + std::to_string(g) + "-order" +
                              std::to_string(k) + ".bin";
      next.push_back(out);
      scratch_.push_back(out);  // removed by the destructor if anything fails
      {
        std::vector<Source> src;
        src.reserve(e - g);
        for (std::size_t i = g; i < e; ++i) src.emplace_back(paths[i], k, buffer);
        RunSink sink(out, k, buffer);
        merge_sources(src, k, sink, opt_.check_interrupt, static_cast<word_t>(tok_.words().size()));
        sink.finish();
        stats_.spilled_bytes += sink.w.bytes();
      }
      for (std::size_t i = g; i < e; ++i) remove_quietly(paths[i]);
    }
    paths.swap(next);
    ++pass;
  }
  std::vector<Source> src;
  src.reserve(paths.size() + 1);
  const std::size_t buffer = std::clamp<std::size_t>(opt_.memory_bytes / 4 / (paths.size() + 1), std::size_t(64) << 10,
                                                     std::size_t(8) << 20);
  for (const auto& p : paths) src.emplace_back(p, k, buffer);
  if (!last_.empty()) src.emplace_back(&last_[static_cast<std::size_t>(k - 1)], k);
  merge_sources(src, k, sink, opt_.check_interrupt, static_cast<word_t>(tok_.words().size()));
  if (!last_.empty()) last_[static_cast<std::size_t>(k - 1)] = NGramArrays{};
  for (const auto& p : paths) remove_quietly(p);
}

std::vector<NGramArrays> ExternalCounter::merge_to_memory() {
  if (merged_) throw std::logic_error("counts already merged");
  maybe_flush(true);
  merged_ = true;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<NGramArrays> out(static_cast<std::size_t>(opt_.order));
  if (stats_.n_runs == 0 && !last_.empty()) {  // everything fitted in one block
    out.swap(last_);
  } else {
    for (int k = 1; k <= opt_.order; ++k) {
      NGramArrays& a = out[static_cast<std::size_t>(k - 1)];
      a.order = k;
      MemorySink sink{a};
      merge_order(k, sink);
      interrupt();
    }
  }
  for (int k = 1; k <= opt_.order; ++k) out[static_cast<std::size_t>(k - 1)].order = k;
  last_.clear();
  runs_.assign(static_cast<std::size_t>(opt_.order), {});
  stats_.merge_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

std::vector<std::int64_t> ExternalCounter::merge_to_files(const std::vector<std::string>& ngram_paths,
                                                          const std::vector<std::string>& count_paths) {
  if (merged_) throw std::logic_error("counts already merged");
  if (ngram_paths.size() != static_cast<std::size_t>(opt_.order) || count_paths.size() != ngram_paths.size())
    throw std::invalid_argument("one n-gram path and one count path per order");
  maybe_flush(true);
  merged_ = true;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::int64_t> rows;
  const std::size_t buffer = std::clamp<std::size_t>(opt_.memory_bytes / 16, std::size_t(64) << 10, std::size_t(8) << 20);
  for (int k = 1; k <= opt_.order; ++k) {
    const auto i = static_cast<std::size_t>(k - 1);
    Writer g(ngram_paths[i], buffer);
    Writer c(count_paths[i], buffer);
    FileSink sink{g, c};
    merge_order(k, sink);
    g.close();
    c.close();
    rows.push_back(sink.rows);
    interrupt();
  }
  last_.clear();
  runs_.assign(static_cast<std::size_t>(opt_.order), {});
  stats_.merge_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rows;
}

void scan_vocabulary(const std::vector<std::string>& paths, int n_threads, std::size_t block_bytes,
                     std::deque<std::string>& words, std::vector<count_t>& freq,
                     const std::function<void()>& check_interrupt) {
  Tokenizer tok(true);
  freq.assign(3, 0);
  auto consume = [&] {
    Tokenized& t = tok.result();
    freq.resize(tok.words().size(), 0);
    for (word_t w : t.ids) ++freq[w];
    t.ids.clear();
    t.offsets.assign(1, 0);
    if (check_interrupt) check_interrupt();
  };
  for (const auto& p : paths) tok.feed_file(p, n_threads, block_bytes, consume);
  words = tok.words();
  freq.resize(words.size(), 0);
}

NGramArrays merge_tables(const word_t* a_ngrams, const count_t* a_counts, index_t a_rows, const word_t* b_ngrams,
                         const count_t* b_counts, index_t b_rows, const word_t* remap_b, std::size_t remap_size,
                         int k, word_t vocab_size) {
  if (k < 1 || k > kMaxOrder) throw std::invalid_argument("bad order");
  const auto ku = static_cast<std::size_t>(k);
  std::vector<word_t> bg(static_cast<std::size_t>(b_rows) * ku);
  std::vector<count_t> bc(b_counts, b_counts + b_rows);
  bool identity = true;
  for (std::size_t i = 0; i < bg.size(); ++i) {
    const word_t w = b_ngrams[i];
    if (w >= remap_size) throw std::invalid_argument("word id outside the remap table");
    bg[i] = remap_b[w];
    if (bg[i] >= vocab_size) throw std::invalid_argument("remapped word id outside the vocabulary");
    identity = identity && bg[i] == w;
  }
  if (!identity) sort_ngrams(bg, bc, k, vocab_size);
  NGramArrays out;
  out.order = k;
  out.ngrams.reserve((static_cast<std::size_t>(a_rows) + static_cast<std::size_t>(b_rows)) * ku);
  out.counts.reserve(static_cast<std::size_t>(a_rows + b_rows));
  index_t i = 0, j = 0;
  while (i < a_rows || j < b_rows) {
    int cmp;
    if (i >= a_rows) {
      cmp = 1;
    } else if (j >= b_rows) {
      cmp = -1;
    } else {
      const word_t* x = a_ngrams + static_cast<std::size_t>(i) * ku;
      const word_t* y = &bg[static_cast<std::size_t>(j) * ku];
      cmp = 0;
      for (std::size_t q = 0; q < ku; ++q)
        if (x[q] != y[q]) {
          cmp = x[q] < y[q] ? -1 : 1;
          break;
        }
    }
    if (cmp <= 0) {
      const word_t* x = a_ngrams + static_cast<std::size_t>(i) * ku;
      out.ngrams.insert(out.ngrams.end(), x, x + ku);
      out.counts.push_back(a_counts[i] + (cmp == 0 ? bc[static_cast<std::size_t>(j)] : 0));
      ++i;
      if (cmp == 0) ++j;
    } else {
      const word_t* y = &bg[static_cast<std::size_t>(j) * ku];
      out.ngrams.insert(out.ngrams.end(), y, y + ku);
      out.counts.push_back(bc[static_cast<std::size_t>(j)]);
      ++j;
    }
  }
  return out;
}

}  // namespace infogen::ngram
