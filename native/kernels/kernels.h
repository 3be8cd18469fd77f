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

// Indirect GEMM: c[m][0..nr) (+)= sum_k a[m*lda + k] * rows[k][p0 + 0..nr), m < mr; c rows
// ldc apart, padded for full-width stores.
using IgemmFn = void (*)(int64_t K, const float* a, int64_t lda, const float* const* rows, int64_t p0, int64_t nr,
                         float* c, int64_t ldc, bool accumulate);

// Depthwise: out[i] = sum_t w[t] * rows[t][p0 + i] for i < n.
using DwconvFn = void (*)(int64_t T, const float* w, const float* const* rows, int64_t p0, int64_t n, float* out);

// dst[j*dst_ld + i] = src[i*src_ld + j] for a rows x cols tile (layout conversion).
using TransposeFn = void (*)(const float* src, int64_t src_ld, float* dst, int64_t dst_ld, int64_t rows, int64_t cols);

struct KernelTable {
  const char* isa;
  ConvPlaneFn conv_plane;
  ScatterPlaneFn scatter_plane;
  TransposeFn transpose;
  // SIMD paths; null in the scalar table, whose ops use the plane kernels above.
  IgemmFn igemm = nullptr;
  int igemm_mr = 0, igemm_nr = 0;
  DwconvFn dwconv = nullptr;
};

void register_avx2_kernels(KernelTable& t);    // f32-*-avx2.cc
void register_avx512_kernels(KernelTable& t);  // f32-*-avx512.cc

const KernelTable& kernels();             // chosen once from active_isa()
const KernelTable& scalar_kernels();      // the reference path every other is tested against

}  // namespace convkit
