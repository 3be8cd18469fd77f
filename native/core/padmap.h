// The one padding model of convkit. Every op that reads past an edge (pad, conv with a
// padding mode, the adjoint in transposed conv, partial conv) asks this map where a padded
// coordinate comes from. Source index -1 means "not from the input" (a constant/zero tap).
#pragma once
#include <cstdint>
#include <vector>

namespace convkit {

enum class PadMode : int {
  kZeros = 0,      // constant 0
  kConstant = 1,   // constant value
  kReflect = 2,    // mirror without repeating the edge (numpy 'reflect', torch 'reflect')
  kReplicate = 3,  // clamp (numpy 'edge')
  kCircular = 4,   // wrap (numpy 'wrap'); negative pads crop first, then wrap what is left
  kSymmetric = 5,  // mirror repeating the edge (numpy 'symmetric', OpenCV BORDER_REFLECT)
  kPartial = 6,    // zeros in the sum, then the partial-convolution reweighting
};

inline bool pad_mode_is_constant(PadMode m) {
  return m == PadMode::kZeros || m == PadMode::kConstant || m == PadMode::kPartial;
}

// Source index of padded coordinate j (0 <= j < n + before + after) of a dimension of
// extent n padded by (before, after); either may be negative (a crop). Reflections and
// wraps repeat as far as needed, as numpy.pad does for pads wider than the input.
int64_t pad_source_index(PadMode mode, int64_t j, int64_t n, int64_t before, int64_t after);

// The whole map of one dimension: out[j] = pad_source_index(mode, j, n, before, after).
std::vector<int64_t> pad_index_map(PadMode mode, int64_t n, int64_t before, int64_t after);

// Padded coordinates [a, b) of one input row src through its dimension's map, to
// dst[0, b - a): the run [lo, hi), whose sources are c - shift (the caller's identity run,
// inside the input), copied whole; every other coordinate through the map (source < 0: fill).
// stream: the run written with non-temporal stores (a result far larger than the caches;
// the caller fences them, fence_streams in common.h, before the result is used).
void copy_padded_row(const int64_t* map, const float* src, int64_t shift, int64_t lo, int64_t hi, int64_t a, int64_t b,
                     float fill, float* dst, bool stream = false);

// dst[0, n) = src[0, n), dst's whole 16-byte blocks by non-temporal stores (x86; elsewhere a
// plain copy), to be fenced by fence_streams.
void copy_stream(float* dst, const float* src, int64_t n);

}  // namespace convkit
