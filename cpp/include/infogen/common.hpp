// Shared core utilities: index type, thread resolution and a chunked parallel loop.
//
// Determinism contract: work is cut into chunks whose boundaries depend only on the
// problem size (never on the thread count); each chunk is processed by exactly one
// thread; partial results are combined by the caller in chunk order. The same input
// therefore gives bit-identical output with any number of threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>

#ifdef INFOGEN_HAS_OPENMP
#include <omp.h>
#endif

namespace infogen {

using index_t = std::int64_t;

/// True when the core was compiled with OpenMP.
constexpr bool has_openmp() noexcept {
#ifdef INFOGEN_HAS_OPENMP
  return true;
#else
  return false;
#endif
}

/// Number of threads OpenMP would use by default (1 without OpenMP).
inline int default_threads() noexcept {
#ifdef INFOGEN_HAS_OPENMP
  return std::max(1, omp_get_max_threads());
#else
  return 1;
#endif
}

/// Resolve a requested thread count: <= 0 means "the default".
inline int resolve_threads(int requested) noexcept {
  return requested > 0 ? requested : default_threads();
}

/// Below this many elements of work a kernel runs on the calling thread: waking a
/// team costs more than it saves.
constexpr index_t kSerialWorkThreshold = 1 << 15;

/// Target amount of work (elements) per chunk of a row-wise kernel.
constexpr index_t kChunkWork = 1 << 14;

/// Rows per chunk for a row-wise kernel with `n_cols` columns. Depends only on shape.
inline index_t rows_per_chunk(index_t n_cols) noexcept {
  return std::max<index_t>(1, kChunkWork / std::max<index_t>(1, n_cols));
}

/// Run `body(chunk_id, begin, end)` for consecutive chunks [begin, end) of `n_items`.
///
/// Chunks are handed out dynamically, so a thread that is slowed down (another process
/// on its core) simply takes fewer chunks instead of holding the others back. An
/// exception thrown by `body` stops the remaining chunks and is rethrown on the caller's
/// thread after the parallel region; no exception ever escapes an OpenMP region.
template <class Body>
void parallel_chunks(index_t n_items, index_t chunk, int n_threads, index_t work, Body&& body) {
  if (n_items <= 0) return;
  chunk = std::max<index_t>(1, chunk);
  const index_t n_chunks = (n_items + chunk - 1) / chunk;
  const int threads = static_cast<int>(
      std::min<index_t>(resolve_threads(n_threads), n_chunks));
  if (threads <= 1 || work < kSerialWorkThreshold) {
    for (index_t c = 0; c < n_chunks; ++c) {
      body(c, c * chunk, std::min(n_items, (c + 1) * chunk));
    }
    return;
  }
#ifdef INFOGEN_HAS_OPENMP
  std::exception_ptr error = nullptr;
  std::mutex error_mutex;
  std::atomic<bool> failed{false};
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (index_t c = 0; c < n_chunks; ++c) {
    if (failed.load(std::memory_order_relaxed)) continue;
    try {
      body(c, c * chunk, std::min(n_items, (c + 1) * chunk));
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      failed.store(true, std::memory_order_relaxed);
    }
  }
  if (error) std::rethrow_exception(error);
#else
  for (index_t c = 0; c < n_chunks; ++c) {
    body(c, c * chunk, std::min(n_items, (c + 1) * chunk));
  }
#endif
}

/// Row-wise convenience: chunks of whole rows sized by `rows_per_chunk(n_cols)`.
template <class Body>
void parallel_rows(index_t n_rows, index_t n_cols, int n_threads, Body&& body) {
  parallel_chunks(n_rows, rows_per_chunk(n_cols), n_threads, n_rows * std::max<index_t>(1, n_cols),
                  [&](index_t, index_t r0, index_t r1) { body(r0, r1); });
}

}  // namespace infogen
