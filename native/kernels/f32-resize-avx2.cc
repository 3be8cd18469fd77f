// f32 resampling rows for interpolate, AVX2 (see ResizeRowPlan in kernels.h).
//   row:     8 outputs per block, each tap two vpermps and a blend from a 16-float window of
//            the row (masked loads at the row's end; a gather for wide downscales).
//   combine: weighted sum of up to 4 rows (more in a loop), optionally streamed out by whole
//            cache lines (non-temporal stores) into a run of rows (ResizeStream).
// Products and sums are rounded separately, in tap order, as the portable loops do: the
// empty asm after each multiply keeps the compiler from contracting it into an FMA.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels.h"
#include "resize-common.h"

namespace convkit {

namespace {

// Lanes l < n set (n clamped to 0..8), as a maskload/maskstore mask.
inline __m256i mask_of(int64_t n) {
  const int32_t k = static_cast<int32_t>(n < 0 ? 0 : n > 8 ? 8 : n);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline __m256 mul(__m256 a, __m256 b) {
  __m256 r = _mm256_mul_ps(a, b);
  asm("" : "+x"(r));
  return r;
}

template <int kKind>
inline __m256 pick(__m256 lo, __m256 hi, const float* x, const int32_t* id) {
  const __m256i ix = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(id));
  if (kKind == 2) return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), x, ix, _mm256_castsi256_ps(_mm256_set1_epi32(-1)), 4);
  const __m256 a = _mm256_permutevar8x32_ps(lo, ix), b = _mm256_permutevar8x32_ps(hi, ix);
  return _mm256_blendv_ps(a, b, _mm256_castsi256_ps(_mm256_slli_epi32(ix, 28)));  // index bit 3: hi
}

template <int kTaps, int kKind>
inline __m256 row_block(const ResizeRowPlan& p, const float* x, int64_t b) {
  const int32_t* id = p.idx + b * kTaps * 8;
  const float* w = p.wt + b * kTaps * 8;
  __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
  if (kKind == 0) {
    const float* xb = x + p.base[b];
    lo = _mm256_loadu_ps(xb);
    hi = _mm256_loadu_ps(xb + 8);
  } else if (kKind == 1) {
    const float* xb = x + p.base[b];
    const int64_t valid = p.n_in - p.base[b];
    lo = _mm256_maskload_ps(xb, mask_of(valid));
    hi = _mm256_maskload_ps(xb + 8, mask_of(valid - 8));
  }
  __m256 acc = pick<kKind>(lo, hi, x, id);
  if (kTaps == 1) return acc;
  acc = mul(acc, _mm256_loadu_ps(w));
  for (int t = 1; t < kTaps; ++t) acc = _mm256_add_ps(acc, mul(pick<kKind>(lo, hi, x, id + 8 * t), _mm256_loadu_ps(w + 8 * t)));
  return acc;
}

template <int kTaps>
void row_taps(const ResizeRowPlan& p, const float* x, float* y) {
  const int32_t* const base = p.base;
  const int32_t* const kind = p.kind;
  const int32_t* const run = p.run;
  const int64_t blocks = p.blocks, full = p.n_out / 8;
  for (int64_t b = 0; b < blocks;) {
    if (run[b] > 1) {  // a periodic run: indices and weights stay in registers
      const int32_t* id = p.idx + b * kTaps * 8;
      const float* w = p.wt + b * kTaps * 8;
      __m256i ix[kTaps];
      __m256 sel[kTaps], wv[kTaps];
      for (int t = 0; t < kTaps; ++t) {
        ix[t] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(id + 8 * t));
        sel[t] = _mm256_castsi256_ps(_mm256_slli_epi32(ix[t], 28));  // index bit 3: hi
        wv[t] = _mm256_loadu_ps(w + 8 * t);
      }
      for (const int64_t e = b + run[b]; b < e; ++b) {
        const float* xb = x + base[b];
        const __m256 lo = _mm256_loadu_ps(xb), hi = _mm256_loadu_ps(xb + 8);
        __m256 acc;
        for (int t = 0; t < kTaps; ++t) {
          const __m256 v = _mm256_blendv_ps(_mm256_permutevar8x32_ps(lo, ix[t]), _mm256_permutevar8x32_ps(hi, ix[t]), sel[t]);
          if (kTaps == 1) acc = v;
          else if (t == 0) acc = mul(v, wv[0]);
          else acc = _mm256_add_ps(acc, mul(v, wv[t]));
        }
        _mm256_storeu_ps(y + 8 * b, acc);
      }
      continue;
    }
    __m256 v;
    switch (kind[b]) {
      case 0: v = row_block<kTaps, 0>(p, x, b); break;
      case 1: v = row_block<kTaps, 1>(p, x, b); break;
      default: v = row_block<kTaps, 2>(p, x, b); break;
    }
    if (b < full) _mm256_storeu_ps(y + 8 * b, v);
    else _mm256_maskstore_ps(y + 8 * b, mask_of(p.n_out - 8 * b), v);
    ++b;
  }
}

void f32_resize_row_avx2(const ResizeRowPlan& p, const float* x, float* y) {
  switch (p.taps) {
    case 1: row_taps<1>(p, x, y); break;
    case 2: row_taps<2>(p, x, y); break;
    case 3: row_taps<3>(p, x, y); break;
    case 4: row_taps<4>(p, x, y); break;
    default: resize_row_any(p, 8, x, y); break;
  }
}

template <int kTaps>
struct Comb {
  const float* r[kTaps > 0 ? kTaps : 1];
  __m256 w[kTaps > 0 ? kTaps : 1];
  Comb(const float* const* rows, const float* wt) {
    for (int t = 0; t < (kTaps > 0 ? kTaps : 1); ++t) r[t] = rows[t];
    for (int t = 0; t < kTaps; ++t) w[t] = _mm256_set1_ps(wt[t]);
  }
  // kTaps == 0: a copy of rows[0].
  __m256 at(int64_t i) const {
    if (kTaps == 0) return _mm256_loadu_ps(r[0] + i);
    __m256 acc = mul(_mm256_loadu_ps(r[0] + i), w[0]);
    for (int t = 1; t < kTaps; ++t) acc = _mm256_add_ps(acc, mul(_mm256_loadu_ps(r[t] + i), w[t]));
    return acc;
  }
  float at1(int64_t i) const {
    if (kTaps == 0) return r[0][i];
    float acc = mul1(r[0][i], wt0());
    for (int t = 1; t < kTaps; ++t) acc = acc + mul1(r[t][i], _mm256_cvtss_f32(w[t]));
    return acc;
  }
  float wt0() const { return kTaps == 0 ? 1.f : _mm256_cvtss_f32(w[0]); }
};

void f32_resize_finish_avx2(ResizeStream* st, float* end) {
  const int64_t off = static_cast<int64_t>(reinterpret_cast<uintptr_t>(end) % 64 / sizeof(float));
  if (off != 0) {
    float* line = end - off;
    for (int64_t l = st->begin > line ? st->begin - line : 0; l < off; ++l) line[l] = st->line[l];
  }
  _mm_sfence();
}

template <int kTaps>
void combine_taps(const float* const* rows, const float* wt, int64_t n, float* y, ResizeStream* st) {
  const Comb<kTaps> c(rows, wt);
  int64_t i = 0;
  if (!st) {
    for (; i + 16 <= n; i += 16) {
      const __m256 v0 = c.at(i), v1 = c.at(i + 8);
      _mm256_storeu_ps(y + i, v0);
      _mm256_storeu_ps(y + i + 8, v1);
    }
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, c.at(i));
    for (; i < n; ++i) y[i] = c.at1(i);
    return;
  }
  const int64_t off = static_cast<int64_t>(reinterpret_cast<uintptr_t>(y) % 64 / sizeof(float));
  if (off != 0) {  // complete the run's pending line
    float* line = y - off;
    const int64_t h = std::min<int64_t>(n, 16 - off);
    for (int64_t l = 0; l < h; ++l) st->line[off + l] = c.at1(l);
    if (off + h < 16) return;
    const int64_t lo = st->begin > line ? st->begin - line : 0;
    if (lo == 0) {
      _mm256_stream_ps(line, _mm256_load_ps(st->line));
      _mm256_stream_ps(line + 8, _mm256_load_ps(st->line + 8));
    } else {
      for (int64_t l = lo; l < 16; ++l) line[l] = st->line[l];
    }
    i = h;
  }
  for (; i + 16 <= n; i += 16) {
    const __m256 v0 = c.at(i), v1 = c.at(i + 8);
    _mm256_stream_ps(y + i, v0);
    _mm256_stream_ps(y + i + 8, v1);
  }
  for (int64_t l = 0; i + l < n; ++l) st->line[l] = c.at1(i + l);
}

void combine_any(int taps, const float* const* rows, const float* wt, int64_t n, float* y) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 acc = mul(_mm256_loadu_ps(rows[0] + i), _mm256_set1_ps(wt[0]));
    for (int t = 1; t < taps; ++t) acc = _mm256_add_ps(acc, mul(_mm256_loadu_ps(rows[t] + i), _mm256_set1_ps(wt[t])));
    _mm256_storeu_ps(y + i, acc);
  }
  for (; i < n; ++i) {
    float acc = mul1(rows[0][i], wt[0]);
    for (int t = 1; t < taps; ++t) acc = acc + mul1(rows[t][i], wt[t]);
    y[i] = acc;
  }
}

void f32_resize_combine_avx2(int taps, const float* const* rows, const float* w, int64_t n, float* y, ResizeStream* st) {
  if (taps == 1 && w[0] == 1.f) return combine_taps<0>(rows, w, n, y, st);
  switch (taps) {
    case 1: return combine_taps<1>(rows, w, n, y, st);
    case 2: return combine_taps<2>(rows, w, n, y, st);
    case 3: return combine_taps<3>(rows, w, n, y, st);
    case 4: return combine_taps<4>(rows, w, n, y, st);
    default: break;
  }
  // Many taps (area-like): plain stores, the pending line's values included.
  if (st) f32_resize_finish_avx2(st, y);
  combine_any(taps, rows, w, n, y);
  if (!st) return;
  const int64_t e = static_cast<int64_t>(reinterpret_cast<uintptr_t>(y + n) % 64 / sizeof(float));
  for (int64_t l = 0; l < e; ++l) st->line[l] = y[n - e + l];
}

template <bool kStream>
void dup2_rows(const float* x, int64_t n, float* const* ys, int ny) {
  const __m256i lo = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3), hi = _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7);
  auto put = [](float* p, __m256 v) {
    if (kStream) _mm256_stream_ps(p, v);
    else _mm256_storeu_ps(p, v);
  };
  for (int64_t i = 0; i + 8 <= n; i += 8) {  // (n is a multiple of 8)
    const __m256 v = _mm256_loadu_ps(x + i), a = _mm256_permutevar8x32_ps(v, lo), b = _mm256_permutevar8x32_ps(v, hi);
    for (int r = 0; r < ny; ++r) {
      put(ys[r] + 2 * i, a);
      put(ys[r] + 2 * i + 8, b);
    }
  }
}

void f32_resize_dup2_avx2(const float* x, int64_t n, float* const* ys, int ny, bool stream) {
  if (stream) dup2_rows<true>(x, n, ys, ny);
  else dup2_rows<false>(x, n, ys, ny);
}

// ResizeKernels::pixels: combine per pixel (AVX-512 has a kernel of its own).
void f32_resize_pixels_avx2(int taps, const float* x, const int64_t* src, const float* wt, int64_t C, int64_t n, float* y) {
  const float* r[4];
  for (int64_t j = 0; j < n; ++j, src += taps, wt += taps, y += C) {
    for (int t = 0; t < taps; ++t) r[t] = x + src[t] * C;
    f32_resize_combine_avx2(taps, r, wt, C, y, nullptr);
  }
}

}  // namespace

const ResizeKernels* resize_kernels_avx2() {
  static const ResizeKernels k{8, f32_resize_row_avx2, f32_resize_combine_avx2, f32_resize_finish_avx2,
                               f32_resize_dup2_avx2, false, f32_resize_pixels_avx2};
  return &k;
}

}  // namespace convkit
