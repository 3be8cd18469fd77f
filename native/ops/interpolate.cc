// torch.nn.functional.interpolate: every mode is a separable resampling, so each spatial
// dimension gets a table of (source index, weight) taps computed exactly as PyTorch's CPU
// kernels compute them (float index arithmetic included), and one loop applies the tables.
#include <algorithm>
#include <cmath>
#include <string>

#include "../core/common.h"
#include "../core/threadpool.h"
#include "internal.h"
#include "ops.h"

namespace convkit {

namespace {

struct Taps {
  std::vector<int64_t> first, count;  // per output index: where its taps start, how many
  std::vector<int64_t> src;
  std::vector<float> wt;
  void add(int64_t s, float w) {
    src.push_back(s);
    wt.push_back(w);
  }
};

// compute_scales_value: 1/scale_factor when the caller's factor is passed on, else in/out.
float scales_value(double scale, int64_t in, int64_t out) {
  return scale > 0. ? static_cast<float>(1.0 / scale) : static_cast<float>(in) / static_cast<float>(out);
}

float linear_scale(int64_t in, int64_t out, bool align, double scale) {
  if (align) return out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.f;
  return scales_value(scale, in, out);
}

float source_index(float scale, int64_t o, bool align, bool cubic) {
  if (align) return scale * static_cast<float>(o);
  const float s = scale * (static_cast<float>(o) + 0.5f) - 0.5f;
  return (!cubic && s < 0.f) ? 0.f : s;
}

float cubic1(float x, float A) { return ((A + 2) * x - (A + 3)) * x * x + 1; }
float cubic2(float x, float A) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; }

Taps make_taps(InterpMode mode, int64_t in, int64_t out, double scale, bool align) {
  Taps t;
  t.first.resize(static_cast<size_t>(out));
  t.count.resize(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    t.first[static_cast<size_t>(o)] = static_cast<int64_t>(t.src.size());
    switch (mode) {
      case InterpMode::kNearest: {
        // torch's generic (channels-first) kernel: floor(o * scale), no 1x/2x shortcuts.
        const float sc = scales_value(scale, in, out);
        t.add(std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * sc)), in - 1), 1.f);
        break;
      }
      case InterpMode::kNearestExact: {
        const float sc = scales_value(scale, in, out);
        const float f = static_cast<float>((static_cast<double>(o) + 0.5) * static_cast<double>(sc));
        t.add(std::min(static_cast<int64_t>(std::floor(f)), in - 1), 1.f);
        break;
      }
      case InterpMode::kLinear: {
        if (in == out) {  // torch copies a dim whose size does not change, whatever the factor
          t.add(o, 1.f);
          break;
        }
        const float real = source_index(linear_scale(in, out, align, scale), o, align, false);
        const int64_t i0 = std::min(static_cast<int64_t>(std::floor(real)), in - 1);
        const float lambda = std::min(std::max(real - static_cast<float>(i0), 0.f), 1.f);
        const int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
        t.add(i0, 1.f - lambda);
        t.add(i1, lambda);
        break;
      }
      case InterpMode::kCubic: {
        const float real = source_index(linear_scale(in, out, align, scale), o, align, true);
        const int64_t i0 = static_cast<int64_t>(std::floor(real));
        const float x = real - static_cast<float>(i0), A = -0.75f;
        const float x2 = 1.f - x;
        const float w[4] = {cubic2(x + 1.f, A), cubic1(x, A), cubic1(x2, A), cubic2(x2 + 1.f, A)};
        for (int j = 0; j < 4; ++j) t.add(std::max<int64_t>(std::min<int64_t>(i0 - 1 + j, in - 1), 0), w[j]);
        break;
      }
      case InterpMode::kArea: {  // adaptive average pooling windows
        const int64_t s = (o / out) * in + ((o % out) * in) / out;
        const int64_t e = 1 + ((o + 1) * in - 1) / out;
        for (int64_t i = s; i < e; ++i) t.add(i, 1.f);
        break;
      }
    }
    t.count[static_cast<size_t>(o)] = static_cast<int64_t>(t.src.size()) - t.first[static_cast<size_t>(o)];
  }
  return t;
}

}  // namespace

void interpolate_forward(const InterpDesc& d) {
  const std::string f = std::string(d.fn) + ": ";
  for (int i = 0; i < 3; ++i)
    if (d.in[i] < 1 || d.out[i] < 1) range_error(f + "extents must be positive");
  if (d.N == 0) return;
  // Dimensions beyond the op's rank are left alone: one tap of weight 1.
  Taps taps[3];
  for (int i = 0; i < 3; ++i) {
    const bool active = i >= 3 - d.rank;
    if (!active && d.in[i] != d.out[i]) range_error(f + "inactive dimension changed extent");
    taps[i] = active ? make_taps(d.mode, d.in[i], d.out[i], d.scale[i], d.align_corners)
                     : make_taps(InterpMode::kNearest, 1, 1, 0., false);
  }
  const bool area = d.mode == InterpMode::kArea;
  const int64_t outer = d.in_cl ? d.N : d.N * d.C, inner = d.in_cl ? d.C : 1;
  const int64_t in_plane = prod3(d.in) * inner, OD = d.out[0], OH = d.out[1], OW = d.out[2];
  const int64_t IH = d.in[1], IW = d.in[2];
  std::vector<float> tmp;
  const bool relayout = d.in_cl != d.out_cl && d.C > 1 && prod3(d.out) > 1;
  if (relayout) tmp = scratch(checked_mul(d.N * d.C, prod3(d.out), d.fn), d.fn, "the resampled result");
  float* y = relayout ? tmp.data() : d.y;
  const Taps &td = taps[0], &th = taps[1], &tw = taps[2];
  parallel_for(outer * OD * OH, 8, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t o = r / (OD * OH), z = (r / OH) % OD, h = r % OH;
      const float* xo = d.x + o * in_plane;
      float* yr = y + r * OW * inner;
      const int64_t fd = td.first[static_cast<size_t>(z)], nd = td.count[static_cast<size_t>(z)];
      const int64_t fh = th.first[static_cast<size_t>(h)], nh = th.count[static_cast<size_t>(h)];
      for (int64_t w = 0; w < OW; ++w) {
        const int64_t fw = tw.first[static_cast<size_t>(w)], nw = tw.count[static_cast<size_t>(w)];
        for (int64_t c = 0; c < inner; ++c) {
          float acc_d = 0.f;
          for (int64_t a = 0; a < nd; ++a) {
            const float* xd = xo + td.src[static_cast<size_t>(fd + a)] * IH * IW * inner + c;
            float acc_h = 0.f;
            for (int64_t bb = 0; bb < nh; ++bb) {
              const float* xh = xd + th.src[static_cast<size_t>(fh + bb)] * IW * inner;
              float acc_w = 0.f;
              for (int64_t cc = 0; cc < nw; ++cc) {
                const float v = xh[tw.src[static_cast<size_t>(fw + cc)] * inner];
                acc_w = cc == 0 ? v * tw.wt[static_cast<size_t>(fw + cc)] : acc_w + v * tw.wt[static_cast<size_t>(fw + cc)];
              }
              acc_h = bb == 0 ? acc_w * th.wt[static_cast<size_t>(fh + bb)] : acc_h + acc_w * th.wt[static_cast<size_t>(fh + bb)];
            }
            acc_d = a == 0 ? acc_h * td.wt[static_cast<size_t>(fd + a)] : acc_d + acc_h * td.wt[static_cast<size_t>(fd + a)];
          }
          if (area) acc_d /= static_cast<float>(nd * nh * nw);
          yr[w * inner + c] = acc_d;
        }
      }
    }
  });
  if (relayout) transpose_layout(tmp.data(), d.y, d.N, d.C, prod3(d.out), d.out_cl);
}

}  // namespace convkit
