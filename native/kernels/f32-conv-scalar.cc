// The scalar path: plain C++, the reference every SIMD path is tested against.
#include <cstring>

#include "kernels.h"

namespace convkit {

namespace {

void f32_conv_plane_scalar(const PlaneGeom& g, const float* x, const float* w, float* y) {
  const int64_t out_n = g.od * g.oh * g.ow;
  std::memset(y, 0, static_cast<size_t>(out_n) * sizeof(float));
  const int64_t xplane = g.xd * g.xh * g.xw;
  for (int64_t c = 0; c < g.cin; ++c) {
    const float* xc = x + c * xplane;
    for (int64_t kd = 0; kd < g.kd; ++kd)
      for (int64_t kh = 0; kh < g.kh; ++kh)
        for (int64_t kw = 0; kw < g.kw; ++kw) {
          const float wv = *w++;
          for (int64_t od = 0; od < g.od; ++od)
            for (int64_t oh = 0; oh < g.oh; ++oh) {
              const float* xr = xc + ((od * g.sd + kd * g.dd) * g.xh + oh * g.sh + kh * g.dh) * g.xw + kw * g.dw;
              float* yr = y + (od * g.oh + oh) * g.ow;
              if (g.sw == 1) {
                for (int64_t ow = 0; ow < g.ow; ++ow) yr[ow] += wv * xr[ow];
              } else {
                for (int64_t ow = 0; ow < g.ow; ++ow) yr[ow] += wv * xr[ow * g.sw];
              }
            }
        }
  }
}

void f32_scatter_plane_scalar(const PlaneGeom& g, const float* x, const float* w, int64_t w_cstride, float* y) {
  const int64_t xplane = g.od * g.oh * g.ow;  // input extents in od/oh/ow
  for (int64_t c = 0; c < g.cin; ++c) {
    const float* xc = x + c * xplane;
    const float* wc = w + c * w_cstride;
    for (int64_t kd = 0; kd < g.kd; ++kd)
      for (int64_t kh = 0; kh < g.kh; ++kh)
        for (int64_t kw = 0; kw < g.kw; ++kw) {
          const float wv = wc[(kd * g.kh + kh) * g.kw + kw];
          for (int64_t id = 0; id < g.od; ++id)
            for (int64_t ih = 0; ih < g.oh; ++ih) {
              const float* xr = xc + (id * g.oh + ih) * g.ow;
              float* yr = y + ((id * g.sd + kd * g.dd) * g.xh + ih * g.sh + kh * g.dh) * g.xw + kw * g.dw;
              if (g.sw == 1) {
                for (int64_t iw = 0; iw < g.ow; ++iw) yr[iw] += wv * xr[iw];
              } else {
                for (int64_t iw = 0; iw < g.ow; ++iw) yr[iw * g.sw] += wv * xr[iw];
              }
            }
        }
  }
}

void f32_transpose_scalar(const float* src, int64_t src_ld, float* dst, int64_t dst_ld, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) dst[j * dst_ld + i] = src[i * src_ld + j];
}

}  // namespace

const KernelTable& scalar_kernels() {
  static const KernelTable t{"scalar", f32_conv_plane_scalar, f32_scatter_plane_scalar, f32_transpose_scalar};
  return t;
}

}  // namespace convkit
