// f32 pixel-major indirect GEMM microkernel, up to 4 pixels x 24 output channels, AVX2 + FMA.
//   c[i*24 + j] (+)= sum_k wp[k*24 + j] * rows[k][p0 + i]     (i < mr, j < 24)
// The AVX2 counterpart of f32-pgemm-8x32-avx512.cc (see there): 12 accumulators, 3 weight
// vectors and a broadcast fill the 16 ymm registers. 24 channels = 4 of the AVX2 igemm's
// 6-channel blocks. The same FMA chain per output as the igemm (6x16), so the same bits.
#include <immintrin.h>

#include "kernels.h"
#include "pgemm-common.h"

namespace convkit {

namespace {

// NV (1..3) of the three channel vectors: a panel's first 8 * NV channels (a last panel of
// Cout % 24: W8's 128 = 5 x 24 + 8, W4's 512 = 21 x 24 + 8).
template <int MR, int NV, bool kStrided>
void pgemm(int64_t K, const float* wp, const float* const* rows, int64_t p0, float* c, bool accumulate, int64_t ps,
           const char* const* pf, int64_t npf) {
  static_assert(MR * NV <= 12, "12 accumulators");
  __m256 acc[MR][3];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = acc[i][2] = _mm256_setzero_ps();
  auto step = [&](int64_t k) __attribute__((always_inline)) {
    const float* b = rows[k] + (kStrided ? p0 * ps : p0);
    const __m256 w0 = _mm256_loadu_ps(wp + k * 24);
    const __m256 w1 = NV > 1 ? _mm256_loadu_ps(wp + k * 24 + 8) : w0;
    const __m256 w2 = NV > 2 ? _mm256_loadu_ps(wp + k * 24 + 16) : w0;
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m256 bv = _mm256_broadcast_ss(b + (kStrided ? i * ps : i));
      acc[i][0] = _mm256_fmadd_ps(w0, bv, acc[i][0]);
      if (NV > 1) acc[i][1] = _mm256_fmadd_ps(w1, bv, acc[i][1]);
      if (NV > 2) acc[i][2] = _mm256_fmadd_ps(w2, bv, acc[i][2]);
    }
  };
  int64_t k = 0;
  if (npf > 0) {
    // The caller's lines fetched one at a time, spread over the loop (a burst of them before
    // the call would fill the miss buffers and stall the kernel's own loads).
    const int64_t every = K / npf > 0 ? K / npf : 1;
    for (int64_t l = 0; l < npf; ++l) {
      _mm_prefetch(pf[l], _MM_HINT_T1);
      const int64_t ke = k + every < K ? k + every : K;
      for (; k < ke; ++k) step(k);
    }
  }
  for (; k < K; ++k) step(k);
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    float* cr = c + i * 24;
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) {
      __m256 r = acc[i][v];
      if (accumulate) r = _mm256_add_ps(_mm256_loadu_ps(cr + 8 * v), r);
      _mm256_storeu_ps(cr + 8 * v, r);
    }
  }
}

// NV = 1 (a panel's last 8 channels or fewer): up to 12 pixels, a run of 3 tiles at once
// (12 accumulators, as the 4 x 24 tile; one tile alone had 4 FMA chains, half the pipes'
// rate). Else tiles of 1..4 pixels.
template <int NV>
void pgemm_nv(int64_t K, const float* wp, const float* const* rows, int64_t p0, int64_t mr, float* c, bool accumulate,
              int64_t ps, const char* const* pf, int64_t npf) {
  constexpr int kMax = NV == 1 ? 12 : 4;
  if (ps == 1)
    with_mr<kMax>(mr, [&](auto n) { pgemm<decltype(n)::value, NV, false>(K, wp, rows, p0, c, accumulate, 1, pf, npf); });
  else
    with_mr<kMax>(mr, [&](auto n) { pgemm<decltype(n)::value, NV, true>(K, wp, rows, p0, c, accumulate, ps, pf, npf); });
}

void f32_pgemm_4x24_avx2(int64_t K, const float* wp, const float* const* rows, int64_t p0, int64_t mr, float* c,
                         bool accumulate, int64_t ps, int64_t nc, const char* const* pf, int64_t npf) {
  if (nc <= 8) pgemm_nv<1>(K, wp, rows, p0, mr, c, accumulate, ps, pf, npf);
  else if (nc <= 16) pgemm_nv<2>(K, wp, rows, p0, mr, c, accumulate, ps, pf, npf);
  else pgemm_nv<3>(K, wp, rows, p0, mr, c, accumulate, ps, pf, npf);
}

}  // namespace

void register_avx2_pgemm(KernelTable& t) {
  t.pgemm = f32_pgemm_4x24_avx2;
  t.pgemm_mr = 4;
  t.pgemm_nr = 24;
  t.pgemm_mr_narrow = 12;  // (nc <= 8)
  t.pgemm_min_ratio = 1.1;  // W4 (7x7: 64 lanes for 56, 1.14): 3.16-3.19 -> 2.64-2.82 ms at 1 thread, 1.57-1.60 -> 1.46-1.48 at 2
}

}  // namespace convkit
