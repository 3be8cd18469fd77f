// Scalar pieces of the resampling kernels (ResizeRowPlan in kernels.h), shared by the
// portable loops (ops/interpolate.cc) and the SIMD kernel files. Internal linkage, as in
// simd-sse41.h: each file compiles its own copy with its own flags.
#pragma once
#include <cstdint>

#include "../core/unfused.h"
#include "kernels.h"

namespace convkit {
namespace {

// a * b rounded on its own (core/unfused.h).
inline float mul1(float a, float b) { return mul_unfused(a, b); }

// Any row plan, one output at a time, for `lanes` outputs per block: the fallback for tap
// counts without a SIMD kernel, and the whole row on the portable path (lanes = 1).
// x0*w0 + x1*w1 + ... in tap order; a plain gather when taps == 1.
inline void resize_row_any(const ResizeRowPlan& p, int64_t lanes, const float* x, float* y) {
  for (int64_t j = 0; j < p.n_out; ++j) {
    const int64_t b = j / lanes, l = j % lanes;
    const int32_t* id = p.idx + b * p.taps * lanes + l;
    const float* w = p.wt + b * p.taps * lanes + l;
    const int64_t off = p.kind[b] == 2 ? 0 : p.base[b];
    float acc = x[off + id[0]];
    if (p.taps > 1) {
      acc = mul1(acc, w[0]);
      for (int t = 1; t < p.taps; ++t) acc = acc + mul1(x[off + id[lanes * t]], w[lanes * t]);
    }
    y[j] = acc;
  }
}

}  // namespace
}  // namespace convkit
