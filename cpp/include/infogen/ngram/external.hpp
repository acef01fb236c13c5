// Counting under a memory budget (out of core, like KenLM's lmplz), and merging sorted tables.
//
// The corpus is read block by block; tokens accumulate until counting them would exceed the
// budget, then that block is counted in memory (count_ngrams: sorted n-grams per order) and
// each order's table is written to a sorted *run* file in a temporary directory. At the end
// the runs (plus the last block, still in memory) are merged order by order with a k-way
// merge that sums the counts of equal n-grams, into memory or straight into raw output
// files. Counts are additive and word ids are given in order of first occurrence (the
// vocabulary is shared by all blocks), so the result is exactly the in-memory count,
// whatever the block size or the number of threads.
//
// Run file: 8-byte magic "IGRUN001", int32 order k, int32 0, int64 rows, then rows of
// k little-endian uint32 word ids followed by an int64 count, sorted lexicographically.
//
// Memory model (bytes): each held token costs C = 4 (id) + P * 2 * K (radix-sort keys of
// P = min(threads, order - 1) orders counted at once, K = 8 or 16 bytes) + the sum over
// k = 2..N of (4k + 8) (the counted tables, worst case: all distinct), each sentence 8, each
// vocabulary word 80. Text is read in blocks of R = clamp(budget / 4C, 64 KiB, 64 MiB)
// (about 4 R while tokenised); held tokens are counted and spilled as soon as one more
// block (at most R / 2 tokens) could push the total past the budget. Merge buffers take
// budget / 4 in all, shared by the runs; more than 64 runs of an order are first merged in
// groups of 64 into longer runs (one more pass over them), which bounds open files and buffers.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "infogen/ngram/corpus.hpp"
#include "infogen/ngram/counter.hpp"

namespace infogen::ngram {

/// A file could not be created, written or read: carries errno and the path.
class FileError : public std::runtime_error {
 public:
  FileError(int err, std::string path, const std::string& what)
      : std::runtime_error(what), err_(err), path_(std::move(path)) {}
  int error_code() const noexcept { return err_; }
  const std::string& path() const noexcept { return path_; }

 private:
  int err_;
  std::string path_;
};

/// Testing hook: make every file write fail with ENOSPC once this many bytes have been
/// written in total by run and output writers (negative: off).
void set_write_failure_after(std::int64_t bytes) noexcept;

struct ExternalOptions {
  int order = 3;
  std::size_t memory_bytes = std::size_t(1) << 30;
  std::string temp_dir;  ///< existing writable directory for run files (the caller owns it)
  int n_threads = 0;
  /// With a vocabulary (starting <unk>, <s>, </s>), unseen words become <unk>; without,
  /// the vocabulary grows in order of first occurrence.
  std::vector<std::string> vocabulary;
  /// Called between steps (never inside a parallel region); may throw to abort.
  std::function<void()> check_interrupt;
  /// Runs merged at once; more are first merged in groups into longer runs (extra passes).
  int max_fan_in = 64;
};

struct ExternalStats {
  std::int64_t n_sentences = 0, n_tokens = 0, n_lines = 0, n_bytes = 0;
  std::int64_t n_blocks = 0;        ///< blocks counted
  std::int64_t n_runs = 0;          ///< blocks spilled to disk (run files = n_runs * order)
  std::int64_t spilled_bytes = 0;   ///< bytes of run files written
  std::int64_t block_tokens = 0;    ///< largest block counted (tokens)
  std::size_t read_block_bytes = 0;
  double count_seconds = 0.0, merge_seconds = 0.0;
};

class ExternalCounter {
 public:
  explicit ExternalCounter(ExternalOptions opt);
  ~ExternalCounter();  // removes the run files it wrote
  ExternalCounter(const ExternalCounter&) = delete;
  ExternalCounter& operator=(const ExternalCounter&) = delete;

  /// Tokenise and count a file (blocks past the budget are spilled as runs).
  void add_file(const std::string& path);
  /// Tokenise and count text held in memory (whole lines).
  void add_buffer(const char* data, std::size_t n);

  /// Merge everything into memory (sorted tables, orders 1..N).
  std::vector<NGramArrays> merge_to_memory();
  /// Merge order by order into raw files: ngram_paths[k-1] receives rows of k uint32,
  /// count_paths[k-1] int64 counts. Returns the rows of each order.
  std::vector<std::int64_t> merge_to_files(const std::vector<std::string>& ngram_paths,
                                           const std::vector<std::string>& count_paths);

  const std::deque<std::string>& words() const noexcept { return tok_.words(); }
  const ExternalStats& stats() const noexcept { return stats_; }

 private:
  void maybe_flush(bool final);
  void count_block();
  void interrupt() const {
    if (opt_.check_interrupt) opt_.check_interrupt();
  }
  template <class Sink>
  void merge_order(int k, Sink& sink);

  ExternalOptions opt_;
  Tokenizer tok_;
  ExternalStats stats_;
  std::size_t token_cost_ = 0;  // bytes per held token
  std::vector<std::vector<std::string>> runs_;  // runs_[k-1] = run files of order k
  std::vector<NGramArrays> last_;               // the last block, not spilled
  std::vector<std::string> scratch_;            // intermediate merged runs
  bool merged_ = false;
};

/// Word frequencies of files (no n-grams): id -> count, vocabulary in first-occurrence
/// order. Memory: the vocabulary plus one read block.
void scan_vocabulary(const std::vector<std::string>& paths, int n_threads, std::size_t block_bytes,
                     std::deque<std::string>& words, std::vector<count_t>& freq,
                     const std::function<void()>& check_interrupt);

/// Merge two sorted order-k tables into one: b's word ids are first mapped through
/// `remap_b` (b id -> output id; need not preserve order), b is re-sorted, then both are
/// merged, summing the counts of equal n-grams.
NGramArrays merge_tables(const word_t* a_ngrams, const count_t* a_counts, index_t a_rows, const word_t* b_ngrams,
                         const count_t* b_counts, index_t b_rows, const word_t* remap_b, std::size_t remap_size,
                         int k, word_t vocab_size);

}  // namespace infogen::ngram
