// f32 indirect GEMM microkernel, 6 output channels x 8 pixels, SSE4.1 (no FMA: mul + add).
//   c[m][0..nr) (+)= sum_k a[k][m] * rows[k][p0 + 0..nr)
// a: weights, element (k, m) at a[m*lda + k]; rows: one pointer per reduction index k, the
// pixels of a row contiguous. 12 xmm accumulators, 2 loads and 6 broadcasts per k (15 of
// the 16 xmm registers). Each output is one chain acc = acc + a*b in k order from zero, then
// added to c (accumulate), as in the AVX2 kernel: the split of the work never changes it.
// Also the depthwise row kernel and a 4x4-block transpose of this ISA.
#include <smmintrin.h>

#include "kernels.h"
#include "simd-sse41.h"

namespace convkit {

namespace {

template <bool kFull>
inline void igemm_6x8(int64_t K, const float* a, int64_t lda, const float* const* rows, int64_t p0, int64_t nr,
                      float* c, int64_t ldc, bool accumulate) {
  const float *a0p = a, *a1p = a + lda, *a2p = a + 2 * lda, *a3p = a + 3 * lda, *a4p = a + 4 * lda, *a5p = a + 5 * lda;
  __m128 c00 = _mm_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m128 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int64_t k = 0; k < K; ++k) {
    const float* b = rows[k] + p0;
    __m128 b0, b1;
    if (kFull) {
      b0 = _mm_loadu_ps(b);
      b1 = _mm_loadu_ps(b + 4);
    } else {
      b0 = load_partial(b, nr);
      b1 = load_partial(b + 4, nr - 4);
    }
    __m128 av = _mm_set1_ps(a0p[k]);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = _mm_set1_ps(a1p[k]);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = _mm_set1_ps(a2p[k]);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = _mm_set1_ps(a3p[k]);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    av = _mm_set1_ps(a4p[k]);
    c40 = madd(av, b0, c40);
    c41 = madd(av, b1, c41);
    av = _mm_set1_ps(a5p[k]);
    c50 = madd(av, b0, c50);
    c51 = madd(av, b1, c51);
  }
  // c rows are padded to a multiple of 8 floats past the tile, so full-width stores are in bounds.
  const __m128 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
  for (int m = 0; m < 6; ++m) {
    float* cr = c + m * ldc;
    if (accumulate) {
      _mm_storeu_ps(cr, _mm_add_ps(_mm_loadu_ps(cr), acc[2 * m]));
      _mm_storeu_ps(cr + 4, _mm_add_ps(_mm_loadu_ps(cr + 4), acc[2 * m + 1]));
    } else {
      _mm_storeu_ps(cr, acc[2 * m]);
      _mm_storeu_ps(cr + 4, acc[2 * m + 1]);
    }
  }
}

void f32_igemm_6x8_sse41(int64_t K, const float* a, int64_t lda, const float* const* rows, int64_t p0, int64_t nr,
                         float* c, int64_t ldc, bool accumulate) {
  if (nr == 8) igemm_6x8<true>(K, a, lda, rows, p0, nr, c, ldc, accumulate);
  else igemm_6x8<false>(K, a, lda, rows, p0, nr, c, ldc, accumulate);
}

// Depthwise: out[i] = sum_t w[t] * rows[t][p0 + i], i < n. 16 pixels per step (4 xmm), then
// 4 at a time; the last partial vector reads and writes only its n - i floats.
void f32_dwconv_sse41(int64_t T, const float* w, const float* const* rows, int64_t p0, int64_t n, float* out) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t t = 0; t < T; ++t) {
      const float* r = rows[t] + p0 + i;
      const __m128 wv = _mm_set1_ps(w[t]);
      a0 = madd(wv, _mm_loadu_ps(r), a0);
      a1 = madd(wv, _mm_loadu_ps(r + 4), a1);
      a2 = madd(wv, _mm_loadu_ps(r + 8), a2);
      a3 = madd(wv, _mm_loadu_ps(r + 12), a3);
    }
    _mm_storeu_ps(out + i, a0);
    _mm_storeu_ps(out + i + 4, a1);
    _mm_storeu_ps(out + i + 8, a2);
    _mm_storeu_ps(out + i + 12, a3);
  }
  for (; i + 4 <= n; i += 4) {
    __m128 a0 = _mm_setzero_ps();
    for (int64_t t = 0; t < T; ++t) a0 = madd(_mm_set1_ps(w[t]), _mm_loadu_ps(rows[t] + p0 + i), a0);
    _mm_storeu_ps(out + i, a0);
  }
  if (i < n) {
    __m128 a0 = _mm_setzero_ps();
    for (int64_t t = 0; t < T; ++t) a0 = madd(_mm_set1_ps(w[t]), load_partial(rows[t] + p0 + i, n - i), a0);
    store_partial(out + i, a0, n - i);
  }
}

// dst[j*dst_ld + i] = src[i*src_ld + j] for a rows x cols tile, through 4x4 register
// transposes; the ragged edges element by element.
void f32_transpose_sse41(const float* src, int64_t src_ld, float* dst, int64_t dst_ld, int64_t rows, int64_t cols) {
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    int64_t j = 0;
    for (; j + 4 <= cols; j += 4) {
      const float* s = src + i * src_ld + j;
      __m128 r0 = _mm_loadu_ps(s), r1 = _mm_loadu_ps(s + src_ld), r2 = _mm_loadu_ps(s + 2 * src_ld),
             r3 = _mm_loadu_ps(s + 3 * src_ld);
      const __m128 t0 = _mm_unpacklo_ps(r0, r1), t1 = _mm_unpackhi_ps(r0, r1), t2 = _mm_unpacklo_ps(r2, r3),
                   t3 = _mm_unpackhi_ps(r2, r3);
      r0 = _mm_movelh_ps(t0, t2);
      r1 = _mm_movehl_ps(t2, t0);
      r2 = _mm_movelh_ps(t1, t3);
      r3 = _mm_movehl_ps(t3, t1);
      float* d = dst + j * dst_ld + i;
      _mm_storeu_ps(d, r0);
      _mm_storeu_ps(d + dst_ld, r1);
      _mm_storeu_ps(d + 2 * dst_ld, r2);
      _mm_storeu_ps(d + 3 * dst_ld, r3);
    }
    for (; j < cols; ++j)
      for (int64_t ii = i; ii < i + 4; ++ii) dst[j * dst_ld + ii] = src[ii * src_ld + j];
  }
  for (; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) dst[j * dst_ld + i] = src[i * src_ld + j];
}

}  // namespace

void register_sse41_kernels(KernelTable& t) {
  t.isa = "sse4.1";
  t.transpose = f32_transpose_sse41;
  t.igemm = f32_igemm_6x8_sse41;
  t.igemm_mr = 6;
  t.igemm_nr = 8;
  t.dwconv = DwconvFn(f32_dwconv_sse41, f32_dwconv_block_sse41);
}

}  // namespace convkit
