// Microkernels see one tile: pointers, extents and strides, never a tensor or an option.
// Names follow <dtype>-<family>-<isa>; the table below is the one dispatch point.
#pragma once
#include <cstdint>

namespace convkit {

// One output plane (one image, one output channel) of a valid (already padded) convolution.
struct PlaneGeom {
  int64_t cin;              // input channels of the group
  int64_t xd, xh, xw;       // padded input extents
  int64_t kd, kh, kw;       // kernel extents
  int64_t sd, sh, sw;       // strides
  int64_t dd, dh, dw;       // dilations
  int64_t od, oh, ow;       // output extents
};

// y[od][oh][ow] = sum_{c,k} w[c][k] * x[c][od*s + k*d]  (overwrites y)
using ConvPlaneFn = void (*)(const PlaneGeom& g, const float* x, const float* w, float* y);

// Transposed: y (extents xd,xh,xw of the full output) += sum_c w[c*w_cstride + k] * x[c][i]
// scattered at i*s + k*d; here (od,oh,ow) are the input extents.
using ScatterPlaneFn = void (*)(const PlaneGeom& g, const float* x, const float* w, int64_t w_cstride,
                                float* y);

// NCS <-> NSC for one image: dst[s*C + c] = src[c*S + s] (and back).
using TransposeFn = void (*)(const float* src, float* dst, int64_t rows, int64_t cols);

struct KernelTable {
  const char* isa;
  ConvPlaneFn conv_plane;
  ScatterPlaneFn scatter_plane;
  TransposeFn transpose;  // dst[j*rows + i] = src[i*cols + j]
};

const KernelTable& kernels();             // chosen once from active_isa()
const KernelTable& scalar_kernels();      // the reference path every other is tested against

}  // namespace convkit
