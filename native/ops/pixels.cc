// fromPixels / toPixels: 8-bit interleaved pixels <-> float images, with JavaScript's
// arithmetic (double products and sums, never fused, one rounding to float) and Uint8ClampedArray's
// conversion (round half to even, clamped, NaN to 0), so the facade's definition holds bit for
// bit. Parallel over runs of pixels.
#include <algorithm>
#include <cmath>
#include <string>

#include "../core/common.h"
#include "../core/threadpool.h"
#include "../core/unfused.h"
#include "ops.h"

namespace convkit {

namespace {

inline uint8_t clamp_u8(double v) {
  if (!(v > 0.)) return 0;  // (NaN too)
  if (v >= 255.) return 255;
  constexpr double kMagic = 6755399441055744.0;
  const double t = v + kMagic;  // (not folded away: no -ffast-math, IEEE order kept)
  return static_cast<uint8_t>(t - kMagic);
}

}  // namespace

void pixels_convert(const PixelsDesc& d) {
  if (d.C < 1 || d.C > 4) range_error(std::string(d.fn) + ": channels expects 1 to 4, got " + std::to_string(d.C));
  if (d.P < 0) range_error(std::string(d.fn) + ": pixels expects a count >= 0, got " + std::to_string(d.P));
  const int64_t P = d.P, C = d.C;
  constexpr int64_t kRun = 8192;
  parallel_for((P + kRun - 1) / kRun, 1, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t p0 = r * kRun, p1 = std::min(P, p0 + kRun);
      for (int64_t c = 0; c < C; ++c) {
        const double m = d.mul[c], a = d.add[c];
        const uint8_t* bp = d.bytes + c;
        float* fp = d.cl ? d.f + c : d.f + c * P;
        const int64_t fs = d.cl ? C : 1;
        if (d.to_float)
          for (int64_t p = p0; p < p1; ++p) fp[p * fs] = static_cast<float>(mul_unfused(static_cast<double>(bp[p * C]), m) + a);
        else
          for (int64_t p = p0; p < p1; ++p)
            d.bytes[p * C + c] = clamp_u8(mul_unfused(static_cast<double>(fp[p * fs]), m) + a);
      }
    }
  });
}

}  // namespace convkit
