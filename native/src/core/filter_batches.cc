#include "core/filter_batches.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

namespace flightcache::core {
namespace {

// Rows per thread below which another thread is not started: starting one (tens of microseconds)
// costs a fair share of scanning this many rows (about a hundred microseconds).
constexpr std::size_t kRowsPerExtraThread = 65536;

}  // namespace

unsigned ScanThreads(unsigned threads, const std::vector<FilterBatchInput>& batches) {
  std::size_t useful = batches.size();
  if (threads == 0) {
    threads = std::max(1u, std::thread::hardware_concurrency());
    std::size_t rows = 0;
    for (const FilterBatchInput& batch : batches) rows += batch.rows;
    useful = std::min<std::size_t>(useful, 1 + rows / kRowsPerExtraThread);
  }
  return static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(threads, useful)));
}

std::vector<FilterResult> EvaluateFilterBatches(const FilterProgram& program, const std::vector<FilterBatchInput>& batches, unsigned threads) {
  std::vector<FilterResult> results(batches.size());
  std::atomic<std::size_t> next{0};
  // The lowest failing batch so far: batches after it need no evaluation.
  std::atomic<std::size_t> first_failure{batches.size()};
  // An exception (std::bad_alloc) must not end the process from a pool thread: the first one is
  // thrown again on the calling thread, as if the batches had been evaluated there.
  std::mutex thrown_lock;
  std::exception_ptr thrown;
  auto work = [&]() {
    try {
      for (std::size_t b = next.fetch_add(1); b < batches.size(); b = next.fetch_add(1)) {
        // Batches are taken in ascending order, so every batch below the final first failure is evaluated.
        if (b > first_failure.load()) break;
        results[b] = EvaluateFilter(program, batches[b].columns, batches[b].rows);
        if (results[b].ok) continue;
        std::size_t seen = first_failure.load();
        while (b < seen && !first_failure.compare_exchange_weak(seen, b)) {
        }
      }
    } catch (...) {
      const std::lock_guard<std::mutex> hold(thrown_lock);
      if (!thrown) thrown = std::current_exception();
      next.store(batches.size());
    }
  };
  const unsigned count = ScanThreads(threads, batches);
  std::vector<std::thread> pool;
  pool.reserve(count - 1);
  for (unsigned t = 1; t < count; t++) {
    // A thread the system refuses leaves its share to the others (this thread always works).
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;
    }
  }
  work();
  for (std::thread& thread : pool) thread.join();
  if (thrown) std::rethrow_exception(thrown);
  const std::size_t failed = first_failure.load();
  if (failed < batches.size()) results.resize(failed + 1);
  return results;
}

}  // namespace flightcache::core
