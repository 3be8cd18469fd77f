// Transposed convolution as the adjoint of the padded convolution: scatter every input
// pixel through the kernel onto the full (unpadded) output, then fold the padding back
// with the shared padding model — dropped for zeros, wrapped/mirrored/clamped otherwise.
#include <cstring>
#include <string>

#include "../core/common.h"
#include "../core/geometry.h"
#include "../core/threadpool.h"
#include "../kernels/kernels.h"
#include "internal.h"
#include "ops.h"

namespace convkit {

void check_conv_transpose(const ConvTransposeDesc& d) {
  const std::string f = std::string(d.fn) + ": ";
  if (d.rank < 1 || d.rank > 3) range_error(f + "rank must be 1, 2 or 3");
  if (d.N < 0 || d.Cin < 1 || d.Cout < 1 || d.groups < 1) range_error(f + "sizes must be positive");
  if (d.Cin % d.groups || d.Cout % d.groups) range_error(f + "channels must be divisible by groups");
  if (d.mode == PadMode::kConstant || d.mode == PadMode::kPartial)
    range_error(f + "paddingMode must be zeros, reflect, replicate, circular or symmetric");
  for (int i = 0; i < 3; ++i) {
    if (d.in[i] < 1 || d.k[i] < 1 || d.stride[i] < 1 || d.dil[i] < 1 || d.pb[i] < 0 || d.pa[i] < 0 || d.opad[i] < 0)
      range_error(f + "spatial parameters out of range");
    if (d.out[i] < 1 ||
        d.out[i] != conv_transpose_out_size(d.in[i], d.k[i], d.stride[i], d.dil[i], d.pb[i], d.pa[i], d.opad[i]))
      range_error(f + "output extent does not match the transposed convolution arithmetic");
  }
}

void conv_transpose_forward(const ConvTransposeDesc& d) {
  check_conv_transpose(d);
  if (d.N == 0) return;
  if (!d.x || !d.w || !d.y) type_error(std::string(d.fn) + ": missing buffer");
  const int64_t Sin = prod3(d.in), Sout = prod3(d.out);
  const int64_t cin_g = d.Cin / d.groups, cout_g = d.Cout / d.groups, K = prod3(d.k);
  int64_t full[3], padded[3];
  for (int i = 0; i < 3; ++i) {
    full[i] = (d.in[i] - 1) * d.stride[i] + d.dil[i] * (d.k[i] - 1) + 1;
    padded[i] = d.out[i] + d.pb[i] + d.pa[i];  // = full + outputPadding
  }
  const int64_t Sfull = prod3(full);
  std::vector<float> xt, yt;
  const float* x = channels_first(d.x, d.in_cl, d.N, d.Cin, Sin, xt, d.fn);
  const bool transpose_out = d.out_cl && d.Cout > 1 && Sout > 1;
  if (transpose_out) yt = scratch(checked_mul(d.N * d.Cout, Sout, d.fn), d.fn, "the channels-first result");
  float* y = transpose_out ? yt.data() : d.y;

  std::vector<int64_t> map[3];
  for (int i = 0; i < 3; ++i) map[i] = pad_index_map(d.mode, d.out[i], d.pb[i], d.pa[i]);

  PlaneGeom g;
  g.cin = cin_g;
  g.xd = full[0]; g.xh = full[1]; g.xw = full[2];
  g.kd = d.k[0]; g.kh = d.k[1]; g.kw = d.k[2];
  g.sd = d.stride[0]; g.sh = d.stride[1]; g.sw = d.stride[2];
  g.dd = d.dil[0]; g.dh = d.dil[1]; g.dw = d.dil[2];
  g.od = d.in[0]; g.oh = d.in[1]; g.ow = d.in[2];
  const ScatterPlaneFn scatter = kernels().scatter_plane;
  // One full-output plane of scratch per thread, allocated before the parallel region.
  const int threads = get_num_threads();
  std::vector<float> planes = scratch(checked_mul(Sfull, threads, d.fn), d.fn, "the full output planes");

  parallel_for_tid(d.N * d.Cout, 1, threads, [&](int tid, int64_t b, int64_t e) {
    float* plane = planes.data() + tid * Sfull;
    for (int64_t t = b; t < e; ++t) {
      const int64_t n = t / d.Cout, oc = t % d.Cout, grp = oc / cout_g, j = oc % cout_g;
      std::fill(plane, plane + Sfull, 0.f);
      scatter(g, x + (n * d.Cin + grp * cin_g) * Sin, d.w + (grp * cin_g * cout_g + j) * K, cout_g * K, plane);
      float* yp = y + t * Sout;
      std::memset(yp, 0, static_cast<size_t>(Sout) * sizeof(float));
      // Fold: padded coordinate c (< full; the outputPadding tail holds zeros) -> map(c).
      for (int64_t a = 0; a < full[0] && a < padded[0]; ++a) {
        const int64_t sa = map[0][static_cast<size_t>(a)];
        if (sa < 0) continue;
        for (int64_t bb = 0; bb < full[1] && bb < padded[1]; ++bb) {
          const int64_t sb = map[1][static_cast<size_t>(bb)];
          if (sb < 0) continue;
          const float* pr = plane + (a * full[1] + bb) * full[2];
          float* yr = yp + (sa * d.out[1] + sb) * d.out[2];
          const int64_t* mw = map[2].data();
          const int64_t lim = full[2] < padded[2] ? full[2] : padded[2];
          for (int64_t c = 0; c < lim; ++c)
            if (mw[c] >= 0) yr[mw[c]] += pr[c];
        }
      }
      if (d.bias) {
        const float bv = d.bias[oc];
        for (int64_t s = 0; s < Sout; ++s) yp[s] += bv;
      }
    }
  });
  if (transpose_out) store_result(y, d.y, true, d.N, d.Cout, Sout);
}

}  // namespace convkit
