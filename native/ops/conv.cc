// Convolution (every padding mode, incl. partial-convolution-based padding) and NVIDIA's
// partial convolution. Padding is resolved by the shared padding model (core/padmap),
// the sums by the dispatch table's plane kernel.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <string>

#include "../core/common.h"
#include "../core/geometry.h"
#include "../core/threadpool.h"
#include "../kernels/kernels.h"
#include "internal.h"
#include "ops.h"

namespace convkit {

namespace {

std::string fn_of(const char* fn) { return std::string(fn) + ": "; }

// Weight in [Cout, Cin/g, k...] order: the input itself, or a reordered copy in tmp.
const float* weight_ois(const ConvDesc& d, std::vector<float>& tmp) {
  if (d.wl == WeightLayout::kOIS) return d.w;
  const int64_t cin_g = d.Cin / d.groups, K = prod3(d.k);
  tmp = scratch(d.Cout * cin_g * K, d.fn, "the reordered weight");
  for (int64_t o = 0; o < d.Cout; ++o)
    for (int64_t i = 0; i < cin_g; ++i)
      for (int64_t k = 0; k < K; ++k) {
        const int64_t src = d.wl == WeightLayout::kSIO ? (k * cin_g + i) * d.Cout + o : (o * K + k) * cin_g + i;
        tmp[static_cast<size_t>((o * cin_g + i) * K + k)] = d.w[src];
      }
  return tmp.data();
}

// Pads a channels-first [planes, in...] block with the conv's pads; returns x when no pad.
const float* padded_input(const float* x, int64_t planes, const int64_t* in, const int64_t* pb, const int64_t* pa,
                          PadMode mode, float value, std::vector<float>& tmp, const char* fn) {
  if (pb[0] == 0 && pb[1] == 0 && pb[2] == 0 && pa[0] == 0 && pa[1] == 0 && pa[2] == 0) return x;
  PadDesc p;
  p.fn = fn;
  p.N = planes;
  p.C = 1;
  for (int i = 0; i < 3; ++i) {
    p.in[i] = in[i];
    p.before[i] = pb[i];
    p.after[i] = pa[i];
    p.out[i] = in[i] + pb[i] + pa[i];
  }
  p.mode = pad_mode_is_constant(mode) ? PadMode::kConstant : mode;
  p.value = mode == PadMode::kConstant ? value : 0.f;
  p.x = x;
  tmp = scratch(checked_mul(planes, prod3(p.out), fn), fn, "the padded input");
  p.y = tmp.data();
  pad_forward(p);
  return tmp.data();
}

PlaneGeom plane_geom(const ConvDesc& d, int64_t cin) {
  PlaneGeom g;
  g.cin = cin;
  g.xd = d.in[0] + d.pb[0] + d.pa[0];
  g.xh = d.in[1] + d.pb[1] + d.pa[1];
  g.xw = d.in[2] + d.pb[2] + d.pa[2];
  g.kd = d.k[0]; g.kh = d.k[1]; g.kw = d.k[2];
  g.sd = d.stride[0]; g.sh = d.stride[1]; g.sw = d.stride[2];
  g.dd = d.dil[0]; g.dh = d.dil[1]; g.dw = d.dil[2];
  g.od = d.out[0]; g.oh = d.out[1]; g.ow = d.out[2];
  return g;
}

// Number of window taps of output o that fall inside [0, n) along one dimension.
std::vector<int64_t> inbounds_taps(int64_t out, int64_t n, int64_t k, int64_t s, int64_t dl, int64_t pb) {
  std::vector<int64_t> c(static_cast<size_t>(out), 0);
  for (int64_t o = 0; o < out; ++o)
    for (int64_t t = 0; t < k; ++t) {
      const int64_t i = o * s - pb + t * dl;
      if (i >= 0 && i < n) ++c[static_cast<size_t>(o)];
    }
  return c;
}

// Sum of all taps of a valid convolution of every plane: x [N, C, P...] (zero-padded),
// w [Cout, C/g, k...] -> y [N, Cout, out...].
void conv_planes(const ConvDesc& d, const float* xpad, const float* w, float* y,
                 const std::function<void(int64_t n, int64_t oc, float* plane)>& epilogue) {
  const int64_t cin_g = d.Cin / d.groups, cout_g = d.Cout / d.groups, K = prod3(d.k);
  const PlaneGeom g = plane_geom(d, cin_g);
  const int64_t xplane = g.xd * g.xh * g.xw, oplane = prod3(d.out);
  const ConvPlaneFn kern = kernels().conv_plane;
  parallel_for(d.N * d.Cout, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t n = t / d.Cout, oc = t % d.Cout, grp = oc / cout_g;
      float* yp = y + t * oplane;
      kern(g, xpad + (n * d.Cin + grp * cin_g) * xplane, w + oc * cin_g * K, yp);
      epilogue(n, oc, yp);
    }
  });
}

}  // namespace

void check_conv(const ConvDesc& d) {
  const std::string f = fn_of(d.fn);
  if (d.rank < 1 || d.rank > 3) range_error(f + "rank must be 1, 2 or 3");
  if (d.N < 0 || d.Cin < 1 || d.Cout < 1 || d.groups < 1) range_error(f + "sizes must be positive");
  if (d.Cin % d.groups || d.Cout % d.groups) range_error(f + "channels must be divisible by groups");
  for (int i = 0; i < 3; ++i) {
    if (d.in[i] < 1 || d.k[i] < 1 || d.stride[i] < 1 || d.dil[i] < 1 || d.pb[i] < 0 || d.pa[i] < 0)
      range_error(f + "spatial parameters out of range");
    if (d.out[i] < 1 || d.out[i] != conv_out_size(d.in[i], d.k[i], d.stride[i], d.dil[i], d.pb[i], d.pa[i]))
      range_error(f + "output extent does not match the convolution arithmetic");
  }
  if (d.mask && d.mask_c != 1 && d.mask_c != d.Cin) range_error(f + "mask must have 1 or Cin channels");
}

std::vector<float> pack_conv(const ConvDesc& d, bool* wino) {
  check_conv(d);
  if (!d.w) type_error(fn_of(d.fn) + "missing buffer");
  std::vector<float> wt;
  const float* w = weight_ois(d, wt);
  std::vector<float> u = winograd_pack(d, w);
  *wino = !u.empty();
  return *wino ? u : pgemm_pack(d, w);
}

void conv_forward(const ConvDesc& d) {
  check_conv(d);
  if (d.N == 0) return;
  if (!d.x || !d.w || !d.y) type_error(fn_of(d.fn) + "missing buffer");
  const int64_t Sin = prod3(d.in), Sout = prod3(d.out);
  std::unique_ptr<float[]> xt, yt;
  std::vector<float> wt, pt;
  // A channels-last input read, and a channels-last result written, by conv_fast's gathering
  // paths themselves where they can; else converted before and after.
  ConvDesc dd = d;
  dd.x_cl = d.in_cl && conv_fast_reads_cl(d);
  dd.y_cl = d.out_cl && d.Cout > 1 && Sout > 1 && conv_fast_writes_cl(d);
  const float* x = dd.x_cl ? d.x : channels_first(d.x, d.in_cl, d.N, d.Cin, Sin, xt, d.fn);
  const float* w = weight_ois(d, wt);
  const bool transpose_out = d.out_cl && d.Cout > 1 && Sout > 1 && !dd.y_cl;
  if (transpose_out) yt = scratch_raw(checked_mul(d.N * d.Cout, Sout, d.fn), d.fn, "the channels-first result");
  float* y = transpose_out ? yt.get() : d.y;

  // paddingMode 'partial': sum * window / in-bounds taps, 0 (bias too) where there are none.
  std::vector<float> ratio, post;
  if (d.mode == PadMode::kPartial) {
    std::vector<int64_t> c[3];
    for (int i = 0; i < 3; ++i) c[i] = inbounds_taps(d.out[i], d.in[i], d.k[i], d.stride[i], d.dil[i], d.pb[i]);
    const float window = static_cast<float>(prod3(d.k));
    ratio.resize(static_cast<size_t>(Sout));
    note_scratch(Sout * static_cast<int64_t>(sizeof(float)));
    for (int64_t a = 0; a < d.out[0]; ++a)
      for (int64_t b = 0; b < d.out[1]; ++b)
        for (int64_t e = 0; e < d.out[2]; ++e) {
          const int64_t cnt = c[0][static_cast<size_t>(a)] * c[1][static_cast<size_t>(b)] * c[2][static_cast<size_t>(e)];
          ratio[static_cast<size_t>((a * d.out[1] + b) * d.out[2] + e)] = cnt ? window / static_cast<float>(cnt) : 0.f;
        }
    post.resize(ratio.size());
    note_scratch(static_cast<int64_t>(post.size() * sizeof(float)));
    for (size_t i = 0; i < ratio.size(); ++i) post[i] = ratio[i] != 0.f ? 1.f : 0.f;
  }
  if (conv_fast(dd, x, w, y, ratio.empty() ? nullptr : ratio.data(), post.empty() ? nullptr : post.data())) {
    if (transpose_out) store_result(y, d.y, true, d.N, d.Cout, Sout);
    return;
  }
  const float* xp = padded_input(x, d.N * d.Cin, d.in, d.pb, d.pa, d.mode, d.pad_value, pt, d.fn);

  conv_planes(d, xp, w, y, [&](int64_t, int64_t oc, float* yp) {
    if (!ratio.empty()) {
      const float b = d.bias ? d.bias[oc] : 0.f;
      for (int64_t s = 0; s < Sout; ++s) yp[s] = ratio[static_cast<size_t>(s)] != 0.f ? yp[s] * ratio[static_cast<size_t>(s)] + b : 0.f;
    } else if (d.bias) {
      const float b = d.bias[oc];
      for (int64_t s = 0; s < Sout; ++s) yp[s] += b;
    }
  });
  if (transpose_out) store_result(y, d.y, true, d.N, d.Cout, Sout);
}

void partial_conv_forward(const ConvDesc& d) {
  check_conv(d);
  if (d.N == 0) return;
  if (!d.x || !d.w || !d.y || !d.mask_out) type_error(fn_of(d.fn) + "missing buffer");
  const int64_t Sin = prod3(d.in), Sout = prod3(d.out), K = prod3(d.k);
  const int64_t mc = d.mask ? d.mask_c : (d.multi_channel ? d.Cin : 1);
  std::unique_ptr<float[]> xt, mt, yt;
  std::vector<float> wt, pt, mp;
  const float* x = channels_first(d.x, d.in_cl, d.N, d.Cin, Sin, xt, d.fn);
  const float* w = weight_ois(d, wt);
  const float* m = d.mask ? channels_first(d.mask, d.in_cl, d.N, mc, Sin, mt, d.fn) : nullptr;

  // The mask summed over its channels (what conv(mask, ones) reduces), then the count and
  // the ratio: every element written before it is read, so one uninitialised arena block
  // holds them (zeroed vectors cost W10 a pass over 1 MB per call). x ⊙ mask is formed by
  // the SIMD driver as it gathers the input; only the portable path below needs it whole.
  const int64_t nms = std::max(checked_mul(d.N, Sin, d.fn), d.N * Sout);
  float* const ms = arena(3, nms + d.N * Sout, d.fn, "the mask sum and count");
  float* const cnt = ms + nms;
  // The sum in blocks of 16K pixels per image, so that every thread takes some, checking on
  // the way that the values are in [0, 1] (NaN passes: data propagates, SPEC §4): one pass
  // over the mask and one parallel region, not two. (W10, timed inside the op: 42 -> 21 us
  // at 1 thread; ~38 us at 2 either way.)
  const int64_t sblk = (Sin + 16383) / 16384;
  std::atomic<bool> bad{false};
  parallel_for(d.N * sblk, 1, [&](int64_t b, int64_t e) {
    int64_t out = 0;  // (counted with | rather than ||: the loops vectorize)
    for (int64_t it = b; it < e; ++it) {
      const int64_t n = it / sblk, s0 = it % sblk * 16384, s1 = std::min(Sin, s0 + 16384);
      float* o = ms + n * Sin;
      if (!m) {
        std::fill(o + s0, o + s1, static_cast<float>(mc));
        continue;
      }
      const float* m0 = m + n * mc * Sin;
      for (int64_t s = s0; s < s1; ++s) {
        const float v = m0[s];
        out += (v < 0.f) | (v > 1.f);
        o[s] = v;
      }
      for (int64_t c = 1; c < mc; ++c)
        for (int64_t s = s0; s < s1; ++s) {
          const float v = m0[c * Sin + s];
          out += (v < 0.f) | (v > 1.f);
          o[s] += v;
        }
    }
    if (out > 0) bad.store(true);
  });
  if (bad.load())  // the first offending element, by its index in the mask as given
    for (int64_t i = 0; i < d.N * mc * Sin; ++i)
      if (d.mask[i] < 0.f || d.mask[i] > 1.f)
        range_error(fn_of(d.fn) + "mask expects values in [0, 1], got " + std::to_string(d.mask[i]) + " at index " + std::to_string(i));

  // count = window sum of the mask sum, with the conv's geometry and zero padding: a
  // one-channel convolution with a kernel of ones (integer sums, exact for binary masks).
  {
    const std::vector<float> ones(static_cast<size_t>(K), 1.f);
    ConvDesc one = d;
    one.Cin = 1; one.Cout = 1; one.groups = 1; one.mode = PadMode::kZeros; one.bias = nullptr; one.w_pg = nullptr; one.w_wino = nullptr;
    one.in_cl = one.out_cl = false;
    if (!conv_fast(one, ms, ones.data(), cnt, nullptr, nullptr)) {
      const float* msp = padded_input(ms, d.N, d.in, d.pb, d.pa, PadMode::kZeros, 0.f, mp, d.fn);
      const PlaneGeom g = plane_geom(d, 1);
      const int64_t xplane = g.xd * g.xh * g.xw;
      const ConvPlaneFn kern = scalar_kernels().conv_plane;
      parallel_for(d.N, 1, [&](int64_t b, int64_t e) {
        for (int64_t n = b; n < e; ++n) kern(g, msp + n * xplane, ones.data(), cnt + n * Sout);
      });
    }
  }
  const float slide = static_cast<float>((d.multi_channel ? d.Cin : 1) * K);
  // cnt becomes the new mask, ms (reused, [N, Sout]) the ratio.
  parallel_for(d.N * Sout, 1 << 12, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float c = cnt[i];
      const float nm = std::min(std::max(c, 0.f), 1.f);
      ms[i] = slide / (c + 1e-8f) * nm;
      cnt[i] = nm;
    }
  });

  const bool transpose_out = d.out_cl && d.Cout > 1 && Sout > 1;
  if (transpose_out) yt = scratch_raw(checked_mul(d.N * d.Cout, Sout, d.fn), d.fn, "the channels-first result");
  float* y = transpose_out ? yt.get() : d.y;
  bool done = true;
  for (int64_t n = 0; n < d.N && done; ++n) {
    // Per image: the ratio and new mask differ between images.
    ConvDesc one = d;
    one.N = 1;
    one.mode = PadMode::kZeros;
    done = conv_fast(one, x + n * d.Cin * Sin, w, y + n * d.Cout * Sout, ms + n * Sout, d.bias ? cnt + n * Sout : nullptr,
                     nullptr, m ? m + n * mc * Sin : nullptr, mc);
  }
  if (!done) {
    // x ⊙ mask, in blocks of 16K pixels per plane, so that a few large planes still feed every thread.
    std::vector<float> xm = scratch(checked_mul(d.N * d.Cin, Sin, d.fn), d.fn, "the masked input");
    const int64_t sblk = (Sin + 16383) / 16384;
    parallel_for(d.N * d.Cin * sblk, 1, [&](int64_t b, int64_t e) {
      for (int64_t it = b; it < e; ++it) {
        const int64_t t = it / sblk, s0 = it % sblk * 16384, s1 = std::min(Sin, s0 + 16384);
        const int64_t n = t / d.Cin, c = t % d.Cin;
        const float* mp_ = m ? m + (n * mc + (mc == 1 ? 0 : c)) * Sin : nullptr;
        float* o = xm.data() + t * Sin;
        const float* xi = x + t * Sin;
        if (mp_) for (int64_t s = s0; s < s1; ++s) o[s] = xi[s] * mp_[s];
        else std::memcpy(o + s0, xi + s0, static_cast<size_t>(s1 - s0) * sizeof(float));
      }
    });
    const float* xp = padded_input(xm.data(), d.N * d.Cin, d.in, d.pb, d.pa, PadMode::kZeros, 0.f, pt, d.fn);
    conv_planes(d, xp, w, y, [&](int64_t n, int64_t oc, float* yp) {
      const float* r = ms + n * Sout;
      const float* nm = cnt + n * Sout;
      if (d.bias) {
        const float b = d.bias[oc];
        for (int64_t s = 0; s < Sout; ++s) yp[s] = (yp[s] * r[s] + b) * nm[s];
      } else {
        for (int64_t s = 0; s < Sout; ++s) yp[s] = yp[s] * r[s];
      }
    });
  }
  if (transpose_out) store_result(y, d.y, true, d.N, d.Cout, Sout);

  // The returned mask: [N, 1, out...] or [N, Cout, out...] (every channel alike).
  const int64_t moc = d.multi_channel ? d.Cout : 1;
  for (int64_t n = 0; n < d.N; ++n) {
    const float* nm = cnt + n * Sout;
    float* o = d.mask_out + n * moc * Sout;
    if (d.out_cl) {
      for (int64_t s = 0; s < Sout; ++s) std::fill(o + s * moc, o + (s + 1) * moc, nm[s]);
    } else {
      for (int64_t c = 0; c < moc; ++c) std::memcpy(o + c * Sout, nm, static_cast<size_t>(Sout) * sizeof(float));
    }
  }
}

}  // namespace convkit
