// ARPA text output: see infogen/ngram/arpa.hpp.
#include "infogen/ngram/arpa.hpp"

#include "infogen/ngram/corpus.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace infogen::ngram {

char* write_log10(char* p, double ln, bool single) noexcept {
  constexpr double kLn10 = 2.302585092994045684017991454684364208;
  const double v = ln / kLn10;
  if (!(v > -99.0)) {
    std::memcpy(p, "-99", 3);
    return p + 3;
  }
  if (single) return std::to_chars(p, p + 32, static_cast<float>(v)).ptr;
  return std::to_chars(p, p + 32, v).ptr;
}

std::string format_arpa_lines(int k, const word_t* ngrams, index_t m, const double* logp, const double* logbo,
                              const std::vector<std::string>& vocab, const std::string& bos_logp, int n_threads,
                              bool single) {
  if (k < 1) throw std::invalid_argument("order must be >= 1");
  if (k > 1 && ngrams == nullptr) throw std::invalid_argument("n-grams of order > 1 need their word ids");
  const auto V = static_cast<word_t>(vocab.size());
  std::size_t longest = bos_logp.size();
  for (const auto& w : vocab) longest = std::max(longest, w.size());
  const auto ku = static_cast<std::size_t>(k);
  // Worst case per line: two numbers of <= 32 characters, k words and their separators.
  const std::size_t line_max = 2 * 32 + ku * (longest + 1) + 4;
  constexpr index_t kChunk = 1 << 16;
  const index_t n_chunks = (m + kChunk - 1) / kChunk;
  std::vector<std::string> parts(static_cast<std::size_t>(std::max<index_t>(n_chunks, 1)));
  parallel_chunks(m, kChunk, n_threads, m * 8, [&](index_t c, index_t b, index_t e) {
    std::string& out = parts[static_cast<std::size_t>(c)];
    out.resize(static_cast<std::size_t>(e - b) * (24 + 8 * ku) + line_max);
    char* p = out.data();
    for (index_t r = b; r < e; ++r) {
      if (static_cast<std::size_t>(out.data() + out.size() - p) < line_max) {  // grow
        const auto used = static_cast<std::size_t>(p - out.data());
        out.resize(out.size() * 2);
        p = out.data() + used;
      }
      if (k == 1 && ngrams == nullptr && static_cast<word_t>(r) == kBos) {
        std::memcpy(p, bos_logp.data(), bos_logp.size());
        p += bos_logp.size();
      } else {
        p = write_log10(p, logp[r], single);
      }
      *p++ = '\t';
      for (int j = 0; j < k; ++j) {
        const word_t w = ngrams ? ngrams[static_cast<std::size_t>(r) * ku + static_cast<std::size_t>(j)] : static_cast<word_t>(r);
        if (w >= V) throw std::out_of_range("word id outside the vocabulary");
        if (j) *p++ = ' ';
        const std::string& word = vocab[w];
        std::memcpy(p, word.data(), word.size());
        p += word.size();
      }
      if (logbo != nullptr && logbo[r] != 0.0) {
        *p++ = '\t';
        p = write_log10(p, logbo[r], single);
      }
      *p++ = '\n';
    }
    out.resize(static_cast<std::size_t>(p - out.data()));
  });
  if (parts.size() == 1) return std::move(parts[0]);
  std::size_t total = 0;
  for (const auto& part : parts) total += part.size();
  std::string out;
  out.reserve(total);
  for (auto& part : parts) {
    out += part;
    std::string().swap(part);
  }
  return out;
}

ArpaSection parse_arpa_section(const char* data, std::size_t n, int k, bool highest, std::int64_t first_line,
                               const std::vector<std::string>* unigrams) {
  ArpaSection out;
  const StringMap::Keys views = unigrams ? StringMap::Keys(unigrams->begin(), unigrams->end()) : StringMap::Keys{};
  StringMap index(&views, unigrams ? unigrams->size() : 16);
  if (k >= 2) {
    if (unigrams == nullptr) throw std::invalid_argument("0: sections above the unigrams need the unigram words");
    for (std::size_t i = 0; i < unigrams->size(); ++i) {
      const std::string& w = (*unigrams)[i];
      const auto len = static_cast<std::uint32_t>(w.size());
      const std::uint64_t h = hash_bytes(w.data(), len);
      if (index.find(w.data(), len, h) < 0) index.insert(w.data(), len, h, static_cast<word_t>(i));
    }
  }
  auto fail = [&](std::int64_t line, const std::string& msg) {
    throw std::invalid_argument(std::to_string(line) + ": " + msg);
  };
  auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
  std::int64_t line = first_line;
  std::size_t i = 0;
  const char* fields[kMaxOrder + 3];
  std::size_t lens[kMaxOrder + 3];
  while (i < n) {
    std::size_t e = i;
    while (e < n && data[e] != '\n') ++e;
    // split [i, e) on whitespace, at most k + 3 fields counted
    int nf = 0;
    int total = 0;
    for (std::size_t p = i; p < e;) {
      while (p < e && is_ws(data[p])) ++p;
      if (p >= e) break;
      std::size_t q = p;
      while (q < e && !is_ws(data[q])) ++q;
      if (nf < k + 3) {
        fields[nf] = data + p;
        lens[nf] = q - p;
        ++nf;
      }
      ++total;
      p = q;
    }
    if (total > 0) {
      if (total != k + 1 && total != k + 2)
        fail(line, "a " + std::to_string(k) + "-gram line needs a probability, " + std::to_string(k) +
                       " word(s) and an optional backoff, got " + std::to_string(total) + " field(s)");
      double p = 0.0, b = 0.0;
      auto r1 = std::from_chars(fields[0], fields[0] + lens[0], p);
      if (r1.ec != std::errc() || r1.ptr != fields[0] + lens[0])
        fail(line, "not a number: '" + std::string(fields[0], lens[0]) + "'");
      if (total == k + 2) {
        if (highest) fail(line, "highest-order (" + std::to_string(k) + "-gram) entries have no backoff");
        auto r2 = std::from_chars(fields[k + 1], fields[k + 1] + lens[k + 1], b);
        if (r2.ec != std::errc() || r2.ptr != fields[k + 1] + lens[k + 1])
          fail(line, "not a number: '" + std::string(fields[k + 1], lens[k + 1]) + "'");
      }
      if (std::isnan(p) || std::isnan(b) || p > 0) fail(line, "invalid log10 probability '" + std::string(fields[0], lens[0]) + "'");
      if (k == 1) {
        out.words.emplace_back(fields[1], lens[1]);
      } else {
        for (int j = 1; j <= k; ++j) {
          const auto len = static_cast<std::uint32_t>(lens[j]);
          const std::int64_t id = index.find(fields[j], len, hash_bytes(fields[j], len));
          if (id < 0) fail(line, "a " + std::to_string(k) + "-gram uses the word '" + std::string(fields[j], lens[j]) + "', which is not among the unigrams");
          out.ids.push_back(static_cast<word_t>(id));
        }
      }
      out.logp10.push_back(p);
      out.logbo10.push_back(b);
    }
    i = e + 1;
    ++line;
  }
  return out;
}

}  // namespace infogen::ngram
