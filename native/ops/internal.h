// Helpers shared by the operators (not part of the binding's surface).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include "../core/common.h"
#include "../kernels/kernels.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace convkit {

// Convolution results of this many bytes or more are written by non-temporal stores where
// a path can (whole lines: a plain store first reads each line it overwrites). Measured on
// the igemm's epilogue (W2 at 2 threads 0.41 -> 0.32 ms) and the depthwise blocks.
constexpr int64_t kStreamOutBytes = int64_t{256} << 10;
// Whether a convolution's result of a x b floats is that large (every conv path's rule).
inline bool streamed_result(int64_t a, int64_t b, const char* fn) { return checked_mul(a, b, fn) * 4 >= kStreamOutBytes; }
// The same for results that are copies or rearrangements of their input (layout conversions,
// padding): from 4 MiB (W16: 12.8 MB, W12: 26 MB).
constexpr int64_t kStreamCopyBytes = int64_t{4} << 20;

// n items (cache lines, weight rows) spread over `parts` tiles of a pass, tile u's share being
// [n * u / parts, n * (u + 1) / parts): the shares taken in tile order from tile `first`, one
// division per share (each end is the next share's start), none where n is 0. The
// pixel-major paths fetch the next pass's weights this way, a few lines per tile. (Divided
// per line and twice per tile, at 1 thread W8 took 1.04x the time, W4 1.01x, W4's Conv2d
// 1.07x, W8's ConvTranspose2d alike within noise; two builds, both orders.)
struct Shares {
  int64_t n, parts, next;
  Shares(int64_t n_, int64_t parts_, int64_t first) : n(n_), parts(parts_), next(n_ > 0 ? n_ * first / parts_ : 0) {}
  template <typename F>
  void take(int64_t u, F&& f) {
    if (n == 0) return;
    for (const int64_t e = n * (u + 1) / parts; next < e; ++next) f(next);
  }
};

// Every cache line of [p, p + bytes) fetched, the partial first and last lines too (a range
// that is not 64-byte aligned spans one line more than bytes / 64). Locality as
// __builtin_prefetch's: 3 into L1, 2 into L2. (conv_fast's 1x1 tile groups: W2 0.87-0.90x the
// time at 1 thread against a prefetch per 64 bytes from p; W4's weight rows and Winograd's
// next-channel rows measured alike, W11 0.94-0.99x.)
// f(line) for each cache line of [p, p + bytes), the partial ends included.
template <typename F>
inline void for_each_line(const void* p, int64_t bytes, F&& f) {
  if (bytes <= 0) return;
  const uintptr_t e = reinterpret_cast<uintptr_t>(p) + static_cast<uintptr_t>(bytes);
  for (uintptr_t q = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{63}; q < e; q += 64) f(reinterpret_cast<const char*>(q));
}
template <int Locality>
inline void prefetch_lines(const void* p, int64_t bytes) {
  for_each_line(p, bytes, [](const char* q) { __builtin_prefetch(q, 0, Locality); });
}

// Cache lines gathered for a kernel call to fetch into L2 spread over its reduction loop
// (PgemmFn's pf, npf): the next pass's weights. Past kCap, the rest are fetched at once.
struct LineList {
  static constexpr int64_t kCap = 64;
  const char* line[kCap];
  int64_t n = 0;
  void add(const char* q) {
    if (n < kCap) line[n++] = q;
    else __builtin_prefetch(q, 0, 2);
  }
  // Every line of [p, p + bytes), as prefetch_lines.
  void add_range(const void* p, int64_t bytes) {
    for_each_line(p, bytes, [this](const char* q) { add(q); });
  }
};

// The pixel-major paths' tiles, 3 entries each (flat pixel, pixels, output pixel), from tile
// t to tend: how many to run in one pgemm call, and their pixels (*px). One, unless the
// panel's channels fit one vector (nc <= nr / 3) and the ISA takes runs (kt.pgemm_mr_narrow):
// then whole (pm-pixel) tiles, consecutive in the flat pixels, up to that many pixels.
inline int64_t pgemm_run(const KernelTable& kt, const int64_t* tl, int64_t t, int64_t tend, int64_t pm, int64_t nc, int64_t* px) {
  int64_t tn = 1;
  *px = tl[3 * t + 1];
  if (kt.pgemm_mr_narrow && nc <= kt.pgemm_nr / 3)
    while (t + tn < tend && tl[3 * (t + tn - 1) + 1] == pm && tl[3 * (t + tn)] == tl[3 * (t + tn - 1)] + pm &&
           *px + tl[3 * (t + tn) + 1] <= kt.pgemm_mr_narrow)
      *px += tl[3 * (t + tn++) + 1];
  return tn;
}

// The input channels [*ic_lo, *ic_hi) that reduction indices [k0, k0 + kc) read, k = ic * taps
// + tap (the per-chunk gathers of conv_fast's pg_chunked and conv_transpose_pgemm).
inline void chunk_channels(int64_t k0, int64_t kc, int64_t taps, int64_t* ic_lo, int64_t* ic_hi) {
  *ic_lo = k0 / taps;
  *ic_hi = (k0 + kc - 1) / taps + 1;
}
// The most input channels any chunk of `chunk` reduction indices (from 0) of K reads.
inline int64_t max_chunk_channels(int64_t K, int64_t chunk, int64_t taps) {
  int64_t most = 0, lo = 0, hi = 0;
  for (int64_t k0 = 0; k0 < K; k0 += chunk) {
    chunk_channels(k0, std::min(chunk, K - k0), taps, &lo, &hi);
    most = std::max(most, hi - lo);
  }
  return most;
}

// dst[i] = src[i] for i < n, n short (a small map's row, the gathers of
// conv_fast's pg_chunked and conv_transpose_pgemm): whole vectors, the last one
// overlapping the one before, rather than a call to memcpy.
inline void copy_short(const float* src, float* dst, int64_t n) {
#if defined(__SSE2__)
  if (n >= 4) {
    for (int64_t i = 0; i + 4 < n; i += 4) _mm_storeu_ps(dst + i, _mm_loadu_ps(src + i));
    _mm_storeu_ps(dst + n - 4, _mm_loadu_ps(src + n - 4));
    return;
  }
#endif
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
}

// NC(S) -> N(S)C when to_cl, else back; parallel over images and channel/space blocks.
// stream: dst is an op's result (large ones are written around the caches).
// dst[i] = src[2 * i] (kMask: times msk[2 * i]) for i < n: a stride-2 phase row of the
// input (masked: partial convolution's x ⊙ mask); reads src[0 .. 2n - 1) only.
template <bool kMask = false>
inline void every_other(const float* src, float* dst, int64_t n, const float* msk = nullptr) {
  int64_t i = 0;
#if defined(__SSE2__)
  for (; i + 4 < n; i += 4) {  // reads src[2i .. 2i + 8), within 2n - 1 while i + 4 < n
    __m128 a = _mm_loadu_ps(src + 2 * i), b = _mm_loadu_ps(src + 2 * i + 4);
    if (kMask) {
      a = _mm_mul_ps(a, _mm_loadu_ps(msk + 2 * i));
      b = _mm_mul_ps(b, _mm_loadu_ps(msk + 2 * i + 4));
    }
    _mm_storeu_ps(dst + i, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
  }
#endif
  for (; i < n; ++i) dst[i] = kMask ? src[2 * i] * msk[2 * i] : src[2 * i];
}

// dst[i] = src[i * s] (kMask: times msk[i * s]) for i < n: a run of one phase row of the
// input, at stride s along the row.
template <bool kMask>
inline void strided_run(const float* src, const float* msk, int64_t s, int64_t n, float* dst) {
  if (s == 2) {
    every_other<kMask>(src, dst, n, msk);
  } else if (!kMask && s == 1) {
    if (n < 16) copy_short(src, dst, n);  // (a small map's row: no library call)
    else std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = kMask ? src[i * s] * msk[i * s] : src[i * s];
  }
}

void transpose_layout(const float* src, float* dst, int64_t N, int64_t C, int64_t S, bool to_cl, bool stream);

// The input viewed channels-first: x itself, or a converted copy held in tmp.
const float* channels_first(const float* x, bool cl, int64_t N, int64_t C, int64_t S, std::unique_ptr<float[]>& tmp,
                            const char* fn);

// Writes the channels-first result `src` to `dst` in the requested layout (copy or transpose).
void store_result(const float* src, float* dst, bool cl, int64_t N, int64_t C, int64_t S);

struct ConvDesc;
// The SIMD driver (ops/conv_fast.cc): raw sums of x (channels-first, unpadded) with w
// ([Cout, Cin/g, k...]) into y (channels-first), finished as (raw * scale + bias) * post with
// per-pixel scale/post when given. False when the active ISA has no such kernels.
// With `ps`, the conv is a transposed convolution's stride phases merged into output
// channels (see PhaseStore) and its epilogue writes them, interleaved, to ps->y instead.
// With `xmask` (channels-first, xmask_c = 1 or Cin channels), the input is x ⊙ xmask, each
// product formed as the input is gathered (partial convolution: no masked copy of x).
struct PhaseStore;
// Whether conv_fast writes d's result channels-last itself (ConvDesc::y_cl): the igemm path
// (not the small-map pgemm) and the depthwise one with unit stride along rows, on ISAs that
// have them.
bool conv_fast_writes_cl(const ConvDesc& d);
// Whether conv_fast reads a channels-last input itself (ConvDesc::x_cl): the igemm and pgemm
// paths (a channels-last input is gathered into band buffers, even where a channels-first
// one would be read in place, as by an unpadded 1x1), and the depthwise one with unit stride
// along rows.
bool conv_fast_reads_cl(const ConvDesc& d);
bool conv_fast(const ConvDesc& d, const float* x, const float* w, float* y, const float* scale, const float* post,
               const PhaseStore* ps = nullptr, const float* xmask = nullptr, int64_t xmask_c = 0);

// One GEMM over the pixels of N channels-last images of S pixels and Cin channels (the pgemm
// reading them in place, pixel stride Cin): for image n, group g and panel p of the np per
// group, the sums over the group's Cin / groups channels, in chunks of kChunk from zero, of
// blocks of up to 128 pixels [q0, q1); store(n, g, p, q0, q1, sums) takes each block's sums,
// pixel q's pgemm_nr channels at sums + (q - q0) * pgemm_nr. wp: the panels, [g][p][K][nr].
// Needs the ISA's pgemm. (Pointwise convs and kernel = stride transposed convs, channels-last.)
// Winograd F(2x2, 3x3) for the 3x3 convolutions it serves (ops/conv_winograd.cc); false: not
// taken (the caller runs the direct sums, which then write the whole output). winograd_pack:
// the transformed weights for d.w_wino where d's geometry takes it (and w is finite), else
// an empty vector.
bool conv_winograd(const ConvDesc& d, const float* x, const float* w, float* y);
std::vector<float> winograd_pack(const ConvDesc& d, const float* w);

using PixelBlockStore = std::function<void(int64_t n, int64_t g, int64_t p, int64_t q0, int64_t q1, const float* sums)>;
void pixel_gemm_cl(const float* x, int64_t N, int64_t S, int64_t Cin, int64_t groups, const float* wp, int64_t np,
                   int64_t kChunk, const char* fn, const PixelBlockStore& store);

// Prepared layers: d's weight w ([Cout, Cin/g, k...]) packed for conv_fast's pixel-major
// path (the pgemm's panels, [groups][panels][K][nr], zero-extended) when d takes that path,
// else empty. conv_fast reads it from ConvDesc::w_pg.
std::vector<float> pgemm_pack(const ConvDesc& d, const float* w);

struct KernelTable;
// The lanes the igemm fills per reduction index over one image's output of one channel of d
// (conv_fast's plan: padding columns and tile remainders included): what the pgemm's lanes
// are weighed against (pgemm_min_ratio).
int64_t igemm_lanes(const ConvDesc& d, const KernelTable& kt);
// The lanes the pgemm fills per reduction index over a run of len output pixels (tiles of at
// most pgemm_mr, counted as at least half full).
int64_t pgemm_run_lanes(int64_t len, const KernelTable& kt);

// A transposed convolution whose stride phases all have the same sub-kernel (e.g. k a
// multiple of s, unit dilation) is one stride-1 convolution of its input with Cout * nph
// output channels, channel oc * nph + ph holding phase ph = (r0 * s1 + r1) * s2 + r2 of
// output channel oc: phase pixel z lands on output coordinate z * s + r - pb per dim, or
// nowhere when that falls outside [0, out). Every output pixel is reached exactly once
// (zeros padding, no outputPadding), so the epilogue writes each one, with its bias.
// The merged weight rows come packed (conv_fast's w) or, with w_t, are packed by each work
// item for its own channel blocks from the transposed weight [Cin, Cout/g, k...]: no whole
// packed copy, and the rows are still in cache when the item computes with them.
struct PhaseStore {
  int64_t s[3], pb[3], out[3];
  int64_t nph;  // s0 * s1 * s2
  int64_t Cout;
  const float* bias;
  float* y;  // channels-first [N, Cout, out...]
  // Packing (pack_phase_rows): taps per phase kv (nph * kv = K), src_tap[ph * kv + pos] =
  // the original tap of position pos of phase ph's sub-kernel.
  const float* w_t = nullptr;
  int64_t cig = 0, cog = 0, K = 0, kv = 0;
  const int64_t* src_tap = nullptr;
  // Ragged phases (sub-kernels of different shapes, e.g. k3 s2: 2x2, 2x1, 1x2, 1x1), merged
  // over the union of their taps without computing the missing ones: merged channel
  // (ocb * nph + ph) * mr + i is phase ph of output channel ocb * mr + i (mr: the igemm's
  // rows, of which cog is a multiple), so each block of mr merged channels is one phase's. Phase ph
  // reduces over the kidx[koff[ph] .. koff[ph + 1]) reduction indices of the union kernel,
  // in its own weight order, whose weights are w_t[ktap[...] + (g * cig * cog + oc) * K]
  // (K: the original kernel's taps). pack_ragged_rows packs them per group and block of mr
  // output channels: every phase's [mr][koff[ph + 1] - koff[ph]] in turn.
  bool ragged = false;
  const int64_t* koff = nullptr;  // [nph + 1]
  const int64_t* kidx = nullptr;  // [koff[nph]]
  const int64_t* ktap = nullptr;  // [koff[nph]]
};

// Ragged phases: the weights of output-channel blocks ocb0 .. ocb1 of group g, packed into out.
void pack_ragged_rows(const PhaseStore& ps, int64_t g, int64_t ocb0, int64_t ocb1, float* out);

// One output row of a transposed convolution from its stride phases along the last dim:
// the phase pixels z in [zlo, zhi) of the s phase rows src[r] (src[r][z - zlo]; null: not
// this caller's) land on y[z * s + r - pb] where that lies in [0, n), plus b. Whole pixels
// of 2-4 phases go through `il` (the ISA's interleave; null: an SSE loop for two phases),
// streamed (non-temporal; the caller fences) when `stream`. Two phases inline here (rows are
// short: W7's are 128 floats, and a call's overhead showed as 3-4% of W7), the rest in
// store_phase_row_any (conv_fast.cc).
void store_phase_row_any(const float* const* src, int64_t s, int64_t pb, int64_t zlo, int64_t zhi, float* y, int64_t n,
                         float b, bool stream, InterleaveFn il);
inline void store_phase_row(const float* const* src, int64_t s, int64_t pb, int64_t zlo, int64_t zhi, float* y,
                            int64_t n, float b, bool stream, InterleaveFn il) {
  if (s != 2 || !il || !src[0] || !src[1]) return store_phase_row_any(src, s, pb, zlo, zhi, y, n, b, stream, il);
  int64_t o = zlo * 2 - pb > 0 ? zlo * 2 - pb : 0;
  const int64_t ohi = zhi * 2 - pb < n ? zhi * 2 - pb : n;
  if ((o + pb) & 1) {  // a first pixel's phase 1 alone
    if (o < ohi) y[o] = src[1][(o + pb) / 2 - zlo] + b;
    ++o;
  }
  if (o >= ohi) return;
  const float* planes[2] = {src[0] + (o + pb) / 2 - zlo, src[1] + (o + pb) / 2 - zlo};
  if (stream && reinterpret_cast<uintptr_t>(y + o) % 64 != 0 && reinterpret_cast<uintptr_t>(y + o) % 8 == 0) {
    // plain stores up to the first 64-byte boundary, streamed from there
    int64_t lead = static_cast<int64_t>((64 - reinterpret_cast<uintptr_t>(y + o) % 64) / 8);
    if (lead > (ohi - o) / 2) lead = (ohi - o) / 2;
    il(planes, 2, lead, y + o, false, &b);
    planes[0] += lead, planes[1] += lead, o += 2 * lead;
  }
  const int64_t px = (ohi - o) / 2;
  il(planes, 2, px, y + o, stream, &b);
  if (o + 2 * px < ohi) y[ohi - 1] = planes[0][px] + b;  // a last pixel's phase 0 alone
}

// Merged rows j0 .. j1 of group g (row j = oc_in_group * nph + ph), each [Cin/g, kv], into out.
void pack_phase_rows(const PhaseStore& ps, const float* w_t, int64_t g, int64_t j0, int64_t j1, float* out);

inline int64_t prod3(const int64_t* v) { return v[0] * v[1] * v[2]; }

}  // namespace convkit
