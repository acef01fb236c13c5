// Corpus reading: text (files or an in-memory buffer) -> word ids in CSR form.
//
// Format: one sentence per line ('\n'; a trailing '\r' is whitespace), tokens separated by
// ASCII whitespace (space, tab, \r, \v, \f). Bytes are passed through untouched, so UTF-8
// (or any other encoding, valid or not) arrives as the same bytes in the vocabulary.
// Lines with no token are skipped (they are not sentences). The token "<unk>" maps to the
// unknown word; "<s>" and "</s>" are reserved and rejected (as KenLM does).
//
// Files are read in large blocks (default 64 MiB); each block is cut into ~1 MiB chunks at
// line boundaries that are tokenised in parallel, each with its own small word table, and
// merged in chunk order. New word types therefore get ids in order of first occurrence in
// the text, whatever the number of threads.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "infogen/ngram/hash.hpp"

namespace infogen::ngram {

/// Tokenised corpus in CSR form plus the vocabulary it was read with.
struct Tokenized {
  std::vector<word_t> ids;              ///< all tokens, sentence after sentence
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

  /// Start from a known vocabulary: words[i] gets id i (words[0..3) must be the reserved
  /// <unk>, <s>, </s>).
  void set_vocabulary(const std::vector<std::string>& words);

  /// Tokenise a buffer of whole lines (the last one may lack its newline).
  void feed(const char* data, std::size_t n, int n_threads, const std::string& source);

  /// Tokenise a file, block by block. Throws std::runtime_error naming the path if it
  /// cannot be read.
  void feed_file(const std::string& path, int n_threads, std::size_t block_bytes = std::size_t(64) << 20);

  /// The vocabulary so far (id -> bytes) and the number of times each id was read.
  const std::deque<std::string>& words() const noexcept { return words_; }
  const std::vector<count_t>& frequencies() const noexcept { return freq_; }

  Tokenized& result() noexcept { return out_; }

 private:
  bool grow_;
  bool keep_empty_;
  std::deque<std::string> words_;  // stable addresses: the map's keys view into them
  std::unordered_map<std::string_view, word_t> index_;
  std::vector<count_t> freq_;
  Tokenized out_;
};

/// Chunk size for parallel tokenisation (bytes, extended to the next line end).
constexpr std::size_t kTokenChunk = std::size_t(1) << 20;

}  // namespace infogen::ngram
