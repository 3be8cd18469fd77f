// A persistent pool. parallel_for hands out items; each item is computed whole by one
// thread with the same code, so results are bit-identical for any thread count.
#pragma once
#include <cstdint>
#include <functional>

namespace convkit {

// fn(begin, end) computes items [begin, end). Items are handed out in chunks of `grain`.
// Safe to call from any thread; concurrent calls share the pool one job at a time.
void parallel_for(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// The same, telling fn which thread (0 <= tid < get_num_threads()) runs the chunk, so
// per-thread scratch can be allocated before the parallel region (workers never allocate).
// Threads with tid >= max_threads take no work (the pool may have been resized meanwhile).
void parallel_for_tid(int64_t count, int64_t grain, int max_threads,
                      const std::function<void(int, int64_t, int64_t)>& fn);

// The async forms' runner: one thread that runs the submitted jobs one after another, in
// order (each spreads over the pool itself, as a synchronous call does). After a job it
// spins briefly for the next, so a job awaited right after the previous one starts within
// microseconds, not after a sleeping thread's wake-up (tens of microseconds on a VM).
void run_async(std::function<void()> job);

void set_num_threads(int n);  // n >= 1
int get_num_threads();
int default_num_threads();

}  // namespace convkit
