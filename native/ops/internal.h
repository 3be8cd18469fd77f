// Helpers shared by the operators (not part of the binding's surface).
#pragma once
#include <cstdint>
#include <vector>

namespace convkit {

// NC(S) -> N(S)C when to_cl, else back; parallel over images and channel/space blocks.
void transpose_layout(const float* src, float* dst, int64_t N, int64_t C, int64_t S, bool to_cl);

// The input viewed channels-first: x itself, or a converted copy held in tmp.
const float* channels_first(const float* x, bool cl, int64_t N, int64_t C, int64_t S, std::vector<float>& tmp,
                            const char* fn);

// Writes the channels-first result `src` to `dst` in the requested layout (copy or transpose).
void store_result(const float* src, float* dst, bool cl, int64_t N, int64_t C, int64_t S);

struct ConvDesc;
// The SIMD driver (ops/conv_fast.cc): raw sums of x (channels-first, unpadded) with w
// ([Cout, Cin/g, k...]) into y (channels-first), finished as (raw * scale + bias) * post with
// per-pixel scale/post when given. False when the active ISA has no such kernels.
bool conv_fast(const ConvDesc& d, const float* x, const float* w, float* y, const float* scale, const float* post);

inline int64_t prod3(const int64_t* v) { return v[0] * v[1] * v[2]; }

}  // namespace convkit
