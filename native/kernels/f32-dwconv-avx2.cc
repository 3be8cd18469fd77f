// f32 depthwise block kernel, AVX2 + FMA (see DwBlock in kernels.h).
// Register tiles of 4 output rows x 2 ymm (16 pixels): each input vector loaded once per
// tile feeds the FMAs of every output row that uses it (up to kh). 3x3, 5x5 and 7x7 are
// unrolled; other shapes take a generic loop. Tiles at a row's end use masked loads and
// stores, so nothing is read past a padded row or written past the width. With b.stream, and
// output rows 64-byte aligned, the whole tiles' rows (16 pixels: one line each) are written
// by non-temporal stores, and the next block's output rows are not fetched.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels.h"

namespace convkit {

namespace {

inline __m256i lane_mask(int64_t n) {  // first n lanes set (n clamped to 0..8)
  const int k = n < 0 ? 0 : n > 8 ? 8 : static_cast<int>(n);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// A weight broadcast from memory at each use: an asm statement, so that the compiler cannot
// merge the uses of one weight across a tile's rows into one register each (with 16 ymm, 8 of
// them accumulators, GCC then kept the 25 weights of a 5x5 live and spilled the
// accumulators to the stack: W9 ran at ~30% of the FMA peak on Zen 3).
inline __m256 bcast(const float* p) {
  __m256 v;
  asm volatile("vbroadcastss %1, %0" : "=x"(v) : "m"(*p));
  return v;
}

constexpr int kRows = 4;  // output rows per register tile
constexpr int kVecs = 2;  // ymm per output row of a tile

// R rows x V vectors from column c. kEdge: loads and stores masked to the output lanes
// below the width (a tap then reads no further than the padded row); otherwise all whole.
template <int KH, int KW, int R, int V, bool kEdge, bool kStream = false>
inline void tile(const DwBlock& b, const float* const* in, float* out, int64_t c) {
  const int64_t dil = b.dil;
  __m256i m[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) m[v] = lane_mask(b.width - c - 8 * v);
  __m256 acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_setzero_ps();
  for (int64_t s = 0; s < b.depth; ++s) {
    const float* const* rs = in + s * (b.rows + KH - 1);
    const float* ws = b.w + s * KH * KW;
#pragma GCC unroll 16
    for (int i = 0; i < R + KH - 1; ++i) {
      const float* row = rs[i] + c;
#pragma GCC unroll 8
      for (int t2 = 0; t2 < KW; ++t2) {
        __m256 xv[V];
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) {
          const int64_t j = t2 * dil + 8 * v;
          xv[v] = kEdge ? _mm256_maskload_ps(row + j, m[v]) : _mm256_loadu_ps(row + j);
          asm("" : "+x"(xv[v]));  // (a register: not folded into each row's FMA as a load of its own)
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const int t1 = i - r;
          if (t1 < 0 || t1 >= KH) continue;
          const __m256 wv = bcast(ws + t1 * KW + t2);
#pragma GCC unroll 8
          for (int v = 0; v < V; ++v) acc[r][v] = _mm256_fmadd_ps(wv, xv[v], acc[r][v]);
        }
      }
    }
  }
  const __m256 bias = _mm256_set1_ps(b.bias);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      float* o = out + r * b.ldo + c + 8 * v;
      const __m256 y = _mm256_add_ps(acc[r][v], bias);
      if (kEdge) _mm256_maskstore_ps(o, m[v], y);
      else if (kStream) _mm256_stream_ps(o, y);
      else _mm256_storeu_ps(o, y);
    }
}

// Columns [c, c + n) of the next block's input rows (read) and, unless streamed, output
// rows (write).
inline void prefetch_cols(const DwBlock& b, int64_t c, int64_t n, bool streamed) {
  for (int64_t j = 0; j < b.npf; ++j)
    for (int64_t k = c; k < c + n && k < b.pf_len; k += 16) _mm_prefetch(reinterpret_cast<const char*>(b.pf[j] + k), _MM_HINT_T0);
  for (int64_t j = 0; !streamed && j < b.next_rows; ++j) {
    const float* o = b.out + (b.rows + j) * b.ldo;
    for (int64_t k = c; k < c + n && k < b.width; k += 16) asm volatile("prefetchw %0" : : "m"(o[k]));
  }
}

// R rows across the width: whole tiles, then edge tiles.
template <int KH, int KW, int R>
void rows_fixed(const DwBlock& b, const float* const* in, float* out, bool prefetch) {
  constexpr int V = kVecs;
  const int64_t W = b.width;
  const bool nt = b.stream && (reinterpret_cast<uintptr_t>(out) & 63) == 0 && (b.ldo & 15) == 0;
  int64_t c = 0;
  for (; c + 8 * V <= W; c += 8 * V) {
    if (prefetch && c % 16 == 0) prefetch_cols(b, c, 16, nt);
    if (nt) tile<KH, KW, R, V, false, true>(b, in, out, c);
    else tile<KH, KW, R, V, false>(b, in, out, c);
  }
  if (prefetch) prefetch_cols(b, c - c % 16, std::max(b.pf_len, W) - (c - c % 16), nt);
  for (; c < W; c += 8 * V) {
    if (W - c > 8) tile<KH, KW, R, 2, true>(b, in, out, c);
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

// Any kh, kw: one output row at a time, 4 vectors per step, the same tap order.
void block_generic(const DwBlock& b) {
  const int64_t kh = b.kh, kw = b.kw, W = b.width, nr = b.rows + kh - 1;
  const __m256 bias = _mm256_set1_ps(b.bias);
  for (int64_t r = 0; r < b.rows; ++r) {
    float* out = b.out + r * b.ldo;
    for (int64_t c = 0; c < W; c += 32) {
      const __m256i m0 = lane_mask(W - c), m1 = lane_mask(W - c - 8), m2 = lane_mask(W - c - 16), m3 = lane_mask(W - c - 24);
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (int64_t s = 0; s < b.depth; ++s)
        for (int64_t t1 = 0; t1 < kh; ++t1) {
          const float* row = b.in[s * nr + r + t1] + c;
          const float* ws = b.w + (s * kh + t1) * kw;
          for (int64_t t2 = 0; t2 < kw; ++t2) {
            const float* p = row + t2 * b.dil;
            const __m256 wv = _mm256_broadcast_ss(ws + t2);
            a0 = _mm256_fmadd_ps(wv, _mm256_maskload_ps(p, m0), a0);
            a1 = _mm256_fmadd_ps(wv, _mm256_maskload_ps(p + 8, m1), a1);
            a2 = _mm256_fmadd_ps(wv, _mm256_maskload_ps(p + 16, m2), a2);
            a3 = _mm256_fmadd_ps(wv, _mm256_maskload_ps(p + 24, m3), a3);
          }
        }
      _mm256_maskstore_ps(out + c, m0, _mm256_add_ps(a0, bias));
      _mm256_maskstore_ps(out + c + 8, m1, _mm256_add_ps(a1, bias));
      _mm256_maskstore_ps(out + c + 16, m2, _mm256_add_ps(a2, bias));
      _mm256_maskstore_ps(out + c + 24, m3, _mm256_add_ps(a3, bias));
    }
  }
}

}  // namespace

void f32_dwconv_block_avx2(const DwBlock& b) {
  if (b.kh == 3 && b.kw == 3) block_fixed<3, 3>(b);
  else if (b.kh == 5 && b.kw == 5) block_fixed<5, 5>(b);
  else if (b.kh == 7 && b.kw == 7) block_fixed<7, 7>(b);
  else block_generic(b);
}

}  // namespace convkit
