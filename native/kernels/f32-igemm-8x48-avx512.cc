// f32 indirect GEMM microkernel, 8 output channels x 48 pixels, AVX-512F.
//   c[m][0..nr) (+)= sum_k a[m*lda + k] * rows[k][p0 + 0..nr)
// 24 zmm accumulators, 3 loads and 8 broadcasts per k: FMA-bound on two 512-bit FMA pipes.
// Remainders use k-masks (no separate tail kernel).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels.h"

namespace convkit {

namespace {

inline __mmask16 mask_of(int64_t n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }

inline void store3(float* cr, __m512 v0, __m512 v1, __m512 v2, bool accumulate) {
  if (accumulate) {
    v0 = _mm512_add_ps(_mm512_loadu_ps(cr), v0);
    v1 = _mm512_add_ps(_mm512_loadu_ps(cr + 16), v1);
    v2 = _mm512_add_ps(_mm512_loadu_ps(cr + 32), v2);
  }
  _mm512_storeu_ps(cr, v0);
  _mm512_storeu_ps(cr + 16, v1);
  _mm512_storeu_ps(cr + 32, v2);
}

// Accumulators as named variables: an array of them gets spilled by GCC.
template <bool kFull>
void igemm_8x48(int64_t K, const float* a, int64_t lda, const float* const* rows, int64_t p0, int64_t nr, float* c,
                int64_t ldc, bool accumulate) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c02 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps(), c12 = _mm512_setzero_ps(), c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c22 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps(), c32 = _mm512_setzero_ps(), c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c42 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps(), c52 = _mm512_setzero_ps(), c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c62 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps(), c72 = _mm512_setzero_ps();
  const float *a0p = a + 0 * lda, *a1p = a + 1 * lda, *a2p = a + 2 * lda, *a3p = a + 3 * lda, *a4p = a + 4 * lda, *a5p = a + 5 * lda, *a6p = a + 6 * lda, *a7p = a + 7 * lda;
  const __mmask16 k0 = mask_of(nr), k1 = mask_of(nr - 16), k2 = mask_of(nr - 32);
  (void)k0; (void)k1; (void)k2;
  for (int64_t k = 0; k < K; ++k) {
    const float* b = rows[k] + p0;
    if (kFull) {
      const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16), b2 = _mm512_loadu_ps(b + 32);
      { const __m512 av = _mm512_set1_ps(a0p[k]); c00 = _mm512_fmadd_ps(av, b0, c00); c01 = _mm512_fmadd_ps(av, b1, c01); c02 = _mm512_fmadd_ps(av, b2, c02); }
      { const __m512 av = _mm512_set1_ps(a1p[k]); c10 = _mm512_fmadd_ps(av, b0, c10); c11 = _mm512_fmadd_ps(av, b1, c11); c12 = _mm512_fmadd_ps(av, b2, c12); }
      { const __m512 av = _mm512_set1_ps(a2p[k]); c20 = _mm512_fmadd_ps(av, b0, c20); c21 = _mm512_fmadd_ps(av, b1, c21); c22 = _mm512_fmadd_ps(av, b2, c22); }
      { const __m512 av = _mm512_set1_ps(a3p[k]); c30 = _mm512_fmadd_ps(av, b0, c30); c31 = _mm512_fmadd_ps(av, b1, c31); c32 = _mm512_fmadd_ps(av, b2, c32); }
      { const __m512 av = _mm512_set1_ps(a4p[k]); c40 = _mm512_fmadd_ps(av, b0, c40); c41 = _mm512_fmadd_ps(av, b1, c41); c42 = _mm512_fmadd_ps(av, b2, c42); }
      { const __m512 av = _mm512_set1_ps(a5p[k]); c50 = _mm512_fmadd_ps(av, b0, c50); c51 = _mm512_fmadd_ps(av, b1, c51); c52 = _mm512_fmadd_ps(av, b2, c52); }
      { const __m512 av = _mm512_set1_ps(a6p[k]); c60 = _mm512_fmadd_ps(av, b0, c60); c61 = _mm512_fmadd_ps(av, b1, c61); c62 = _mm512_fmadd_ps(av, b2, c62); }
      { const __m512 av = _mm512_set1_ps(a7p[k]); c70 = _mm512_fmadd_ps(av, b0, c70); c71 = _mm512_fmadd_ps(av, b1, c71); c72 = _mm512_fmadd_ps(av, b2, c72); }
    } else {
      const __m512 b0 = _mm512_maskz_loadu_ps(k0, b), b1 = _mm512_maskz_loadu_ps(k1, b + 16), b2 = _mm512_maskz_loadu_ps(k2, b + 32);
      { const __m512 av = _mm512_set1_ps(a0p[k]); c00 = _mm512_fmadd_ps(av, b0, c00); c01 = _mm512_fmadd_ps(av, b1, c01); c02 = _mm512_fmadd_ps(av, b2, c02); }
      { const __m512 av = _mm512_set1_ps(a1p[k]); c10 = _mm512_fmadd_ps(av, b0, c10); c11 = _mm512_fmadd_ps(av, b1, c11); c12 = _mm512_fmadd_ps(av, b2, c12); }
      { const __m512 av = _mm512_set1_ps(a2p[k]); c20 = _mm512_fmadd_ps(av, b0, c20); c21 = _mm512_fmadd_ps(av, b1, c21); c22 = _mm512_fmadd_ps(av, b2, c22); }
      { const __m512 av = _mm512_set1_ps(a3p[k]); c30 = _mm512_fmadd_ps(av, b0, c30); c31 = _mm512_fmadd_ps(av, b1, c31); c32 = _mm512_fmadd_ps(av, b2, c32); }
      { const __m512 av = _mm512_set1_ps(a4p[k]); c40 = _mm512_fmadd_ps(av, b0, c40); c41 = _mm512_fmadd_ps(av, b1, c41); c42 = _mm512_fmadd_ps(av, b2, c42); }
      { const __m512 av = _mm512_set1_ps(a5p[k]); c50 = _mm512_fmadd_ps(av, b0, c50); c51 = _mm512_fmadd_ps(av, b1, c51); c52 = _mm512_fmadd_ps(av, b2, c52); }
      { const __m512 av = _mm512_set1_ps(a6p[k]); c60 = _mm512_fmadd_ps(av, b0, c60); c61 = _mm512_fmadd_ps(av, b1, c61); c62 = _mm512_fmadd_ps(av, b2, c62); }
      { const __m512 av = _mm512_set1_ps(a7p[k]); c70 = _mm512_fmadd_ps(av, b0, c70); c71 = _mm512_fmadd_ps(av, b1, c71); c72 = _mm512_fmadd_ps(av, b2, c72); }
    }
  }
  // c rows are padded past every tile, so full-width stores are in bounds.
  store3(c + 0 * ldc, c00, c01, c02, accumulate);
  store3(c + 1 * ldc, c10, c11, c12, accumulate);
  store3(c + 2 * ldc, c20, c21, c22, accumulate);
  store3(c + 3 * ldc, c30, c31, c32, accumulate);
  store3(c + 4 * ldc, c40, c41, c42, accumulate);
  store3(c + 5 * ldc, c50, c51, c52, accumulate);
  store3(c + 6 * ldc, c60, c61, c62, accumulate);
  store3(c + 7 * ldc, c70, c71, c72, accumulate);
}

// The last tile of a row of tiles is often short: 16 pixels (one zmm per channel) wastes
// fewer lanes than a masked 48. Same FMA chain per pixel, so the same bits.
template <bool kFull>
void igemm_8x16(int64_t K, const float* a, int64_t lda, const float* const* rows, int64_t p0, int64_t nr, float* c,
                int64_t ldc, bool accumulate) {
  __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  const float *a0p = a, *a1p = a + lda, *a2p = a + 2 * lda, *a3p = a + 3 * lda, *a4p = a + 4 * lda,
              *a5p = a + 5 * lda, *a6p = a + 6 * lda, *a7p = a + 7 * lda;
  const __mmask16 k0 = mask_of(nr);
  for (int64_t k = 0; k < K; ++k) {
    const float* b = rows[k] + p0;
    const __m512 b0 = kFull ? _mm512_loadu_ps(b) : _mm512_maskz_loadu_ps(k0, b);
    c0 = _mm512_fmadd_ps(_mm512_set1_ps(a0p[k]), b0, c0);
    c1 = _mm512_fmadd_ps(_mm512_set1_ps(a1p[k]), b0, c1);
    c2 = _mm512_fmadd_ps(_mm512_set1_ps(a2p[k]), b0, c2);
    c3 = _mm512_fmadd_ps(_mm512_set1_ps(a3p[k]), b0, c3);
    c4 = _mm512_fmadd_ps(_mm512_set1_ps(a4p[k]), b0, c4);
    c5 = _mm512_fmadd_ps(_mm512_set1_ps(a5p[k]), b0, c5);
    c6 = _mm512_fmadd_ps(_mm512_set1_ps(a6p[k]), b0, c6);
    c7 = _mm512_fmadd_ps(_mm512_set1_ps(a7p[k]), b0, c7);
  }
  const __m512 acc[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
  for (int m = 0; m < 8; ++m) {
    float* cr = c + m * ldc;
    _mm512_storeu_ps(cr, accumulate ? _mm512_add_ps(_mm512_loadu_ps(cr), acc[m]) : acc[m]);
  }
}

// 17..32 pixels: two zmm per channel (16 accumulators), not a third of a masked 48 wasted.
template <bool kFull>
void igemm_8x32(int64_t K, const float* a, int64_t lda, const float* const* rows, int64_t p0, int64_t nr, float* c,
                int64_t ldc, bool accumulate) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
         c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  const float *a0p = a, *a1p = a + lda, *a2p = a + 2 * lda, *a3p = a + 3 * lda, *a4p = a + 4 * lda,
              *a5p = a + 5 * lda, *a6p = a + 6 * lda, *a7p = a + 7 * lda;
  const __mmask16 k1 = mask_of(nr - 16);
  (void)k1;
  for (int64_t k = 0; k < K; ++k) {
    const float* b = rows[k] + p0;
    const __m512 b0 = _mm512_loadu_ps(b), b1 = kFull ? _mm512_loadu_ps(b + 16) : _mm512_maskz_loadu_ps(k1, b + 16);
    { const __m512 av = _mm512_set1_ps(a0p[k]); c00 = _mm512_fmadd_ps(av, b0, c00); c01 = _mm512_fmadd_ps(av, b1, c01); }
    { const __m512 av = _mm512_set1_ps(a1p[k]); c10 = _mm512_fmadd_ps(av, b0, c10); c11 = _mm512_fmadd_ps(av, b1, c11); }
    { const __m512 av = _mm512_set1_ps(a2p[k]); c20 = _mm512_fmadd_ps(av, b0, c20); c21 = _mm512_fmadd_ps(av, b1, c21); }
    { const __m512 av = _mm512_set1_ps(a3p[k]); c30 = _mm512_fmadd_ps(av, b0, c30); c31 = _mm512_fmadd_ps(av, b1, c31); }
    { const __m512 av = _mm512_set1_ps(a4p[k]); c40 = _mm512_fmadd_ps(av, b0, c40); c41 = _mm512_fmadd_ps(av, b1, c41); }
    { const __m512 av = _mm512_set1_ps(a5p[k]); c50 = _mm512_fmadd_ps(av, b0, c50); c51 = _mm512_fmadd_ps(av, b1, c51); }
    { const __m512 av = _mm512_set1_ps(a6p[k]); c60 = _mm512_fmadd_ps(av, b0, c60); c61 = _mm512_fmadd_ps(av, b1, c61); }
    { const __m512 av = _mm512_set1_ps(a7p[k]); c70 = _mm512_fmadd_ps(av, b0, c70); c71 = _mm512_fmadd_ps(av, b1, c71); }
  }
  auto st = [&](float* cr, __m512 v0, __m512 v1) {
    if (accumulate) {
      v0 = _mm512_add_ps(_mm512_loadu_ps(cr), v0);
      v1 = _mm512_add_ps(_mm512_loadu_ps(cr + 16), v1);
    }
    _mm512_storeu_ps(cr, v0);
    _mm512_storeu_ps(cr + 16, v1);
  };
  st(c + 0 * ldc, c00, c01); st(c + 1 * ldc, c10, c11); st(c + 2 * ldc, c20, c21); st(c + 3 * ldc, c30, c31);
  st(c + 4 * ldc, c40, c41); st(c + 5 * ldc, c50, c51); st(c + 6 * ldc, c60, c61); st(c + 7 * ldc, c70, c71);
}

void f32_igemm_8x48_avx512(int64_t K, const float* a, int64_t lda, const float* const* rows, int64_t p0, int64_t nr,
                           float* c, int64_t ldc, bool accumulate) {
  if (nr == 16) igemm_8x16<true>(K, a, lda, rows, p0, nr, c, ldc, accumulate);
  else if (nr < 16) igemm_8x16<false>(K, a, lda, rows, p0, nr, c, ldc, accumulate);
  else if (nr == 32) igemm_8x32<true>(K, a, lda, rows, p0, nr, c, ldc, accumulate);
  else if (nr < 32) igemm_8x32<false>(K, a, lda, rows, p0, nr, c, ldc, accumulate);
  else if (nr == 48) igemm_8x48<true>(K, a, lda, rows, p0, nr, c, ldc, accumulate);
  else igemm_8x48<false>(K, a, lda, rows, p0, nr, c, ldc, accumulate);
}

// Depthwise: out[i] = sum_t w[t] * rows[t][p0 + i], i < n. 64 pixels per step (4 zmm).
void f32_dwconv_avx512(int64_t T, const float* w, const float* const* rows, int64_t p0, int64_t n, float* out) {
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t t = 0; t < T; ++t) {
      const float* r = rows[t] + p0 + i;
      const __m512 wv = _mm512_set1_ps(w[t]);
      a0 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(r), a0);
      a1 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(r + 16), a1);
      a2 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(r + 32), a2);
      a3 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(r + 48), a3);
    }
    _mm512_storeu_ps(out + i, a0);
    _mm512_storeu_ps(out + i + 16, a1);
    _mm512_storeu_ps(out + i + 32, a2);
    _mm512_storeu_ps(out + i + 48, a3);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = mask_of(n - i);
    __m512 a0 = _mm512_setzero_ps();
    for (int64_t t = 0; t < T; ++t)
      a0 = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), _mm512_maskz_loadu_ps(m, rows[t] + p0 + i), a0);
    _mm512_mask_storeu_ps(out + i, m, a0);
  }
}

// y = (raw * scale + b) * post with 64-byte non-temporal stores: a whole line per store, so
// the write-combining buffers never flush a partial line (16-byte streams did, on Zen 5).
// Masked head and tail. fp-contract off: the multiply and add stay two roundings, as in the
// portable epilogue, however the compiler would fuse them.
template <bool kScale, bool kPost>
__attribute__((optimize("fp-contract=off"))) void stream_row(const float* raw, float b, const float* scale,
                                                            const float* post, float* y, int64_t n) {
  const __m512 bv = _mm512_set1_ps(b);
  auto val = [&](__mmask16 m, int64_t i) {
    __m512 v = _mm512_maskz_loadu_ps(m, raw + i);
    if (kScale) v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, scale + i));
    v = _mm512_add_ps(v, bv);
    if (kPost) v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, post + i));
    return v;
  };
  int64_t i = std::min<int64_t>(n, static_cast<int64_t>((64 - (reinterpret_cast<uintptr_t>(y) & 63)) & 63) / 4);
  if (i > 0) _mm512_mask_storeu_ps(y, mask_of(i), val(mask_of(i), 0));
  if ((reinterpret_cast<uintptr_t>(y + i) & 63) == 0)
    for (; i + 16 <= n; i += 16) _mm512_stream_ps(y + i, val(0xFFFF, i));
  for (; i < n; i += 16) _mm512_mask_storeu_ps(y + i, mask_of(n - i), val(mask_of(n - i), i));
}

void f32_stream_row_avx512(const float* raw, float b, const float* scale, const float* post, float* y, int64_t n) {
  if (scale && post) stream_row<true, true>(raw, b, scale, post, y, n);
  else if (scale) stream_row<true, false>(raw, b, scale, post, y, n);
  else if (post) stream_row<false, true>(raw, b, scale, post, y, n);
  else stream_row<false, false>(raw, b, scale, post, y, n);
}

}  // namespace

void register_avx512_kernels(KernelTable& t) {
  t.stream_row = f32_stream_row_avx512;
  t.isa = "avx512f";
  t.igemm = f32_igemm_8x48_avx512;
  t.igemm_mr = 8;
  t.igemm_nr = 48;
  t.igemm_pk = nullptr;       // (AVX2's packed kernel is 6 channels wide: not this igemm's blocks)
  t.igemm_pk_narrow = nullptr;
  for (auto& dims : t.winograd)  // (Winograd runs over igemm_pk; not measured on AVX-512: the direct sums)
    for (auto& form : dims) form = KernelTable::WinogradFns{};
  t.conv1d_in_place = true;   // (measured on Zen 5: ops/conv_fast.cc)
  t.wide_bands = true;        // (measured on Zen 5: ops/conv_fast.cc)
  t.dwconv = DwconvFn(f32_dwconv_avx512, f32_dwconv_block_avx512);
  t.dwconv_flat = f32_dwconv_flat_avx512;
}

}  // namespace convkit
