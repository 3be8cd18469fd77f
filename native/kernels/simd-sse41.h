// Helpers shared by the SSE4.1 kernel files (f32-*-sse41.cc), which include it after
// <smmintrin.h>. Internal linkage: each ISA's files get their own copies, compiled with their
// own flags, so the linker can never hand one ISA's code to another's caller.
#pragma once
#include <smmintrin.h>

#include <cstdint>

namespace convkit {
namespace {

// The first n floats at p (n clamped to 0..4), zeros above; reads nothing past p + n.
inline __m128 load_partial(const float* p, int64_t n) {
  if (n >= 4) return _mm_loadu_ps(p);
  if (n <= 0) return _mm_setzero_ps();
  if (n == 1) return _mm_load_ss(p);
  const __m128 lo = _mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(p));
  return n == 2 ? lo : _mm_movelh_ps(lo, _mm_load_ss(p + 2));
}

// The first n lanes of v (n clamped to 0..4) to p; writes nothing past p + n.
inline void store_partial(float* p, __m128 v, int64_t n) {
  if (n >= 4) {
    _mm_storeu_ps(p, v);
  } else if (n == 3) {
    _mm_storel_pi(reinterpret_cast<__m64*>(p), v);
    _mm_store_ss(p + 2, _mm_movehl_ps(v, v));
  } else if (n == 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(p), v);
  } else if (n == 1) {
    _mm_store_ss(p, v);
  }
}

inline __m128 madd(__m128 a, __m128 b, __m128 c) { return _mm_add_ps(c, _mm_mul_ps(a, b)); }  // c + a*b

}  // namespace
}  // namespace convkit
