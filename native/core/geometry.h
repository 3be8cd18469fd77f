// Shape arithmetic of the guide (Dumoulin & Visin), used by the native layer to re-check
// what the TypeScript facade computed. The facade's lib/geometry.ts is the API-facing
// twin; both apply the same formulas, and the native side refuses any disagreement.
#pragma once
#include <cstdint>

namespace convkit {

constexpr int kMaxSpatial = 3;

// o = floor((i + p_before + p_after - d*(k-1) - 1) / s) + 1, or <= 0 when the window
// does not fit.
inline int64_t conv_out_size(int64_t i, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pa) {
  const int64_t span = d * (k - 1) + 1;
  const int64_t padded = i + pb + pa;
  if (padded < span) return 0;
  return (padded - span) / s + 1;
}

// o' = (i'-1)*s - p_before - p_after + d*(k-1) + output_padding + 1
inline int64_t conv_transpose_out_size(int64_t i, int64_t k, int64_t s, int64_t d, int64_t pb,
                                       int64_t pa, int64_t op) {
  return (i - 1) * s - pb - pa + d * (k - 1) + op + 1;
}

}  // namespace convkit
