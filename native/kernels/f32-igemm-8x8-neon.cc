// f32 indirect GEMM microkernel, 8 output channels x 8 pixels, NEON (AArch64 only).
//   c[m][0..nr) (+)= sum_k a[k][m] * rows[k][p0 + 0..nr)
// a: weights, element (k, m) at a[m*lda + k]; rows: one pointer per reduction index k, the
// pixels of a row contiguous. 16 q accumulators; per 4 reduction steps, one load of 4
// weights per channel row, then per step 2 pixel loads and 16 FMAs by weight lane
// (vfmaq_laneq_f32). Each output is one FMA chain in k order from zero, then added to c
// (accumulate), as in the x86 kernels: the split of the work never changes it.
// Also the depthwise row kernel and a 4x4-block transpose of this ISA.
#if defined(__aarch64__)
#include <arm_neon.h>

#include "kernels.h"
#include "simd-neon.h"

namespace convkit {

namespace {

// Accumulators as named variables (an array of them may be spilled).
#define CONVKIT_ROWS8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

template <bool kFull>
inline void igemm_8x8(int64_t K, const float* a, int64_t lda, const float* const* rows, int64_t p0, int64_t nr,
                      float* c, int64_t ldc, bool accumulate) {
#define CONVKIT_DECL(m)                                 \
  const float* a##m##p = a + (m) * lda;                 \
  float32x4_t c##m##0 = vdupq_n_f32(0.f), c##m##1 = c##m##0;
  CONVKIT_ROWS8(CONVKIT_DECL)
#undef CONVKIT_DECL
  auto load_b = [&](int64_t k, float32x4_t& b0, float32x4_t& b1) {
    const float* b = rows[k] + p0;
    if (kFull) {
      b0 = vld1q_f32(b);
      b1 = vld1q_f32(b + 4);
    } else {
      b0 = load_partial(b, nr);
      b1 = load_partial(b + 4, nr - 4);
    }
  };
  int64_t k = 0;
  for (; k + 4 <= K; k += 4) {
#define CONVKIT_LOAD_A(m) const float32x4_t a##m = vld1q_f32(a##m##p + k);
    CONVKIT_ROWS8(CONVKIT_LOAD_A)
#undef CONVKIT_LOAD_A
    float32x4_t b0, b1;
#define CONVKIT_FMA_LANE(m)                           \
  c##m##0 = vfmaq_laneq_f32(c##m##0, b0, a##m, L); \
  c##m##1 = vfmaq_laneq_f32(c##m##1, b1, a##m, L);
#define CONVKIT_STEP(lane)              \
  {                                     \
    constexpr int L = lane;             \
    load_b(k + L, b0, b1);              \
    CONVKIT_ROWS8(CONVKIT_FMA_LANE)     \
  }
    CONVKIT_STEP(0)
    CONVKIT_STEP(1)
    CONVKIT_STEP(2)
    CONVKIT_STEP(3)
#undef CONVKIT_STEP
#undef CONVKIT_FMA_LANE
  }
  for (; k < K; ++k) {
    float32x4_t b0, b1;
    load_b(k, b0, b1);
#define CONVKIT_FMA_N(m)                           \
  c##m##0 = vfmaq_n_f32(c##m##0, b0, a##m##p[k]); \
  c##m##1 = vfmaq_n_f32(c##m##1, b1, a##m##p[k]);
    CONVKIT_ROWS8(CONVKIT_FMA_N)
#undef CONVKIT_FMA_N
  }
  // c rows are padded to a multiple of 8 floats past the tile, so full-width stores are in bounds.
#define CONVKIT_STORE(m)                                              \
  {                                                                   \
    float* cr = c + (m) * ldc;                                        \
    if (accumulate) {                                                 \
      vst1q_f32(cr, vaddq_f32(vld1q_f32(cr), c##m##0));               \
      vst1q_f32(cr + 4, vaddq_f32(vld1q_f32(cr + 4), c##m##1));       \
    } else {                                                          \
      vst1q_f32(cr, c##m##0);                                         \
      vst1q_f32(cr + 4, c##m##1);                                     \
    }                                                                 \
  }
  CONVKIT_ROWS8(CONVKIT_STORE)
#undef CONVKIT_STORE
}

#undef CONVKIT_ROWS8

void f32_igemm_8x8_neon(int64_t K, const float* a, int64_t lda, const float* const* rows, int64_t p0, int64_t nr,
                        float* c, int64_t ldc, bool accumulate) {
  if (nr == 8) igemm_8x8<true>(K, a, lda, rows, p0, nr, c, ldc, accumulate);
  else igemm_8x8<false>(K, a, lda, rows, p0, nr, c, ldc, accumulate);
}

// Depthwise: out[i] = sum_t w[t] * rows[t][p0 + i], i < n. 16 pixels per step (4 q), then
// 4 at a time; the last partial vector reads and writes only its n - i floats.
void f32_dwconv_neon(int64_t T, const float* w, const float* const* rows, int64_t p0, int64_t n, float* out) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    float32x4_t a0 = vdupq_n_f32(0.f), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t t = 0; t < T; ++t) {
      const float* r = rows[t] + p0 + i;
      const float32x4_t wv = vdupq_n_f32(w[t]);
      a0 = vfmaq_f32(a0, wv, vld1q_f32(r));
      a1 = vfmaq_f32(a1, wv, vld1q_f32(r + 4));
      a2 = vfmaq_f32(a2, wv, vld1q_f32(r + 8));
      a3 = vfmaq_f32(a3, wv, vld1q_f32(r + 12));
    }
    vst1q_f32(out + i, a0);
    vst1q_f32(out + i + 4, a1);
    vst1q_f32(out + i + 8, a2);
    vst1q_f32(out + i + 12, a3);
  }
  for (; i + 4 <= n; i += 4) {
    float32x4_t a0 = vdupq_n_f32(0.f);
    for (int64_t t = 0; t < T; ++t) a0 = vfmaq_f32(a0, vdupq_n_f32(w[t]), vld1q_f32(rows[t] + p0 + i));
    vst1q_f32(out + i, a0);
  }
  if (i < n) {
    float32x4_t a0 = vdupq_n_f32(0.f);
    for (int64_t t = 0; t < T; ++t) a0 = vfmaq_f32(a0, vdupq_n_f32(w[t]), load_partial(rows[t] + p0 + i, n - i));
    store_partial(out + i, a0, n - i);
  }
}

// dst[j*dst_ld + i] = src[i*src_ld + j] for a rows x cols tile, through 4x4 register
// transposes (trn1/trn2 on 32-bit, then on 64-bit lanes); the ragged edges element by element.
void f32_transpose_neon(const float* src, int64_t src_ld, float* dst, int64_t dst_ld, int64_t rows, int64_t cols) {
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    int64_t j = 0;
    for (; j + 4 <= cols; j += 4) {
      const float* s = src + i * src_ld + j;
      const float32x4_t r0 = vld1q_f32(s), r1 = vld1q_f32(s + src_ld), r2 = vld1q_f32(s + 2 * src_ld),
                        r3 = vld1q_f32(s + 3 * src_ld);
      const float64x2_t t0 = vreinterpretq_f64_f32(vtrn1q_f32(r0, r1)), t1 = vreinterpretq_f64_f32(vtrn2q_f32(r0, r1)),
                        t2 = vreinterpretq_f64_f32(vtrn1q_f32(r2, r3)), t3 = vreinterpretq_f64_f32(vtrn2q_f32(r2, r3));
      float* d = dst + j * dst_ld + i;
      vst1q_f32(d, vreinterpretq_f32_f64(vtrn1q_f64(t0, t2)));
      vst1q_f32(d + dst_ld, vreinterpretq_f32_f64(vtrn1q_f64(t1, t3)));
      vst1q_f32(d + 2 * dst_ld, vreinterpretq_f32_f64(vtrn2q_f64(t0, t2)));
      vst1q_f32(d + 3 * dst_ld, vreinterpretq_f32_f64(vtrn2q_f64(t1, t3)));
    }
    for (; j < cols; ++j)
      for (int64_t ii = i; ii < i + 4; ++ii) dst[j * dst_ld + ii] = src[ii * src_ld + j];
  }
  for (; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) dst[j * dst_ld + i] = src[i * src_ld + j];
}

}  // namespace

void register_neon_kernels(KernelTable& t) {
  t.isa = "neon";
  t.transpose = f32_transpose_neon;
  t.igemm = f32_igemm_8x8_neon;
  t.igemm_mr = 8;
  t.igemm_nr = 8;
  t.dwconv = DwconvFn(f32_dwconv_neon, f32_dwconv_block_neon);
}

}  // namespace convkit

#endif  // __aarch64__
