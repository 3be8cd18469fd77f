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

// The same with packed weights: element (k, m) at ap[k*MR + m] (MR = igemm_mr; a block's
// rows transposed k-major, zero past its last channel), so the broadcasts walk one stream;
// only rows m < mr (1..MR: a last block's channels) computed and stored. The same FMA chain
// per output as IgemmFn, so the same bits.
// out (null: none): the finished sums straight to the result instead of to c, row m (< mr)
// plus b[m] (the epilogue's add, zero included: the same bits) to y[m] .. y[m] + nr by
// non-temporal stores (the caller fences). The caller gives a last reduction chunk (the sums
// of c added first where accumulate), nr a multiple of 16 and every y[m] 64-byte aligned:
// whole cache lines, each written at once.
struct TileOut {
  float* const* y;
  const float* b;
};
using IgemmPackedFn = void (*)(int64_t K, const float* ap, const float* const* rows, int64_t p0, int64_t nr, float* c,
                               int64_t ldc, bool accumulate, int64_t mr, const TileOut* out);

// Pixel-major indirect GEMM (output channels in the lanes): for i < mr <= pgemm_mr (or
// pgemm_mr_narrow, see there),
//   c[i*nr + j] (+)= sum_k wp[k*nr + j] * rows[k][(p0 + i) * ps], j < nc <= nr = pgemm_nr,
// wp the weights of nr output channels packed k-major; ps the pixel stride (1 for rows of
// pixels; a channels-last input's channel count, rows[k] pointing at channel k of pixel 0);
// nc the panel's channels the caller reads (lanes past them: computed or left, as the kernel
// finds faster). pf: npf cache lines (any readable addresses) the call fetches into L2 on the
// way, spread over its loop (the caller's next weights; none: null, 0). Bit for bit the
// igemm's sums.
using PgemmFn = void (*)(int64_t K, const float* wp, const float* const* rows, int64_t p0, int64_t mr, float* c,
                         bool accumulate, int64_t ps, int64_t nc, const char* const* pf, int64_t npf);

// y[i] = (raw[i] * scale[i] + b) * post[i] for i < n (scale, post optional: null), with
// non-temporal stores on whole aligned vectors (the caller fences them): a conv's epilogue
// into an output far larger than the caches. Separate multiply and add, never fused, so
// every ISA gives the same bits.
using StreamRowFn = void (*)(const float* raw, float b, const float* scale, const float* post, float* y, int64_t n);

// C = 2..4 planes interleaved: y[i*C + c] = planes[c][i] (+ *add, when add is not null) for
// i < n. stream: non-temporal stores where whole aligned lines (the caller fences). Images'
// channels-first -> channels-last (no add), and a transposed convolution's C stride phases
// into output rows (add: the bias; only adds, so every ISA gives the same bits).
using InterleaveFn = void (*)(const float* const* planes, int C, int64_t n, float* y, bool stream, const float* add);

// Depthwise, a block of output rows with unit stride along the row, from padded input rows
// (the caller resolves the padding): depth slices s < depth of rows + kh - 1 rows each,
// in[s * (rows + kh - 1) + i] holding the padded columns 0 .. width + (kw - 1) * dil, and
//   out[r * ldo + c] = bias + sum_{s, t1, t2} w[(s * kh + t1) * kw + t2] * in[s * (rows + kh - 1) + r + t1][c + t2 * dil]
// for r < rows, c < width. A slice's rows may be any pointers (rows = 1 serves any row stride
// or dilation: in[s * kh + t1] is tap t1's row). One FMA chain per pixel in tap order
// (s, t1, t2) from zero, then + bias: the same bits however a plane is cut into blocks or
// its rows into column ranges (a range's rows point at its first padded column, its out at
// its first output column; ldo stays the row stride). Prefetched along the sweep, for the
// next block: pf, npf rows of pf_len floats it reads, and the next_rows output rows after
// this block (out + (rows + j) * ldo).
struct DwBlock {
  const float* const* in;
  const float* w;
  float bias;
  float* out;
  int64_t ldo, rows, width, depth, kh, kw, dil;
  const float* const* pf;
  int64_t npf, pf_len, next_rows;
  bool stream = false;  // a hint: whole output lines may be written by non-temporal stores (the caller fences them)
};

// Depthwise kernels of one ISA. row: out[i] = sum_t w[t] * rows[t][p0 + i] for i < n, any
// tap geometry (called as dwconv(T, w, rows, p0, n, out)). block: the blocks above.
struct DwconvFn {
  using RowFn = void (*)(int64_t T, const float* w, const float* const* rows, int64_t p0, int64_t n, float* out);
  using BlockFn = void (*)(const DwBlock& b);
  RowFn row = nullptr;
  BlockFn block = nullptr;
  constexpr DwconvFn() = default;
  constexpr DwconvFn(decltype(nullptr)) {}  // "no kernels", as for the other entries
  constexpr DwconvFn(RowFn r, BlockFn b) : row(r), block(b) {}
  constexpr explicit operator bool() const { return row != nullptr && block != nullptr; }
  void operator()(int64_t T, const float* w, const float* const* rows, int64_t p0, int64_t n, float* out) const {
    row(T, w, rows, p0, n, out);
  }
};
// Depthwise over channels-last rows, the channels in the lanes: a row is the flat run of its
// pixels' C channels, and lane l of the vector at flat column c (a multiple of 16) is channel
// (c + l) % C, with its own weight and bias: pattern (c / 16) % P of the P = C / gcd(C, 16)
// there are (w: [P][taps][16], bias: [P][16]). Rows as DwBlock's (in[s * (rows + kh - 1) +
// r + t1], at the range's first padded column), taps `step` floats apart along the row
// (C times the dilation):
//   out[r * ldo + c] = bias(c) + sum_{s, t1, t2} w(c)[(s * kh + t1) * kw + t2] * in[...][c + t2 * step]
// for c < width, one FMA chain per output in tap order from zero, then + bias: the bits of
// the block kernel on the same channel's plane.
struct DwFlat {
  const float* const* in;
  const float* w;
  const float* bias;
  int64_t P;
  float* out;
  int64_t ldo, rows, width, depth, kh, kw, step;
};
using DwFlatFn = void (*)(const DwFlat& b);
void f32_dwconv_flat_avx512(const DwFlat& b);  // f32-dwconv-avx512.cc
void f32_dwconv_block_sse41(const DwBlock& b);   // f32-dwconv-sse41.cc
void f32_dwconv_block_avx2(const DwBlock& b);    // f32-dwconv-avx2.cc
void f32_dwconv_block_avx512(const DwBlock& b);  // f32-dwconv-avx512.cc
void f32_dwconv_block_neon(const DwBlock& b);    // f32-dwconv-neon.cc (aarch64 only)

// dst[j*dst_ld + i] = src[i*src_ld + j] for a rows x cols tile (layout conversion).
using TransposeFn = void (*)(const float* src, int64_t src_ld, float* dst, int64_t dst_ld, int64_t rows, int64_t cols);

// Resampling (interpolate), one row at a time.
// A row plan resamples a row of n_in floats into n_out: y[j] = sum_t wt[j,t] * x[src[j,t]],
// summed in tap order (x0*w0 + x1*w1, then + x2*w2 ...; no FMA, so every ISA gives the same
// bits); with taps == 1 it is a plain gather (nearest: no multiply). Outputs come in blocks of
// `lanes`; block b reads a window x[base[b] .. base[b] + 2*lanes) and gathers from it by the
// relative indices idx[b][t][lane] (kind[b] == 0), the same from a window that runs past the
// row's end (kind 1: masked loads of the n_in - base[b] valid floats), from a wider window
// x[base[b] .. base[b] + 3*lanes) inside the row (kind 3, on kernels with wide3: downscales
// by 2 with up to 4 taps, or rows of 3-4 interleaved channels), or gathers x[idx] from the
// whole row (kind 2, idx absolute). Lanes past n_out carry index 0 and weight 0.
// run[b] > 1: blocks b .. b + run[b] - 1 are full, of kind 0 and share block b's idx and wt
// (a periodic pattern, e.g. any integer factor: kernels keep it in registers).
struct ResizeRowPlan {
  int taps = 0;
  int64_t n_in = 0, n_out = 0, blocks = 0;
  const int32_t* base = nullptr;  // [blocks]
  const int32_t* kind = nullptr;  // [blocks]
  const int32_t* run = nullptr;   // [blocks]
  const int32_t* idx = nullptr;   // [blocks][taps][lanes]
  const float* wt = nullptr;      // [blocks][taps][lanes]
};

// Output rows written in order into one contiguous run, with non-temporal stores: whole
// 64-byte lines are streamed as soon as they are complete; a line shared with what lies
// outside the run gets plain stores of the run's part only (other threads may own the rest).
struct ResizeStream {
  float* begin = nullptr;         // the run's first float
  alignas(64) float line[16]{};   // values of the incomplete line at the run's current end
};

struct ResizeKernels {
  int lanes;  // outputs per block of a ResizeRowPlan
  // y[0..n_out) from the row x (n_in floats).
  void (*row)(const ResizeRowPlan& p, const float* x, float* y);
  // y[i] = rows[0][i]*w[0] + rows[1][i]*w[1] + ... for i < n (a copy when taps == 1 and
  // w[0] == 1). With st, y continues st's run (y is where the previous call's row ended).
  void (*combine)(int taps, const float* const* rows, const float* w, int64_t n, float* y, ResizeStream* st);
  // Ends st's run at `end`: stores its incomplete last line, then fences the streaming stores.
  void (*finish)(ResizeStream* st, float* end);
  // Nearest x2 along a row, written to each of ny rows: ys[r][2i] = ys[r][2i + 1] = x[i] for
  // i < n, n a multiple of 8. With stream, non-temporal stores into rows on 64-byte
  // boundaries (the caller fences).
  void (*dup2)(const float* x, int64_t n, float* const* ys, int ny, bool stream);
  bool wide3;  // row takes kind-3 blocks (3*lanes windows)
  // A row of n channels-last pixels of C floats, each from `taps` source pixels:
  //   y[j*C + c] = x[src[j*taps]*C + c]*wt[j*taps] + x[src[j*taps + 1]*C + c]*wt[j*taps + 1] + ...
  // (combine's sums, pixel by pixel, in one call), 1 <= taps <= 4.
  void (*pixels)(int taps, const float* x, const int64_t* src, const float* wt, int64_t C, int64_t n, float* y);
};

const ResizeKernels* resize_kernels_avx2();    // f32-resize-avx2.cc
const ResizeKernels* resize_kernels_avx512();  // f32-resize-avx512.cc

struct KernelTable {
  const char* isa;
  ConvPlaneFn conv_plane;
  ScatterPlaneFn scatter_plane;
  TransposeFn transpose;
  TransposeFn transpose_stream = nullptr;  // non-temporal stores where whole aligned lines (the caller fences); null: transpose
  // Pixels of C = 2..4 interleaved floats <-> C planes (images' channels-last <-> channels-first):
  // interleave as InterleaveFn; deinterleave: planes[c][i] = x[i*C + c], i < n. stream: as
  // InterleaveFn. Null: the callers' transposes or loops.
  InterleaveFn interleave = nullptr;
  void (*deinterleave)(const float* x, int C, int64_t n, float* const* planes, bool stream) = nullptr;
  // SIMD paths; null in the scalar table, whose ops use the plane kernels above.
  IgemmFn igemm = nullptr;
  int igemm_mr = 0, igemm_nr = 0;
  IgemmPackedFn igemm_pk = nullptr;  // null: plain convolutions take the igemm above (unpacked weights)
  // The packed form for a block's last mr <= igemm_pk_narrow_mr channels, over a tile group of
  // up to 2 * igemm_nr pixels at once (more FMA chains than igemm_pk's tile has for so few
  // rows); igemm_pk's packing and bits. Null: igemm_pk serves every block.
  IgemmPackedFn igemm_pk_narrow = nullptr;
  int igemm_pk_narrow_mr = 0;
  // Winograd transforms of a row of n tiles (ops/conv_winograd.cc), one pair per form:
  // winograd[dims - 1][m / 4], F(2, 3), F(4, 3); F(2x2, 3x3), F(4x4, 3x3) (m outputs per tile
  // along each dim, from patches of m + 2). Null: no Winograd in that form (the direct sums).
  //   in: V = B^T d (1-D) or B^T d B (2-D) per tile l < n; d[r][j] = R[r * rs + m l + j]
  //   (m + 2 padded input rows; 1-D: one, rs unused), position p = (m + 2) i + j to
  //   v[p * vs + l]. True if any input it read (R[r * rs + 0 .. m n + 2)) is a NaN or an
  //   infinity.
  //   out: A^T m (A) + bias, m position p at m[p * ms + l]; row r of tile l to
  //   y[r][(m l + c) * ys], c < m (rows r < m, 1-D: r = 0; y[r] null: past the output; ys: the
  //   columns' stride, a dilation or channels-last), then `tail` (0 .. m - 1) columns of one
  //   more tile, l = n. stream: the result is large (streamed_result); a form that measured
  //   faster so may write whole aligned vectors by non-temporal stores (the caller fences).
  //   whole: the tiles the pair runs at once past n (0: n exactly). With n' = n rounded up to
  //   it, in reads R up to m n' + 2 (finite past m n + 2: the caller's padding) and writes v
  //   up to n', and out reads m up to n' (the caller leaves the room).
  struct WinogradFns {
    bool (*in)(const float* R, int64_t rs, int64_t n, float* v, int64_t vs) = nullptr;
    void (*out)(const float* m, int64_t ms, int64_t n, int tail, float bias, float* const* y, int64_t ys, bool stream) = nullptr;
    int whole = 0;
  };
  WinogradFns winograd[2][2] = {};
  PgemmFn pgemm = nullptr;  // null: the igemm serves every map
  int pgemm_mr = 0, pgemm_nr = 0;
  // Pixels per call where nc <= pgemm_nr / 3 (a panel's last channels in one vector): a run of
  // consecutive tiles' pixels at once, c rows nr apart as ever; 0: pgemm_mr.
  int pgemm_mr_narrow = 0;
  double pgemm_min_ratio = 0;  // the igemm's lanes / the pgemm's from which the pgemm runs faster
  StreamRowFn stream_row = nullptr;  // null: the driver's SSE loop
  // 1-D convolutions read the input's rows in place (true), or gather each band like the
  // other ranks (see conv_fast); a tuning of the machines each ISA was measured on.
  bool conv1d_in_place = true;
  // 2-D and 3-D convolutions at several threads take bands of 1024 pixels, not 512, on large
  // outputs (see conv_fast); a tuning as above.
  bool wide_bands = true;
  DwconvFn dwconv = nullptr;
  DwFlatFn dwconv_flat = nullptr;  // null: channels-last depthwise by chunks of planes (dwconv_cl)
  const ResizeKernels* resize = nullptr;  // interpolate; null: the portable loops in ops/interpolate.cc
};

void register_sse41_kernels(KernelTable& t);   // f32-*-sse41.cc
void register_avx2_kernels(KernelTable& t);    // f32-*-avx2.cc
void register_avx512_kernels(KernelTable& t);  // f32-*-avx512.cc
void register_avx512_pgemm(KernelTable& t);    // f32-pgemm-8x32-avx512.cc
void register_avx512_transpose(KernelTable& t);  // f32-transpose-avx512.cc
void register_avx2_pgemm(KernelTable& t);      // f32-pgemm-4x24-avx2.cc
void register_avx2_deinterleave(KernelTable& t);  // f32-deinterleave-avx2.cc
void register_avx2_winograd(KernelTable& t);     // f32-winograd-avx2.cc
void register_neon_kernels(KernelTable& t);    // f32-*-neon.cc (aarch64 only)

const KernelTable& kernels();             // chosen once from active_isa()
const KernelTable& scalar_kernels();      // the reference path every other is tested against

}  // namespace convkit
