// f32 indirect GEMM microkernel, 6 output channels x 16 pixels, AVX2 + FMA.
//   c[m][0..nr) (+)= sum_k a[k][m] * rows[k][p0 + 0..nr)
// a: weights, element (k, m) at a[m*lda + k] (the [Cout][K] rows of the weight tensor,
// unpacked); rows: one pointer per reduction index k (an input channel and kernel tap);
// the pixels of a row are contiguous. 12 ymm accumulators, 2 loads and 6
// broadcasts per k: FMA-bound on two FMA pipes.
// f32_igemm_6x16p_avx2 (the table's igemm_pk) takes the weights packed k-major, a[k*6 + m]:
// the six broadcasts of a k walk one stream, and the loop takes two k per trip. With its rows
// in L1 on Zen 3 it ran 1-17% faster than the unpacked form (six weight streams, one k per
// trip): best of 8 interleaved repetitions, in six runs.
#include <immintrin.h>

#include <cstdint>
#include <type_traits>

#include "kernels.h"

namespace convkit {

namespace {

inline __m256i lane_mask(int64_t n) {  // first n (0..8) lanes set
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), idx);
}

// The tile of both forms, its first MR (1..6) channels. kPacked: element (k, m) of the
// weights at a[k*6 + m] (lda unused), two reduction indices per trip; else at a[m*lda + k].
// The same FMA chains either way, and for any MR.
template <int MR, bool kFull, bool kPacked>
inline void igemm_6x16(int64_t K, const float* a, int64_t lda, const float* const* rows, int64_t p0, int64_t nr,
                       float* c, int64_t ldc, bool accumulate, const TileOut* out = nullptr) {
  static_assert(MR >= 1 && MR <= 6, "1 to 6 channels");
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const __m256i m0 = lane_mask(nr < 8 ? nr : 8), m1 = lane_mask(nr > 8 ? nr - 8 : 0);
  // One reduction index: the pixels at b, channel m's weight at w[m * ws].
  auto step = [&](const float* b, const float* w, int64_t ws) {
    __m256 b0, b1;
    if (kFull) {
      b0 = _mm256_loadu_ps(b);
      b1 = _mm256_loadu_ps(b + 8);
    } else {
      b0 = _mm256_maskload_ps(b, m0);
      b1 = _mm256_maskload_ps(b + 8, m1);
    }
    // Channel m's row of the tile (m < MR): its weight broadcast, its two accumulators.
    auto row = [&](auto m, __m256& lo, __m256& hi) {
      if constexpr (decltype(m)::value < MR) {
        const __m256 av = _mm256_broadcast_ss(w + decltype(m)::value * ws);
        lo = _mm256_fmadd_ps(av, b0, lo);
        hi = _mm256_fmadd_ps(av, b1, hi);
      }
    };
    row(std::integral_constant<int, 0>{}, c00, c01);
    row(std::integral_constant<int, 1>{}, c10, c11);
    row(std::integral_constant<int, 2>{}, c20, c21);
    row(std::integral_constant<int, 3>{}, c30, c31);
    row(std::integral_constant<int, 4>{}, c40, c41);
    row(std::integral_constant<int, 5>{}, c50, c51);
  };
  if (kPacked) {
    const float* const* r = rows;
    const float* const* const r2 = rows + (K & ~int64_t{1});
    for (; r < r2; r += 2, a += 12) {
      step(r[0] + p0, a, 1);
      step(r[1] + p0, a + 6, 1);
    }
    if (K & 1) step(r[0] + p0, a, 1);
  } else {
    for (int64_t k = 0; k < K; ++k) step(rows[k] + p0, a + k, lda);
  }
  // c rows are padded to a multiple of 16 floats, so full-width stores are always in bounds.
  __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
  if (kFull && out) {  // (TileOut: nr 16)
    for (int m = 0; m < MR; ++m) {
      const float* cr = c + m * ldc;
      __m256 lo = acc[2 * m], hi = acc[2 * m + 1];
      if (accumulate) {
        lo = _mm256_add_ps(_mm256_loadu_ps(cr), lo);
        hi = _mm256_add_ps(_mm256_loadu_ps(cr + 8), hi);
      }
      const __m256 bv = _mm256_set1_ps(out->b[m]);
      _mm256_stream_ps(out->y[m], _mm256_add_ps(lo, bv));
      _mm256_stream_ps(out->y[m] + 8, _mm256_add_ps(hi, bv));
    }
    return;
  }
  for (int m = 0; m < MR; ++m) {
    float* cr = c + m * ldc;
    if (accumulate) {
      _mm256_storeu_ps(cr, _mm256_add_ps(_mm256_loadu_ps(cr), acc[2 * m]));
      _mm256_storeu_ps(cr + 8, _mm256_add_ps(_mm256_loadu_ps(cr + 8), acc[2 * m + 1]));
    } else {
      _mm256_storeu_ps(cr, acc[2 * m]);
      _mm256_storeu_ps(cr + 8, acc[2 * m + 1]);
    }
  }
}

// The packed form for the first mr channels of a block (a block's last channels past Cout
// are neither computed nor stored: Cout 64 = 10 blocks + 4 channels, Cout 32 = 5 + 2).
template <int MR>
void igemm_6x16p(int64_t K, const float* ap, const float* const* rows, int64_t p0, int64_t nr, float* c, int64_t ldc,
                 bool accumulate, const TileOut* out) {
  if (nr == 16) igemm_6x16<MR, true, true>(K, ap, 6, rows, p0, nr, c, ldc, accumulate, out);
  else igemm_6x16<MR, false, true>(K, ap, 6, rows, p0, nr, c, ldc, accumulate);
}

void f32_igemm_6x16p_avx2(int64_t K, const float* ap, const float* const* rows, int64_t p0, int64_t nr, float* c,
                          int64_t ldc, bool accumulate, int64_t mr, const TileOut* out) {
  switch (mr) {
    case 1: igemm_6x16p<1>(K, ap, rows, p0, nr, c, ldc, accumulate, out); break;
    case 2: igemm_6x16p<2>(K, ap, rows, p0, nr, c, ldc, accumulate, out); break;
    case 3: igemm_6x16p<3>(K, ap, rows, p0, nr, c, ldc, accumulate, out); break;
    case 4: igemm_6x16p<4>(K, ap, rows, p0, nr, c, ldc, accumulate, out); break;
    case 5: igemm_6x16p<5>(K, ap, rows, p0, nr, c, ldc, accumulate, out); break;
    default: igemm_6x16p<6>(K, ap, rows, p0, nr, c, ldc, accumulate, out); break;
  }
}

// A block's last 1-3 channels (Cout 32: 5 blocks of 6 + 2; 128: 21 + 2) over a tile group of
// up to 32 pixels, 4 ymm per channel: 4 * MR FMA chains in flight, where the 6x16 tile runs
// 2 * MR (with 2 channels, 4 chains: bound by the FMA latency, ~half the pipes' rate). The
// packed weights as igemm_6x16p's (a[k*6 + m]); the same FMA chain per output, so the same
// bits. kTail: nr < 32, the vectors from lane nr masked (loads) or skipped (stores: c rows
// are padded past the last pixel, as for the 6x16 tile's full-width stores).
template <int MR, bool kTail>
void igemm_3x32(int64_t K, const float* a, const float* const* rows, int64_t p0, int64_t nr, float* c, int64_t ldc,
                bool accumulate, const TileOut* out) {
  static_assert(MR >= 1 && MR <= 3, "1 to 3 channels");
  __m256 acc[MR][4];
#pragma GCC unroll 4
  for (int m = 0; m < MR; ++m) acc[m][0] = acc[m][1] = acc[m][2] = acc[m][3] = _mm256_setzero_ps();
  __m256i mk[4];
#pragma GCC unroll 4
  for (int v = 0; v < 4; ++v) {
    const int64_t n = nr - 8 * v;
    mk[v] = lane_mask(n < 0 ? 0 : n > 8 ? 8 : n);
  }
  for (int64_t k = 0; k < K; ++k, a += 6) {
    const float* b = rows[k] + p0;
    __m256 bv[4];
#pragma GCC unroll 4
    for (int v = 0; v < 4; ++v) bv[v] = kTail ? _mm256_maskload_ps(b + 8 * v, mk[v]) : _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 4
    for (int m = 0; m < MR; ++m) {
      const __m256 av = _mm256_broadcast_ss(a + m);
#pragma GCC unroll 4
      for (int v = 0; v < 4; ++v) acc[m][v] = _mm256_fmadd_ps(av, bv[v], acc[m][v]);
    }
  }
#pragma GCC unroll 4
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 4
    for (int v = 0; v < 4; ++v) {
      if (kTail && 8 * v >= nr) break;
      float* cr = c + m * ldc + 8 * v;
      const __m256 r = accumulate ? _mm256_add_ps(_mm256_loadu_ps(cr), acc[m][v]) : acc[m][v];
      if (out) _mm256_stream_ps(out->y[m] + 8 * v, _mm256_add_ps(r, _mm256_set1_ps(out->b[m])));  // (TileOut: nr 16 or 32)
      else _mm256_storeu_ps(cr, r);
    }
}

void f32_igemm_3x32p_avx2(int64_t K, const float* ap, const float* const* rows, int64_t p0, int64_t nr, float* c,
                          int64_t ldc, bool accumulate, int64_t mr, const TileOut* out) {
  const bool tail = nr < 32;
  switch (mr) {
    case 1: tail ? igemm_3x32<1, true>(K, ap, rows, p0, nr, c, ldc, accumulate, out) : igemm_3x32<1, false>(K, ap, rows, p0, nr, c, ldc, accumulate, out); break;
    case 2: tail ? igemm_3x32<2, true>(K, ap, rows, p0, nr, c, ldc, accumulate, out) : igemm_3x32<2, false>(K, ap, rows, p0, nr, c, ldc, accumulate, out); break;
    default: tail ? igemm_3x32<3, true>(K, ap, rows, p0, nr, c, ldc, accumulate, out) : igemm_3x32<3, false>(K, ap, rows, p0, nr, c, ldc, accumulate, out); break;
  }
}

void f32_igemm_6x16_avx2(int64_t K, const float* a, int64_t lda, const float* const* rows, int64_t p0, int64_t nr,
                         float* c, int64_t ldc, bool accumulate) {
  if (nr == 16) igemm_6x16<6, true, false>(K, a, lda, rows, p0, nr, c, ldc, accumulate);
  else igemm_6x16<6, false, false>(K, a, lda, rows, p0, nr, c, ldc, accumulate);
}

// Depthwise: out[i] = sum_t w[t] * rows[t][p0 + i], i < n. 32 pixels per step (4 ymm).
void f32_dwconv_avx2(int64_t T, const float* w, const float* const* rows, int64_t p0, int64_t n, float* out) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t t = 0; t < T; ++t) {
      const float* r = rows[t] + p0 + i;
      const __m256 wv = _mm256_broadcast_ss(w + t);
      a0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(r), a0);
      a1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(r + 8), a1);
      a2 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(r + 16), a2);
      a3 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(r + 24), a3);
    }
    _mm256_storeu_ps(out + i, a0);
    _mm256_storeu_ps(out + i + 8, a1);
    _mm256_storeu_ps(out + i + 16, a2);
    _mm256_storeu_ps(out + i + 24, a3);
  }
  for (; i < n; i += 8) {
    const int64_t rem = n - i < 8 ? n - i : 8;
    const __m256i m = lane_mask(rem);
    __m256 a0 = _mm256_setzero_ps();
    for (int64_t t = 0; t < T; ++t)
      a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + t), _mm256_maskload_ps(rows[t] + p0 + i, m), a0);
    _mm256_maskstore_ps(out + i, m, a0);
  }
}

// One 8x8 tile: r[c] = column c of the 8 rows s, s + ld, ... (unpack, shuffle, permute lanes).
inline void transpose8(const float* s, int64_t ld, __m256 r[8]) {
  const __m256 a0 = _mm256_loadu_ps(s), a1 = _mm256_loadu_ps(s + ld), a2 = _mm256_loadu_ps(s + 2 * ld),
               a3 = _mm256_loadu_ps(s + 3 * ld), a4 = _mm256_loadu_ps(s + 4 * ld), a5 = _mm256_loadu_ps(s + 5 * ld),
               a6 = _mm256_loadu_ps(s + 6 * ld), a7 = _mm256_loadu_ps(s + 7 * ld);
  const __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1), t2 = _mm256_unpacklo_ps(a2, a3),
               t3 = _mm256_unpackhi_ps(a2, a3), t4 = _mm256_unpacklo_ps(a4, a5), t5 = _mm256_unpackhi_ps(a4, a5),
               t6 = _mm256_unpacklo_ps(a6, a7), t7 = _mm256_unpackhi_ps(a6, a7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
               u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
               u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
               u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// dst[j*dst_ld + i] = src[i*src_ld + j] for a rows x cols tile, through 8x8 register
// transposes; the ragged edges element by element.
// kStream (the table's transpose_stream): where dst and dst_ld keep the tiles' rows 64-byte
// aligned, two tiles, 16 source rows, at a time, each destination line written whole by
// non-temporal stores, back to back (half lines, written apart, took 1.23x the plain
// stores' time on Zen 3); the caller fences them.
template <bool kStream>
void f32_transpose_avx2(const float* src, int64_t src_ld, float* dst, int64_t dst_ld, int64_t rows, int64_t cols) {
  int64_t i = 0;
  if (kStream && (reinterpret_cast<uintptr_t>(dst) & 63) == 0 && (dst_ld & 15) == 0) {
    for (; i + 16 <= rows; i += 16) {
      int64_t j = 0;
      for (; j + 8 <= cols; j += 8) {
        __m256 lo[8], hi[8];
        transpose8(src + i * src_ld + j, src_ld, lo);
        transpose8(src + (i + 8) * src_ld + j, src_ld, hi);
        float* d = dst + j * dst_ld + i;
        for (int c = 0; c < 8; ++c) {
          _mm256_stream_ps(d + c * dst_ld, lo[c]);
          _mm256_stream_ps(d + c * dst_ld + 8, hi[c]);
        }
      }
      for (; j < cols; ++j)
        for (int64_t ii = i; ii < i + 16; ++ii) dst[j * dst_ld + ii] = src[ii * src_ld + j];
    }
  }
  for (; i + 8 <= rows; i += 8) {
    int64_t j = 0;
    for (; j + 8 <= cols; j += 8) {
      __m256 r[8];
      transpose8(src + i * src_ld + j, src_ld, r);
      float* d = dst + j * dst_ld + i;
      for (int c = 0; c < 8; ++c) _mm256_storeu_ps(d + c * dst_ld, r[c]);
    }
    for (; j < cols; ++j)
      for (int64_t ii = i; ii < i + 8; ++ii) dst[j * dst_ld + ii] = src[ii * src_ld + j];
  }
  for (; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) dst[j * dst_ld + i] = src[i * src_ld + j];
}

}  // namespace

void register_avx2_kernels(KernelTable& t) {
  t.transpose = f32_transpose_avx2<false>;
  t.transpose_stream = f32_transpose_avx2<true>;
  t.isa = "avx2";
  t.igemm = f32_igemm_6x16_avx2;
  t.igemm_mr = 6;
  t.igemm_nr = 16;
  t.igemm_pk = f32_igemm_6x16p_avx2;
  t.igemm_pk_narrow = f32_igemm_3x32p_avx2;
  t.igemm_pk_narrow_mr = 3;
  t.conv1d_in_place = false;  // Zen 3: W14 0.79-0.85x the time gathered (ops/conv_fast.cc)
  t.wide_bands = false;       // Zen 3: W6 0.92x the time at 2 threads in bands of 512 (ops/conv_fast.cc)
  t.dwconv = DwconvFn(f32_dwconv_avx2, f32_dwconv_block_avx2);
}

}  // namespace convkit
