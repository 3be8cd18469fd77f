// f32 Winograd transforms, AVX2: F(2x2, 3x3), F(4x4, 3x3), F(2, 3) and F(4, 3), 8 tiles of a
// row of tiles a step (see ops/conv_winograd.cc for the algorithms and KernelTable::winograd for
// the contracts). The last tiles of a row (fewer than 8) run the same arithmetic one tile at a
// time, so every tile's values are the same whichever way it ran; F(4x4, 3x3) runs them in a
// last, partial vector instead.
#include <immintrin.h>

#include <cstdint>

#include "../core/unfused.h"
#include "kernels.h"

namespace convkit {

namespace {

// Even and odd floats of r[0..16): e[i] = r[2i], o[i] = r[2i + 1].
inline void split(const float* r, __m256& e, __m256& o) {
  const __m256 a = _mm256_loadu_ps(r), b = _mm256_loadu_ps(r + 8);
  e = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xd8));
  o = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xdd)), 0xd8));
}

// V = B^T d B for the tiles 0 <= l < n of a row of tiles: d[r][j] = R[r * rs + 2l + j]
// (4 padded input rows), V position p = 4i + j at v[p * vs + l]. True if any of the inputs
// read (R[r * rs + 0 .. 2n + 2)) is a NaN or an infinity.
bool wino_in_avx2(const float* R, int64_t rs, int64_t n, float* v, int64_t vs) {
  __m256 chk = _mm256_setzero_ps();
  const __m256 zero = _mm256_setzero_ps();
  int64_t l = 0;
  for (; l + 8 <= n; l += 8) {
    __m256 d[4][4];
    for (int r = 0; r < 4; ++r) {
      const float* rr = R + r * rs + 2 * l;
      split(rr, d[r][0], d[r][1]);
      split(rr + 2, d[r][2], d[r][3]);
      chk = _mm256_add_ps(chk, _mm256_mul_ps(_mm256_add_ps(d[r][0], d[r][1]), zero));
    }
    for (int j = 0; j < 4; ++j) {  // B^T d
      const __m256 t0 = _mm256_sub_ps(d[0][j], d[2][j]), t1 = _mm256_add_ps(d[1][j], d[2][j]);
      const __m256 t2 = _mm256_sub_ps(d[2][j], d[1][j]), t3 = _mm256_sub_ps(d[1][j], d[3][j]);
      d[0][j] = t0, d[1][j] = t1, d[2][j] = t2, d[3][j] = t3;
    }
    for (int i = 0; i < 4; ++i) {  // (B^T d) B
      float* vi = v + 4 * i * vs + l;
      _mm256_storeu_ps(vi, _mm256_sub_ps(d[i][0], d[i][2]));
      _mm256_storeu_ps(vi + vs, _mm256_add_ps(d[i][1], d[i][2]));
      _mm256_storeu_ps(vi + 2 * vs, _mm256_sub_ps(d[i][2], d[i][1]));
      _mm256_storeu_ps(vi + 3 * vs, _mm256_sub_ps(d[i][1], d[i][3]));
    }
  }
  float c = 0.f;
  for (; l < n; ++l) {
    float d[4][4];
    for (int r = 0; r < 4; ++r) {
      for (int j = 0; j < 4; ++j) d[r][j] = R[r * rs + 2 * l + j];
      c += (d[r][0] + d[r][1]) * 0.f;
    }
    float t[4][4];
    for (int j = 0; j < 4; ++j) {
      t[0][j] = d[0][j] - d[2][j];
      t[1][j] = d[1][j] + d[2][j];
      t[2][j] = d[2][j] - d[1][j];
      t[3][j] = d[1][j] - d[3][j];
    }
    for (int i = 0; i < 4; ++i) {
      float* vi = v + 4 * i * vs + l;
      vi[0] = t[i][0] - t[i][2];
      vi[vs] = t[i][1] + t[i][2];
      vi[2 * vs] = t[i][2] - t[i][1];
      vi[3 * vs] = t[i][1] - t[i][3];
    }
  }
  for (int r = 0; r < 4; ++r) c += (R[r * rs + 2 * n] + R[r * rs + 2 * n + 1]) * 0.f;  // the last two columns
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, chk);
  for (float x : lanes) c += x;
  return c != c;
}

// Y = A^T m A + bias for the tiles 0 <= l < n: m position p at m[p * ms + l]; y[0][2l ys],
// y[0][(2l + 1) ys] (output row 2ty) and likewise y[1] (row 2ty + 1; null: outside the
// output). tail (0 or 1): one more tile, l = n, whose first column only is inside (an odd
// output width). (stream: not taken.)
void wino_out_avx2(const float* m, int64_t ms, int64_t n, int tail, float bias, float* const* y, int64_t ys, bool) {
  float* const y0 = y[0];
  float* const y1 = y[1];
  const bool half = tail > 0;
  const __m256 bv = _mm256_set1_ps(bias);
  int64_t l = 0;
  for (; l + 8 <= n; l += 8) {
    __m256 s0[4], s1[4];  // A^T m
    for (int j = 0; j < 4; ++j) {
      const __m256 a = _mm256_loadu_ps(m + j * ms + l), b = _mm256_loadu_ps(m + (4 + j) * ms + l);
      const __m256 c = _mm256_loadu_ps(m + (8 + j) * ms + l), e = _mm256_loadu_ps(m + (12 + j) * ms + l);
      s0[j] = _mm256_add_ps(_mm256_add_ps(a, b), c);
      s1[j] = _mm256_sub_ps(_mm256_sub_ps(b, c), e);
    }
    for (int r = 0; r < 2; ++r) {
      float* yr = r ? y1 : y0;
      if (!yr) continue;
      const __m256* s = r ? s1 : s0;
      const __m256 c0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[0], s[1]), s[2]), bv);  // (A^T m) A
      const __m256 c1 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s[1], s[2]), s[3]), bv);
      if (ys == 1) {
        const __m256 lo = _mm256_unpacklo_ps(c0, c1), hi = _mm256_unpackhi_ps(c0, c1);
        _mm256_storeu_ps(yr + 2 * l, _mm256_permute2f128_ps(lo, hi, 0x20));
        _mm256_storeu_ps(yr + 2 * l + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
      } else {  // (a dilation's sub-grid: every ys-th column)
        alignas(32) float a[8], b[8];
        _mm256_store_ps(a, c0);
        _mm256_store_ps(b, c1);
        for (int i = 0; i < 8; ++i) yr[(2 * (l + i)) * ys] = a[i], yr[(2 * (l + i) + 1) * ys] = b[i];
      }
    }
  }
  for (; l < n + (half ? 1 : 0); ++l) {
    float s[2][4];
    for (int j = 0; j < 4; ++j) {
      const float a = m[j * ms + l], b = m[(4 + j) * ms + l], c = m[(8 + j) * ms + l], e = m[(12 + j) * ms + l];
      s[0][j] = a + b + c;
      s[1][j] = b - c - e;
    }
    for (int r = 0; r < 2; ++r) {
      float* yr = r ? y1 : y0;
      if (!yr) continue;
      yr[2 * l * ys] = s[r][0] + s[r][1] + s[r][2] + bias;
      if (l < n) yr[(2 * l + 1) * ys] = s[r][1] - s[r][2] - s[r][3] + bias;
    }
  }
}

// F(2, 3), 1-D: V = B^T d for the tiles 0 <= l < n of a row, d[j] = R[2l + j], position j at
// v[j * vs + l]; true if any input read (R[0 .. 2n + 2)) is a NaN or an infinity.
bool wino_in1_avx2(const float* R, int64_t, int64_t n, float* v, int64_t vs) {
  __m256 chk = _mm256_setzero_ps();
  const __m256 zero = _mm256_setzero_ps();
  int64_t l = 0;
  for (; l + 8 <= n; l += 8) {
    __m256 d0, d1, d2, d3;
    split(R + 2 * l, d0, d1);
    split(R + 2 * l + 2, d2, d3);
    chk = _mm256_add_ps(chk, _mm256_mul_ps(_mm256_add_ps(d0, d1), zero));
    _mm256_storeu_ps(v + l, _mm256_sub_ps(d0, d2));
    _mm256_storeu_ps(v + vs + l, _mm256_add_ps(d1, d2));
    _mm256_storeu_ps(v + 2 * vs + l, _mm256_sub_ps(d2, d1));
    _mm256_storeu_ps(v + 3 * vs + l, _mm256_sub_ps(d1, d3));
  }
  float c = 0.f;
  for (; l < n; ++l) {
    const float d0 = R[2 * l], d1 = R[2 * l + 1], d2 = R[2 * l + 2], d3 = R[2 * l + 3];
    c += (d0 + d1) * 0.f;
    v[l] = d0 - d2;
    v[vs + l] = d1 + d2;
    v[2 * vs + l] = d2 - d1;
    v[3 * vs + l] = d1 - d3;
  }
  c += (R[2 * n] + R[2 * n + 1]) * 0.f;  // the last two columns
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, chk);
  for (float x : lanes) c += x;
  return c != c;
}

// F(2, 3), 1-D: y = A^T m + bias for the tiles 0 <= l < n: y[0][2l ys], y[0][(2l + 1) ys];
// tail (0 or 1): one more tile, l = n, its first output only. (stream: not taken.)
void wino_out1_avx2(const float* m, int64_t ms, int64_t n, int tail, float bias, float* const* y, int64_t ys, bool) {
  float* const y0 = y[0];
  const bool half = tail > 0;
  const __m256 bv = _mm256_set1_ps(bias);
  int64_t l = 0;
  for (; l + 8 <= n; l += 8) {
    const __m256 a = _mm256_loadu_ps(m + l), b = _mm256_loadu_ps(m + ms + l);
    const __m256 c = _mm256_loadu_ps(m + 2 * ms + l), e = _mm256_loadu_ps(m + 3 * ms + l);
    const __m256 c0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a, b), c), bv);
    const __m256 c1 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(b, c), e), bv);
    if (ys == 1) {
      const __m256 lo = _mm256_unpacklo_ps(c0, c1), hi = _mm256_unpackhi_ps(c0, c1);
      _mm256_storeu_ps(y0 + 2 * l, _mm256_permute2f128_ps(lo, hi, 0x20));
      _mm256_storeu_ps(y0 + 2 * l + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    } else {
      alignas(32) float p[8], q[8];
      _mm256_store_ps(p, c0);
      _mm256_store_ps(q, c1);
      for (int i = 0; i < 8; ++i) y0[(2 * (l + i)) * ys] = p[i], y0[(2 * (l + i) + 1) * ys] = q[i];
    }
  }
  for (; l < n + (half ? 1 : 0); ++l) {
    const float a = m[l], b = m[ms + l], c = m[2 * ms + l], e = m[3 * ms + l];
    y0[2 * l * ys] = a + b + c + bias;
    if (l < n) y0[(2 * l + 1) * ys] = b - c - e + bias;
  }
}

// F(4, 3) and F(4x4, 3x3): the 6-point transforms, written once for a vector of 8 tiles (GCC's
// vector operators on __m256) and for one tile (float), so that both loops do the same
// operations in the same order. No fused multiply-add changes a value: the products by 5 are
// kept apart by mul_unfused (GCC contracts even intrinsics' multiply and add under -mfma), the
// others, by powers of 2, are exact either way.
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
template <typename V>
inline void bt6(const V (&d)[6], V (&o)[6], V two, V four, V five) {
  const V u0 = d[4] - four * d[2], u1 = d[3] - four * d[1], u2 = d[4] - d[2], u3 = two * (d[3] - d[1]);
  o[0] = (four * d[0] + d[4]) - mul_unfused(five, d[2]);
  o[1] = u0 + u1;
  o[2] = u0 - u1;
  o[3] = u2 + u3;
  o[4] = u2 - u3;
  o[5] = (four * d[1] + d[5]) - mul_unfused(five, d[3]);
}

template <typename V>
inline void at6(const V (&m)[6], V (&o)[4], V two, V four, V eight) {
  const V a = m[1] + m[2], b = m[1] - m[2], c = m[3] + m[4], e = m[3] - m[4];
  o[0] = (m[0] + a) + c;
  o[1] = b + two * e;
  o[2] = a + four * c;
  o[3] = (b + eight * e) + m[5];
}

inline __m256 load_halves(const float* lo, __m128 hi) { return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(lo)), hi, 1); }

// d[j][i] = r[4i + j] for the 8 tiles i < 8 and j < 6 (r[0 .. 34) read): 4x4 transposes in each
// 128-bit half (tiles 0..3 below, 4..7 above), and d4, d5 (the next tile's d0, d1) from the
// rows one tile on.
inline void cols6(const float* r, __m256 (&d)[6]) {
  const __m256 a0 = load_halves(r, _mm_loadu_ps(r + 16)), a1 = load_halves(r + 4, _mm_loadu_ps(r + 20));
  const __m256 a2 = load_halves(r + 8, _mm_loadu_ps(r + 24)), a3 = load_halves(r + 12, _mm_loadu_ps(r + 28));
  const __m256 a4 = load_halves(r + 16, _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(r + 32))));
  const __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1);
  const __m256 t2 = _mm256_unpacklo_ps(a2, a3), t3 = _mm256_unpackhi_ps(a2, a3);
  const __m256 s0 = _mm256_unpacklo_ps(a1, a2), s1 = _mm256_unpacklo_ps(a3, a4);
  d[0] = _mm256_shuffle_ps(t0, t2, 0x44), d[1] = _mm256_shuffle_ps(t0, t2, 0xee);
  d[2] = _mm256_shuffle_ps(t1, t3, 0x44), d[3] = _mm256_shuffle_ps(t1, t3, 0xee);
  d[4] = _mm256_shuffle_ps(s0, s1, 0x44), d[5] = _mm256_shuffle_ps(s0, s1, 0xee);
}

// y[(4i + c) ys] = q[c] lane i, for the 8 tiles i < 8 and c < 4 (ys == 1: a 4x8 -> 8x4
// transpose and four stores; stream: non-temporal ones where y is 32-byte aligned).
inline void store_tiles4(const __m256 (&q)[4], float* y, int64_t ys, bool stream = false) {
  if (ys == 1) {
    const __m256 t0 = _mm256_unpacklo_ps(q[0], q[1]), t1 = _mm256_unpackhi_ps(q[0], q[1]);
    const __m256 t2 = _mm256_unpacklo_ps(q[2], q[3]), t3 = _mm256_unpackhi_ps(q[2], q[3]);
    const __m256 o0 = _mm256_shuffle_ps(t0, t2, 0x44), o1 = _mm256_shuffle_ps(t0, t2, 0xee);
    const __m256 o2 = _mm256_shuffle_ps(t1, t3, 0x44), o3 = _mm256_shuffle_ps(t1, t3, 0xee);
    const __m256 r0 = _mm256_permute2f128_ps(o0, o1, 0x20), r1 = _mm256_permute2f128_ps(o2, o3, 0x20);
    const __m256 r2 = _mm256_permute2f128_ps(o0, o1, 0x31), r3 = _mm256_permute2f128_ps(o2, o3, 0x31);
    if (stream && (reinterpret_cast<uintptr_t>(y) & 31) == 0) {
      _mm256_stream_ps(y, r0);
      _mm256_stream_ps(y + 8, r1);
      _mm256_stream_ps(y + 16, r2);
      _mm256_stream_ps(y + 24, r3);
    } else {
      _mm256_storeu_ps(y, r0);
      _mm256_storeu_ps(y + 8, r1);
      _mm256_storeu_ps(y + 16, r2);
      _mm256_storeu_ps(y + 24, r3);
    }
  } else {  // (a dilation's sub-grid, or channels-last: every ys-th float)
    alignas(32) float a[4][8];
    for (int c = 0; c < 4; ++c) _mm256_store_ps(a[c], q[c]);
    for (int i = 0; i < 8; ++i)
      for (int c = 0; c < 4; ++c) y[(4 * i + c) * ys] = a[c][i];
  }
}

// F(4, 3), 1-D: V = B^T d for the tiles 0 <= l < n of a row, d[j] =
// R[4l + j] (j < 6), position j at v[j * vs + l]; true if any input read (R[0 .. 4n + 2)) is
// a NaN or an infinity.
bool wino_in4_avx2(const float* R, int64_t, int64_t n, float* v, int64_t vs) {
  const __m256 zero = _mm256_setzero_ps(), two = _mm256_set1_ps(2.f), four = _mm256_set1_ps(4.f), five = _mm256_set1_ps(5.f);
  __m256 chk = zero;
  int64_t l = 0;
  for (; l + 8 <= n; l += 8) {
    __m256 d[6], o[6];
    cols6(R + 4 * l, d);
    chk = chk + ((d[0] + d[1]) + (d[2] + d[3])) * zero;
    bt6(d, o, two, four, five);
    for (int j = 0; j < 6; ++j) _mm256_storeu_ps(v + j * vs + l, o[j]);
  }
  float c = 0.f;
  for (; l < n; ++l) {
    const float* r = R + 4 * l;
    const float d[6] = {r[0], r[1], r[2], r[3], r[4], r[5]};
    float o[6];
    c += ((d[0] + d[1]) + (d[2] + d[3])) * 0.f;
    bt6(d, o, 2.f, 4.f, 5.f);
    for (int j = 0; j < 6; ++j) v[j * vs + l] = o[j];
  }
  c += (R[4 * n] + R[4 * n + 1]) * 0.f;  // the last two columns
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, chk);
  for (float x : lanes) c += x;
  return c != c;
}

// F(4, 3), 1-D: y = A^T m + bias for the tiles 0 <= l < n, to y[0][(4l + j) ys], j < 4; then
// `tail` (0..3) outputs of one more tile, l = n. stream: whole aligned vectors by non-temporal
// stores (the caller fences; W14, two builds in one process, both orders: 0.88-0.89x the time
// at 1 thread, 0.90-0.96x at 2).
void wino_out4_avx2(const float* m, int64_t ms, int64_t n, int tail, float bias, float* const* yr, int64_t ys, bool stream) {
  float* const y = yr[0];
  const __m256 bv = _mm256_set1_ps(bias), two = _mm256_set1_ps(2.f), four = _mm256_set1_ps(4.f), eight = _mm256_set1_ps(8.f);
  int64_t l = 0;
  for (; l + 8 <= n; l += 8) {
    __m256 mv[6], q[4];
    for (int j = 0; j < 6; ++j) mv[j] = _mm256_loadu_ps(m + j * ms + l);
    at6(mv, q, two, four, eight);
    for (int c = 0; c < 4; ++c) q[c] = q[c] + bv;
    store_tiles4(q, y + 4 * l * ys, ys, stream);
  }
  for (; l < n + (tail > 0 ? 1 : 0); ++l) {
    float mv[6], q[4];
    for (int j = 0; j < 6; ++j) mv[j] = m[j * ms + l];
    at6(mv, q, 2.f, 4.f, 8.f);
    const int64_t cnt = l < n ? 4 : tail;
    for (int64_t c = 0; c < cnt; ++c) y[(4 * l + c) * ys] = q[c] + bias;
  }
}

// F(4x4, 3x3): V = B^T d B for the tiles 0 <= l < n of a row of tiles,
// d[r][j] = R[r * rs + 4l + j] (6 padded input rows), position p = 6i + j to v[p * vs + l]:
// the columns' transform row by row, then the rows'. Whole vectors of 8 tiles, up to n8 = n
// rounded up to 8: R is read up to 4 n8 + 2 and v written up to n8 (the caller fills R with
// finite values, and leaves v room, past n). True if any input read is a NaN or an infinity.
// (A scalar loop for the last tiles of a row took a third of the transform's time on W11's
// rows of 14 tiles.)
bool wino_in6_avx2(const float* R, int64_t rs, int64_t n, float* v, int64_t vs) {
  const __m256 zero = _mm256_setzero_ps(), two = _mm256_set1_ps(2.f), four = _mm256_set1_ps(4.f), five = _mm256_set1_ps(5.f);
  __m256 chk = zero;
  int64_t l = 0;
  for (; l < n; l += 8) {
    __m256 t[6][6];  // [column transform j][row r]
    for (int r = 0; r < 6; ++r) {
      __m256 d[6], o[6];
      cols6(R + r * rs + 4 * l, d);
      chk = chk + ((d[0] + d[1]) + (d[2] + d[3])) * zero;
      bt6(d, o, two, four, five);
      for (int j = 0; j < 6; ++j) t[j][r] = o[j];
    }
    for (int j = 0; j < 6; ++j) {
      __m256 o[6];
      bt6(t[j], o, two, four, five);
      for (int i = 0; i < 6; ++i) _mm256_storeu_ps(v + (6 * i + j) * vs + l, o[i]);
    }
  }
  float c = 0.f;
  for (int r = 0; r < 6; ++r) c += (R[r * rs + 4 * l] + R[r * rs + 4 * l + 1]) * 0.f;  // the last two columns read
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, chk);
  for (float x : lanes) c += x;
  return c != c;
}

// F(4x4, 3x3): Y = A^T m A + bias for the tiles 0 <= l < n, m
// position p = 6i + j at m[p * ms + l]: the columns' transform row by row, then the rows'. Row
// r < 4 of tile l to y[r][(4l + c) ys] (c < 4; y[r] null: outside the output); then `tail`
// (0..3) columns of one more tile, l = n. Whole vectors of 8 tiles (m read up to the next
// multiple of 8), the last one's valid tiles stored through a buffer. (stream: not taken; the
// same streamed stores as F(4, 3)'s made W11 1.55-1.70x slower, 4-row tiles of partial lines.)
void wino_out6_avx2(const float* m, int64_t ms, int64_t n, int tail, float bias, float* const* y, int64_t ys, bool) {
  const __m256 bv = _mm256_set1_ps(bias), two = _mm256_set1_ps(2.f), four = _mm256_set1_ps(4.f), eight = _mm256_set1_ps(8.f);
  const int64_t nall = n + (tail > 0 ? 1 : 0);
  for (int64_t l = 0; l < nall; l += 8) {
    __m256 s[4][6];  // [column c][row i]
    for (int i = 0; i < 6; ++i) {
      __m256 mv[6], q[4];
      for (int j = 0; j < 6; ++j) mv[j] = _mm256_loadu_ps(m + (6 * i + j) * ms + l);
      at6(mv, q, two, four, eight);
      for (int c = 0; c < 4; ++c) s[c][i] = q[c];
    }
    __m256 Y[4][4];  // [row r][column c]
    for (int c = 0; c < 4; ++c) {
      __m256 q[4];
      at6(s[c], q, two, four, eight);
      for (int r = 0; r < 4; ++r) Y[r][c] = q[r] + bv;
    }
    const bool whole = l + 8 <= n;
    const int64_t cnt = whole ? 32 : 4 * (n - l) + tail;  // (the last vector: floats of the row to store)
    for (int r = 0; r < 4; ++r) {
      if (!y[r]) continue;
      if (whole) {
        store_tiles4(Y[r], y[r] + 4 * l * ys, ys);
      } else {
        alignas(32) float b[32];
        store_tiles4(Y[r], b, 1);
        for (int64_t i = 0; i < cnt; ++i) y[r][(4 * l + i) * ys] = b[i];
      }
    }
  }
}

}  // namespace

void register_avx2_winograd(KernelTable& t) {
  t.winograd[0][0] = {wino_in1_avx2, wino_out1_avx2, 0};  // F(2, 3)
  t.winograd[0][1] = {wino_in4_avx2, wino_out4_avx2, 0};  // F(4, 3)
  t.winograd[1][0] = {wino_in_avx2, wino_out_avx2, 0};    // F(2x2, 3x3)
  t.winograd[1][1] = {wino_in6_avx2, wino_out6_avx2, 8};  // F(4x4, 3x3): whole vectors of 8 tiles
}

}  // namespace convkit
