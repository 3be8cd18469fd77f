// f32 depthwise block kernel, AVX-512F (see DwBlock in kernels.h).
// 3x3, 5x5 and 7x7 with unit dilation: register tiles of 4 output rows x V zmm (V = 4 for 3x3,
// 3 for 5x5, 2 for 7x7). A row is loaded once per tile as V + 1 whole vectors; the shifted
// vectors of the taps are built in registers (valignd), not loaded (a load per tap would
// split a cache line in all but one of every 16 columns), and each vector feeds the FMAs of
// every output row of the tile that reads it (up to kh). Stores are plain: streaming ones
// measured 2-14% slower on W9 (and on 4 images of it, 100 MB of output) at 1 and 2
// threads. Tiles at a row's ends use k-masks, so nothing is read past a padded row or
// written past the width. Other shapes (and dilations) take a generic loop.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "kernels.h"

namespace convkit {

namespace {

inline __mmask16 mask_of(int64_t n) {  // first n lanes (n clamped to 0..16), without branches
  const unsigned k = static_cast<unsigned>(n < 0 ? 0 : n > 16 ? 16 : n);
  return static_cast<__mmask16>((1u << k) - 1);
}

template <typename F, int... I>
__attribute__((always_inline)) inline void static_for_impl(F&& f, std::integer_sequence<int, I...>) {
  (f(std::integral_constant<int, I>{}), ...);
}
template <int N, typename F>
__attribute__((always_inline)) inline void static_for(F&& f) {
  static_for_impl(f, std::make_integer_sequence<int, N>{});
}

// Lanes S..S+15 of the 32-lane concatenation hi:lo.
template <int S>
__attribute__((always_inline)) inline __m512 shifted(__m512 lo, __m512 hi) {
  if constexpr (S == 0) {
    (void)hi;
    return lo;
  } else {
    // (the masked form: GCC 12's plain _mm512_alignr_epi32 trips -Wmaybe-uninitialized)
    return _mm512_castsi512_ps(_mm512_maskz_alignr_epi32(0xFFFF, _mm512_castps_si512(hi), _mm512_castps_si512(lo), S));
  }
}

constexpr int kRows = 4;  // output rows per register tile
template <int KH>
constexpr int vecs() { return KH <= 3 ? 4 : KH <= 5 ? 3 : 2; }  // zmm per tile row, no spills

// R rows x V vectors from column c. kEdge: loads masked to the padded row (width + kw - 1
// columns) and stores to the width; otherwise every load and store is whole (the
// caller checked).
template <int KH, int KW, int R, int V, bool kEdge>
inline void tile(const DwBlock& b, const float* const* in, float* out, int64_t c) {
  const int64_t W = b.width, Wp = b.width + KW - 1;
  // Edge masks, the same for every row: stores and loads.
  __mmask16 sm[V], lm[V + 1];
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) sm[v] = kEdge ? mask_of(W - c - 16 * v) : __mmask16(0xFFFF);
#pragma GCC unroll 8
  for (int v = 0; v <= V; ++v) lm[v] = kEdge ? mask_of(Wp - c - 16 * v) : __mmask16(0xFFFF);
  __m512 acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int64_t s = 0; s < b.depth; ++s) {
    const float* const* rs = in + s * (b.rows + KH - 1);
    const float* ws = b.w + s * KH * KW;
#pragma GCC unroll 16
    for (int i = 0; i < R + KH - 1; ++i) {
      const float* row = rs[i] + c;
      // The FMAs of tap column t2 with the row's vectors xv (output rows r = i - t1).
      auto fmas = [&](int t2, const __m512* xv) __attribute__((always_inline)) {
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const int t1 = i - r;
          if (t1 >= 0 && t1 < KH) {
            const __m512 wv = _mm512_set1_ps(ws[t1 * KW + t2]);
#pragma GCC unroll 8
            for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(wv, xv[v], acc[r][v]);
          }
        }
      };
      __m512 a[V + 1];
#pragma GCC unroll 8
      for (int v = 0; v <= V; ++v)
        a[v] = kEdge ? _mm512_maskz_loadu_ps(lm[v], row + 16 * v) : _mm512_loadu_ps(row + 16 * v);
      static_for<KW>([&](auto t2c) __attribute__((always_inline)) {
        constexpr int t2 = decltype(t2c)::value;
        __m512 xv[V];
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) xv[v] = shifted<t2>(a[v], a[v + 1]);
        fmas(t2, xv);
      });
    }
  }
  const __m512 bias = _mm512_set1_ps(b.bias);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      float* o = out + r * b.ldo + c + 16 * v;
      const __m512 y = _mm512_add_ps(acc[r][v], bias);
      if (kEdge) _mm512_mask_storeu_ps(o, sm[v], y);
      else _mm512_storeu_ps(o, y);
    }
}

// Columns [c, c + n) of the next block's input rows (read) and output rows (write).
inline void prefetch_cols(const DwBlock& b, int64_t c, int64_t n) {
  for (int64_t j = 0; j < b.npf; ++j)
    for (int64_t k = c; k < c + n && k < b.pf_len; k += 16) _mm_prefetch(reinterpret_cast<const char*>(b.pf[j] + k), _MM_HINT_T0);
  for (int64_t j = 0; j < b.next_rows; ++j) {
    const float* o = b.out + (b.rows + j) * b.ldo;
    for (int64_t k = c; k < c + n && k < b.width; k += 16) asm volatile("prefetchw %0" : : "m"(o[k]));
  }
}

// R rows across the width: whole tiles while a tile's loads stay inside the padded row, then
// edge tiles.
template <int KH, int KW, int R>
void rows_fixed(const DwBlock& b, const float* const* in, float* out, bool prefetch) {
  constexpr int V = vecs<KH>();
  const int64_t W = b.width;
  constexpr int64_t reach = 16;  // columns read past a tile's last vector (a[V])
  int64_t c = 0;
  for (; c + 16 * V <= W && c + 16 * V + reach <= W + KW - 1; c += 16 * V) {
    if (prefetch) prefetch_cols(b, c, 16 * V);
    tile<KH, KW, R, V, false>(b, in, out, c);
  }
  if (prefetch) prefetch_cols(b, c, std::max(b.pf_len, W) - c);
  for (; c < W; c += 16 * V) {
    switch ((W - c + 15) / 16) {
      case 1: tile<KH, KW, R, 1, true>(b, in, out, c); break;
      case 2: tile<KH, KW, R, V < 2 ? V : 2, true>(b, in, out, c); break;
      case 3: tile<KH, KW, R, V < 3 ? V : 3, true>(b, in, out, c); break;
      default: tile<KH, KW, R, V, true>(b, in, out, c); break;
    }
  }
}

template <int KH, int KW>
void block_fixed(const DwBlock& b) {
  int64_t r = 0;
  for (; r + kRows <= b.rows; r += kRows) rows_fixed<KH, KW, kRows>(b, b.in + r, b.out + r * b.ldo, r + kRows == b.rows);
  switch (b.rows - r) {
    case 1: rows_fixed<KH, KW, 1>(b, b.in + r, b.out + r * b.ldo, true); break;
    case 2: rows_fixed<KH, KW, 2>(b, b.in + r, b.out + r * b.ldo, true); break;
    case 3: rows_fixed<KH, KW, 3>(b, b.in + r, b.out + r * b.ldo, true); break;
    default: break;
  }
}

// Any kh, kw, dil: one output row at a time, 4 vectors per step, the same tap order.
void block_generic(const DwBlock& b) {
  const int64_t kh = b.kh, kw = b.kw, W = b.width, nr = b.rows + kh - 1;
  const __m512 bias = _mm512_set1_ps(b.bias);
  for (int64_t r = 0; r < b.rows; ++r) {
    float* out = b.out + r * b.ldo;
    for (int64_t c = 0; c < W; c += 64) {
      const __mmask16 m0 = mask_of(W - c), m1 = mask_of(W - c - 16), m2 = mask_of(W - c - 32), m3 = mask_of(W - c - 48);
      __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (int64_t s = 0; s < b.depth; ++s)
        for (int64_t t1 = 0; t1 < kh; ++t1) {
          const float* row = b.in[s * nr + r + t1] + c;
          const float* ws = b.w + (s * kh + t1) * kw;
          for (int64_t t2 = 0; t2 < kw; ++t2) {
            const float* p = row + t2 * b.dil;
            const __m512 wv = _mm512_set1_ps(ws[t2]);
            a0 = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m0, p), a0);
            a1 = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m1, p + 16), a1);
            a2 = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m2, p + 32), a2);
            a3 = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m3, p + 48), a3);
          }
        }
      _mm512_mask_storeu_ps(out + c, m0, _mm512_add_ps(a0, bias));
      _mm512_mask_storeu_ps(out + c + 16, m1, _mm512_add_ps(a1, bias));
      _mm512_mask_storeu_ps(out + c + 32, m2, _mm512_add_ps(a2, bias));
      _mm512_mask_storeu_ps(out + c + 48, m3, _mm512_add_ps(a3, bias));
    }
  }
}

// DwFlat: R rows x 2 vectors from flat column c. Per tap: the two vectors' lane weights,
// then each row's two input vectors (loaded at the tap's offset: with C channels a tap moves
// by C floats, no whole-vector step) and their FMAs. kEdge: loads and stores masked to the
// width's last columns (an input vector's lanes read what its output lanes need, inside
// the padded row).
template <int R, bool kEdge>
inline void flat_tile(const DwFlat& b, const float* const* in, float* out, int64_t c) {
  const int64_t K = b.depth * b.kh * b.kw, nr = b.rows + b.kh - 1, step = b.step;
  const __mmask16 m0 = kEdge ? mask_of(b.width - c) : __mmask16(0xFFFF), m1 = kEdge ? mask_of(b.width - c - 16) : __mmask16(0xFFFF);
  const int64_t p0 = (c / 16) % b.P, p1 = (c / 16 + 1) % b.P;
  const float* w0 = b.w + p0 * K * 16;
  const float* w1 = b.w + p1 * K * 16;
  __m512 acc[R][2];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  int64_t t = 0;
  for (int64_t s = 0; s < b.depth; ++s)
    for (int64_t t1 = 0; t1 < b.kh; ++t1) {
      const float* rp[R];
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) rp[r] = in[s * nr + r + t1] + c;
      for (int64_t t2 = 0; t2 < b.kw; ++t2, ++t) {
        const __m512 wa = _mm512_loadu_ps(w0 + t * 16), wb = _mm512_loadu_ps(w1 + t * 16);
        const int64_t off = t2 * step;
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const __m512 xa = kEdge ? _mm512_maskz_loadu_ps(m0, rp[r] + off) : _mm512_loadu_ps(rp[r] + off);
          const __m512 xb = kEdge ? _mm512_maskz_loadu_ps(m1, rp[r] + off + 16) : _mm512_loadu_ps(rp[r] + off + 16);
          acc[r][0] = _mm512_fmadd_ps(wa, xa, acc[r][0]);
          acc[r][1] = _mm512_fmadd_ps(wb, xb, acc[r][1]);
        }
      }
    }
  const __m512 ba = _mm512_loadu_ps(b.bias + p0 * 16), bb = _mm512_loadu_ps(b.bias + p1 * 16);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float* o = out + r * b.ldo + c;
    if (kEdge) {
      _mm512_mask_storeu_ps(o, m0, _mm512_add_ps(acc[r][0], ba));
      _mm512_mask_storeu_ps(o + 16, m1, _mm512_add_ps(acc[r][1], bb));
    } else {
      _mm512_storeu_ps(o, _mm512_add_ps(acc[r][0], ba));
      _mm512_storeu_ps(o + 16, _mm512_add_ps(acc[r][1], bb));
    }
  }
}

template <int R>
void flat_rows(const DwFlat& b, const float* const* in, float* out) {
  int64_t c = 0;
  for (; c + 32 <= b.width; c += 32) flat_tile<R, false>(b, in, out, c);
  if (c < b.width) flat_tile<R, true>(b, in, out, c);
}

}  // namespace

void f32_dwconv_flat_avx512(const DwFlat& b) {
  int64_t r = 0;
  for (; r + kRows <= b.rows; r += kRows) flat_rows<kRows>(b, b.in + r, b.out + r * b.ldo);
  switch (b.rows - r) {
    case 1: flat_rows<1>(b, b.in + r, b.out + r * b.ldo); break;
    case 2: flat_rows<2>(b, b.in + r, b.out + r * b.ldo); break;
    case 3: flat_rows<3>(b, b.in + r, b.out + r * b.ldo); break;
    default: break;
  }
}

void f32_dwconv_block_avx512(const DwBlock& b) {
  if (b.dil == 1 && b.kh == 3 && b.kw == 3) block_fixed<3, 3>(b);
  else if (b.dil == 1 && b.kh == 5 && b.kw == 5) block_fixed<5, 5>(b);
  else if (b.dil == 1 && b.kh == 7 && b.kw == 7) block_fixed<7, 7>(b);
  else block_generic(b);
}

}  // namespace convkit
