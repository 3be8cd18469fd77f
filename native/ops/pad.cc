#include <algorithm>
#include <cstring>

#include "../core/common.h"
#include "../core/threadpool.h"
#include "internal.h"
#include "ops.h"

namespace convkit {

namespace {

// Pads in the input's own layout: channels-first is (N*C) planes of inner block 1,
// channels-last is N images whose pixels are blocks of C floats.
void pad_same_layout(const PadDesc& d, float* y) {
  const int64_t outer = d.in_cl ? d.N : d.N * d.C;
  const int64_t inner = d.in_cl ? d.C : 1;
  std::vector<int64_t> map[3];
  for (int i = 0; i < 3; ++i) map[i] = pad_index_map(d.mode, d.in[i], d.before[i], d.after[i]);
  const int64_t od = d.out[0], oh = d.out[1], ow = d.out[2];
  const int64_t in_plane = prod3(d.in) * inner;
  const float value = d.mode == PadMode::kConstant ? d.value : 0.f;
  const int64_t* mw = map[2].data();
  // Along W, output w reads input w - before inside [before, before + in) (every mode but a
  // circular crop: see copy_padded_row's callers).
  const bool identity_w = d.mode != PadMode::kCircular || (d.before[2] >= 0 && d.after[2] >= 0);
  // That interior run of output pixels [lo, hi) (empty when the map is not the identity).
  const int64_t lo = identity_w ? std::min<int64_t>(ow, std::max<int64_t>(0, d.before[2])) : 0;
  const int64_t hi = identity_w ? std::max<int64_t>(lo, std::min<int64_t>(ow, d.before[2] + d.in[2])) : 0;
  // A large result written around the caches: a plain store first reads each line it
  // overwrites (in-process A/B, W12's 26 MB on Zen 3: 0.85-0.89x the time at 1 thread,
  // 0.75-0.81x at 2; same bits).
  const bool stream = outer * od * oh * ow * inner * 4 >= kStreamCopyBytes;
  parallel_for(outer * od * oh, 16, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t o = r / (od * oh), z = (r / oh) % od, h = r % oh;
      float* yr = y + r * ow * inner;
      const int64_t sz = map[0][static_cast<size_t>(z)], sh = map[1][static_cast<size_t>(h)];
      if (sz < 0 || sh < 0) {
        std::fill(yr, yr + ow * inner, value);
        continue;
      }
      const float* xr = d.x + o * in_plane + (sz * d.in[1] + sh) * d.in[2] * inner;
      if (inner == 1) {
        // interior run copied whole; the edges through the map
        copy_padded_row(mw, xr, d.before[2], lo, hi, 0, ow, value, yr, stream);
      } else {
        // interior pixels copied as one run; the edges pixel by pixel
        if (hi > lo)
          std::memcpy(yr + lo * inner, xr + (lo - d.before[2]) * inner, static_cast<size_t>((hi - lo) * inner) * sizeof(float));
        for (int64_t w = 0; w < ow; ++w) {
          if (w == lo && hi > lo) {
            w = hi - 1;
            continue;
          }
          float* yp = yr + w * inner;
          if (mw[w] < 0) std::fill(yp, yp + inner, value);
          else std::memcpy(yp, xr + mw[w] * inner, static_cast<size_t>(inner) * sizeof(float));
        }
      }
    }
    if (stream) fence_streams();
  });
}

}  // namespace

void pad_forward(const PadDesc& d) {
  for (int i = 0; i < 3; ++i) {
    if (d.in[i] < 1 || d.out[i] < 1 || d.out[i] != d.in[i] + d.before[i] + d.after[i])
      range_error(std::string(d.fn) + ": padded extent does not match the input and padding");
    if (d.mode == PadMode::kCircular && d.in[i] + std::min<int64_t>(d.before[i], 0) + std::min<int64_t>(d.after[i], 0) < 1)
      range_error(std::string(d.fn) + ": circular padding crops the whole input");
  }
  if (d.N == 0) return;
  const int64_t S = prod3(d.out);
  if (d.in_cl == d.out_cl) {
    pad_same_layout(d, d.y);
    return;
  }
  const std::unique_ptr<float[]> tmp = scratch_raw(checked_mul(checked_mul(d.N, d.C, d.fn), S, d.fn), d.fn, "the padded result");
  pad_same_layout(d, tmp.get());
  transpose_layout(tmp.get(), d.y, d.N, d.C, S, d.out_cl, true);
}

}  // namespace convkit
