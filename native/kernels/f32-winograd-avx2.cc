// f32 Winograd F(2x2, 3x3) and F(4, 3) transforms, AVX2: 8 tiles of a row of tiles a step (see
// ops/conv_winograd.cc for the algorithm and KernelTable::wino_in / wino_out for the
// contracts). The last tiles of a row (fewer than 8) run the same arithmetic one tile at a
// time, so every tile's values are the same whichever way it ran.
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

// Y = A^T m A + bias for the tiles 0 <= l < n: m position p at m[p * ms + l]; y0[2l ys],
// y0[(2l + 1) ys] (output row 2ty) and likewise y1 (row 2ty + 1; null: outside the output).
// half: one more tile, l = n, whose first column only is inside (an odd output width).
void wino_out_avx2(const float* m, int64_t ms, int64_t n, bool half, float bias, float* y0, float* y1, int64_t ys) {
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

// F(2, 3), 1-D: y = A^T m + bias for the tiles 0 <= l < n: y0[2l ys], y0[(2l + 1) ys]; half:
// one more tile, l = n, its first output only. (y1 unused.)
void wino_out1_avx2(const float* m, int64_t ms, int64_t n, bool half, float bias, float* y0, float*, int64_t ys) {
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

// F(4, 3), 1-D (KernelTable::wino_in4): V = B^T d for the tiles 0 <= l < n of a row, d[j] =
// R[4l + j] (j < 6), position j at v[j * vs + l]; true if any input read (R[0 .. 4n + 2)) is
// a NaN or an infinity. 8 tiles a step: 4x4 transposes in each 128-bit half (tiles l..l+3
// below, l+4..l+7 above), and d4, d5 (the next tile's d0, d1) from the rows one tile on.
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
// The same order of operations in both loops, and no fused multiply-add (the products by 5 kept
// apart by mul_unfused; the others, by powers of 2, are exact either way): every tile's values
// are the same whichever loop ran it.
inline __m256 load_halves(const float* lo, __m128 hi) { return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(lo)), hi, 1); }

bool wino_in4_avx2(const float* R, int64_t, int64_t n, float* v, int64_t vs) {
  __m256 chk = _mm256_setzero_ps();
  const __m256 zero = _mm256_setzero_ps(), two = _mm256_set1_ps(2.f), four = _mm256_set1_ps(4.f), five = _mm256_set1_ps(5.f);
  int64_t l = 0;
  for (; l + 8 <= n; l += 8) {
    const float* r = R + 4 * l;
    // a_i: tile l + i below, l + 4 + i above (a4's upper half: the two floats tile l + 7's d4, d5 read)
    const __m256 a0 = load_halves(r, _mm_loadu_ps(r + 16)), a1 = load_halves(r + 4, _mm_loadu_ps(r + 20));
    const __m256 a2 = load_halves(r + 8, _mm_loadu_ps(r + 24)), a3 = load_halves(r + 12, _mm_loadu_ps(r + 28));
    const __m256 a4 = load_halves(r + 16, _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(r + 32))));
    const __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1);
    const __m256 t2 = _mm256_unpacklo_ps(a2, a3), t3 = _mm256_unpackhi_ps(a2, a3);
    const __m256 s0 = _mm256_unpacklo_ps(a1, a2), s1 = _mm256_unpacklo_ps(a3, a4);
    const __m256 d0 = _mm256_shuffle_ps(t0, t2, 0x44), d1 = _mm256_shuffle_ps(t0, t2, 0xee);
    const __m256 d2 = _mm256_shuffle_ps(t1, t3, 0x44), d3 = _mm256_shuffle_ps(t1, t3, 0xee);
    const __m256 d4 = _mm256_shuffle_ps(s0, s1, 0x44), d5 = _mm256_shuffle_ps(s0, s1, 0xee);
    chk = _mm256_add_ps(chk, _mm256_mul_ps(_mm256_add_ps(_mm256_add_ps(d0, d1), _mm256_add_ps(d2, d3)), zero));
    const __m256 u0 = _mm256_sub_ps(d4, _mm256_mul_ps(four, d2)), u1 = _mm256_sub_ps(d3, _mm256_mul_ps(four, d1));
    const __m256 u2 = _mm256_sub_ps(d4, d2), u3 = _mm256_mul_ps(two, _mm256_sub_ps(d3, d1));
    float* vl = v + l;
    _mm256_storeu_ps(vl, _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(four, d0), d4), mul_unfused(five, d2)));
    _mm256_storeu_ps(vl + vs, _mm256_add_ps(u0, u1));
    _mm256_storeu_ps(vl + 2 * vs, _mm256_sub_ps(u0, u1));
    _mm256_storeu_ps(vl + 3 * vs, _mm256_add_ps(u2, u3));
    _mm256_storeu_ps(vl + 4 * vs, _mm256_sub_ps(u2, u3));
    _mm256_storeu_ps(vl + 5 * vs, _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(four, d1), d5), mul_unfused(five, d3)));
  }
  float c = 0.f;
  for (; l < n; ++l) {
    const float* r = R + 4 * l;
    const float d0 = r[0], d1 = r[1], d2 = r[2], d3 = r[3], d4 = r[4], d5 = r[5];
    c += ((d0 + d1) + (d2 + d3)) * 0.f;
    const float u0 = d4 - 4.f * d2, u1 = d3 - 4.f * d1, u2 = d4 - d2, u3 = 2.f * (d3 - d1);
    v[l] = (4.f * d0 + d4) - mul_unfused(5.f, d2);
    v[vs + l] = u0 + u1;
    v[2 * vs + l] = u0 - u1;
    v[3 * vs + l] = u2 + u3;
    v[4 * vs + l] = u2 - u3;
    v[5 * vs + l] = (4.f * d1 + d5) - mul_unfused(5.f, d3);
  }
  c += (R[4 * n] + R[4 * n + 1]) * 0.f;  // the last two columns
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, chk);
  for (float x : lanes) c += x;
  return c != c;
}

// F(4, 3), 1-D (KernelTable::wino_out4): y = A^T m + bias for the tiles 0 <= l < n, to
// y[(4l + j) ys], j < 4; then `tail` (0..3) outputs of one more tile, l = n.
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
void wino_out4_avx2(const float* m, int64_t ms, int64_t n, int tail, float bias, float* y, int64_t ys) {
  const __m256 bv = _mm256_set1_ps(bias), two = _mm256_set1_ps(2.f), four = _mm256_set1_ps(4.f), eight = _mm256_set1_ps(8.f);
  int64_t l = 0;
  for (; l + 8 <= n; l += 8) {
    const float* ml = m + l;
    const __m256 m0 = _mm256_loadu_ps(ml), m1 = _mm256_loadu_ps(ml + ms), m2 = _mm256_loadu_ps(ml + 2 * ms);
    const __m256 m3 = _mm256_loadu_ps(ml + 3 * ms), m4 = _mm256_loadu_ps(ml + 4 * ms), m5 = _mm256_loadu_ps(ml + 5 * ms);
    const __m256 a = _mm256_add_ps(m1, m2), b = _mm256_sub_ps(m1, m2), c = _mm256_add_ps(m3, m4), e = _mm256_sub_ps(m3, m4);
    const __m256 y0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(m0, a), c), bv);
    const __m256 y1 = _mm256_add_ps(_mm256_add_ps(b, _mm256_mul_ps(two, e)), bv);
    const __m256 y2 = _mm256_add_ps(_mm256_add_ps(a, _mm256_mul_ps(four, c)), bv);
    const __m256 y3 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(b, _mm256_mul_ps(eight, e)), m5), bv);
    if (ys == 1) {  // 4x8 -> 8x4: tiles l + i below, l + 4 + i above, then the halves in order
      const __m256 t0 = _mm256_unpacklo_ps(y0, y1), t1 = _mm256_unpackhi_ps(y0, y1);
      const __m256 t2 = _mm256_unpacklo_ps(y2, y3), t3 = _mm256_unpackhi_ps(y2, y3);
      const __m256 o0 = _mm256_shuffle_ps(t0, t2, 0x44), o1 = _mm256_shuffle_ps(t0, t2, 0xee);
      const __m256 o2 = _mm256_shuffle_ps(t1, t3, 0x44), o3 = _mm256_shuffle_ps(t1, t3, 0xee);
      float* yl = y + 4 * l;
      _mm256_storeu_ps(yl, _mm256_permute2f128_ps(o0, o1, 0x20));
      _mm256_storeu_ps(yl + 8, _mm256_permute2f128_ps(o2, o3, 0x20));
      _mm256_storeu_ps(yl + 16, _mm256_permute2f128_ps(o0, o1, 0x31));
      _mm256_storeu_ps(yl + 24, _mm256_permute2f128_ps(o2, o3, 0x31));
    } else {  // (a dilation's sub-grid, or channels-last: every ys-th float)
      alignas(32) float q[4][8];
      _mm256_store_ps(q[0], y0);
      _mm256_store_ps(q[1], y1);
      _mm256_store_ps(q[2], y2);
      _mm256_store_ps(q[3], y3);
      for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 4; ++j) y[(4 * (l + i) + j) * ys] = q[j][i];
    }
  }
  for (; l < n + (tail > 0 ? 1 : 0); ++l) {
    const float m0 = m[l], m1 = m[ms + l], m2 = m[2 * ms + l], m3 = m[3 * ms + l], m4 = m[4 * ms + l], m5 = m[5 * ms + l];
    const float a = m1 + m2, b = m1 - m2, c = m3 + m4, e = m3 - m4;
    const float q[4] = {m0 + a + c + bias, b + 2.f * e + bias, a + 4.f * c + bias, b + 8.f * e + m5 + bias};
    const int64_t cnt = l < n ? 4 : tail;
    for (int64_t j = 0; j < cnt; ++j) y[(4 * l + j) * ys] = q[j];
  }
}

}  // namespace

void register_avx2_winograd(KernelTable& t) {
  t.wino_in = wino_in_avx2;
  t.wino_out = wino_out_avx2;
  t.wino_in1 = wino_in1_avx2;
  t.wino_out1 = wino_out1_avx2;
  t.wino_in4 = wino_in4_avx2;
  t.wino_out4 = wino_out4_avx2;
}

}  // namespace convkit
