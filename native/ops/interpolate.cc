// torch.nn.functional.interpolate: every mode is a separable resampling, so each spatial
// dimension gets a table of (source index, weight) taps computed exactly as PyTorch's CPU
// kernels compute them (float index arithmetic included), and one loop applies the tables.
#include <algorithm>
#include <cmath>
#include <cstring>
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

// One separable pass along an axis of a [outer][n_in][inner] view:
//   out[o][j][i] = sum_t wt[j,t] * in[o][src[j,t]][i]   (first term t*w, then += t*w: torch's order)
void resample_axis(const Taps& t, const float* in, float* out, int64_t outer, int64_t n_in, int64_t n_out, int64_t inner) {
  parallel_for(outer * n_out, inner == 1 ? 64 : 4, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t o = r / n_out, j = r % n_out;
      const float* src = in + o * n_in * inner;
      float* dst = out + r * inner;
      const int64_t f = t.first[static_cast<size_t>(j)], c = t.count[static_cast<size_t>(j)];
      const int64_t* sx = t.src.data() + f;
      const float* wx = t.wt.data() + f;
      if (inner == 1) {
        float acc = src[sx[0]] * wx[0];
        for (int64_t k = 1; k < c; ++k) acc = acc + src[sx[k]] * wx[k];
        dst[0] = acc;
        continue;
      }
      const float* s0 = src + sx[0] * inner;
      const float w0 = wx[0];
      if (c == 1 && w0 == 1.f) {  // nearest: x * 1 is x
        std::memcpy(dst, s0, static_cast<size_t>(inner) * sizeof(float));
        continue;
      }
      for (int64_t i = 0; i < inner; ++i) dst[i] = s0[i] * w0;
      for (int64_t k = 1; k < c; ++k) {
        const float* sk = src + sx[k] * inner;
        const float wk = wx[k];
        for (int64_t i = 0; i < inner; ++i) dst[i] = dst[i] + sk[i] * wk;
      }
    }
  });
}

// The innermost axis of a channels-first plane: out[o][j] over rows of n_in, vectorised
// across the rows' outputs by precomputed taps (a gather).
void resample_last(const Taps& t, const float* in, float* out, int64_t rows, int64_t n_in, int64_t n_out) {
  // Nearest at exactly 2x (source j/2): each input duplicated, a vectorisable copy.
  bool dup2 = n_out == 2 * n_in;
  for (int64_t j = 0; dup2 && j < n_out; ++j)
    dup2 = t.count[static_cast<size_t>(j)] == 1 && t.src[static_cast<size_t>(t.first[static_cast<size_t>(j)])] == j / 2 &&
           t.wt[static_cast<size_t>(t.first[static_cast<size_t>(j)])] == 1.f;
  if (dup2) {
    parallel_for(rows, 16, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const float* src = in + r * n_in;
        float* dst = out + r * n_out;
        for (int64_t j = 0; j < n_in; ++j) {
          dst[2 * j] = src[j];
          dst[2 * j + 1] = src[j];
        }
      }
    });
    return;
  }
  // Two taps (linear): flat index and weight arrays instead of the general tap lists.
  bool two = true;
  for (int64_t j = 0; two && j < n_out; ++j) two = t.count[static_cast<size_t>(j)] == 2 && t.first[static_cast<size_t>(j)] == 2 * j;
  if (two) {
    const int64_t* sx = t.src.data();
    const float* wx = t.wt.data();
    parallel_for(rows, 16, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const float* src = in + r * n_in;
        float* dst = out + r * n_out;
        for (int64_t j = 0; j < n_out; ++j) dst[j] = src[sx[2 * j]] * wx[2 * j] + src[sx[2 * j + 1]] * wx[2 * j + 1];
      }
    });
    return;
  }
  parallel_for(rows, 16, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* src = in + r * n_in;
      float* dst = out + r * n_out;
      for (int64_t j = 0; j < n_out; ++j) {
        const int64_t f = t.first[static_cast<size_t>(j)], c = t.count[static_cast<size_t>(j)];
        float acc = src[t.src[static_cast<size_t>(f)]] * t.wt[static_cast<size_t>(f)];
        for (int64_t k = 1; k < c; ++k) acc = acc + src[t.src[static_cast<size_t>(f + k)]] * t.wt[static_cast<size_t>(f + k)];
        dst[j] = acc;
      }
    }
  });
}

bool is_identity(const Taps& t, int64_t in, int64_t out) {
  if (in != out) return false;
  for (int64_t j = 0; j < out; ++j)
    if (t.count[static_cast<size_t>(j)] != 1 || t.src[static_cast<size_t>(t.first[static_cast<size_t>(j)])] != j ||
        t.wt[static_cast<size_t>(t.first[static_cast<size_t>(j)])] != 1.f)
      return false;
  return true;
}

}  // namespace

// Separable: W, then H, then D — the nesting of torch's kernels (innermost dim summed first),
// so each pass computes exactly the partial sums torch does. Works in the input's layout.
void interpolate_forward(const InterpDesc& d) {
  const std::string f = std::string(d.fn) + ": ";
  for (int i = 0; i < 3; ++i)
    if (d.in[i] < 1 || d.out[i] < 1) range_error(f + "extents must be positive");
  if (d.N == 0) return;
  Taps taps[3];
  for (int i = 0; i < 3; ++i) {
    const bool active = i >= 3 - d.rank;
    if (!active && d.in[i] != d.out[i]) range_error(f + "inactive dimension changed extent");
    if (active) taps[i] = make_taps(d.mode, d.in[i], d.out[i], d.scale[i], d.align_corners);
  }
  const bool area = d.mode == InterpMode::kArea;
  const bool cl = d.in_cl;
  const int64_t C = d.C;
  // Current extents, updated after each pass.
  int64_t ext[3] = {d.in[0], d.in[1], d.in[2]};
  const float* cur = d.x;
  int slot = 1;
  float* last_buf = nullptr;
  const bool same_layout = d.in_cl == d.out_cl || C == 1 || prod3(d.out) == 1;
  int last_axis = -1;  // the final pass writes straight into y when no relayout follows
  for (int axis = 0; axis < 3; ++axis)
    if (axis >= 3 - d.rank && (area || !is_identity(taps[axis], d.in[axis], d.out[axis]))) { last_axis = axis; break; }
  for (int axis = 2; axis >= 0; --axis) {
    if (axis < 3 - d.rank || (!area && is_identity(taps[axis], d.in[axis], d.out[axis]))) continue;
    int64_t outer, inner;
    if (cl) {  // [N][D][H][W][C]
      outer = d.N;
      for (int i = 0; i < axis; ++i) outer *= ext[i];
      inner = C;
      for (int i = axis + 1; i < 3; ++i) inner *= ext[i];
    } else {  // [N][C][D][H][W]
      outer = d.N * C;
      for (int i = 0; i < axis; ++i) outer *= ext[i];
      inner = 1;
      for (int i = axis + 1; i < 3; ++i) inner *= ext[i];
    }
    const int64_t count = checked_mul(checked_mul(outer, d.out[axis], d.fn), inner, d.fn);
    float* nxt = (axis == last_axis && same_layout) ? d.y : arena(slot, count, d.fn, "an interpolation pass");
    slot = slot == 1 ? 2 : 1;
    if (inner == 1) resample_last(taps[axis], cur, nxt, outer, ext[axis], d.out[axis]);
    else resample_axis(taps[axis], cur, nxt, outer, ext[axis], d.out[axis], inner);
    ext[axis] = d.out[axis];
    cur = nxt;
    last_buf = nxt;
  }
  const int64_t S = prod3(d.out), total = d.N * C * S;
  float* res = last_buf;
  if (area) {  // sums -> means: divide by the window size (product of the per-dim counts)
    float* r = res;
    auto cnt = [&](int i, int64_t j) { return taps[i].count.empty() ? int64_t{1} : taps[i].count[static_cast<size_t>(j)]; };
    parallel_for(d.N * (cl ? 1 : C) * S, 256, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const int64_t sp = p % S, w = sp % d.out[2], h = (sp / d.out[2]) % d.out[1], z = sp / (d.out[2] * d.out[1]);
        const float div = static_cast<float>(cnt(0, z) * cnt(1, h) * cnt(2, w));
        if (cl) for (int64_t c = 0; c < C; ++c) r[p * C + c] /= div;
        else r[p] /= div;
      }
    });
  }
  if (!res) {  // every pass was the identity
    if (d.in_cl == d.out_cl || C == 1 || S == 1) std::memcpy(d.y, d.x, static_cast<size_t>(total) * sizeof(float));
    else transpose_layout(d.x, d.y, d.N, C, S, d.out_cl);
    return;
  }
  if (res == d.y) return;
  if (same_layout) std::memcpy(d.y, res, static_cast<size_t>(total) * sizeof(float));
  else transpose_layout(res, d.y, d.N, C, S, d.out_cl);
}

}  // namespace convkit
