// f32 pixel-major indirect GEMM microkernel, up to 8 pixels x 32 output channels, AVX-512F.
//   c[i*32 + j] (+)= sum_k wp[k*32 + j] * rows[k][p0 + i]     (i < mr, j < 32)
// The transpose of the igemm (f32-igemm-8x48-avx512.cc): output channels in the vector lanes,
// pixels broadcast, as XNNPACK's NHWC igemm. It serves small maps, where a row of 16 pixel
// lanes is mostly padding (a 7x7 map fills 49 of 64), from weights packed k-major, 32
// channels wide. Each output is the same FMA chain over k from zero, then (+ c): the same bits
// as the igemm's for the same chunk of k.
#include <immintrin.h>

#include "kernels.h"
#include "pgemm-common.h"

namespace convkit {

namespace {

template <int MR, bool kStrided>
void pgemm(int64_t K, const float* wp, const float* const* rows, int64_t p0, float* c, bool accumulate, int64_t ps) {
  __m512 acc[MR][2];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    const float* b = rows[k] + (kStrided ? p0 * ps : p0);
    const __m512 w0 = _mm512_loadu_ps(wp + k * 32), w1 = _mm512_loadu_ps(wp + k * 32 + 16);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512 bv = _mm512_set1_ps(b[kStrided ? i * ps : i]);
      acc[i][0] = _mm512_fmadd_ps(w0, bv, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(w1, bv, acc[i][1]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    float* cr = c + i * 32;
    if (accumulate) {
      acc[i][0] = _mm512_add_ps(_mm512_loadu_ps(cr), acc[i][0]);
      acc[i][1] = _mm512_add_ps(_mm512_loadu_ps(cr + 16), acc[i][1]);
    }
    _mm512_storeu_ps(cr, acc[i][0]);
    _mm512_storeu_ps(cr + 16, acc[i][1]);
  }
}

// (nc unused: a panel's 32 channels computed whatever its count.)
void f32_pgemm_8x32_avx512(int64_t K, const float* wp, const float* const* rows, int64_t p0, int64_t mr, float* c,
                         bool accumulate, int64_t ps, int64_t /*nc*/, const char* const* pf, int64_t npf) {
  for (int64_t l = 0; l < npf; ++l) _mm_prefetch(pf[l], _MM_HINT_T1);  // (all at once)
  if (ps == 1)
    with_mr<8>(mr, [&](auto n) { pgemm<decltype(n)::value, false>(K, wp, rows, p0, c, accumulate, 1); });  // (tiles of 1..8 pixels)
  else
    with_mr<8>(mr, [&](auto n) { pgemm<decltype(n)::value, true>(K, wp, rows, p0, c, accumulate, ps); });
}

}  // namespace

void register_avx512_pgemm(KernelTable& t) {
  t.pgemm = f32_pgemm_8x32_avx512;
  t.pgemm_mr = 8;
  t.pgemm_mr_narrow = 0;  // (the AVX2 entry's runs of 12 pixels: not this kernel's)
  t.pgemm_nr = 32;
  t.pgemm_min_ratio = 1.2;  // W4 (7x7, 1.31) gains; forced on 56x56 maps (1.06) it lost at 1 thread
}

}  // namespace convkit
