// Operators: shape-aware, they pick kernels, tile the work and split it over threads.
// Descriptors are plain structs the binding fills on the JS thread; ops never touch V8.
// Spatial arrays always have 3 entries (D, H, W); a 2-D op has D = 1, a 1-D op D = H = 1.
#pragma once
#include <cstdint>
#include <vector>

#include "../core/padmap.h"

namespace convkit {

enum class WeightLayout : int { kOIS = 0, kSIO = 1, kOSI = 2 };  // OIHW, HWIO, OHWI families

struct ConvDesc {
  const char* fn = "conv";
  int rank = 2;
  int64_t N = 0, Cin = 0, Cout = 0, groups = 1;
  int64_t in[3]{1, 1, 1}, k[3]{1, 1, 1}, stride[3]{1, 1, 1}, dil[3]{1, 1, 1};
  int64_t pb[3]{0, 0, 0}, pa[3]{0, 0, 0}, out[3]{1, 1, 1};
  bool in_cl = false, out_cl = false;  // channels-last input / output
  // conv_fast only: write y channels-last, [N, out..., Cout] (set by conv_forward where
  // conv_fast_writes_cl says it can); else conv_fast writes channels-first. x_cl: x is
  // channels-last, [N, in..., Cin] (where conv_fast_reads_cl says it can); else channels-first.
  bool y_cl = false, x_cl = false;
  PadMode mode = PadMode::kZeros;
  float pad_value = 0.f;
  WeightLayout wl = WeightLayout::kOIS;
  const float* x = nullptr;
  const float* w = nullptr;
  const float* bias = nullptr;
  float* y = nullptr;
  // partial convolution (NVIDIA): mask in the input's layout, mask_c = 1 or Cin.
  const float* mask = nullptr;
  int64_t mask_c = 0;
  bool multi_channel = false;
  float* mask_out = nullptr;  // [N, 1 or Cout, out...] in the output layout
  // Optional: w already packed by pack_conv (prepared layers); conv_fast's pixel-major path
  // reads it instead of packing per call. Null: packed per call.
  const float* w_pg = nullptr;
  // Optional: Winograd's transformed weights, made by pack_conv (prepared layers) for a
  // geometry that takes it; conv_winograd reads them instead of transforming per call.
  const float* w_wino = nullptr;
};

// Prepared-layer packing of a convolution's weight (any weightLayout), for the path the
// geometry, input size included, takes: Winograd's transformed weights (*wino set; see
// ops/conv_winograd.cc), the pixel-major kernel's panels (small maps, see ops/conv_fast.cc),
// else an empty vector.
std::vector<float> pack_conv(const ConvDesc& d, bool* wino);

struct ConvTransposeDesc {
  const char* fn = "convTranspose";
  int rank = 2;
  int64_t N = 0, Cin = 0, Cout = 0, groups = 1;
  int64_t in[3]{1, 1, 1}, k[3]{1, 1, 1}, stride[3]{1, 1, 1}, dil[3]{1, 1, 1};
  int64_t pb[3]{0, 0, 0}, pa[3]{0, 0, 0}, opad[3]{0, 0, 0}, out[3]{1, 1, 1};
  bool in_cl = false, out_cl = false;
  PadMode mode = PadMode::kZeros;
  const float* x = nullptr;
  const float* w = nullptr;  // [Cin, Cout/groups, k...]
  const float* bias = nullptr;
  float* y = nullptr;
  // Optional: w already packed by pack_conv_transpose (prepared layers); null: packed per call.
  // w_packed_panels: pack_conv_transpose's `panels` for it.
  const float* w_packed = nullptr;
  bool w_packed_panels = false;
};

// Prepared-layer packing of a transposed convolution's weight: the merged phase sub-kernels
// (see ops/conv_transpose.cc) when the geometry (channels, groups, k, stride, dilation) has
// them, else an empty vector; packed for the merged path d's extents take: the pgemm's
// panels (*panels = true) or the igemm's rows. A call uses them when it takes that path.
std::vector<float> pack_conv_transpose(const ConvTransposeDesc& d, bool* panels);

struct PadDesc {
  const char* fn = "pad";
  int rank = 2;
  int64_t N = 0, C = 0;
  int64_t in[3]{1, 1, 1}, before[3]{0, 0, 0}, after[3]{0, 0, 0}, out[3]{1, 1, 1};
  bool in_cl = false, out_cl = false;
  PadMode mode = PadMode::kConstant;
  float value = 0.f;
  const float* x = nullptr;
  float* y = nullptr;
};

enum class InterpMode : int { kNearest = 0, kNearestExact = 1, kLinear = 2, kCubic = 3, kArea = 4 };

struct InterpDesc {
  const char* fn = "interpolate";
  int rank = 2;
  int64_t N = 0, C = 0;
  int64_t in[3]{1, 1, 1}, out[3]{1, 1, 1};
  double scale[3]{0, 0, 0};  // the user's scale factor per dim, or 0 when none is passed on
  bool align_corners = false;
  bool in_cl = false, out_cl = false;
  InterpMode mode = InterpMode::kNearest;
  const float* x = nullptr;
  float* y = nullptr;
};

struct LayoutDesc {
  int64_t N = 0, C = 0, S = 0;  // S = product of spatial extents
  bool to_cl = true;            // NC(S) -> N(S)C, else back
  const float* x = nullptr;
  float* y = nullptr;
};

// 8-bit interleaved pixels (sharp's raw) <-> a float image of one batch, C = 1..4:
//   to_float:  f[idx(p, c)] = float(double(b[p*C + c]) * mul[c] + add[c])
//   else:      b[p*C + c] = clamp(round-half-even(double(f[idx(p, c)]) * mul[c] + add[c]), 0, 255), NaN -> 0
// (JavaScript's arithmetic and Uint8ClampedArray's conversion), idx = channels-last ? p*C + c : c*P + p.
struct PixelsDesc {
  const char* fn = "fromPixels";
  int64_t P = 0, C = 0;  // pixels, channels
  bool to_float = true, cl = false;
  double mul[4]{1, 1, 1, 1}, add[4]{0, 0, 0, 0};
  uint8_t* bytes = nullptr;
  float* f = nullptr;
};

void pixels_convert(const PixelsDesc& d);
void conv_forward(const ConvDesc& d);            // also paddingMode 'partial'
void partial_conv_forward(const ConvDesc& d);    // NVIDIA PartialConv (mask, mask_out)
void conv_transpose_forward(const ConvTransposeDesc& d);
void pad_forward(const PadDesc& d);
void interpolate_forward(const InterpDesc& d);
void layout_convert(const LayoutDesc& d);

// Checks shared by the ops (they re-check what the facade checked).
void check_conv(const ConvDesc& d);
void check_conv_transpose(const ConvTransposeDesc& d);

}  // namespace convkit
