#include "threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

namespace convkit {

namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}
// Spin for at most kSpinMicros while cond() holds, then let the caller sleep. Timed by the
// clock, not by a count of pause instructions, whose length varies by CPU (measured on
// this Zen 5 VM: 18 ns each, so the 4000 spun before were ~70 us, not the ~15 us assumed).
// Long enough to keep the workers awake between back-to-back calls (a futex wake-up on a
// VM costs tens of microseconds), short enough not to hold a core long after the last call.
// Spins of 70, 150, 250 and 290 us measured alike within the Zen 5 VM's noise. On Zen 3,
// calls from JavaScript came 190-340 us apart (W1, W8: the facade's checks and planning run
// cold after a conv has filled the caches), so a worker spinning 100 us slept before nearly
// every call's first job; 600 us keeps it awake (in-process A/B at 2 threads, three runs:
// W1 0.95-0.98x the time, W4 0.96-0.98x, W14 0.97-0.99x, W8 0.96-1.0x, W7 alike).
// Idle: a thread waiting for work it has no part in yet (a worker for the next job, the
// async runner for the next submission) yields its core between rounds of pauses, so a
// thread that has work takes it at once: the JavaScript thread, woken to settle a promise
// and start the next call, or V8's collector threads. With every core spinning, they waited
// for the scheduler to preempt a spinner (async at 2 threads: W13 bilinear 1.2-1.6x the sync
// time, W1 1.04-1.09x). The caller waiting for the workers inside its own job does not yield.
// In-process, four arms taking turns (sync / async, spins yielding or not) at 2 threads, two
// runs: async W13 bilinear 0.78-0.95x the time, W1 0.96-0.99x, W6 0.97-1.0x, W12 0.93x, W2
// 0.96x; sync alike or faster (W12 0.82x, W13 0.78-0.91x); same bits. (Every spinner
// yielding, or only the runner, measured alike: W13 bilinear 0.69-0.78x.) Then in the bench
// (async and sync taking turns, 2 threads): W13 bilinear 1.58 -> 0.79, W7 1.18 -> 1.05, W4
// 1.11 -> 1.00, W15 1.07 -> 1.01.
constexpr int kSpinMicros = 600;
template <typename Cond>
void spin_while(Cond cond, bool idle) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
  while (cond()) {
    for (int i = 0; i < 16 && cond(); ++i) cpu_relax();
    if (idle) std::this_thread::yield();
    if (std::chrono::steady_clock::now() >= deadline) return;
  }
}

class Pool {
 public:
  Pool() { resize(default_num_threads()); }
  ~Pool() { stop_workers(); }

  void resize(int n) {
    std::lock_guard<std::mutex> job(job_mu_);
    stop_workers();
    threads_ = std::max(1, n);
    stopping_ = false;
    // A new worker has seen every job so far: it must wait for the next one, not join an
    // old generation.
    uint64_t gen;
    {
      std::lock_guard<std::mutex> lk(mu_);
      gen = generation_.load();
    }
    for (int i = 1; i < threads_; ++i) workers_.emplace_back([this, i, gen] { worker_loop(i, gen); });
  }

  int threads() const { return threads_; }

  void run(int64_t count, int64_t grain, int max_threads, const std::function<void(int, int64_t, int64_t)>& fn) {
    if (count <= 0) return;
    grain = std::max<int64_t>(1, grain);
    const int64_t chunks = (count + grain - 1) / grain;
    std::lock_guard<std::mutex> job(job_mu_);
    if (threads_ == 1 || chunks == 1) {
      fn(0, 0, count);
      return;
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      fn_ = &fn;
      count_ = count;
      grain_ = grain;
      next_.store(0);
      max_threads_ = std::max(1, max_threads);
      open_.store(true);
      generation_.fetch_add(1);
    }
    cv_.notify_all();
    work(0);
    // Every chunk is taken: close the job, then wait only for the workers inside it. A worker
    // still waking up (120-260 us for a halted vCPU on this VM) finds it closed and leaves it, so
    // a short loop (the mask check of a partial conv) does not wait for a worker that never
    // helped. (open_ and active_ are sequentially consistent, Dekker-style: either the main
    // thread sees a worker's increment and waits for it, or the worker sees the job closed.)
    open_.store(false);
    // Spin briefly before sleeping: on a VM a futex wake-up costs tens of microseconds,
    // which is a tenth of a millisecond-sized convolution.
    spin_while([&] { return active_.load() != 0; }, false);
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [this] { return active_.load() == 0; });
    fn_ = nullptr;
  }

 private:
  void work(int tid) {
    if (tid >= max_threads_) return;
    for (;;) {
      const int64_t begin = next_.fetch_add(grain_);
      if (begin >= count_) break;
      (*fn_)(tid, begin, std::min(count_, begin + grain_));
    }
  }

  void worker_loop(int tid, uint64_t seen) {
    for (;;) {
      // Spin a little for the next job (jobs come in bursts: one op runs several), then sleep.
      spin_while([&] { return generation_.load(std::memory_order_acquire) == seen; }, true);
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stopping_ || generation_.load() != seen; });
        if (stopping_) return;
        seen = generation_.load();
      }
      // Join the job only while it is open and still the one seen (a worker that woke late
      // may find the next job started: it joins that one on its next pass).
      active_.fetch_add(1);
      if (open_.load() && generation_.load() == seen) work(tid);
      if (active_.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lk(mu_);
        done_cv_.notify_one();
      }
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::mutex job_mu_;  // one job at a time
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int64_t, int64_t)>* fn_ = nullptr;
  int64_t count_ = 0, grain_ = 1;
  int max_threads_ = 1;
  std::atomic<int64_t> next_{0};
  std::atomic<int> active_{0};  // workers inside a job (or checking whether they may join it)
  std::atomic<bool> open_{false};  // the job has chunks left to take
  std::atomic<uint64_t> generation_{0};
  bool stopping_ = false;
  int threads_ = 1;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: workers may outlive static teardown order
  return *p;
}

class Runner {
 public:
  Runner() : thread_([this] { loop(); }) { thread_.detach(); }  // never stopped (as the pool)
  void submit(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      queue_.push_back(std::move(job));
      queued_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_one();
  }

 private:
  void loop() {
    for (;;) {
      spin_while([this] { return queued_.load(std::memory_order_acquire) == 0; }, true);
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [this] { return !queue_.empty(); });
        job = std::move(queue_.front());
        queue_.pop_front();
        queued_.fetch_sub(1, std::memory_order_relaxed);
      }
      job();  // (jobs catch their own errors)
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::atomic<int> queued_{0};
  std::thread thread_;
};

Runner& runner() {
  static Runner* r = new Runner();  // never destroyed, as the pool
  return *r;
}

}  // namespace

int default_num_threads() {
#if defined(__linux__)
  // The CPUs this process may run on (taskset, cgroups cpusets), as os.availableParallelism().
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return std::min(n, 256);
  }
#endif
  const unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(std::min(hc, 256u));
}

void parallel_for(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  pool().run(count, grain, 1 << 30, [&fn](int, int64_t b, int64_t e) { fn(b, e); });
}

void parallel_for_tid(int64_t count, int64_t grain, int max_threads,
                      const std::function<void(int, int64_t, int64_t)>& fn) {
  pool().run(count, grain, max_threads, fn);
}

void run_async(std::function<void()> job) { runner().submit(std::move(job)); }

void set_num_threads(int n) { pool().resize(n); }
int get_num_threads() { return pool().threads(); }

}  // namespace convkit
