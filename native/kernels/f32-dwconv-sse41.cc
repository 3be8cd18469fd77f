// f32 depthwise block kernel, SSE4.1 (see DwBlock in kernels.h). No FMA: each pixel is the
// chain acc = acc + w*x in tap order (s, t1, t2) from zero, then + bias.
// Register tiles of 4 output rows x 2 xmm (8 pixels): each input vector loaded once per tile
// feeds every output row that uses it (up to kh). 3x3, 5x5 and 7x7 are unrolled; other
// shapes take a generic loop. Tiles at a row's end load and store only the lanes below the
// width, so nothing is read past a padded row or written past the width. Streaming stores
// are not used here (the flag is a hint).
#include <smmintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels.h"
#include "simd-sse41.h"

namespace convkit {

namespace {

constexpr int kRows = 4;  // output rows per register tile
constexpr int kVecs = 2;  // xmm per output row of a tile

// R rows x V vectors from column c. kEdge: loads and stores limited to the output lanes
// below the width (a tap then reads no further than the padded row); otherwise all whole.
template <int KH, int KW, int R, int V, bool kEdge>
inline void tile(const DwBlock& b, const float* const* in, float* out, int64_t c) {
  const int64_t dil = b.dil;
  int64_t n[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) n[v] = b.width - c - 4 * v;
  __m128 acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[r][v] = _mm_setzero_ps();
  for (int64_t s = 0; s < b.depth; ++s) {
    const float* const* rs = in + s * (b.rows + KH - 1);
    const float* ws = b.w + s * KH * KW;
#pragma GCC unroll 16
    for (int i = 0; i < R + KH - 1; ++i) {
      const float* row = rs[i] + c;
#pragma GCC unroll 8
      for (int t2 = 0; t2 < KW; ++t2) {
        __m128 xv[V];
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) {
          const int64_t j = t2 * dil + 4 * v;
          xv[v] = kEdge ? load_partial(row + j, n[v]) : _mm_loadu_ps(row + j);
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const int t1 = i - r;
          if (t1 < 0 || t1 >= KH) continue;
          const __m128 wv = _mm_set1_ps(ws[t1 * KW + t2]);
#pragma GCC unroll 8
          for (int v = 0; v < V; ++v) acc[r][v] = madd(wv, xv[v], acc[r][v]);
        }
      }
    }
  }
  const __m128 bias = _mm_set1_ps(b.bias);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      float* o = out + r * b.ldo + c + 4 * v;
      const __m128 y = _mm_add_ps(acc[r][v], bias);
      if (kEdge) store_partial(o, y, n[v]);
      else _mm_storeu_ps(o, y);
    }
}

// Columns [c, c + n) of the next block's input rows and output rows, into the cache.
inline void prefetch_cols(const DwBlock& b, int64_t c, int64_t n) {
  for (int64_t j = 0; j < b.npf; ++j)
    for (int64_t k = c; k < c + n && k < b.pf_len; k += 16) _mm_prefetch(reinterpret_cast<const char*>(b.pf[j] + k), _MM_HINT_T0);
  for (int64_t j = 0; j < b.next_rows; ++j) {
    const float* o = b.out + (b.rows + j) * b.ldo;
    for (int64_t k = c; k < c + n && k < b.width; k += 16) _mm_prefetch(reinterpret_cast<const char*>(o + k), _MM_HINT_T0);
  }
}

// R rows across the width: whole tiles, then edge tiles.
template <int KH, int KW, int R>
void rows_fixed(const DwBlock& b, const float* const* in, float* out, bool prefetch) {
  constexpr int V = kVecs;
  const int64_t W = b.width;
  int64_t c = 0;
  for (; c + 4 * V <= W; c += 4 * V) {
    if (prefetch && c % 16 == 0) prefetch_cols(b, c, 16);
    tile<KH, KW, R, V, false>(b, in, out, c);
  }
  if (prefetch) prefetch_cols(b, c - c % 16, std::max(b.pf_len, W) - (c - c % 16));
  for (; c < W; c += 4 * V) {
    if (W - c > 4) tile<KH, KW, R, 2, true>(b, in, out, c);
    else tile<KH, KW, R, 1, true>(b, in, out, c);
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

// Any kh, kw: one output row at a time, 4 vectors (16 pixels) per step, the same tap order.
template <bool kEdge>
inline void generic_step(const DwBlock& b, int64_t r, int64_t c, float* out) {
  const int64_t kh = b.kh, kw = b.kw, nr = b.rows + kh - 1, W = b.width;
  __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (int64_t s = 0; s < b.depth; ++s)
    for (int64_t t1 = 0; t1 < kh; ++t1) {
      const float* row = b.in[s * nr + r + t1] + c;
      const float* ws = b.w + (s * kh + t1) * kw;
      for (int64_t t2 = 0; t2 < kw; ++t2) {
        const float* p = row + t2 * b.dil;
        const __m128 wv = _mm_set1_ps(ws[t2]);
        if (kEdge) {
          a0 = madd(wv, load_partial(p, W - c), a0);
          a1 = madd(wv, load_partial(p + 4, W - c - 4), a1);
          a2 = madd(wv, load_partial(p + 8, W - c - 8), a2);
          a3 = madd(wv, load_partial(p + 12, W - c - 12), a3);
        } else {
          a0 = madd(wv, _mm_loadu_ps(p), a0);
          a1 = madd(wv, _mm_loadu_ps(p + 4), a1);
          a2 = madd(wv, _mm_loadu_ps(p + 8), a2);
          a3 = madd(wv, _mm_loadu_ps(p + 12), a3);
        }
      }
    }
  const __m128 bias = _mm_set1_ps(b.bias);
  if (kEdge) {
    store_partial(out + c, _mm_add_ps(a0, bias), W - c);
    store_partial(out + c + 4, _mm_add_ps(a1, bias), W - c - 4);
    store_partial(out + c + 8, _mm_add_ps(a2, bias), W - c - 8);
    store_partial(out + c + 12, _mm_add_ps(a3, bias), W - c - 12);
  } else {
    _mm_storeu_ps(out + c, _mm_add_ps(a0, bias));
    _mm_storeu_ps(out + c + 4, _mm_add_ps(a1, bias));
    _mm_storeu_ps(out + c + 8, _mm_add_ps(a2, bias));
    _mm_storeu_ps(out + c + 12, _mm_add_ps(a3, bias));
  }
}

void block_generic(const DwBlock& b) {
  const int64_t W = b.width;
  for (int64_t r = 0; r < b.rows; ++r) {
    float* out = b.out + r * b.ldo;
    int64_t c = 0;
    for (; c + 16 <= W; c += 16) generic_step<false>(b, r, c, out);
    if (c < W) generic_step<true>(b, r, c, out);
  }
}

}  // namespace

void f32_dwconv_block_sse41(const DwBlock& b) {
  if (b.kh == 3 && b.kw == 3) block_fixed<3, 3>(b);
  else if (b.kh == 5 && b.kw == 5) block_fixed<5, 5>(b);
  else if (b.kh == 7 && b.kw == 7) block_fixed<7, 7>(b);
  else block_generic(b);
}

}  // namespace convkit
