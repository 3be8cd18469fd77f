// f32 transposes, AVX-512F: 16x16 register tiles (unpack, shuffle within 128-bit lanes, then
// two rounds of lane shuffles), each column of the tile stored as one 64-byte vector.
//   dst[j*dst_ld + i] = src[i*src_ld + j], rows x cols.
// Ragged edges run through the same tile with masked loads and stores, so every shape takes
// the vector path. The streaming form writes whole, aligned tile columns with non-temporal
// stores: a layout conversion's output is far larger than the caches, and a plain store
// would first read every line it overwrites.
#include <immintrin.h>

#include <cstdint>

#include "kernels.h"

namespace convkit {

namespace {

inline __mmask16 mask_of(int64_t n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }

// The zero-masked forms with a full mask: the plain intrinsics pass GCC 12 an undefined
// source vector, which -Wmaybe-uninitialized reports (a false positive); same instructions.
constexpr __mmask16 kAll = 0xFFFF;
inline __m512 unpacklo(__m512 a, __m512 b) { return _mm512_maskz_unpacklo_ps(kAll, a, b); }
inline __m512 unpackhi(__m512 a, __m512 b) { return _mm512_maskz_unpackhi_ps(kAll, a, b); }
#define SHUF(a, b, imm) _mm512_maskz_shuffle_ps(kAll, a, b, imm)
#define LANES(a, b, imm) _mm512_maskz_shuffle_f32x4(kAll, a, b, imm)

// One tile of rr <= 16 rows and cc <= 16 columns (the rest of the registers are zeros).
template <bool kStream>
inline void tile16(const float* s, int64_t sld, float* d, int64_t dld, int64_t rr, int64_t cc) {
  const __mmask16 cm = mask_of(cc), rm = mask_of(rr);
  __m512 r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15;
  if (rr == 16 && cc == 16) {
    r0 = _mm512_loadu_ps(s); r1 = _mm512_loadu_ps(s + sld); r2 = _mm512_loadu_ps(s + 2 * sld); r3 = _mm512_loadu_ps(s + 3 * sld);
    r4 = _mm512_loadu_ps(s + 4 * sld); r5 = _mm512_loadu_ps(s + 5 * sld); r6 = _mm512_loadu_ps(s + 6 * sld); r7 = _mm512_loadu_ps(s + 7 * sld);
    r8 = _mm512_loadu_ps(s + 8 * sld); r9 = _mm512_loadu_ps(s + 9 * sld); r10 = _mm512_loadu_ps(s + 10 * sld); r11 = _mm512_loadu_ps(s + 11 * sld);
    r12 = _mm512_loadu_ps(s + 12 * sld); r13 = _mm512_loadu_ps(s + 13 * sld); r14 = _mm512_loadu_ps(s + 14 * sld); r15 = _mm512_loadu_ps(s + 15 * sld);
  } else {
    const __m512 z = _mm512_setzero_ps();
    auto row = [&](int64_t i) { return i < rr ? _mm512_maskz_loadu_ps(cm, s + i * sld) : z; };
    r0 = row(0); r1 = row(1); r2 = row(2); r3 = row(3); r4 = row(4); r5 = row(5); r6 = row(6); r7 = row(7);
    r8 = row(8); r9 = row(9); r10 = row(10); r11 = row(11); r12 = row(12); r13 = row(13); r14 = row(14); r15 = row(15);
  }
  // 1. pairs of rows interleaved within each 128-bit lane
  __m512 t0 = unpacklo(r0, r1), t1 = unpackhi(r0, r1), t2 = unpacklo(r2, r3), t3 = unpackhi(r2, r3);
  __m512 t4 = unpacklo(r4, r5), t5 = unpackhi(r4, r5), t6 = unpacklo(r6, r7), t7 = unpackhi(r6, r7);
  __m512 t8 = unpacklo(r8, r9), t9 = unpackhi(r8, r9), t10 = unpacklo(r10, r11), t11 = unpackhi(r10, r11);
  __m512 t12 = unpacklo(r12, r13), t13 = unpackhi(r12, r13), t14 = unpacklo(r14, r15), t15 = unpackhi(r14, r15);
  // 2. u[4g + c], lane L: rows 4g .. 4g + 3 of column 4L + c
  const __m512 u0 = SHUF(t0, t2, 0x44), u1 = SHUF(t0, t2, 0xEE), u2 = SHUF(t1, t3, 0x44), u3 = SHUF(t1, t3, 0xEE);
  const __m512 u4 = SHUF(t4, t6, 0x44), u5 = SHUF(t4, t6, 0xEE), u6 = SHUF(t5, t7, 0x44), u7 = SHUF(t5, t7, 0xEE);
  const __m512 u8 = SHUF(t8, t10, 0x44), u9 = SHUF(t8, t10, 0xEE), u10 = SHUF(t9, t11, 0x44), u11 = SHUF(t9, t11, 0xEE);
  const __m512 u12 = SHUF(t12, t14, 0x44), u13 = SHUF(t12, t14, 0xEE), u14 = SHUF(t13, t15, 0x44), u15 = SHUF(t13, t15, 0xEE);
  // 3. groups 0, 1 (and 2, 3) side by side: even lanes (0x88) and odd lanes (0xDD)
  t0 = LANES(u0, u4, 0x88); t1 = LANES(u1, u5, 0x88); t2 = LANES(u2, u6, 0x88); t3 = LANES(u3, u7, 0x88);
  t4 = LANES(u0, u4, 0xDD); t5 = LANES(u1, u5, 0xDD); t6 = LANES(u2, u6, 0xDD); t7 = LANES(u3, u7, 0xDD);
  t8 = LANES(u8, u12, 0x88); t9 = LANES(u9, u13, 0x88); t10 = LANES(u10, u14, 0x88); t11 = LANES(u11, u15, 0x88);
  t12 = LANES(u8, u12, 0xDD); t13 = LANES(u9, u13, 0xDD); t14 = LANES(u10, u14, 0xDD); t15 = LANES(u11, u15, 0xDD);
  // 4. whole columns: c (t_c, t_8+c even lanes), 8 + c (odd lanes), 4 + c and 12 + c (from t_4+c, t_12+c)
  auto put = [&](int64_t k, __m512 v) {
    if (k >= cc) return;
    float* p = d + k * dld;
    if (kStream) _mm512_stream_ps(p, v);
    else if (rr == 16) _mm512_storeu_ps(p, v);
    else _mm512_mask_storeu_ps(p, rm, v);
  };
  put(0, LANES(t0, t8, 0x88)); put(1, LANES(t1, t9, 0x88));
  put(2, LANES(t2, t10, 0x88)); put(3, LANES(t3, t11, 0x88));
  put(4, LANES(t4, t12, 0x88)); put(5, LANES(t5, t13, 0x88));
  put(6, LANES(t6, t14, 0x88)); put(7, LANES(t7, t15, 0x88));
  put(8, LANES(t0, t8, 0xDD)); put(9, LANES(t1, t9, 0xDD));
  put(10, LANES(t2, t10, 0xDD)); put(11, LANES(t3, t11, 0xDD));
  put(12, LANES(t4, t12, 0xDD)); put(13, LANES(t5, t13, 0xDD));
  put(14, LANES(t6, t14, 0xDD)); put(15, LANES(t7, t15, 0xDD));
}

template <bool kStream>
void transpose(const float* src, int64_t src_ld, float* dst, int64_t dst_ld, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows; i += 16) {
    const int64_t rr = rows - i < 16 ? rows - i : 16;
    // Streamed only where each column of the tile is a whole aligned line.
    const bool lines = kStream && rr == 16 && (dst_ld & 15) == 0 && (reinterpret_cast<uintptr_t>(dst + i) & 63) == 0;
    for (int64_t j = 0; j < cols; j += 16) {
      const int64_t cc = cols - j < 16 ? cols - j : 16;
      if (lines) tile16<true>(src + i * src_ld + j, src_ld, dst + j * dst_ld + i, dst_ld, rr, cc);
      else tile16<false>(src + i * src_ld + j, src_ld, dst + j * dst_ld + i, dst_ld, rr, cc);
    }
  }
}

#undef SHUF
#undef LANES

// Small C (2..4): 16 pixels = C vectors of interleaved floats; each output vector takes its
// lanes from two pairs of input vectors with two-source permutes (the second pair only for
// C > 2), one index table per output vector. The tables are built at compile time: no
// guard or copy per call, which costs on the short rows of a transposed convolution.
struct Perm {
  alignas(64) int32_t idx[4][16];  // per output vector: the lane of (v0, v1), or of (v2, v3), each lane reads
  uint16_t from_hi[4];             // lanes taken from (v2, v3)
};

// Output vector o, lane l reads lane `lane` of input vector k (k = 0..3: the pair (v0, v1) or
// (v2, v3), two-source index (k & 1) * 16 + lane). Deinterleave: output plane o, lane l is flat
// float q = l*C + o of the 16*C interleaved floats, lane q % 16 of vector q / 16. Interleave:
// output vector o, lane l is flat float q = 16o + l, pixel q / C of channel q % C, lane q / C
// of plane vector q % C.
constexpr Perm make_perm(bool inter, int C) {
  Perm p{};
  for (int o = 0; o < C; ++o)
    for (int l = 0; l < 16; ++l) {
      const int q = inter ? 16 * o + l : l * C + o;
      const int k = inter ? q % C : q / 16, lane = inter ? q / C : q % 16;
      p.idx[o][l] = (k & 1) * 16 + lane;
      if (k >= 2) p.from_hi[o] = static_cast<uint16_t>(p.from_hi[o] | (1u << l));
    }
  return p;
}

template <bool kInter, int C>
struct PermOf {
  static constexpr Perm value = make_perm(kInter, C);
};

template <bool kInter, int C>
inline __m512 pick(int k, __m512 v0, __m512 v1, __m512 v2, __m512 v3) {
  const Perm& p = PermOf<kInter, C>::value;
  const __m512i idx = _mm512_load_si512(p.idx[k]);
  __m512 r = _mm512_permutex2var_ps(v0, idx, v1);
  if (C > 2) r = _mm512_mask_mov_ps(r, static_cast<__mmask16>(p.from_hi[k]), _mm512_permutex2var_ps(v2, idx, v3));
  return r;
}

template <bool kStream, int C>
void deinterleave_n(const float* x, int64_t n, float* const* planes) {
  float* const q[4] = {planes[0], planes[1], C > 2 ? planes[2] : nullptr, C > 3 ? planes[3] : nullptr};
  const __m512 z = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const float* s = x + i * C;
    const __m512 v0 = _mm512_loadu_ps(s), v1 = _mm512_loadu_ps(s + 16);
    const __m512 v2 = C > 2 ? _mm512_loadu_ps(s + 32) : z, v3 = C > 3 ? _mm512_loadu_ps(s + 48) : z;
    for (int c = 0; c < C; ++c) {
      const __m512 v = pick<false, C>(c, v0, v1, v2, v3);
      if (kStream) _mm512_stream_ps(q[c] + i, v);
      else _mm512_storeu_ps(q[c] + i, v);
    }
  }
  for (; i < n; ++i)
    for (int c = 0; c < C; ++c) planes[c][i] = x[i * C + c];
}

template <bool kStream, bool kAdd, int C>
void interleave_n(const float* const* planes, int64_t n, float* y, float b) {
  // Locals, not loads through `planes` in the loop (the vector stores may alias it).
  const float* const p0 = planes[0];
  const float* const p1 = planes[1];
  const float* const p2 = C > 2 ? planes[2] : nullptr;
  const float* const p3 = C > 3 ? planes[3] : nullptr;
  const __m512 bv = _mm512_set1_ps(b);
  const __m512 z = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v0 = _mm512_loadu_ps(p0 + i), v1 = _mm512_loadu_ps(p1 + i);
    const __m512 v2 = C > 2 ? _mm512_loadu_ps(p2 + i) : z, v3 = C > 3 ? _mm512_loadu_ps(p3 + i) : z;
    float* d = y + i * C;
    for (int j = 0; j < C; ++j) {
      __m512 v = pick<true, C>(j, v0, v1, v2, v3);
      if (kAdd) v = _mm512_add_ps(v, bv);
      if (kStream) _mm512_stream_ps(d + 16 * j, v);
      else _mm512_storeu_ps(d + 16 * j, v);
    }
  }
  for (; i < n; ++i)
    for (int c = 0; c < C; ++c) y[i * C + c] = kAdd ? planes[c][i] + b : planes[c][i];
}

// Streamed only where every vector stored is a whole aligned line: each plane's run (from i = 0)
// or the interleaved run starts on a 64-byte boundary.
void f32_deinterleave_avx512(const float* x, int C, int64_t n, float* const* planes, bool stream) {
  for (int c = 0; c < C && stream; ++c) stream = reinterpret_cast<uintptr_t>(planes[c]) % 64 == 0;
  if (C == 2) (stream ? deinterleave_n<true, 2> : deinterleave_n<false, 2>)(x, n, planes);
  else if (C == 3) (stream ? deinterleave_n<true, 3> : deinterleave_n<false, 3>)(x, n, planes);
  else (stream ? deinterleave_n<true, 4> : deinterleave_n<false, 4>)(x, n, planes);
}

template <int C>
void interleave_c(const float* const* planes, int64_t n, float* y, bool stream, const float* add) {
  if (add) {
    if (stream) interleave_n<true, true, C>(planes, n, y, *add);
    else interleave_n<false, true, C>(planes, n, y, *add);
  } else {
    if (stream) interleave_n<true, false, C>(planes, n, y, 0.f);
    else interleave_n<false, false, C>(planes, n, y, 0.f);
  }
}

void f32_interleave_avx512(const float* const* planes, int C, int64_t n, float* y, bool stream, const float* add) {
  stream = stream && reinterpret_cast<uintptr_t>(y) % 64 == 0;
  if (C == 2) interleave_c<2>(planes, n, y, stream, add);
  else if (C == 3) interleave_c<3>(planes, n, y, stream, add);
  else interleave_c<4>(planes, n, y, stream, add);
}

}  // namespace

void register_avx512_transpose(KernelTable& t) {
  t.transpose = transpose<false>;
  t.transpose_stream = transpose<true>;
  t.interleave = f32_interleave_avx512;
  t.deinterleave = f32_deinterleave_avx512;
}

}  // namespace convkit
