// Helpers shared by the NEON kernel files (f32-*-neon.cc, AArch64 only). Internal linkage,
// as in simd-sse41.h.
#pragma once
#include <arm_neon.h>

#include <cstdint>

namespace convkit {
namespace {

// The first n floats at p (n clamped to 0..4), zeros above; reads nothing past p + n.
inline float32x4_t load_partial(const float* p, int64_t n) {
  if (n >= 4) return vld1q_f32(p);
  float32x4_t v = vdupq_n_f32(0.f);
  if (n >= 1) v = vld1q_lane_f32(p, v, 0);
  if (n >= 2) v = vld1q_lane_f32(p + 1, v, 1);
  if (n >= 3) v = vld1q_lane_f32(p + 2, v, 2);
  return v;
}

// The first n lanes of v (n clamped to 0..4) to p; writes nothing past p + n.
inline void store_partial(float* p, float32x4_t v, int64_t n) {
  if (n >= 4) {
    vst1q_f32(p, v);
    return;
  }
  if (n >= 1) vst1q_lane_f32(p, v, 0);
  if (n >= 2) vst1q_lane_f32(p + 1, v, 1);
  if (n >= 3) vst1q_lane_f32(p + 2, v, 2);
}

inline float32x4_t madd(float32x4_t a, float32x4_t b, float32x4_t c) { return vfmaq_f32(c, a, b); }  // c + a*b, fused

}  // namespace
}  // namespace convkit
