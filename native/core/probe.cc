#include "probe.h"

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "../kernels/kernels.h"
#include "cpu.h"
#include "threadpool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace convkit {

namespace {

using Clock = std::chrono::steady_clock;

#if defined(__x86_64__)
// 12 independent accumulators hide the FMA latency (4 cycles x 2 pipes needs >= 8).
__attribute__((target("avx2,fma"))) double fma_loop_avx2(int64_t iters) {
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  __m256 a0 = _mm256_set1_ps(0.1f), a1 = _mm256_set1_ps(0.2f), a2 = _mm256_set1_ps(0.3f), a3 = _mm256_set1_ps(0.4f);
  __m256 a4 = _mm256_set1_ps(0.5f), a5 = _mm256_set1_ps(0.6f), a6 = _mm256_set1_ps(0.7f), a7 = _mm256_set1_ps(0.8f);
  __m256 a8 = _mm256_set1_ps(0.9f), a9 = _mm256_set1_ps(1.0f), a10 = _mm256_set1_ps(1.1f), a11 = _mm256_set1_ps(1.2f);
  for (int64_t it = 0; it < iters; ++it) {
    a0 = _mm256_fmadd_ps(a0, m, c); a1 = _mm256_fmadd_ps(a1, m, c); a2 = _mm256_fmadd_ps(a2, m, c);
    a3 = _mm256_fmadd_ps(a3, m, c); a4 = _mm256_fmadd_ps(a4, m, c); a5 = _mm256_fmadd_ps(a5, m, c);
    a6 = _mm256_fmadd_ps(a6, m, c); a7 = _mm256_fmadd_ps(a7, m, c); a8 = _mm256_fmadd_ps(a8, m, c);
    a9 = _mm256_fmadd_ps(a9, m, c); a10 = _mm256_fmadd_ps(a10, m, c); a11 = _mm256_fmadd_ps(a11, m, c);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}

__attribute__((target("avx512f,fma"))) double fma_loop_avx512(int64_t iters) {
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  __m512 a0 = _mm512_set1_ps(0.1f), a1 = _mm512_set1_ps(0.2f), a2 = _mm512_set1_ps(0.3f), a3 = _mm512_set1_ps(0.4f);
  __m512 a4 = _mm512_set1_ps(0.5f), a5 = _mm512_set1_ps(0.6f), a6 = _mm512_set1_ps(0.7f), a7 = _mm512_set1_ps(0.8f);
  __m512 a8 = _mm512_set1_ps(0.9f), a9 = _mm512_set1_ps(1.0f), a10 = _mm512_set1_ps(1.1f), a11 = _mm512_set1_ps(1.2f);
  for (int64_t it = 0; it < iters; ++it) {
    a0 = _mm512_fmadd_ps(a0, m, c); a1 = _mm512_fmadd_ps(a1, m, c); a2 = _mm512_fmadd_ps(a2, m, c);
    a3 = _mm512_fmadd_ps(a3, m, c); a4 = _mm512_fmadd_ps(a4, m, c); a5 = _mm512_fmadd_ps(a5, m, c);
    a6 = _mm512_fmadd_ps(a6, m, c); a7 = _mm512_fmadd_ps(a7, m, c); a8 = _mm512_fmadd_ps(a8, m, c);
    a9 = _mm512_fmadd_ps(a9, m, c); a10 = _mm512_fmadd_ps(a10, m, c); a11 = _mm512_fmadd_ps(a11, m, c);
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                           _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
  float out[16];
  _mm512_storeu_ps(out, s);
  return out[0] + out[15];
}
#endif

double fma_loop_scalar(int64_t iters) {
  float a[8];
  for (int i = 0; i < 8; ++i) a[i] = 0.001f * static_cast<float>(i);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 8; ++i) a[i] = a[i] * 0.999999f + 1e-7f;
  return a[0] + a[7];
}

}  // namespace

double probe_fma_gflops(double seconds) {
  const int threads = get_num_threads();
  // The peak of the widest vectors the kernels in use have (the dispatch table's ISA).
  const std::string isa = kernels().isa;
  const bool avx512 = isa == "avx512f", avx2 = isa == "avx2";
  const int64_t iters = 1 << 20;
  const double flops_per_call = avx512 ? 12.0 * 16 * 2 * iters : avx2 ? 12.0 * 8 * 2 * iters : 8.0 * 2 * iters;
  double best = 0;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  volatile double sink = 0;
  while (Clock::now() < end) {
    const auto t0 = Clock::now();
    parallel_for(threads, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
#if defined(__x86_64__)
        sink = avx512 ? fma_loop_avx512(iters) : avx2 ? fma_loop_avx2(iters) : fma_loop_scalar(iters);
#else
        sink = fma_loop_scalar(iters);
#endif
      }
    });
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    const double g = flops_per_call * threads / dt / 1e9;
    if (g > best) best = g;
  }
  (void)sink;
  return best;
}

double probe_copy_gbs(double mbytes, double seconds) {
  const int threads = get_num_threads();
  const size_t bytes = static_cast<size_t>(mbytes * 1e6) / static_cast<size_t>(threads) & ~size_t{63};
  std::vector<std::vector<char>> src(static_cast<size_t>(threads)), dst(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    src[static_cast<size_t>(t)].assign(bytes, 1);
    dst[static_cast<size_t>(t)].assign(bytes, 0);
  }
  double best = 0;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    const auto t0 = Clock::now();
    parallel_for(threads, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) std::memcpy(dst[static_cast<size_t>(i)].data(), src[static_cast<size_t>(i)].data(), bytes);
    });
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    const double g = 2.0 * static_cast<double>(bytes) * threads / dt / 1e9;
    if (g > best) best = g;
  }
  return best;
}

}  // namespace convkit
