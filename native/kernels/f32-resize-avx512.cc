// f32 resampling rows for interpolate, AVX-512F (see ResizeRowPlan in kernels.h).
//   row:     16 outputs per block, each tap one vpermt2ps from a 32-float window of the row
//            (masked loads at the row's end), or two and a blend from a 48-float window
//            (downscales by 2 with 3-4 taps, interleaved channels); a gather for wider ones.
//   combine: weighted sum of up to 4 rows (more in a loop), optionally streamed out by whole
//            cache lines (non-temporal stores) into a run of rows (ResizeStream).
// Products and sums are rounded separately, in tap order, as the portable loops do: the
// empty asm after each multiply keeps the compiler from contracting it into an FMA.
#include <immintrin.h>

#include <cstring>

#include <algorithm>
#include <cstdint>

#include "kernels.h"
#include "resize-common.h"

namespace convkit {

namespace {

inline __mmask16 mask_of(int64_t n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }

inline __m512 mul(__m512 a, __m512 b) {
  __m512 r = _mm512_mul_ps(a, b);
  asm("" : "+v"(r));
  return r;
}

// Tap t of block b: the 16 gathered inputs.
template <int kKind>
inline __m512 pick(__m512 lo, __m512 hi, const float* x, const int32_t* id) {
  const __m512i ix = _mm512_loadu_si512(id);
  if (kKind == 2) return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), __mmask16(0xFFFF), ix, x, 4);
  return _mm512_permutex2var_ps(lo, ix, hi);
}

// Tap t of a kind-3 block: lanes from the 48-float window (v0, v1, v2).
inline __m512 pick3(__m512 v0, __m512 v1, __m512 v2, const int32_t* id) {
  const __m512i ix = _mm512_loadu_si512(id);
  const __m512 a = _mm512_permutex2var_ps(v0, ix, v1);                                     // indices < 32
  const __m512 c = _mm512_permutex2var_ps(v1, _mm512_sub_epi32(ix, _mm512_set1_epi32(16)), v2);  // indices >= 16
  return _mm512_mask_mov_ps(a, _mm512_cmpge_epi32_mask(ix, _mm512_set1_epi32(32)), c);
}

template <int kTaps>
inline __m512 row_block3(const ResizeRowPlan& p, const float* x, int64_t b) {
  const int32_t* id = p.idx + b * kTaps * 16;
  const float* w = p.wt + b * kTaps * 16;
  const float* xb = x + p.base[b];
  const __m512 v0 = _mm512_loadu_ps(xb), v1 = _mm512_loadu_ps(xb + 16), v2 = _mm512_loadu_ps(xb + 32);
  __m512 acc = pick3(v0, v1, v2, id);
  if (kTaps == 1) return acc;
  acc = mul(acc, _mm512_loadu_ps(w));
  for (int t = 1; t < kTaps; ++t) acc = _mm512_add_ps(acc, mul(pick3(v0, v1, v2, id + 16 * t), _mm512_loadu_ps(w + 16 * t)));
  return acc;
}

template <int kTaps, int kKind>
inline __m512 row_block(const ResizeRowPlan& p, const float* x, int64_t b) {
  const int32_t* id = p.idx + b * kTaps * 16;
  const float* w = p.wt + b * kTaps * 16;
  __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
  if (kKind == 0) {
    const float* xb = x + p.base[b];
    lo = _mm512_loadu_ps(xb);
    hi = _mm512_loadu_ps(xb + 16);
  } else if (kKind == 1) {
    const float* xb = x + p.base[b];
    const int64_t valid = p.n_in - p.base[b];
    lo = _mm512_maskz_loadu_ps(mask_of(valid), xb);
    hi = _mm512_maskz_loadu_ps(mask_of(valid - 16), xb + 16);
  }
  __m512 acc = pick<kKind>(lo, hi, x, id);
  if (kTaps == 1) return acc;
  acc = mul(acc, _mm512_loadu_ps(w));
  for (int t = 1; t < kTaps; ++t) acc = _mm512_add_ps(acc, mul(pick<kKind>(lo, hi, x, id + 16 * t), _mm512_loadu_ps(w + 16 * t)));
  return acc;
}

template <int kTaps>
void row_taps(const ResizeRowPlan& p, const float* x, float* y) {
  const int32_t* const base = p.base;
  const int32_t* const kind = p.kind;
  const int32_t* const run = p.run;
  const int64_t blocks = p.blocks, full = p.n_out / 16;
  for (int64_t b = 0; b < blocks;) {
    if (run[b] > 1) {  // a periodic run: indices and weights stay in registers
      const int32_t* id = p.idx + b * kTaps * 16;
      const float* w = p.wt + b * kTaps * 16;
      __m512i ix[kTaps];
      __m512 wv[kTaps];
      for (int t = 0; t < kTaps; ++t) {
        ix[t] = _mm512_loadu_si512(id + 16 * t);
        wv[t] = _mm512_loadu_ps(w + 16 * t);
      }
      for (const int64_t e = b + run[b]; b < e; ++b) {
        const float* xb = x + base[b];
        const __m512 lo = _mm512_loadu_ps(xb), hi = _mm512_loadu_ps(xb + 16);
        __m512 acc;
        for (int t = 0; t < kTaps; ++t) {
          const __m512 v = _mm512_permutex2var_ps(lo, ix[t], hi);
          if (kTaps == 1) acc = v;
          else if (t == 0) acc = mul(v, wv[0]);
          else acc = _mm512_add_ps(acc, mul(v, wv[t]));
        }
        _mm512_storeu_ps(y + 16 * b, acc);
      }
      continue;
    }
    __m512 v;
    switch (kind[b]) {
      case 0: v = row_block<kTaps, 0>(p, x, b); break;
      case 1: v = row_block<kTaps, 1>(p, x, b); break;
      case 3: v = row_block3<kTaps>(p, x, b); break;
      default: v = row_block<kTaps, 2>(p, x, b); break;
    }
    if (b < full) _mm512_storeu_ps(y + 16 * b, v);
    else _mm512_mask_storeu_ps(y + 16 * b, mask_of(p.n_out - 16 * b), v);
    ++b;
  }
}

void f32_resize_row_avx512(const ResizeRowPlan& p, const float* x, float* y) {
  switch (p.taps) {
    case 1: row_taps<1>(p, x, y); break;
    case 2: row_taps<2>(p, x, y); break;
    case 3: row_taps<3>(p, x, y); break;
    case 4: row_taps<4>(p, x, y); break;
    default: resize_row_any(p, 16, x, y); break;
  }
}

template <int kTaps>
struct Comb {
  const float* r[kTaps > 0 ? kTaps : 1];
  __m512 w[kTaps > 0 ? kTaps : 1];
  Comb(const float* const* rows, const float* wt) {
    for (int t = 0; t < (kTaps > 0 ? kTaps : 1); ++t) r[t] = rows[t];
    for (int t = 0; t < kTaps; ++t) w[t] = _mm512_set1_ps(wt[t]);
  }
  // kTaps == 0: a copy of rows[0].
  __m512 at(int64_t i, __mmask16 m) const {
    if (kTaps == 0) return _mm512_maskz_loadu_ps(m, r[0] + i);
    __m512 acc = mul(_mm512_maskz_loadu_ps(m, r[0] + i), w[0]);
    for (int t = 1; t < kTaps; ++t) acc = _mm512_add_ps(acc, mul(_mm512_maskz_loadu_ps(m, r[t] + i), w[t]));
    return acc;
  }
  __m512 at(int64_t i) const {
    if (kTaps == 0) return _mm512_loadu_ps(r[0] + i);
    __m512 acc = mul(_mm512_loadu_ps(r[0] + i), w[0]);
    for (int t = 1; t < kTaps; ++t) acc = _mm512_add_ps(acc, mul(_mm512_loadu_ps(r[t] + i), w[t]));
    return acc;
  }
};

template <int kTaps>
void combine_taps(const float* const* rows, const float* wt, int64_t n, float* y, ResizeStream* st) {
  const Comb<kTaps> c(rows, wt);
  int64_t i = 0;
  if (!st) {
    for (; i + 32 <= n; i += 32) {
      const __m512 v0 = c.at(i), v1 = c.at(i + 16);
      _mm512_storeu_ps(y + i, v0);
      _mm512_storeu_ps(y + i + 16, v1);
    }
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, c.at(i));
    if (i < n) {
      const __mmask16 m = mask_of(n - i);
      _mm512_mask_storeu_ps(y + i, m, c.at(i, m));
    }
    return;
  }
  const int64_t off = static_cast<int64_t>(reinterpret_cast<uintptr_t>(y) % 64 / sizeof(float));
  if (off != 0) {  // complete the run's pending line
    float* line = y - off;
    const int64_t h = std::min<int64_t>(n, 16 - off);
    const __mmask16 m = static_cast<__mmask16>(mask_of(off + h) & ~mask_of(off));
    const __m512 v = _mm512_mask_mov_ps(_mm512_load_ps(st->line), m, c.at(-off, m));
    if (off + h < 16) {
      _mm512_store_ps(st->line, v);
      return;
    }
    const int64_t lo = st->begin > line ? st->begin - line : 0;
    if (lo == 0) _mm512_stream_ps(line, v);
    else _mm512_mask_storeu_ps(line, static_cast<__mmask16>(~mask_of(lo)), v);
    i = h;
  }
  for (; i + 32 <= n; i += 32) {
    const __m512 v0 = c.at(i), v1 = c.at(i + 16);
    _mm512_stream_ps(y + i, v0);
    _mm512_stream_ps(y + i + 16, v1);
  }
  for (; i + 16 <= n; i += 16) _mm512_stream_ps(y + i, c.at(i));
  if (i < n) _mm512_store_ps(st->line, c.at(i, mask_of(n - i)));
}

void combine_any(int taps, const float* const* rows, const float* wt, int64_t n, float* y) {
  int64_t i = 0;
  for (; i < n; i += 16) {
    const __mmask16 m = mask_of(n - i);
    __m512 acc = mul(_mm512_maskz_loadu_ps(m, rows[0] + i), _mm512_set1_ps(wt[0]));
    for (int t = 1; t < taps; ++t) acc = _mm512_add_ps(acc, mul(_mm512_maskz_loadu_ps(m, rows[t] + i), _mm512_set1_ps(wt[t])));
    _mm512_mask_storeu_ps(y + i, m, acc);
  }
}

void f32_resize_finish_avx512(ResizeStream* st, float* end) {
  const int64_t off = static_cast<int64_t>(reinterpret_cast<uintptr_t>(end) % 64 / sizeof(float));
  if (off != 0) {
    float* line = end - off;
    const int64_t lo = st->begin > line ? st->begin - line : 0;
    _mm512_mask_storeu_ps(line, static_cast<__mmask16>(mask_of(off) & ~mask_of(lo)), _mm512_load_ps(st->line));
  }
  _mm_sfence();
}

void f32_resize_combine_avx512(int taps, const float* const* rows, const float* w, int64_t n, float* y, ResizeStream* st) {
  if (taps == 1 && w[0] == 1.f) return combine_taps<0>(rows, w, n, y, st);
  switch (taps) {
    case 1: return combine_taps<1>(rows, w, n, y, st);
    case 2: return combine_taps<2>(rows, w, n, y, st);
    case 3: return combine_taps<3>(rows, w, n, y, st);
    case 4: return combine_taps<4>(rows, w, n, y, st);
    default: break;
  }
  // Many taps (area-like): plain stores, the pending line's values included.
  if (st) f32_resize_finish_avx512(st, y);
  combine_any(taps, rows, w, n, y);
  if (!st) return;
  const int64_t e = static_cast<int64_t>(reinterpret_cast<uintptr_t>(y + n) % 64 / sizeof(float));
  if (e != 0) _mm512_store_ps(st->line, _mm512_maskz_loadu_ps(mask_of(e), y + n - e));
}

template <bool kStream>
void dup2_rows(const float* x, int64_t n, float* const* ys, int ny) {
  const __m512i lo = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i hi = _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
  auto put = [](float* p, __m512 v) {
    if (kStream) _mm512_stream_ps(p, v);
    else _mm512_storeu_ps(p, v);
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i), a = _mm512_maskz_permutexvar_ps(0xFFFF, lo, v), b = _mm512_maskz_permutexvar_ps(0xFFFF, hi, v);
    for (int r = 0; r < ny; ++r) {
      put(ys[r] + 2 * i, a);
      put(ys[r] + 2 * i + 16, b);
    }
  }
  if (i < n) {  // the last 8
    const __m512 a = _mm512_maskz_permutexvar_ps(0xFFFF, lo, _mm512_maskz_loadu_ps(mask_of(n - i), x + i));
    for (int r = 0; r < ny; ++r) put(ys[r] + 2 * i, a);
  }
}

void f32_resize_dup2_avx512(const float* x, int64_t n, float* const* ys, int ny, bool stream) {
  if (stream) dup2_rows<true>(x, n, ys, ny);
  else dup2_rows<false>(x, n, ys, ny);
}

template <int kTaps>
void pixels_taps(const float* x, const int64_t* src, const float* wt, int64_t C, int64_t n, float* y) {
  for (int64_t j = 0; j < n; ++j, src += kTaps, wt += kTaps, y += C) {
    const float* r[kTaps];
    for (int t = 0; t < kTaps; ++t) r[t] = x + src[t] * C;
    if (kTaps == 1 && wt[0] == 1.f) {  // a copy, as combine's
      std::memcpy(y, r[0], static_cast<size_t>(C) * sizeof(float));
      continue;
    }
    const Comb<kTaps> c(r, wt);
    int64_t i = 0;
    for (; i + 16 <= C; i += 16) _mm512_storeu_ps(y + i, c.at(i));
    if (i < C) {
      const __mmask16 m = mask_of(C - i);
      _mm512_mask_storeu_ps(y + i, m, c.at(i, m));
    }
  }
}

void f32_resize_pixels_avx512(int taps, const float* x, const int64_t* src, const float* wt, int64_t C, int64_t n, float* y) {
  switch (taps) {
    case 1: return pixels_taps<1>(x, src, wt, C, n, y);
    case 2: return pixels_taps<2>(x, src, wt, C, n, y);
    case 3: return pixels_taps<3>(x, src, wt, C, n, y);
    case 4: return pixels_taps<4>(x, src, wt, C, n, y);
    default: return;  // (1..4 taps: the caller checks)
  }
}

}  // namespace

const ResizeKernels* resize_kernels_avx512() {
  static const ResizeKernels k{16, f32_resize_row_avx512, f32_resize_combine_avx512, f32_resize_finish_avx512,
                               f32_resize_dup2_avx512, true, f32_resize_pixels_avx512};
  return &k;
}

}  // namespace convkit
