// f32 deinterleave of 2-4 channels (images' channels-last -> channels-first), AVX2: 8 pixels
// a step. Each output vector gathers its lanes from the C input vectors with one permute each
// and C - 1 blends (AVX2 has no two-source permute); index and mask tables built once per C.
// See KernelTable::deinterleave in kernels.h. (The other direction, built the same way, was
// faster than the transposes at 1 thread but slower at 2: 1.98-2.08 against 1.42-1.65 ms for a
// 1080p RGB image; it is not registered.)
#include <immintrin.h>

#include <cstdint>

#include "kernels.h"

namespace convkit {

namespace {

struct Perm8 {
  __m256i idx[4][4];  // [output plane][input vector]: lane of the input each output lane reads
  __m256 take[4][4];  // [output plane][input vector]: the output lanes that input supplies
};

// Output c, lane l is flat float q = l*C + c of the interleaved run: lane q % 8 of input
// vector q / 8.
Perm8 make_perm8(int C) {
  Perm8 p{};
  for (int o = 0; o < C; ++o)
    for (int k = 0; k < C; ++k) {
      alignas(32) int32_t idx[8];
      alignas(32) int32_t take[8];
      for (int l = 0; l < 8; ++l) {
        const int q = l * C + o;
        idx[l] = q / 8 == k ? q % 8 : 0;
        take[l] = q / 8 == k ? -1 : 0;
      }
      p.idx[o][k] = _mm256_load_si256(reinterpret_cast<const __m256i*>(idx));
      p.take[o][k] = _mm256_castsi256_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(take)));
    }
  return p;
}

const Perm8& perm8_of(int C) {
  static const Perm8 de[5] = {Perm8{}, Perm8{}, make_perm8(2), make_perm8(3), make_perm8(4)};
  return de[C];
}

inline __m256 gather8(const Perm8& p, int o, const __m256* v, int C) {
  __m256 r = _mm256_permutevar8x32_ps(v[0], p.idx[o][0]);
  for (int k = 1; k < C; ++k) r = _mm256_blendv_ps(r, _mm256_permutevar8x32_ps(v[k], p.idx[o][k]), p.take[o][k]);
  return r;
}

template <bool kStream>
void deinterleave_n(const float* x, int C, int64_t n, float* const* planes) {
  const Perm8& p = perm8_of(C);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v[4];
    for (int k = 0; k < C; ++k) v[k] = _mm256_loadu_ps(x + i * C + 8 * k);
    for (int c = 0; c < C; ++c) {
      const __m256 r = gather8(p, c, v, C);
      if (kStream) _mm256_stream_ps(planes[c] + i, r);
      else _mm256_storeu_ps(planes[c] + i, r);
    }
  }
  for (; i < n; ++i)
    for (int c = 0; c < C; ++c) planes[c][i] = x[i * C + c];
}

// Streamed only where every vector stored is aligned (32 bytes): each plane's run starts on a
// 32-byte boundary.
void f32_deinterleave_avx2(const float* x, int C, int64_t n, float* const* planes, bool stream) {
  for (int c = 0; c < C && stream; ++c) stream = reinterpret_cast<uintptr_t>(planes[c]) % 32 == 0;
  if (stream) deinterleave_n<true>(x, C, n, planes);
  else deinterleave_n<false>(x, C, n, planes);
}

}  // namespace

void register_avx2_deinterleave(KernelTable& t) { t.deinterleave = f32_deinterleave_avx2; }

}  // namespace convkit
