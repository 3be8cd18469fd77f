// The SIMD convolution driver (every stride, dilation, group count and padding mode).
//
// The output is cut into bands along its outermost spatial dim. For each (image, group,
// band) a thread gathers the band's input into a small phase buffer: the padded input
// split into stride phases (polyphase), so that every kernel tap becomes a stride-1 shift.
// Padding is resolved in that gather through the shared padding model (core/padmap), never
// by copying the whole padded input. Then every output pixel of the band, taken as a flat
// index over the phase buffer's extents, is a dot product of packed weights with rows
// `base + offset(input channel, tap)` — an indirect GEMM (XNNPACK's igemm idea, with the
// row table built once per thread). Depthwise convolutions use a dwconv kernel instead.
// Work items are fixed by the shapes alone, so results do not depend on the thread count.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../core/common.h"
#include "../core/threadpool.h"
#include "../kernels/kernels.h"
#include "internal.h"
#include "ops.h"

namespace convkit {

namespace {

// Reduction indices per pass of the igemm and the pgemm, every path alike (each output is the
// sum of its chunks' FMA chains, added in order): the same bits from every kernel and layout.
constexpr int64_t kGemmChunk = 256;

struct DimPlan {
  int64_t in, out, k, s, d, pb, pext;  // pext: padded extent
  std::vector<int64_t> residues;       // distinct (t*d) % s, ascending
  std::vector<int64_t> ridx, q;        // per tap: residue index, phase shift
  int64_t qmax = 0;
  std::vector<int64_t> map;            // padded coordinate -> source (-1: padding)
};

DimPlan plan_dim(const ConvDesc& d, int i, PadMode mode) {
  DimPlan p;
  p.in = d.in[i]; p.out = d.out[i]; p.k = d.k[i]; p.s = d.stride[i]; p.d = d.dil[i]; p.pb = d.pb[i];
  p.pext = d.in[i] + d.pb[i] + d.pa[i];
  for (int64_t t = 0; t < p.k; ++t) {
    const int64_t r = (t * p.d) % p.s;
    if (std::find(p.residues.begin(), p.residues.end(), r) == p.residues.end()) p.residues.push_back(r);
  }
  std::sort(p.residues.begin(), p.residues.end());
  for (int64_t t = 0; t < p.k; ++t) {
    const int64_t r = (t * p.d) % p.s;
    p.ridx.push_back(std::find(p.residues.begin(), p.residues.end(), r) - p.residues.begin());
    p.q.push_back((t * p.d) / p.s);
    p.qmax = std::max(p.qmax, p.q.back());
  }
  p.map = pad_index_map(mode, d.in[i], d.pb[i], d.pa[i]);
  return p;
}

// One element of a conv's epilogue: (raw * scale + b) * post, scale and post optional (null),
// a multiply and an add, each rounded (never fused: the same bits on every path).
inline float finish_one(float raw, float b, const float* scale, const float* post, int64_t i) {
  const float v = (scale ? raw * scale[i] : raw) + b;
  return post ? v * post[i] : v;
}

// y = (raw * scale + b) * post, over one output row (scale, post optional).
// stream: non-temporal stores, through `wide` (the ISA's stream_row) when it has one.
inline void finish_row(const float* raw, float* y, int64_t n, float b, const float* scale, const float* post,
                       bool stream = false, StreamRowFn wide = nullptr) {
  auto one = [&](int64_t i) { y[i] = finish_one(raw[i], b, scale, post, i); };
  if (stream && wide) {
    wide(raw, b, scale, post, y, n);
    return;
  }
#if defined(__SSE2__)
  if (stream) {
    // Non-temporal stores: a large fresh output is in no cache, and a plain store would
    // first read every line it overwrites. (Fenced by the caller before the result is used.)
    // The same operations in the same order as one(): the same bits.
    int64_t i = 0;
    for (; i < n && (reinterpret_cast<uintptr_t>(y + i) & 15) != 0; ++i) one(i);
    const __m128 bv = _mm_set1_ps(b);
    for (; i + 4 <= n; i += 4) {
      __m128 v = _mm_loadu_ps(raw + i);
      if (scale) v = _mm_mul_ps(v, _mm_loadu_ps(scale + i));
      v = _mm_add_ps(v, bv);
      if (post) v = _mm_mul_ps(v, _mm_loadu_ps(post + i));
      _mm_stream_ps(y + i, v);
    }
    for (; i < n; ++i) one(i);
    return;
  }
#else
  (void)stream;
#endif
  for (int64_t i = 0; i < n; ++i) one(i);  // (the compiler unswitches the scale/post tests)
}

}  // namespace

// (internal.h; store_phase_row's other cases)
void store_phase_row_any(const float* const* src, int64_t s, int64_t pb, int64_t zlo, int64_t zhi, float* y, int64_t n,
                         float b, bool stream, InterleaveFn il) {
  const int64_t olo = std::max<int64_t>(0, zlo * s - pb), ohi = std::min(n, zhi * s - pb);
  // y[o] for o in [lo, hi), any s: phase by phase, stores s apart (no division per pixel:
  // with one per pixel, k3 s3 spent 2/3 of its time here).
  auto some = [&](int64_t lo, int64_t hi) {
    for (int64_t r = 0; r < s && lo < hi; ++r) {
      if (!src[r]) continue;
      const int64_t first = lo + ((r - (lo + pb) % s) % s + s) % s;  // the first q >= lo with (q + pb) % s == r
      const float* sp = src[r] + (first + pb) / s - zlo;
      for (int64_t q = first; q < hi; q += s) y[q] = *sp++ + b;
    }
  };
  bool all = true;  // every phase's row given
  for (int64_t r = 0; r < s; ++r) all = all && src[r];
  if (il && all && s >= 3 && s <= 4) {  // (two phases with il: store_phase_row, inline)
    // Whole pixels of the s phases through the ISA's interleave, from the first one that
    // starts on phase 0 (when streaming: on a 64-byte boundary too, where one is near).
    // Divisions only at a row's clipped ends: this runs once per output row.
    const int64_t flo = std::max(pb, zlo * s);  // olo + pb
    int64_t z = flo == zlo * s ? zlo : (flo + s - 1) / s, start = z * s - pb;
    for (int64_t t = 0; stream && t < 16 && reinterpret_cast<uintptr_t>(y + start) % 64 != 0; ++t) start += s, ++z;
    if (reinterpret_cast<uintptr_t>(y + start) % 64 != 0) {
      z = flo == zlo * s ? zlo : (flo + s - 1) / s;
      start = z * s - pb;
    }
    const int64_t px = start >= ohi ? 0 : zhi * s - pb <= n ? zhi - z : (ohi - start) / s;
    if (px >= 16) {
      some(olo, start);
      const float* planes[4];
      for (int64_t r = 0; r < s; ++r) planes[r] = src[r] + z - zlo;
      il(planes, static_cast<int>(s), px, y + start, stream, &b);
      some(start + px * s, ohi);
      return;
    }
  }
  int64_t o = olo;
#if defined(__SSE2__)
  if (s == 2 && all) {
    if ((o + pb) & 1) {
      if (o < ohi) y[o] = src[1][(o + pb) / 2 - zlo] + b;
      ++o;
    }
    const __m128 bv = _mm_set1_ps(b);
    const float* a = src[0] + (o + pb) / 2 - zlo;
    const float* c = src[1] + (o + pb) / 2 - zlo;
    if (stream && (reinterpret_cast<uintptr_t>(y + o) & 15) == 0) {
      for (; o + 8 <= ohi; o += 8, a += 4, c += 4) {
        const __m128 va = _mm_loadu_ps(a), vc = _mm_loadu_ps(c);
        _mm_stream_ps(y + o, _mm_add_ps(_mm_unpacklo_ps(va, vc), bv));
        _mm_stream_ps(y + o + 4, _mm_add_ps(_mm_unpackhi_ps(va, vc), bv));
      }
    }
    for (; o + 8 <= ohi; o += 8, a += 4, c += 4) {
      const __m128 va = _mm_loadu_ps(a), vc = _mm_loadu_ps(c);
      _mm_storeu_ps(y + o, _mm_add_ps(_mm_unpacklo_ps(va, vc), bv));
      _mm_storeu_ps(y + o + 4, _mm_add_ps(_mm_unpackhi_ps(va, vc), bv));
    }
  }
#else
  (void)stream;
#endif
  some(o, ohi);
}

namespace {

// The row geometry every depthwise driver below shares (unit stride along rows): the
// padding maps, the padded columns the taps read, and the input rows of a block of output
// rows. Unit stride and dilation along rows: a block of R output rows reads R + kh - 1 rows;
// otherwise one output row per block, reading rows o1 * stride + t1 * dil. A row of padding
// (constant modes) is a shared row of the fill value (fill_row, `cols` floats per padded
// column: the channels of channels-last rows).
struct DwRows {
  static constexpr int64_t kBlockRows = 8;
  std::vector<int64_t> m0, m1, m2;
  int64_t kd, kh, kw, D, H, W, Hin, Win, pb2, s0st, s0dl, s1st, s1dl, dil2;
  int64_t reach, Wp, clo, chi;  // padded columns [clo, chi) are input columns c - pb2
  bool shared;
  int64_t R, span, slots;  // ring slots per depth slice: the padded rows one block reads are distinct mod span
  std::vector<float> fill_row;

  DwRows(const ConvDesc& d, PadMode mode, float fill, int64_t cols)
      : m0(pad_index_map(mode, d.in[0], d.pb[0], d.pa[0])), m1(pad_index_map(mode, d.in[1], d.pb[1], d.pa[1])),
        m2(pad_index_map(mode, d.in[2], d.pb[2], d.pa[2])), kd(d.k[0]), kh(d.k[1]), kw(d.k[2]), D(d.out[0]), H(d.out[1]),
        W(d.out[2]), Hin(d.in[1]), Win(d.in[2]), pb2(d.pb[2]), s0st(d.stride[0]), s0dl(d.dil[0]), s1st(d.stride[1]),
        s1dl(d.dil[1]), dil2(d.dil[2]) {
    reach = (kw - 1) * dil2;  // padded columns a pixel's taps read past its own
    Wp = W + reach;
    clo = std::min(Wp, pb2);
    chi = std::max(clo, std::min(Wp, pb2 + Win));
    shared = s1st == 1 && s1dl == 1;
    R = shared ? kBlockRows : 1;
    span = shared ? R + kh - 1 : (kh - 1) * s1dl + 1;
    slots = kd * span;
    bool need_fill = false;
    for (int64_t v : m0) need_fill = need_fill || v < 0;
    for (int64_t v : m1) need_fill = need_fill || v < 0;
    if (need_fill) fill_row.assign(static_cast<size_t>(Wp * cols), fill);
  }
  // Rows per band of an image's depth slice: whole, or at several threads bands of whole
  // blocks so that `planes` of them give ~8 items per thread.
  int64_t band(int64_t planes, int threads) const {
    if (threads <= 1) return H;
    const int64_t want = (8 * threads + planes - 1) / planes;
    const int64_t b = std::max<int64_t>(kBlockRows, (H + want - 1) / want);
    return (b + kBlockRows - 1) / kBlockRows * kBlockRows;
  }
  // The block of r output rows from row o1 of depth slice o0: f(j, t0, p, s0, s1) for each
  // row j it reads (depth tap t0, padded row p, input indices s0, s1; negative: padding).
  template <typename F>
  void block_rows(int64_t o0, int64_t o1, int64_t r, F&& f) const {
    const int64_t nrow = shared ? r + kh - 1 : kh;
    for (int64_t t0 = 0; t0 < kd; ++t0)
      for (int64_t i = 0; i < nrow; ++i) {
        const int64_t p = shared ? o1 + i : o1 * s1st + i * s1dl;
        f(t0 * nrow + i, t0, p, m0[static_cast<size_t>(o0 * s0st + t0 * s0dl)], m1[static_cast<size_t>(p)]);
      }
  }
  // The rows the next block (rn rows after this one's r) reads first, in order.
  template <typename F>
  void next_rows(int64_t o0, int64_t o1, int64_t r, int64_t rn, F&& f) const {
    const int64_t o1n = o1 + r;
    for (int64_t t0 = 0; t0 < kd; ++t0) {
      const int64_t i0 = shared ? r + kh - 1 : 0, i1 = shared ? rn + r + kh - 1 : kh;
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t p = shared ? o1 + i : o1n * s1st + (i - i0) * s1dl;
        f(m0[static_cast<size_t>(o0 * s0st + t0 * s0dl)], m1[static_cast<size_t>(p)]);
      }
    }
  }
};

// Depthwise with unit stride along the last dim. Blocks of output rows go to the ISA's
// block kernel (register tiles of rows x pixels, each input vector loaded once per tile for
// every output row it feeds), which reads padded rows. Each block is cut into three column
// ranges: the interior, whose taps read only input columns, takes the input rows themselves
// (no copy); the two edges, which read padded columns, take padded copies of just their
// columns, made once per row in a small per-thread ring (inside columns copied whole, the
// rest through the padding map) and reused by every block that reads the row. (Copying the
// whole row instead cost W9 15%; masked edge loads from the input measured slower than these
// copies when the input is not in cache.) A row of padding (constant modes) is a shared row
// of the fill value. Every pixel is one FMA chain in tap order whatever the block, column
// range or work split, so the results are bit-identical for any thread count.
void dwconv_direct(const ConvDesc& d, const float* x, const float* w, float* y, const float* scale,
                   const float* post, PadMode mode, float fill) {
  const DwconvFn::BlockFn block = kernels().dwconv.block;
  const int64_t K = prod3(d.k), Cog = d.Cout / d.groups, Sin = prod3(d.in), Sout = prod3(d.out), Cin = d.Cin, Cout = d.Cout;
  const DwRows g(d, mode, fill, 1);
  const int64_t kd = g.kd, kh = g.kh, kw = g.kw, D = g.D, H = g.H, W = g.W, Hin = g.Hin, Win = g.Win, pb2 = g.pb2;
  const int64_t reach = g.reach, Wp = g.Wp, clo = g.clo, chi = g.chi, R = g.R, span = g.span, slots = g.slots, dil2 = g.dil2;
  // Large inputs (beyond the caches) are prefetched a block ahead, and read in place where
  // they can be: output columns [cl, cr) read padded columns inside [clo, chi) only, so they
  // take the input rows themselves. cl and cr - cl are whole vectors of 16, and the right
  // edge takes the rest. A cached input is copied whole (cheaper than three kernel calls per
  // block with narrow edges: W5 at 2 threads 0.094 -> 0.115 ms split).
  const bool large_in = checked_mul(d.N * Cin, Sin, d.fn) >= (int64_t{1} << 20);
  int64_t cl = clo == 0 ? 0 : std::min(W, (clo + 15) / 16 * 16), cr = std::max(cl, chi - reach);
  if (cr < W) cr = cl + (cr - cl) / 16 * 16;
  const bool whole = cl == 0 && cr == W;  // no padded column read at all
  if (!whole && (!large_in || cr - cl < 32)) cl = cr = W;  // all through the ring
  const int64_t left_cols = cl > 0 ? cl + reach : 0;       // padded columns [0, left_cols) copied
  const int64_t right_cols = cr < W ? Wp - cr : 0;         // padded columns [cr, Wp) copied
  const float* fill_row = g.fill_row.data();

  const bool fuse_bias = !scale && !post;
  // Whole output lines by non-temporal stores, from 256 KiB of output as the igemm's epilogue
  // (W9's 25 MB: in-process A/B, 0.83x the time at 1 thread, 0.68-0.76x at 2; W5's 1.6 MB:
  // 0.77-0.83x at either; same bits). Not where a per-pixel epilogue reads the rows back.
  const bool stream = fuse_bias && streamed_result(d.N * Cout, Sout, d.fn);
  // A ring slot: the left edge's columns, then the right edge's, each from a 64-byte boundary.
  const int64_t ld_left = (left_cols + 15) / 16 * 16, ld = ld_left + (right_cols + 15) / 16 * 16;

  // Work items: (image, channel, depth index, band of rows); bands only to feed the threads.
  const int threads = get_num_threads();
  const int64_t planes = d.N * Cout * D, band = g.band(planes, threads), nbands = (H + band - 1) / band;

  // Per-thread scratch: the ring (64-byte aligned slots) and, a whole number of cache lines
  // apart, the ring tags, the kernel's row tables (left, interior, right) and the next
  // block's rows to prefetch.
  const int64_t ring_floats = checked_mul(slots, ld, d.fn);
  float* rings = arena(0, checked_mul(threads, ring_floats, d.fn) + 16, d.fn, "the per-thread row rings");
  rings += (16 - reinterpret_cast<uintptr_t>(rings) / sizeof(float) % 16) % 16;
  const int64_t pstride = (slots + 7) / 8 * 8 + 8;
  std::vector<int64_t> tags_all(static_cast<size_t>(threads * pstride));
  std::vector<const float*> ptrs_all(static_cast<size_t>(4 * threads * pstride));

  // Items of a few thousand outputs at least per take: small planes (a 7x7 map of 1024
  // channels) one at a time made the threads contend for the item counter (2 threads took
  // 0.30 ms against 1 thread's 0.16).
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, band * W));
  parallel_for_tid(planes * nbands, grain, threads, [&](int tid, int64_t b, int64_t e) {
    float* ring = rings + tid * ring_floats;
    int64_t* tag = tags_all.data() + tid * pstride;
    const float** ptr_l = ptrs_all.data() + 4 * tid * pstride;
    const float** ptr_i = ptr_l + pstride;
    const float** ptr_r = ptr_i + pstride;
    const float** pf = ptr_r + pstride;
    for (int64_t it = b; it < e; ++it) {
      const int64_t bi = it % nbands, plane = it / nbands;
      const int64_t o0 = plane % D, nc = plane / D, oc = nc % Cout, n = nc / Cout;
      const float* xp = x + (n * Cin + oc / Cog) * Sin;
      const float bv = d.bias ? d.bias[oc] : 0.f;
      float* yp = y + (n * Cout + oc) * Sout + o0 * H * W;
      std::fill(tag, tag + slots, int64_t{-1});
      const int64_t o_end = std::min(H, (bi + 1) * band);
      for (int64_t o1 = bi * band; o1 < o_end; o1 += R) {
        const int64_t r = std::min(R, o_end - o1);
        g.block_rows(o0, o1, r, [&](int64_t j, int64_t t0, int64_t p, int64_t s0, int64_t s1) {
          if (s0 < 0 || s1 < 0) {  // a row of padding: every range reads the fill row
            ptr_l[j] = fill_row;
            ptr_i[j] = fill_row + cl;
            ptr_r[j] = fill_row + cr;
            return;
          }
          const float* xr = xp + (s0 * Hin + s1) * Win;
          if (cr > cl) ptr_i[j] = xr + (cl - pb2);  // (cl >= clo = pb2 when there is an interior)
          if (left_cols == 0 && right_cols == 0) return;
          const int64_t slot = t0 * span + p % span;
          float* dst = ring + slot * ld;
          if (tag[slot] != p) {
            tag[slot] = p;
            if (left_cols > 0) copy_padded_row(g.m2.data(), xr, pb2, clo, chi, 0, left_cols, fill, dst);
            if (right_cols > 0) copy_padded_row(g.m2.data(), xr, pb2, clo, chi, Wp - right_cols, Wp, fill, dst + ld_left);
          }
          ptr_l[j] = dst;
          ptr_r[j] = dst + ld_left;
        });
        // The input rows the next block reads first (not yet read) are prefetched during
        // this one's interior, as are the output rows it writes.
        const int64_t rn = std::max<int64_t>(0, std::min(R, o_end - o1 - r));
        int64_t npf = 0;
        if (large_in && rn > 0)
          g.next_rows(o0, o1, r, rn, [&](int64_t s0, int64_t s1) {
            if (s0 >= 0 && s1 >= 0) pf[npf++] = xp + (s0 * Hin + s1) * Win + (cl < cr ? cl - pb2 : 0);
          });
        float* yr = yp + o1 * W;
        const float* wk = w + oc * K;
        const float bb = fuse_bias ? bv : 0.f;
        if (cl > 0) block(DwBlock{ptr_l, wk, bb, yr, W, r, cl, kd, kh, kw, dil2, pf, cl < cr ? 0 : npf, Win, rn, stream});
        if (cr > cl)
          block(DwBlock{ptr_i, wk, bb, yr + cl, W, r, cr - cl, kd, kh, kw, dil2, pf, npf, cr - cl + reach, rn, stream});
        if (cr < W) block(DwBlock{ptr_r, wk, bb, yr + cr, W, r, W - cr, kd, kh, kw, dil2, pf, 0, 0, rn, stream});
        if (!fuse_bias)
          for (int64_t rr = 0; rr < r; ++rr) {
            const int64_t ys = (o0 * H + o1 + rr) * W;
            finish_row(yr + rr * W, yr + rr * W, W, bv, scale ? scale + ys : nullptr, post ? post + ys : nullptr);
          }
      }
    }
    if (stream) fence_streams();  // the streamed rows are visible before the pool reports done
  });
}

// Depthwise with channels-last input and result, one output channel per input channel and
// no per-pixel epilogue (kt.dwconv_flat): the rows are the flat runs of their pixels'
// channels, the channels in the lanes (DwFlat), so nothing is deinterleaved or interleaved.
// Each padded row a block reads is copied once per item into a per-thread ring (the inside
// pixels whole, the edge pixels through the padding map), and the kernel writes the output
// rows in place. Items: (image, depth index, band of rows). Same chains as the block kernel
// on each channel's plane: the bits of the other paths.
// Taken (true) for channels-last input and result, one output channel per input channel, C a
// multiple of 16 (every tap's load a whole aligned vector) and no epilogue, where the ring
// stays within 1 MiB per thread; else nothing is done.
bool dwconv_flat(const ConvDesc& d, const float* x, const float* w, float* y, bool epilogue, PadMode mode, float fill) {
  const KernelTable& kt = kernels();
  if (!kt.dwconv_flat || !d.x_cl || !d.y_cl || d.Cout != d.Cin || d.Cin % 16 != 0 || epilogue) return false;
  // Up to 9 taps per plane: larger kernels run faster through dwconv_cl's block kernel, which
  // builds its taps' shifted vectors in registers (here each tap loads its own: 5x5 256ch
  // 28x28 took 1.08-1.10x the time, 5x5 672ch 14x14 at 2 threads 1.2-1.5x).
  if (d.k[1] * d.k[2] > 9) return false;
  const int64_t C = d.Cin, K = prod3(d.k);
  const int64_t Wp = d.out[2] + (d.k[2] - 1) * d.dil[2], ld = (Wp * C + 15) / 16 * 16;
  const int64_t span = d.stride[1] == 1 && d.dil[1] == 1 ? DwRows::kBlockRows + d.k[1] - 1 : (d.k[1] - 1) * d.dil[1] + 1;
  if (d.k[0] * span * ld > (int64_t{256} << 10)) return false;  // a ring of at most 1 MiB per thread
  const DwRows g(d, mode, fill, C);
  const int64_t D = g.D, H = g.H, W = g.W, Hin = g.Hin, Win = g.Win, pb2 = g.pb2, clo = g.clo, chi = g.chi, R = g.R;
  const int64_t slots = g.slots;
  const int threads = get_num_threads();
  const int64_t planes = d.N * D, band = g.band(planes, threads), nbands = (H + band - 1) / band;
  // Too few bands for the threads (small maps): the rows are cut into column ranges too (a
  // range of whole pixels starts on a whole vector, at pattern 0), of 8 pixels at least and
  // twice the halo (the padded pixels past a range its taps also read, copied by each
  // range: 5x5 672ch 14x14 in 8 ranges of 3-4 took 1.5x the time).
  int64_t ncol = 1;
  if (threads > 1 && planes * nbands < 4 * threads)
    ncol = std::max<int64_t>(1, std::min((4 * threads + planes * nbands - 1) / planes / nbands, W / std::max<int64_t>(8, 2 * (Wp - W))));

  // The lane weights and biases of the P patterns.
  int64_t gcd = 16;
  while (C % gcd != 0) gcd /= 2;
  const int64_t P = C / gcd;
  std::vector<float> wl(static_cast<size_t>(P * K * 16)), bl(static_cast<size_t>(P * 16));
  note_scratch(static_cast<int64_t>((wl.size() + bl.size()) * sizeof(float)));
  for (int64_t p = 0; p < P; ++p)
    for (int64_t l = 0; l < 16; ++l) {
      const int64_t ch = (p * 16 + l) % C;
      for (int64_t t = 0; t < K; ++t) wl[static_cast<size_t>((p * K + t) * 16 + l)] = w[ch * K + t];
      bl[static_cast<size_t>(p * 16 + l)] = d.bias ? d.bias[ch] : 0.f;
    }

  const int64_t ring_floats = checked_mul(slots, ld, d.fn);
  float* bufs = arena(0, checked_mul(threads, ring_floats, d.fn) + 16, d.fn, "the per-thread row rings");
  bufs += (16 - reinterpret_cast<uintptr_t>(bufs) / sizeof(float) % 16) % 16;
  std::vector<int64_t> tags_all(static_cast<size_t>(threads * slots));
  std::vector<const float*> ptrs_all(static_cast<size_t>(threads * slots));
  parallel_for_tid(planes * nbands * ncol, 1, threads, [&](int tid, int64_t b, int64_t e) {
    float* ring = bufs + tid * ring_floats;
    int64_t* tag = tags_all.data() + tid * slots;
    const float** ptr = ptrs_all.data() + tid * slots;
    for (int64_t it = b; it < e; ++it) {
      const int64_t col = it % ncol, bi = it / ncol % nbands, o0 = it / (ncol * nbands) % D, n = it / (ncol * nbands * D);
      // output pixels [q0, q1) of the rows; their taps read padded pixels [q0, q1 + Wp - W)
      const int64_t q0 = W * col / ncol, q1 = W * (col + 1) / ncol, e1 = q1 + Wp - W;
      const int64_t lo = std::max(clo, q0), hi = std::max(lo, std::min(chi, e1));
      std::fill(tag, tag + slots, int64_t{-1});
      const int64_t o_end = std::min(H, (bi + 1) * band);
      for (int64_t o1 = bi * band; o1 < o_end; o1 += R) {
        const int64_t r = std::min(R, o_end - o1);
        g.block_rows(o0, o1, r, [&](int64_t j, int64_t t0, int64_t p, int64_t s0, int64_t s1) {
          if (s0 < 0 || s1 < 0) {
            ptr[j] = g.fill_row.data();
            return;
          }
          const int64_t slot = t0 * g.span + p % g.span;
          float* dst = ring + slot * ld;
          ptr[j] = dst;
          if (tag[slot] == p) return;
          tag[slot] = p;
          // padded pixel c2 of the range at dst + (c2 - q0) * C
          const float* xr = x + ((n * d.in[0] + s0) * Hin + s1) * Win * C;
          if (hi > lo) std::memcpy(dst + (lo - q0) * C, xr + (lo - pb2) * C, static_cast<size_t>((hi - lo) * C) * sizeof(float));
          auto edge = [&](int64_t c2) {
            const int64_t src = g.m2[static_cast<size_t>(c2)];
            float* o = dst + (c2 - q0) * C;
            if (src >= 0) std::memcpy(o, xr + src * C, static_cast<size_t>(C) * sizeof(float));
            else std::fill(o, o + C, fill);
          };
          for (int64_t c2 = q0; c2 < lo; ++c2) edge(c2);
          for (int64_t c2 = hi; c2 < e1; ++c2) edge(c2);
        });
        float* yr = y + ((n * D + o0) * H + o1) * W * C + q0 * C;
        kt.dwconv_flat(DwFlat{ptr, wl.data(), bl.data(), P, yr, W * C, r, (q1 - q0) * C, g.kd, g.kh, g.kw, g.dil2 * C});
      }
    }
  });
  return true;
}

// dwconv_direct with a channels-last input or result (ConvDesc::x_cl, y_cl): the same block
// kernel, so the same FMA chains and bits, over a chunk of channels at a time. Each padded
// input row the blocks read is made once per item for every channel of the chunk, in a
// per-thread ring: deinterleaved from the pixel-major input row (its interior through the
// ISA's deinterleave or transpose, the edges through the padding map), or copied from the
// channels-first rows. A channels-last result is written a block of rows at a time: the
// chunk's channels-first rows, then interleaved (transposed) into the output's pixels; a
// channels-first one is copied from the same rows. Before, the whole input was converted
// first and the whole result after. NHWC in and out, two builds in one process, 1 / 2
// threads: W9's RGB image 0.68-0.71x / 0.62-0.65x the time, W5 0.72-0.76x / 0.35-0.37x,
// 1024ch 7x7 0.41x / 0.42x, 64ch 112x112 0.57x / 0.55x. (W9 still takes 1.6x its NCHW time:
// the deinterleave and the interleave are passes of their own over rows in L2.)
// Items: (image, depth index, band of rows, chunk of channels).
void dwconv_cl(const ConvDesc& d, const float* x, const float* w, float* y, const float* scale, const float* post,
               PadMode mode, float fill) {
  const KernelTable& kt = kernels();
  const DwconvFn::BlockFn block = kt.dwconv.block;
  const int64_t K = prod3(d.k), Cog = d.Cout / d.groups, Cin = d.Cin, Cout = d.Cout, Sin = prod3(d.in), Sout = prod3(d.out);
  const DwRows g(d, mode, fill, 1);
  const int64_t kd = g.kd, kh = g.kh, kw = g.kw, D = g.D, H = g.H, W = g.W, Hin = g.Hin, Win = g.Win, pb2 = g.pb2;
  const int64_t Wp = g.Wp, clo = g.clo, chi = g.chi, R = g.R, span = g.span, slots = g.slots, dil2 = g.dil2;
  const float* fill_row = g.fill_row.data();
  const bool fuse_bias = !scale && !post;

  // Chunks of CB channels (groups): all of them when at most 4 (an RGB image: one pass of
  // the ISA's deinterleave per row), else chunks of about equal size in whole vectors of 16,
  // each with a ring of at most ~48K floats (W5's 32 channels of 112 columns: one chunk),
  // and at several threads enough of them for 4 items per thread where the bands (of at
  // least kBlockRows rows) are too few.
  const int threads = get_num_threads();
  const int64_t ld = (Wp + 15) / 16 * 16;
  int64_t CB = Cin;
  if (Cin > 4) {
    const int64_t cb_max = std::max<int64_t>(16, (int64_t{48} << 10) / (slots * ld) / 16 * 16);
    int64_t nc = (Cin + cb_max - 1) / cb_max;
    if (threads > 1) nc = std::max(nc, 4 * threads / std::max<int64_t>(1, d.N * D * ((H + DwRows::kBlockRows - 1) / DwRows::kBlockRows)));
    CB = std::min(Cin, ((Cin + nc - 1) / nc + 15) / 16 * 16);
  }
  const int64_t nchunk = (Cin + CB - 1) / CB;
  const bool fused_in = d.x_cl && kt.deinterleave && CB == Cin && Cin >= 2 && Cin <= 4;
  const bool fused_out = d.y_cl && kt.interleave && CB == Cin && Cout >= 2 && Cout <= 4;
  const bool stream = d.y_cl && streamed_result(d.N * Cout, Sout, d.fn);

  const int64_t planes = d.N * D * nchunk, band = g.band(planes, threads), nbands = (H + band - 1) / band;

  // Per thread: the ring ([slot][channel][ld], 64-byte aligned) and the result rows of a
  // block ([channel][R][W]), copied or interleaved into the output.
  const int64_t ring_floats = checked_mul(checked_mul(slots, CB, d.fn), ld, d.fn);
  const int64_t out_floats = checked_mul(checked_mul(CB * Cog, R, d.fn), W, d.fn);
  const int64_t per_thread = (ring_floats + out_floats + 15) / 16 * 16;
  float* bufs = arena(0, checked_mul(threads, per_thread, d.fn) + 16, d.fn, "the per-thread channel rings");
  bufs += (16 - reinterpret_cast<uintptr_t>(bufs) / sizeof(float) % 16) % 16;
  std::vector<int64_t> tags_all(static_cast<size_t>(threads * slots));
  std::vector<int64_t> slot_all(static_cast<size_t>(threads * slots));
  std::vector<const float*> ptrs_all(static_cast<size_t>(3 * threads * slots));
  const bool pf_in = d.x_cl && CB == Cin && checked_mul(d.N * Cin, Sin, d.fn) >= (int64_t{1} << 20);
  const int64_t pf_part = Win;  // floats of a row each channel's blocks prefetch (the row is Win * Cin)

  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, band * W * CB));
  parallel_for_tid(planes * nbands, grain, threads, [&](int tid, int64_t b, int64_t e) {
    float* ring = bufs + tid * per_thread;
    float* obuf = ring + ring_floats;
    int64_t* tag = tags_all.data() + tid * slots;
    int64_t* sl = slot_all.data() + tid * slots;  // the block's rows: ring slots (-1: padding)
    const float** ptr = ptrs_all.data() + 3 * tid * slots;
    const float** pf_row = ptr + slots;  // the next block's input rows
    const float** pf = pf_row + slots;   // their parts one channel's blocks prefetch
    for (int64_t it = b; it < e; ++it) {
      const int64_t bi = it % nbands, plane = it / nbands;
      const int64_t chunk = plane % nchunk, o0 = plane / nchunk % D, n = plane / (nchunk * D);
      const int64_t g0 = chunk * CB, cb = std::min(CB, Cin - g0);
      std::fill(tag, tag + slots, int64_t{-1});
      const int64_t o_end = std::min(H, (bi + 1) * band);
      for (int64_t o1 = bi * band; o1 < o_end; o1 += R) {
        const int64_t r = std::min(R, o_end - o1), nj = kd * (g.shared ? r + kh - 1 : kh);
        g.block_rows(o0, o1, r, [&](int64_t j, int64_t t0, int64_t p, int64_t s0, int64_t s1) {
          if (s0 < 0 || s1 < 0) {
            sl[j] = -1;
            return;
          }
          const int64_t slot = t0 * span + p % span;
          sl[j] = slot;
          if (tag[slot] == p) return;
          tag[slot] = p;
          float* dst = ring + slot * CB * ld;  // channel c's padded row: dst + c * ld
          if (d.x_cl) {
            const float* xr = x + ((n * d.in[0] + s0) * Hin + s1) * Win * Cin + g0;  // pixel 0's channel g0
            if (chi > clo) {
              if (fused_in) {
                float* pl[4];
                for (int64_t c = 0; c < cb; ++c) pl[c] = dst + c * ld + clo;
                kt.deinterleave(xr + (clo - pb2) * Cin, static_cast<int>(Cin), chi - clo, pl, false);
              } else {
                kt.transpose(xr + (clo - pb2) * Cin, Cin, dst + clo, ld, chi - clo, cb);
              }
            }
            auto edge = [&](int64_t c2) {
              const int64_t s2 = g.m2[static_cast<size_t>(c2)];
              for (int64_t c = 0; c < cb; ++c) dst[c * ld + c2] = s2 >= 0 ? xr[s2 * Cin + c] : fill;
            };
            for (int64_t c2 = 0; c2 < clo; ++c2) edge(c2);
            for (int64_t c2 = chi; c2 < Wp; ++c2) edge(c2);
          } else {
            for (int64_t c = 0; c < cb; ++c)
              copy_padded_row(g.m2.data(), x + (n * Cin + g0 + c) * Sin + (s0 * Hin + s1) * Win, pb2, clo, chi, 0, Wp, fill,
                              dst + c * ld);
          }
        });
        // A large channels-last input, read whole by each item: the next block's new rows
        // are prefetched during this one, each row in cb parts, one per channel's blocks.
        int64_t npf = 0;
        const int64_t rn = std::max<int64_t>(0, std::min(R, o_end - o1 - r));
        if (pf_in && rn > 0)
          g.next_rows(o0, o1, r, rn, [&](int64_t s0, int64_t s1) {
            if (s0 >= 0 && s1 >= 0) pf_row[npf++] = x + ((n * d.in[0] + s0) * Hin + s1) * Win * Cin;
          });
        for (int64_t c = 0; c < cb; ++c) {
          for (int64_t j = 0; j < nj; ++j) ptr[j] = sl[j] < 0 ? fill_row : ring + (sl[j] * CB + c) * ld;
          for (int64_t j = 0; j < npf; ++j) pf[j] = pf_row[j] + c * pf_part;
          for (int64_t jo = 0; jo < Cog; ++jo) {
            const int64_t oc = (g0 + c) * Cog + jo;
            const float bv = d.bias ? d.bias[oc] : 0.f;
            float* yr = obuf + (c * Cog + jo) * R * W;
            const int64_t pf_len = std::min(pf_part, Win * Cin - c * pf_part);
            block(DwBlock{ptr, w + oc * K, fuse_bias ? bv : 0.f, yr, W, r, W, kd, kh, kw, dil2, pf, jo == 0 ? npf : 0, pf_len, 0});
            if (!fuse_bias)
              for (int64_t rr = 0; rr < r; ++rr) {
                const int64_t ys = (o0 * H + o1 + rr) * W;
                finish_row(yr + rr * W, yr + rr * W, W, bv, scale ? scale + ys : nullptr, post ? post + ys : nullptr);
              }
          }
        }
        if (!d.y_cl) {
          for (int64_t c = 0; c < cb * Cog; ++c)
            std::memcpy(y + (n * Cout + g0 * Cog + c) * Sout + (o0 * H + o1) * W, obuf + c * R * W, static_cast<size_t>(r * W) * sizeof(float));
        } else {
          const int64_t co = cb * Cog;
          for (int64_t rr = 0; rr < r; ++rr) {
            float* dst = y + ((n * D + o0) * H + o1 + rr) * W * Cout + g0 * Cog;  // pixel 0's channel g0 * Cog
            if (fused_out) {
              const float* pl[4];
              for (int64_t c = 0; c < co; ++c) pl[c] = obuf + (c * R + rr) * W;
              kt.interleave(pl, static_cast<int>(Cout), W, dst, stream, nullptr);
            } else {
              (stream && kt.transpose_stream ? kt.transpose_stream : kt.transpose)(obuf + rr * W, R * W, dst, Cout, co, W);
            }
          }
        }
      }
    }
    if (stream) fence_streams();  // the streamed rows are visible before the pool reports done
  });
}

// No padding and unit strides: the input itself is the (single) phase buffer.
bool reads_input_directly(const ConvDesc& d) {
  bool direct = true;
  for (int i = 0; i < 3; ++i) direct = direct && d.pb[i] == 0 && d.pa[i] == 0 && d.stride[i] == 1;
  return direct;
}

// L1 sets. A tile reads the same pixels of every input channel of a reduction chunk; with
// channels a multiple of 256 floats (1 KiB) apart, those rows fall in at most 4 of Zen 3's
// 64 sets (a 64x64 plane: all in one), 8 ways each, and evict each other. So such an input is
// gathered rather than read in place, and a gathered buffer's channels whose extent is a
// multiple of 64 floats (256 bytes) are one cache line further apart, an odd number of lines,
// so that consecutive channels take every set in turn. (W7's merged phases, 128 channels of
// 64x64 in bands of 8 rows, in-process A/B: gathered 0.82x the time, then the stride 0.89x
// more; both, in four runs: 0.70-0.73x at 1 thread, 0.92-0.96x at 2 (one run 0.76x); same
// bits, the sums being the same. The other workloads alike.)
bool planes_alias(int64_t plane, int64_t channels) { return channels > 8 && plane % 256 == 0; }
int64_t channel_stride(int64_t floats) { return floats % 64 == 0 ? floats + 16 : floats; }

// The dim bands are cut along: the outermost output dim with more than one element.
int band_dim(const ConvDesc& d) {
  for (int i = 0; i < 3; ++i)
    if (d.out[i] > 1) return i;
  return 2;
}

// One panel of packed weights (the pgemm's, nr = pgemm_nr; the packed igemm's, nr =
// igemm_mr): rows jn (<= nr) output channels of w (K floats apart), columns kc reduction
// indices -> wp[k * nr + j], zero for j >= jn.
void pack_panel(const KernelTable& kt, const float* w, int64_t K, int64_t jn, int64_t kc, int64_t nr, float* wp) {
  kt.transpose(w, K, wp, nr, jn, kc);
  if (jn < nr)
    for (int64_t k = 0; k < kc; ++k) std::fill(wp + k * nr + jn, wp + (k + 1) * nr, 0.f);
}

// Every panel of nr channels, [g][panel][K][nr] (pack_panel each; zero past each group's last
// channel), in parallel.
void pack_panels(const KernelTable& kt, const float* w, int64_t groups, int64_t Cog, int64_t K, int64_t nr, float* out) {
  const int64_t npanel = (Cog + nr - 1) / nr;
  parallel_for(groups * npanel, 1, [&](int64_t b, int64_t e) {
    for (int64_t it = b; it < e; ++it) {
      const int64_t g = it / npanel, p = it % npanel;
      pack_panel(kt, w + (g * Cog + p * nr) * K, K, std::min(nr, Cog - p * nr), K, nr, out + it * K * nr);
    }
  });
}

}  // namespace

int64_t igemm_lanes(const ConvDesc& d, const KernelTable& kt) {
  const bool direct = reads_input_directly(d);
  const int bo = band_dim(d);
  auto ext = [&](int i) { return direct ? d.in[i] : d.out[i] + (d.k[i] - 1) * d.dil[i] / d.stride[i]; };  // (qmax of plan_dim)
  const int64_t NR = kt.igemm_nr, len = d.out[2];
  const int64_t runs = bo == 2 ? 1 : bo == 1 ? d.out[1] : d.out[0] * d.out[1];
  const int64_t P = bo == 2 ? len : (runs - 1) / d.out[1] * ext(1) * ext(2) + (runs - 1) % d.out[1] * ext(2) + len;
  const int64_t sub = std::min<int64_t>(NR, 16);  // the igemm's remainder tiles: 16 lanes (AVX-512's 8x16/8x32, AVX2's masked 16)
  return P / NR * NR + (P % NR + sub - 1) / sub * sub;
}

int64_t pgemm_run_lanes(int64_t len, const KernelTable& kt) {
  const int64_t PM = kt.pgemm_mr, parts = (len + PM - 1) / PM;  // tiles of about equal size, as conv_fast cuts a run
  return parts * std::max<int64_t>((len + parts - 1) / parts, PM / 2);
}

namespace {

// Whether the pixel-major pgemm pays on d (conv_fast's plan: no merged phases): over one
// image's output, the lanes each kernel fills per reduction index, padding columns and tile
// remainders included. The pgemm runs its tiles at nearly the FMA peak, the igemm at ~80%;
// but the pgemm transposes the weights (unless prepared), so it takes only maps where the
// igemm fills pgemm_min_ratio times the pgemm's lanes or more (a 7x7 map: 64 lanes for 49
// pixels on AVX-512, 64 for 56 on AVX2). Depends on the shapes alone, never on the thread
// count (and the bits are the same either way).
bool pgemm_pays(const ConvDesc& d, const KernelTable& kt) {
  const int64_t Cog = d.Cout / d.groups, Cig = d.Cin / d.groups;
  if (!kt.pgemm || Cig == 1 || Cog < kt.pgemm_nr / 2) return false;
  const int bo = band_dim(d);
  const int64_t runs = bo == 2 ? 1 : bo == 1 ? d.out[1] : d.out[0] * d.out[1];
  return static_cast<double>(igemm_lanes(d, kt)) >= kt.pgemm_min_ratio * static_cast<double>(runs * pgemm_run_lanes(d.out[2], kt));
}

// A pointwise (1x1, unit stride, no padding) conv with channels-last input and result, no
// per-pixel epilogue: one GEMM over the pixels, through the pgemm reading the input's pixels
// in place (pixel stride Cin) and writing each tile's pixels, their output channels in the
// lanes, straight into the result. Nothing is gathered or transposed (the band path
// transposes the input into bands and its sums back out). Chunks of 256 reduction indices
// from zero, as the igemm's: the bits of the channels-first path. Taken (true) where the ISA
// has a pgemm, each group has a whole panel of output channels or more, and 64 input
// channels or more (fewer made each kernel call too short). In-process A/B against the band
// path, NHWC, 1 / 2 threads: W2 0.81x / 0.79x the time, 64->256 56x56 0.80x / 1.01x,
// 1024->256 14x14 0.91x / 0.88x, 96->576 14x14 0.83x / 0.90x. (Maps the small-map pgemm
// takes, as 7x7, never reach it: conv_fast_writes_cl says no, so the result is not y_cl.)
// The shapes conv1x1_cl takes (whatever the layouts).
bool pointwise_gemm_ok(const ConvDesc& d, const KernelTable& kt) {
  return kt.pgemm && prod3(d.k) == 1 && reads_input_directly(d) && d.Cout / d.groups >= kt.pgemm_nr && d.Cin / d.groups >= 64;
}

bool conv1x1_cl(const ConvDesc& d, const float* x, const float* w, float* y, const KernelTable& kt) {
  const int64_t Cig = d.Cin / d.groups, Cog = d.Cout / d.groups;
  if (!d.x_cl || !d.y_cl || !pointwise_gemm_ok(d, kt)) return false;
  const int64_t PR = kt.pgemm_nr, S = prod3(d.in), npanel = (Cog + PR - 1) / PR, K = Cig;
  // The weights' panels, [g][panel][K][PR]: a prepared layer's (pgemm_pack's layout), else
  // packed here.
  const float* wp = d.w_pg;
  if (!wp) {
    float* wn = arena(1, checked_mul(checked_mul(d.groups * npanel, K, d.fn), PR, d.fn), d.fn, "the weight panels");
    pack_panels(kt, w, d.groups, Cog, K, kt.pgemm_nr, wn);
    wp = wn;
  }
  pixel_gemm_cl(x, d.N, S, d.Cin, d.groups, wp, npanel, kGemmChunk, d.fn,
                [&](int64_t n, int64_t g, int64_t p, int64_t q0, int64_t q1, const float* sums) {
                  const int64_t oc0 = g * Cog + p * PR, jn = std::min(PR, Cog - p * PR);
                  for (int64_t q = q0; q < q1; ++q) {
                    const float* cs = sums + (q - q0) * PR;
                    float* yo = y + (n * S + q) * d.Cout + oc0;
                    // (+ bias where it is not zero, as the channels-first epilogue)
                    if (d.bias)
                      for (int64_t j = 0; j < jn; ++j) yo[j] = d.bias[oc0 + j] != 0.f ? cs[j] + d.bias[oc0 + j] : cs[j];
                    else
                      std::memcpy(yo, cs, static_cast<size_t>(jn) * sizeof(float));
                  }
                });
  return true;
}

}  // namespace

// Depthwise with unit stride along rows: dwconv_direct, whose channels-last form is dwconv_cl.
static bool dwconv_cl_ok(const ConvDesc& d, const KernelTable& kt) {
  return kt.dwconv && d.Cin == d.groups && d.stride[2] == 1;
}

bool conv_fast_writes_cl(const ConvDesc& d) {
  const KernelTable& kt = kernels();
  if (d.Cout <= 1 || prod3(d.out) <= 1) return false;
  return dwconv_cl_ok(d, kt) || (kt.igemm && d.Cin / d.groups > 1 && !pgemm_pays(d, kt));
}

bool conv_fast_reads_cl(const ConvDesc& d) {
  const KernelTable& kt = kernels();
  if (d.Cin <= 1 || prod3(d.in) <= 1) return false;
  return dwconv_cl_ok(d, kt) || (kt.igemm && d.Cin / d.groups > 1);
}

bool conv_fast(const ConvDesc& d, const float* x, const float* w, float* y, const float* scale, const float* post,
               const PhaseStore* ps, const float* xmask, int64_t xmask_c) {
  const KernelTable& kt = kernels();
  const int64_t Cig = d.Cin / d.groups, Cog = d.Cout / d.groups;
  const bool depthwise = Cig == 1 && !ps;  // (merged phases: the igemm, whose epilogue writes them)
  if (depthwise ? !kt.dwconv : !kt.igemm) return false;
  if (depthwise && d.stride[2] == 1 && !xmask) {
    // Channels-last, and small planes (up to 56x56) of either layout: dwconv_cl, by chunks
    // of channels. NCHW, two builds in one process against dwconv_direct (plane by plane),
    // 1 / 2 threads: 1024ch 7x7 0.73x / 0.42x the time, 512ch 14x14 0.82x / 0.57x, 256ch
    // 28x28 0.91x / 0.96x, 128ch 56x56 0.93x / 0.97x, 240ch 5x5 28x28 0.89x / 0.82x. Not on
    // larger planes (a switch: 96ch 64x64 1.02x / 1.19x, 112x112 maps 1.3-1.7x), where the
    // direct path's in-place interior reads and prefetches win.
    // Channels-last in and out, 16k channels, up to 9 taps per plane: dwconv_flat (in-process
    // A/B against dwconv_cl, 1 / 2 threads: W5 0.996x / 0.66-0.68x the time, 1024ch 7x7 0.58x /
    // 0.42-0.70x, 512ch 14x14 0.69-0.72x / 0.69x, 128ch 56x56 0.71x / 0.67x, 64ch 112x112
    // 0.78x / 0.60x, 3x3 d2 128ch 28x28 0.47x / 0.58x).
    if (dwconv_flat(d, x, w, y, scale || post, d.mode == PadMode::kPartial ? PadMode::kZeros : d.mode,
                    d.mode == PadMode::kConstant ? d.pad_value : 0.f))
      return true;
    if (d.x_cl || d.y_cl || prod3(d.out) <= 56 * 56) {
      dwconv_cl(d, x, w, y, scale, post, d.mode == PadMode::kPartial ? PadMode::kZeros : d.mode,
                d.mode == PadMode::kConstant ? d.pad_value : 0.f);
      return true;
    }
    dwconv_direct(d, x, w, y, scale, post, d.mode == PadMode::kPartial ? PadMode::kZeros : d.mode,
                  d.mode == PadMode::kConstant ? d.pad_value : 0.f);
    return true;
  }

  if (!ps && !xmask && !scale && !post && conv1x1_cl(d, x, w, y, kt)) return true;
  // 3x3 unit-stride convolutions of 32+ channels: Winograd F(2x2, 3x3) where it applies (it
  // declines the rest, and calls with infinities or NaNs, which the direct sums then redo).
  // In-process A/B against the direct sums on Zen 3, 1 / 2 threads: W1 0.64x / 0.64x the
  // time, W11 0.59x / 0.57x; 64->128 56x56 0.57x / 0.70x, 128->128 56x56 0.54x / 0.63x,
  // 32->32 56x56 0.82x / 0.83x; W6 (dilation 2: four sub-grids) 0.66x / 0.67x. (16->16
  // measured 0.98-1.06x: not taken.) The 1-D form, F(2, 3): W14 0.75-0.88x / 0.79-0.80x (two
  // builds in one process, both orders).
  if (!ps && !xmask && !scale && !post && conv_winograd(d, x, w, y)) return true;

  const PadMode data_mode = d.mode == PadMode::kPartial ? PadMode::kZeros : d.mode;
  const float fill = d.mode == PadMode::kConstant ? d.pad_value : 0.f;
  DimPlan dim[3] = {plan_dim(d, 0, data_mode), plan_dim(d, 1, data_mode), plan_dim(d, 2, data_mode)};
  // (A masked input is always gathered, and so is a channels-last one: NHWC in and out, two
  // builds in one process, 1 / 2 threads: W2 0.97x / 0.76x the time, 1x1 32->16 112x112
  // 0.88x / 0.31x, 64->256 56x56 0.94x / 0.85x, an unpadded 3x3 0.98x / 0.91x, against
  // converting the whole input first.)
  const bool direct = !xmask && !d.x_cl && reads_input_directly(d) && !planes_alias(prod3(d.in), d.Cin / d.groups);
  const int bo = band_dim(d);  // bands are cut along this dim
  auto extent = [&](int i) { return direct ? d.in[i] : d.out[i] + dim[i].qmax; };
  int64_t inner = 1;  // flat pixels per index of the band dim
  for (int i = bo + 1; i < 3; ++i) inner *= extent(i);
  const int64_t out_bo = d.out[bo];
  // Each pixel's sum runs the same way whatever the partition (same chunks, same kernel), so
  // bands and channel splits may follow the thread count without changing any result.
  const int threads = get_num_threads();
  const int64_t MR = kt.igemm_mr, NR = kt.igemm_nr;
  const int64_t nblk = depthwise ? 0 : (Cog + MR - 1) / MR;
  // The packed-weight igemm's weights (kt.igemm_pk): every group's blocks of MR channels,
  // packed once per call, zero-extended to whole blocks.
  const int64_t pk_all = d.groups * nblk * MR * Cig * prod3(d.k);
  // An upper bound on the call's floats of scratch with the packed-weight igemm and bands of b
  // along the band dim (per thread: the phase buffer, the sums of all channel blocks, the row
  // table; and the packed weights: all of them, or a chunk per thread), for the band choice
  // below.
  auto pk_scratch_bound = [&](int64_t b) {
    int64_t ez = 1, nph = 1;
    for (int i = 0; i < 3; ++i) {
      ez *= i == bo ? b + dim[i].qmax : extent(i);
      nph *= static_cast<int64_t>(dim[i].residues.size());
    }
    const int64_t K = Cig * prod3(d.k);
    const int64_t per_thread = (direct ? 0 : nph * Cig * channel_stride(ez)) + nblk * MR * (b * inner + 2 * NR) + K;
    return threads * per_thread + std::min(pk_all, threads * nblk * MR * std::min(kGemmChunk, K));
  };
  // Bands of about 512 flat pixels (depthwise: 8192). At several threads, 1024 for 2-D and
  // 3-D maps whose output is 2 MB or more: fewer, larger items, with fewer halo rows per
  // output row (in-process A/B at 2 threads: W3 -4 to -6%, W6 -3 to -5%, W7 -1.5 to -2.5%;
  // at 1 thread alike within 2%, W14's 1-D bands 1-2% slower). Not on smaller outputs: there the
  // larger per-thread buffers outgrew the output (a 64x64 3->4 conv: 73 KB for 64 KB).
  // Those figures are Zen 5's (AVX-512, 1 MiB of L2); on Zen 3 (AVX2, 512 KiB), 512-pixel bands
  // against 1024 at 2 threads, in-process A/B: W6 0.92x the time (twice), W3 0.98x, W7 0.92x
  // then 1.03x, W10, W11, W15 0.99-1.01x. So per ISA: kt.wide_bands.
  const bool wide_bands = kt.wide_bands && threads > 1 && bo < 2 && !depthwise && d.N * d.Cout * prod3(d.out) * 4 >= (int64_t{1} << 21);
  int64_t band = std::max<int64_t>(depthwise ? 8 : 1, (depthwise ? 8192 : wide_bands ? 1024 : 512) / std::max<int64_t>(1, inner));
  band = std::min(band, out_bo);
  // Items the threads should have: bands first (3 per thread, before the last ones are
  // halved below), then splits of the output channels (4 per thread) where the bands are
  // too few. (In-process A/B at 2 threads against 4 bands per thread: W1 -3%, W2 -2%, W7 and
  // W15 -1%, W3 and W6 alike; W4's channel splits at 3 per thread were 5% slower.)
  const int64_t want_bands = threads > 1 ? 3 * threads : 1, want_items = threads > 1 ? 4 * threads : 1;
  {
    // Enough bands for the threads (bands of >= ~128 pixels), all of about one size, so
    // that no thread is left with a short last share: e.g. 56 rows (58 with the padding) on
    // 2 threads -> bands of 8 (512 pixels each), then of 10 (the busiest thread's share).
    int64_t nb = (out_bo + band - 1) / band;
    const int64_t per_band = std::max<int64_t>(1, d.N * d.groups);
    const int64_t min_band = std::min(band, std::max<int64_t>(1, (128 + inner - 1) / inner));
    // (Merged transposed weights packed per item need a single band: there the threads split
    // the output channels instead, below.)
    const bool keep_one = ps && ps->w_t && nb * d.N == 1;
    if (per_band * nb < want_bands && !keep_one)
      nb = std::max(nb, std::min((want_bands + per_band - 1) / per_band, out_bo / min_band));
    band = (out_bo + nb - 1) / nb;
    // The threads take whole items, so the busiest one runs ceil(items / threads) bands:
    // among band sizes up to a quarter larger, the one that gives it the fewest rows (W6 on
    // 2 threads: 64 rows in 10 bands of 7 leave one thread 35 rows, 8 bands of 8 give 32).
    // With the packed-weight igemm (kt.igemm_pk), only among the sizes whose scratch lets it
    // run within the output's size (see use_pk below), down to a quarter smaller if needed
    // (W1 and W6 at 2 threads: bands of 10 -> 8 and 11 -> 10 rows; in-process A/B on Zen 3,
    // W1 0.91x the time).
    if (threads > 1 && !keep_one) {
      auto busiest = [&](int64_t b) { return ((out_bo + b - 1) / b * per_band + threads - 1) / threads * b; };
      const int64_t b0 = band;
      const bool budget = kt.igemm_pk && !depthwise && !ps;
      auto fits = [&](int64_t b) { return !budget || pk_scratch_bound(b) <= d.N * d.Cout * prod3(d.out); };
      int64_t lo = b0;
      if (budget && !fits(b0))
        for (int64_t b = b0 - 1; b >= std::max<int64_t>(1, b0 - b0 / 4); --b)
          if (fits(b)) {
            lo = band = b;
            break;
          }
      for (int64_t b = lo + 1; b <= std::min(out_bo, b0 + b0 / 4); ++b)
        if (fits(b) && busiest(b) < busiest(band)) band = b;
    }
  }
  // The bands, [bstart[i], bstart[i + 1]) along the band dim: equal, except that with
  // several threads on one image the last `threads` bands are halved. The threads take the
  // items in order, as they come free; small last items even out their finishing times when
  // one thread started late (a worker woken from sleep) or runs slower (on this VM, one
  // vCPU at times ran memory-bound work 20-65% slower than the other). Measured with 8 bands
  // of 7 rows for W1 at 2 threads (-> 6 of 7 and 4 of 3-4): 0.86 -> 0.80 ms, in-process
  // A/B; W6 1-6% faster; W2, W3, W14, W15 alike. (Smaller bands throughout were slower:
  // W1 0.86 -> 1.02 ms with 16 or 32 of them, each gathering its halo rows.) Same bits: no
  // pixel's sum depends on its band.
  std::vector<int64_t> bstart;
  {
    const int64_t neq = (out_bo + band - 1) / band;
    const bool halve = threads > 1 && !depthwise && !ps && d.N * d.groups == 1 && neq >= 2 * threads && band >= 2;
    // (A 1x1 conv read in place: halves of whole tiles where the rows allow, e.g. W2's bands of
    // 10 rows of 56 pixels into 6 + 4 rather than 5 + 5, so that the packed igemm streams
    // their results itself, see tile_out: W2 at 2 threads 0.95-0.98x the time, in-process A/B;
    // same bits.)
    // (pack_px's shapes; whether they take the packed igemm is decided below)
    int64_t unit = kt.igemm_pk && prod3(d.k) == 1 && direct ? kt.igemm_nr / std::gcd(inner, int64_t{kt.igemm_nr}) : 1;
    if (band % unit != 0) unit = 1;
    for (int64_t b = 0; b < neq; ++b) {
      const int64_t lo = b * band, hi = std::min(out_bo, lo + band);
      bstart.push_back(lo);
      if (halve && b >= neq - threads && hi - lo >= 2) {
        const int64_t mid = lo + (hi - lo + 1) / 2, al = lo + (hi - lo + unit) / (2 * unit) * unit;
        bstart.push_back(al > lo && al < hi ? al : mid);
      }
    }
    bstart.push_back(out_bo);
  }
  const int64_t nbands = static_cast<int64_t>(bstart.size()) - 1;
  // Few bands (small maps, deep layers): split the output channels instead, so the weights
  // are streamed once rather than once per band. With no more bands than threads (W4's 7x7
  // map is one band), twice as many splits: smaller items even out the threads' finishing
  // times (in-process A/B, W4 at 2 threads, 16 items against 8: functional 0.93-1.0x,
  // prepared layer 0.92-0.98x the time). Where the bands are many, more splits made W1, W6
  // and W15 14-26% slower: each band is then gathered whole up front for its splits to share.
  // With at least two bands per thread, no splits (merged transposed phases aside): each item
  // gathers its band into its own buffer and computes from it while it is in L2, where shared
  // bands were gathered in a pass before and read back from L3 (in-process A/B at 2 threads:
  // 3x3 s2 64->128 56->28 0.72x the time, 3x3 128->128 28x28 0.77x, 1x1 s2 0.96x, 14x14 maps
  // 0.98x; W1, W2, W3, W6, W10, W14, W15 alike; W7's merged phases 6% slower, so they keep
  // their splits).
  const int64_t bands_all = d.N * d.groups * nbands;
  const int64_t want_splits = threads > 1 && bands_all <= threads ? 2 * want_items
                              : !ps && bands_all >= 2 * threads ? 1
                                                                 : want_items;
  int64_t nsplit = 1;
  while (!depthwise && nsplit < nblk && bands_all * nsplit < want_splits) ++nsplit;
  // Merged transposed weights (PhaseStore::w_t): with a single band, each item packs the
  // rows of its own channel blocks (at most ~64 KiB of them) right before using them;
  // several bands would each need them all, so they are packed once, whole, up front.
  // (64 KiB rather than 256: W8's extra memory 680 -> 416 KiB at 1 thread, 1036 -> 508 at
  // 2, under its 512 KiB output; its time alike within this VM's noise.)
  // (Ragged phases likewise, their blocks' rows packed by pack_ragged_rows: each item's whole
  // output channels, every phase.)
  const bool ragged = ps && ps->ragged;
  const int64_t nph_r = ragged ? ps->nph : 0, Kr = ragged ? ps->koff[nph_r] : 0;  // (Kr: one output channel's weights, every phase)
  const bool pack_rows = ps && ps->w_t && d.N * nbands == 1;
  constexpr int64_t kPackBytes = int64_t{64} << 10;
  const int64_t all_rows_bytes = ragged ? Cog / nph_r * Kr * 4 : nblk * MR * Cig * prod3(d.k) * 4;
  if (pack_rows) nsplit = std::min(nblk, std::max(nsplit, (all_rows_bytes + kPackBytes - 1) / kPackBytes));
  // Small maps (deep layers): the pixel-major kernel, with the output channels in the lanes,
  // where the igemm's pixel lanes would be mostly padding columns and tile remainders (a 7x7
  // map fills 49 of 64). Same sums, same bits: only the speed differs.
  const int64_t PM = kt.pgemm_mr, PR = kt.pgemm_nr;  // pixels per tile, channels per panel
  const int64_t run_len = bo == 2 ? band : d.out[2];  // a band's runs of output pixels
  const int64_t runs = bo == 2 ? 1 : bo == 1 ? band : band * d.out[1];
  const bool use_pg = !depthwise && !ps && pgemm_pays(d, kt);
  const bool cl_out = d.y_cl && !depthwise && !ps && !use_pg;  // (conv_fast_writes_cl: the caller checked)
  const bool x_cl = d.x_cl && !depthwise && !direct && !xmask && !ps;  // (conv_fast_reads_cl: the caller checked)
  const int64_t blk_unit = use_pg ? PR / MR : ragged ? ps->nph : 1;  // items take whole units of blocks
  int64_t blk_per_split = depthwise ? 0 : ((nblk + nsplit - 1) / nsplit + blk_unit - 1) / blk_unit * blk_unit;
  if (!depthwise) nsplit = (nblk + blk_per_split - 1) / blk_per_split;
  const int64_t max_tiles = use_pg ? runs * ((run_len + PM - 1) / PM) : 0;
  const int64_t npanel = use_pg ? (Cog + PR - 1) / PR : 0;
  if (ragged && ps->w_t && !pack_rows) {  // packed once, whole, per group and block of MR output channels
    const int64_t nocb = Cog / nph_r / MR;
    float* wall = arena(1, checked_mul(d.groups * Cog / nph_r, Kr, d.fn), d.fn, "the merged phase weights");
    parallel_for(d.groups * nocb, 1, [&](int64_t b, int64_t e) {
      for (int64_t it = b; it < e; ++it)
        pack_ragged_rows(*ps, it / nocb, it % nocb, it % nocb + 1, wall + (it / nocb * (Cog / nph_r) + it % nocb * MR) * Kr);
    });
    w = wall;
  } else if (ps && ps->w_t && !pack_rows) {
    const int64_t Kw = Cig * prod3(d.k);
    float* wall = arena(1, checked_mul(d.Cout, Kw, d.fn), d.fn, "the phase sub-kernels");
    parallel_for(d.groups * nblk, 1, [&](int64_t b, int64_t e) {
      for (int64_t it = b; it < e; ++it) {
        const int64_t g = it / nblk, j0 = it % nblk * MR, j1 = std::min(Cog, j0 + MR);
        pack_phase_rows(*ps, ps->w_t, g, j0, j1, wall + (g * Cog + j0) * Kw);
      }
    });
    w = wall;
  }

  int64_t E[3];
  for (int i = 0; i < 3; ++i) E[i] = direct ? d.in[i] : (i == bo ? band : d.out[i]) + dim[i].qmax;
  const int64_t Ez = channel_stride(E[0] * E[1] * E[2]);  // floats between two channels of the phase buffer
  const int64_t nres[3] = {static_cast<int64_t>(dim[0].residues.size()), static_cast<int64_t>(dim[1].residues.size()),
                           static_cast<int64_t>(dim[2].residues.size())};
  const int64_t nphase = nres[0] * nres[1] * nres[2];
  const int64_t K = Cig * d.k[0] * d.k[1] * d.k[2];
  const int64_t Sin = prod3(d.in), Sout = prod3(d.out);
  const int64_t chan_stride = direct ? Sin : Ez;  // between input channels in the phase buffer
  const int64_t buf_floats = direct ? 0 : checked_mul(checked_mul(nphase, Cig, d.fn), Ez, d.fn);
  // The pgemm over a gathered band in a constant padding mode (zeros, constant, partial's
  // data), NCHW and unmasked: per reduction chunk, only the input channels the chunk reads are
  // gathered, into a per-thread buffer of slot_cap channels per phase, and every panel of the
  // item runs over them before the next chunk, each panel's tile sums kept (pg_chunked). The
  // padding positions are written once per thread and band (gather's frame_kept), then only
  // the input's pixels are copied per chunk. The whole band gathered once and shared (as for
  // the igemm's channel splits) was W4's largest scratch: its padded input, 166 KB against a
  // 100 KB output, 2.14x / 2.62x at 1 / 2 threads, now 0.58x / 0.95x.
  // Taken where the threads' buffers then fit in the output's size with items of 2 panels or
  // more (smaller items gather too often: a 3x3 s2 256->512 14->7 conv at 2 threads, 1 panel
  // per item, took 1.27x the time); items of up to 4 panels in the functional form (W4 at 1
  // thread against the shared band: 11 panels per item 1.0-1.05x the time, 4 panels
  // 0.98-1.01x), as many as fit with prepared panels (there 11 measured 0.98-0.99x). In-process
  // A/B against the shared band on Zen 3, 1 / 2 threads, same bits: W4 1.02-1.03x / 1.03-1.04x
  // the time, its Conv2d 0.99-1.0x / 1.0x; that s2 conv 0.99x at 1 thread.
  const bool pg_gathered = use_pg && !direct && !x_cl && !xmask && (data_mode == PadMode::kZeros || data_mode == PadMode::kConstant);
  const int64_t taps = prod3(d.k);
  const int64_t slot_cap = pg_gathered ? max_chunk_channels(K, kGemmChunk, taps) : 0;
  const int64_t pg_wfloats = use_pg && !d.w_pg ? PR * kGemmChunk : 0;  // a chunk of a panel, packed (the functional form)
  const int64_t pg_sums = max_tiles * PM * PR;                         // one panel's tile sums
  const int64_t cbuf_floats = pg_gathered ? checked_mul(nphase * slot_cap, Ez, d.fn) : 0;
  int64_t pg_bps = d.w_pg ? blk_per_split : std::min(blk_per_split, 4 * blk_unit);  // blocks per item (whole units)
  auto pg_thread = [&](int64_t bps) { return cbuf_floats + pg_wfloats + bps / blk_unit * pg_sums + 2 * std::min(K, kGemmChunk); };
  while (pg_bps > 2 * blk_unit && threads * pg_thread(pg_bps) > d.N * d.Cout * Sout) pg_bps -= blk_unit;
  const bool pg_chunked = pg_gathered && threads * pg_thread(pg_bps) <= d.N * d.Cout * Sout;
  const int64_t rows_per_thread = pg_chunked ? std::min(K, kGemmChunk) : K;
  if (pg_chunked) {
    blk_per_split = pg_bps;
    nsplit = (nblk + blk_per_split - 1) / blk_per_split;
  }

  // Row offsets of every reduction index k = (ic, t0, t1, t2), in weight order, for input
  // channels cs floats apart, `slots` channels per phase; the first nic channels' only.
  auto row_offsets = [&](int64_t cs, int64_t slots, int64_t nic) {
    std::vector<int64_t> o(static_cast<size_t>(nic * prod3(d.k)));
    int64_t k = 0;
    for (int64_t ic = 0; ic < nic; ++ic)
      for (int64_t t0 = 0; t0 < d.k[0]; ++t0)
        for (int64_t t1 = 0; t1 < d.k[1]; ++t1)
          for (int64_t t2 = 0; t2 < d.k[2]; ++t2) {
            const int64_t ph = (dim[0].ridx[t0] * nres[1] + dim[1].ridx[t1]) * nres[2] + dim[2].ridx[t2];
            o[static_cast<size_t>(k++)] = (ph * slots + ic) * cs + (dim[0].q[t0] * E[1] + dim[1].q[t1]) * E[2] + dim[2].q[t2];
          }
    return o;
  };
  // (pg_chunked: the taps' offsets in its buffers; the channel's added per chunk)
  const std::vector<int64_t> off = pg_chunked ? row_offsets(Ez, slot_cap, 1) : row_offsets(chan_stride, Cig, Cig);

  // The flat pixels a band of `len` output indices along the band dim computes: up to its
  // last output pixel, ((o0-base0)*E1 + (o1-base1))*E2 + o2-base2, plus one. (Not the whole
  // gathered extent Ez: a 3-D band of one output plane gathers 3 planes for a 3x3x3 kernel.)
  auto band_pixels = [&](int64_t len) {
    int64_t last[3] = {d.out[0] - 1, d.out[1] - 1, d.out[2] - 1};
    last[bo] = len - 1;
    for (int i = 0; i < bo; ++i) last[i] = 0;
    return (last[0] * E[1] + last[1]) * E[2] + last[2] + 1;
  };
  // Largest flat extent of a band's sums, padded for full-width tile stores.
  const int64_t Pmax = band_pixels(band);
  const int64_t ldc = (Pmax + NR) / NR * NR + NR;
  // the item's channel blocks (the pgemm: one panel at a time)
  const int64_t flat_floats = depthwise || use_pg ? 0 : blk_per_split * MR * ldc;
  const bool shared_bands = !direct && nsplit > 1 && !pg_chunked;  // see `shared` below
  const int64_t thread_buf = pg_chunked ? cbuf_floats : shared_bands ? 0 : buf_floats;  // each thread's gathered input
  constexpr int64_t kChunk = kGemmChunk;
  int64_t pack_floats = pack_rows ? (ragged ? blk_per_split / nph_r * MR * Kr : blk_per_split * MR * K)
                        : use_pg ? pg_wfloats + (pg_chunked ? blk_per_split / blk_unit : 1) * pg_sums
                                 : 0;
  // The igemm with packed weights (kt.igemm_pk), for plain convolutions and merged transposed
  // phases of one sub-kernel shape packed whole (their rows, w, packed again k-major; not the
  // ragged ones, nor a single band's rows packed per item), as long as the call's scratch
  // stays within the size of its output (issue 3's bound on extra memory), else the unpacked
  // igemm: the weights packed once, up front; or where they would not fit, each item packing
  // its own blocks' chunks (W6 at 2 threads: 590 KB of packed weights, against 2 x 135 KB).
  // (W7's merged phases, in-process A/B against the unpacked igemm, 1 / 2 threads: 0.84-0.94x
  // / 0.92-0.94x the time, its ConvTranspose2d 0.87x / 0.92x; same bits.)
  const int64_t scratch_floats = threads * (thread_buf + flat_floats + 2 * K) +
                                 (shared_bands ? d.N * d.groups * nbands * buf_floats : 0);
  const int64_t pk_chunk = blk_per_split * MR * std::min(kChunk, K), out_floats = d.N * d.Cout * Sout;
  const bool pk_ok = kt.igemm_pk && !depthwise && !use_pg && (!ps || (!ragged && !pack_rows));
  const bool pk_shared = pk_ok && scratch_floats + pk_all <= out_floats;
  const bool use_pk = pk_shared || (pk_ok && scratch_floats + threads * pk_chunk <= out_floats);
  if (use_pk && !pk_shared) pack_floats = pk_chunk;
  float* wpk_all = nullptr;  // [g][block][k][MR]
  if (pk_shared) {
    // (Merged phases' weights, packed from their rows, which hold slot 1: slot 3, which only
    // a partial convolution's mask sums take, and transposed convolutions have no mask.)
    wpk_all = arena(ps ? 3 : 1, pk_all, d.fn, "the packed weights");
    pack_panels(kt, w, d.groups, Cog, K, MR, wpk_all);
  }
  // A 1x1 convolution reading its input in place, with packed weights: each tile group's
  // pixels of a reduction chunk are copied into one contiguous block (kc rows of 2 tiles) before
  // its blocks of channels run over them, and the next group's prefetched on the way. Read in
  // place, the group's 256 rows lie a plane apart (W2: 12.5 KB, 16 of the 64 L1 sets), evict
  // each other across the blocks, and are too many streams for the hardware prefetcher
  // (in-process A/B, W2: 0.79-0.82x the time at 1 thread, 0.77-0.87x at 2; same bits).
  const bool pack_px = use_pk && direct && prod3(d.k) == 1;
  const int64_t px_floats = pack_px ? 2 * NR * std::min(kChunk, K) : 0;
  const int64_t per_thread = thread_buf + flat_floats + pack_floats + px_floats;
  float* bufs = arena(0, checked_mul(threads, per_thread, d.fn), d.fn, "the per-thread band buffers");
  // (The row tables below are counted as scratch too.)
  std::vector<const float*> rows(static_cast<size_t>(threads * rows_per_thread));
  std::vector<const float*> prow_px(static_cast<size_t>(pack_px ? threads * kChunk : 0));
  // Tile groups of the packed igemm along each output row rather than over the flat pixels,
  // where a row is whole tiles (W6: 64 of a gathered row's 68 columns): the halo columns'
  // lanes are not computed (the epilogue never reads them). In-process A/B, 1 / 2 threads:
  // W6 0.89-0.94x / 0.91-0.94x the time, W3 0.91-0.92x / 0.96-1.0x, W10 0.96-0.97x /
  // 0.97-1.01x; same bits.
  const bool row_tiles = use_pk && !pack_px && bo != 2 && !direct && d.out[2] % NR == 0 && extent(2) > d.out[2];
  const int64_t tg_cap = 3 * (band_pixels(band) / NR + 2);  // (each group: 16 pixels or more)
  // The finished sums straight from the packed igemm's last reduction chunk to the result
  // (kernels.h's TileOut), in place of the flat sums and the epilogue's pass over them, where
  // the result is streamed, channels-first, with no per-pixel factors, and each tile's 16
  // pixels are one aligned cache line of an output row: tile groups along output rows
  // (row_tiles) a whole number of lines long, or a 1x1 conv's flat pixels, which are the
  // output's (per item: a band starting on a line, whole tiles). The streamed stores then
  // overlap the FMAs rather than taking a pass of their own. In-process A/B on Zen 3, 1 / 2
  // threads: W3 0.94-1.0x / 0.925-0.95x the time (its Conv2d 0.95x), W2 0.95-0.97x /
  // 0.95-1.02x; same bits (the epilogue's sum plus bias).
  const bool stream = streamed_result(d.N * d.Cout, Sout, d.fn);
  const bool tile_out = use_pk && stream && !cl_out && !scale && !post && !ps && NR == 16 &&
                        Sout % 16 == 0 && (reinterpret_cast<uintptr_t>(y) & 63) == 0 && (row_tiles || pack_px);
  std::vector<int64_t> tgroups(static_cast<size_t>(use_pk ? threads * tg_cap : 0));
  // Ragged phases: each phase's row pointers, picked from the union's (per thread).
  std::vector<const float*> prow(static_cast<size_t>(threads * Kr));
  // Weights of a last, partial block of MR channels, zero-extended (per group).
  const bool tail = !depthwise && !pack_rows && !use_pg && !use_pk && Cog % MR != 0;  // (packed rows come zero-extended)
  std::vector<float> tails;
  if (tail) {
    tails.assign(static_cast<size_t>(d.groups * MR * K), 0.f);
    note_scratch(static_cast<int64_t>(tails.size() * sizeof(float)));
    for (int64_t g = 0; g < d.groups; ++g)
      for (int64_t m = 0; m < Cog % MR; ++m)
        std::memcpy(tails.data() + (g * MR + m) * K, w + (g * Cog + (nblk - 1) * MR + m) * K, static_cast<size_t>(K) * sizeof(float));
  }

  // The source index of a phase coordinate (-1 padding, -2 beyond the padded extent).
  auto src_of = [&](int i, int64_t r, int64_t z) -> int64_t {
    const int64_t c = z * dim[i].s + r;
    return c < dim[i].pext ? dim[i].map[static_cast<size_t>(c)] : -2;
  };

  const int64_t items = d.N * d.groups * nbands * nsplit;
  // 1. Gather a band's phase buffer through the padding maps: image n, group g, band origin base.
  // Channels [ic_lo, ic_hi) only, if given; `slots` channels per phase in `out`, the first
  // being ic_base (pg_chunked's per-chunk buffers). frame_kept: the padding positions already
  // hold their values (a constant mode, the same band gathered before into the same slots),
  // so only the input's pixels are copied (NCHW and unmasked only: pg_chunked's inputs).
  auto gather = [&](int64_t n, int64_t g, const int64_t* base, float* out, int64_t ic_lo = 0, int64_t ic_hi = -1,
                    int64_t slots = -1, int64_t ic_base = 0, bool frame_kept = false) {
    if (ic_hi < 0) ic_hi = Cig;
    if (slots < 0) slots = Cig;
    // The last dim's run of phase cc, the same for every row: the interior [lo, hi) (source =
    // padded coordinate - pb, inside the input), whose first source column is `first`; the
    // edges, outside it, go through the map. (Worked out once per phase, not per row, with
    // its two divisions: 1-2% of a 3x3 conv, in-process A/B.)
    auto run_of = [&](int64_t cc, int64_t* lo, int64_t* hi, int64_t* first) {
      auto ceil_div = [](int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
      const int64_t s2s = dim[2].s, off2 = dim[2].residues[static_cast<size_t>(cc)] - dim[2].pb;  // source = (z+base2)*s + off2
      *lo = std::min<int64_t>(E[2], std::max<int64_t>(0, ceil_div(-off2, s2s) - base[2]));
      *hi = std::max<int64_t>(*lo, std::min<int64_t>(E[2], ceil_div(dim[2].in - off2, s2s) - base[2]));
      *first = (*lo + base[2]) * s2s + off2;
    };
    if (frame_kept) {
      // Only the input's pixels, row by row of each phase, each row's run for every channel
      // (pg_chunked's short rows: W4 copies 7 floats per row, ~30 channels per chunk).
      for (int64_t cc = 0; cc < nres[2]; ++cc) {
        int64_t lo = 0, hi = 0, first = 0;
        run_of(cc, &lo, &hi, &first);
        if (hi == lo) continue;
        const int64_t s2s = dim[2].s;
        const float* xg = x + (n * d.Cin + g * Cig + ic_lo) * Sin + first;  // channel ic_lo's first column
        for (int64_t a = 0; a < nres[0]; ++a)
          for (int64_t bb = 0; bb < nres[1]; ++bb) {
            const int64_t ph = (a * nres[1] + bb) * nres[2] + cc;
            const int64_t r0 = dim[0].residues[static_cast<size_t>(a)], r1 = dim[1].residues[static_cast<size_t>(bb)];
            float* og = out + (ph * slots + ic_lo - ic_base) * Ez + lo;
            for (int64_t z0 = 0; z0 < E[0]; ++z0) {
              const int64_t s0 = src_of(0, r0, z0 + base[0]);
              if (s0 < 0) continue;
              for (int64_t z1 = 0; z1 < E[1]; ++z1) {
                const int64_t s1 = src_of(1, r1, z1 + base[1]);
                if (s1 < 0) continue;
                const float* xr = xg + (s0 * d.in[1] + s1) * d.in[2];
                float* row = og + (z0 * E[1] + z1) * E[2];
                for (int64_t c = 0; c < ic_hi - ic_lo; ++c) strided_run<false>(xr + c * Sin, nullptr, s2s, hi - lo, row + c * Ez);
              }
            }
          }
      }
      return;
    }
    for (int64_t cc = 0; cc < nres[2]; ++cc) {
      // The run of this phase (run_of) copied whole at stride 1, by a plain strided loop
      // otherwise; the edges through the map.
      const int64_t r2 = dim[2].residues[static_cast<size_t>(cc)], base2 = base[2], s2s = dim[2].s;
      int64_t lo = 0, hi = 0, first = 0;
      run_of(cc, &lo, &hi, &first);
      for (int64_t a = 0; a < nres[0]; ++a)
        for (int64_t bb = 0; bb < nres[1]; ++bb) {
          const int64_t ph = (a * nres[1] + bb) * nres[2] + cc;
          const int64_t r0 = dim[0].residues[static_cast<size_t>(a)], r1 = dim[1].residues[static_cast<size_t>(bb)];
          if (x_cl) {
            // Channels-last input: each row's run of pixels transposed into the channels'
            // rows at once (16x16 tiles), the edges pixel by pixel through the map.
            const int64_t nc = ic_hi - ic_lo;
            for (int64_t z0 = 0; z0 < E[0]; ++z0) {
              const int64_t s0 = src_of(0, r0, z0 + base[0]);
              for (int64_t z1 = 0; z1 < E[1]; ++z1) {
                const int64_t s1 = src_of(1, r1, z1 + base[1]);
                float* row = out + (ph * slots + ic_lo - ic_base) * Ez + (z0 * E[1] + z1) * E[2];  // channel ic_lo's; the next Ez apart
                if (s0 < 0 || s1 < 0) {
                  for (int64_t c = 0; c < nc; ++c) std::fill(row + c * Ez, row + c * Ez + E[2], (s0 == -2 || s1 == -2) ? 0.f : fill);
                  continue;
                }
                const float* xp = x + (n * Sin + (s0 * d.in[1] + s1) * d.in[2]) * d.Cin + g * Cig + ic_lo;  // pixel 0's channel ic_lo
                if (hi > lo) kt.transpose(xp + first * d.Cin, s2s * d.Cin, row + lo, Ez, hi - lo, nc);
                auto edge = [&](int64_t z2) {
                  const int64_t s2 = src_of(2, r2, z2 + base2);
                  for (int64_t c = 0; c < nc; ++c) row[c * Ez + z2] = s2 >= 0 ? xp[s2 * d.Cin + c] : (s2 == -1 ? fill : 0.f);
                };
                for (int64_t z2 = 0; z2 < lo; ++z2) edge(z2);
                for (int64_t z2 = hi > lo ? hi : lo; z2 < E[2]; ++z2) edge(z2);
              }
            }
            continue;
          }
          for (int64_t ic = ic_lo; ic < ic_hi; ++ic) {
            const float* xc = x + (n * d.Cin + g * Cig + ic) * Sin;
            const float* mc = xmask ? xmask + (n * xmask_c + (xmask_c == 1 ? 0 : g * Cig + ic)) * Sin : nullptr;
            float* dst = out + (ph * slots + ic - ic_base) * Ez;
            for (int64_t z0 = 0; z0 < E[0]; ++z0) {
              const int64_t s0 = src_of(0, r0, z0 + base[0]);
              for (int64_t z1 = 0; z1 < E[1]; ++z1) {
                const int64_t s1 = src_of(1, r1, z1 + base[1]);
                float* row = dst + (z0 * E[1] + z1) * E[2];
                if (s0 < 0 || s1 < 0) {
                  std::fill(row, row + E[2], (s0 == -2 || s1 == -2) ? 0.f : fill);
                  continue;
                }
                const float* xr = xc + (s0 * d.in[1] + s1) * d.in[2];
                const float* mr = mc ? mc + (s0 * d.in[1] + s1) * d.in[2] : nullptr;  // x ⊙ mask: one product each
                // The next channel's row, fetched meanwhile: a plane apart, beyond the hardware
                // prefetcher's reach (in-process A/B, 1 / 2 threads: W3 0.90-0.96x / 0.97x the
                // time, W15 0.95x / 1.0x, W7 0.97-0.98x / 0.99x, W10 0.98-1.0x; two channels
                // ahead alike; same bits).
                if (ic + 1 < ic_hi && hi > lo) prefetch_lines<3>(xr + Sin + first, ((hi - lo - 1) * s2s + 1) * 4);
                if (hi > lo) {
                  if (mr) strided_run<true>(xr + first, mr + first, s2s, hi - lo, row + lo);
                  else strided_run<false>(xr + first, nullptr, s2s, hi - lo, row + lo);
                }
                auto edge = [&](int64_t z2) {
                  const int64_t s2 = src_of(2, r2, z2 + base2);
                  row[z2] = s2 >= 0 ? (mr ? xr[s2] * mr[s2] : xr[s2]) : (s2 == -1 ? fill : 0.f);
                };
                for (int64_t z2 = 0; z2 < lo; ++z2) edge(z2);
                for (int64_t z2 = hi > lo ? hi : lo; z2 < E[2]; ++z2) edge(z2);
              }
            }
          }
        }
    }
  };
  // Items that split one band's output channels share its phase buffer, gathered once
  // beforehand (else each split would gather the same band again).
  float* shared = nullptr;
  if (shared_bands) {
    const int64_t nbs = d.N * d.groups * nbands;
    shared = arena(2, checked_mul(nbs, buf_floats, d.fn), d.fn, "the shared band buffers");
    // Fewer bands than threads (a small map split by channels, as W4's single band): each
    // band's input channels are gathered in parts, so that every thread takes some.
    const int64_t parts = nbs >= threads ? 1 : std::min<int64_t>(Cig, (threads + nbs - 1) / nbs * 2);
    parallel_for(nbs * parts, 1, [&](int64_t b, int64_t e) {
      for (int64_t it = b; it < e; ++it) {
        const int64_t nb = it / parts, part = it % parts;
        int64_t base[3] = {0, 0, 0};
        base[bo] = bstart[static_cast<size_t>(nb % nbands)];
        gather(nb / (d.groups * nbands), (nb / nbands) % d.groups, base, shared + nb * buf_floats, Cig * part / parts,
               Cig * (part + 1) / parts);
      }
    });
  }
  // 1-D, unit stride, bands gathered one by one: a band whose taps read only input columns
  // (outputs [lo_in, hi_in)) takes its rows from the input itself, channels Sin apart; only
  // the bands at the ends are gathered through the padding model.
  // (W14, 16000 samples in bands of 512: 1.41 -> 1.20 ms at 2 threads, ~2% at 1, in the
  // native harness: the gather's copies were a pass over the input before the kernel's. That
  // was Zen 5 with AVX-512; on Zen 3 with AVX2, reading the rows in place took 1.2-1.4x the
  // time of gathering them (64 channels of 16000-16064 samples, 1 and 2 threads, in-process
  // A/B): a chunk's rows then span megabytes, 64 KB apart, against the gathered band's
  // 128 KB. So per ISA: kt.conv1d_in_place.)
  const bool in_place = kt.conv1d_in_place && !direct && !xmask && !x_cl && !shared && bo == 2 && d.in[0] == 1 && d.in[1] == 1 && d.k[0] == 1 &&
                        d.k[1] == 1 && d.stride[2] == 1;  // (a single output row of a 2-D conv is not 1-D)
  const int64_t lo_in = d.pb[2], hi_in = d.in[2] + d.pb[2] - (d.k[2] - 1) * d.dil[2];
  const std::vector<int64_t> off_in = in_place ? row_offsets(Sin, Cig, Cig) : std::vector<int64_t>();  // (one phase, 1-D)
  // The merged transposed epilogue's row pointers, per thread (workers never allocate).
  const int64_t s2max = ps ? ps->s[2] : 0;
  std::vector<const float*> phase_rows(static_cast<size_t>(threads * 2 * s2max));
  std::vector<int64_t> pg_tiles(static_cast<size_t>(threads * 3 * max_tiles));  // per thread: 3 per tile
  // pg_chunked: per thread, the band whose padding its buffer holds, and for how many slots
  std::vector<int64_t> frame_band(static_cast<size_t>(threads), -1), framed(static_cast<size_t>(threads), 0);
  note_scratch(static_cast<int64_t>((rows.size() + prow_px.size() + prow.size() + phase_rows.size()) * sizeof(const float*) +
                                    (off.size() + off_in.size() + tgroups.size() + pg_tiles.size()) * sizeof(int64_t)));
  // (Depthwise items are one channel's band: small ones taken a few thousand outputs at a
  // time, as in dwconv_direct.)
  const int64_t item_grain = depthwise ? std::max<int64_t>(1, 4096 / std::max<int64_t>(1, band_pixels(band))) : 1;
  parallel_for_tid(items, item_grain, threads, [&](int tid, int64_t b0, int64_t b1) {
    float* buf = bufs + tid * per_thread;
    float* flat = buf + thread_buf;
    float* wpack = flat + flat_floats;
    const float** trows = rows.data() + tid * rows_per_thread;
    const float** srcs = phase_rows.data() + tid * 2 * s2max;  // s2max each: srcs, rowp
    const float** rowp = srcs + s2max;
    for (int64_t item = b0; item < b1; ++item) {
      const int64_t split = item % nsplit, nb = item / nsplit;
      const int64_t n = nb / (d.groups * nbands), g = (nb / nbands) % d.groups, bi = nb % nbands;
      const int64_t blk_lo = split * blk_per_split, blk_hi = std::min(nblk, blk_lo + blk_per_split);
      const int64_t o_lo = bstart[static_cast<size_t>(bi)], o_hi = bstart[static_cast<size_t>(bi) + 1];
      int64_t base[3] = {0, 0, 0};
      base[bo] = o_lo;
      const float* phase_base;
      if (pg_chunked) {
        phase_base = nullptr;  // (gathered per chunk, below)
      } else if (direct) {
        phase_base = x + (n * d.Cin + g * Cig) * Sin + (base[0] * E[1] + base[1]) * E[2] + base[2];
      } else if (in_place && o_lo >= lo_in && o_hi <= hi_in) {  // a band inside the input: no gather
        phase_base = x + (n * d.Cin + g * Cig) * Sin + o_lo - d.pb[2];
        for (int64_t k = 0; k < K; ++k) trows[k] = phase_base + off_in[static_cast<size_t>(k)];
        phase_base = nullptr;
      } else {
        phase_base = shared ? shared + nb * buf_floats : buf;
        if (!shared) gather(n, g, base, buf);
      }
      if (phase_base)
        for (int64_t k = 0; k < K; ++k) trows[k] = phase_base + off[static_cast<size_t>(k)];
      if (pack_rows && ragged) {
        pack_ragged_rows(*ps, g, blk_lo / nph_r, blk_hi / nph_r, wpack);
      } else if (pack_rows) {  // this item's weight rows, each block zero-extended to MR rows
        for (int64_t blk = blk_lo; blk < blk_hi; ++blk) {
          float* wb = wpack + (blk - blk_lo) * MR * K;
          const int64_t j0 = blk * MR, j1 = std::min(Cog, j0 + MR);
          pack_phase_rows(*ps, ps->w_t, g, j0, j1, wb);
          std::fill(wb + (j1 - j0) * K, wb + MR * K, 0.f);
        }
      }

      const int64_t P = band_pixels(o_hi - o_lo);

      // The output rows of this band (all dims but the last), each a run of the last dim.
      auto for_rows = [&](auto&& f) {
        if (bo == 2) {
          f(int64_t{0}, o_lo, o_hi - o_lo);  // 1-D band: a piece of the single row
          return;
        }
        const int64_t lo0 = bo == 0 ? o_lo : 0, hi0 = bo == 0 ? o_hi : d.out[0];
        const int64_t lo1 = bo == 1 ? o_lo : 0, hi1 = bo == 1 ? o_hi : d.out[1];
        for (int64_t o0 = lo0; o0 < hi0; ++o0)
          for (int64_t o1 = lo1; o1 < hi1; ++o1) {
            const int64_t p = ((o0 - (bo == 0 ? o_lo : 0)) * E[1] + (o1 - (bo == 1 ? o_lo : 0))) * E[2];
            f(p, (o0 * d.out[1] + o1) * d.out[2], d.out[2]);
          }
      };

      if (depthwise) {
        for (int64_t j = 0; j < Cog; ++j) {
          const int64_t oc = g * Cog + j;
          const float* wk = w + oc * K;
          float* yp = y + (n * d.Cout + oc) * Sout;
          const float bv = d.bias ? d.bias[oc] : 0.f;
          for_rows([&](int64_t p, int64_t ys, int64_t len) {
            kt.dwconv(K, wk, trows, p, len, yp + ys);
            if (bv != 0.f || scale || post) finish_row(yp + ys, yp + ys, len, bv, scale ? scale + ys : nullptr, post ? post + ys : nullptr);
          });
        }
        continue;
      }
      // 3. (below) Valid pixels of channels j0 .. j1 (flat row j - j0) to the output, with
      //    bias and the optional per-pixel scale.
      auto finish_channels = [&](int64_t j0, int64_t j1) {
        if (cl_out) {
          // Channels-last: each channel's row finished in place, then the block of channels
          // transposed into the output's pixels (no channels-first result to convert after).
          for (int64_t j = j0; j < j1; ++j) {
            const int64_t oc = g * Cog + j;
            float* fr = flat + (j - j0) * ldc;
            const float bv = d.bias ? d.bias[oc] : 0.f;
            for_rows([&](int64_t p, int64_t ys, int64_t len) {
              finish_row(fr + p, fr + p, len, bv, scale ? scale + ys : nullptr, post ? post + ys : nullptr);
            });
          }
          const TransposeFn tr = stream && kt.transpose_stream ? kt.transpose_stream : kt.transpose;
          for_rows([&](int64_t p, int64_t ys, int64_t len) {
            tr(flat + p, ldc, y + (n * Sout + ys) * d.Cout + g * Cog + j0, d.Cout, j1 - j0, len);
          });
          return;
        }
        for (int64_t j = j0; j < j1; ++j) {
          const int64_t oc = g * Cog + j;
          const float* fr = flat + (j - j0) * ldc;
          float* yp = y + (n * d.Cout + oc) * Sout;
          const float bv = d.bias ? d.bias[oc] : 0.f;
          for_rows([&](int64_t p, int64_t ys, int64_t len) {
            finish_row(fr + p, yp + ys, len, bv, scale ? scale + ys : nullptr, post ? post + ys : nullptr, stream, kt.stream_row);
          });
        }
      };
      // 2. Indirect GEMM over the band's flat pixels, in tile groups and reduction chunks
      //    small enough for the rows of a chunk to stay in L1 across channel blocks.
      constexpr int64_t kTiles = 2;
      if (use_pg) {
        // Pixel-major: tiles of <= PM pixels along each run; per panel of PR channels and
        // chunk of k, the weights transposed k-major (or packed), then every tile; then the
        // panel's [pixel][channel] sums straight to the output rows, finished on the way.
        // Read in place, panel by panel; gathered (pg_chunked), chunk by chunk, every panel
        // of the item over each chunk's gathered channels.
        int64_t* tl = pg_tiles.data() + tid * 3 * max_tiles;  // per tile: flat pixel, pixels, output pixel
        int64_t nt = 0;
        for_rows([&](int64_t p, int64_t ys, int64_t len) {
          const int64_t parts = (len + PM - 1) / PM;
          for (int64_t t = 0, a = 0; t < parts; ++t) {
            const int64_t b = len * (t + 1) / parts;
            tl[3 * nt] = p + a;
            tl[3 * nt + 1] = b - a;
            tl[3 * nt + 2] = ys + a;
            a = b;
            ++nt;
          }
        });
        float* ct = wpack + pg_wfloats;  // [panel of the item][tile][pixel][channel]
        const int64_t jl = blk_lo * MR, jh = std::min(Cog, blk_hi * MR);
        // One pass: panel j0's tiles over chunk k0 (rows rk), into its sums cp; the pass after
        // it is (nj0, nk0) (nj0 >= jh: none), whose weights are prefetched on the way.
        auto pass = [&](int64_t j0, int64_t k0, int64_t nj0, int64_t nk0, const float* const* rk, float* cp) {
          const int64_t jn = std::min(PR, jh - j0), kc = std::min(kChunk, K - k0);
          const float* wpk = d.w_pg ? d.w_pg + ((g * npanel + j0 / PR) * K + k0) * PR : wpack;
          if (!d.w_pg) pack_panel(kt, w + (g * Cog + j0) * K + k0, K, jn, kc, PR, wpack);
          // The next pass's weight rows (to transpose) are fetched into L2 while the tiles
          // run: the transposes would otherwise wait on them, 32 rows at a time, too many
          // streams for the hardware prefetcher (W4's 9.4 MB are read once per call).
          // Packed panels (prepared layers) likewise, the next chunk's 24 KiB a few lines per
          // tile: the first tile of each chunk waited on them, at the pace the hardware
          // fetched one sequential stream (in-process A/B, W4's Conv2d on Zen 3, three runs:
          // 0.84-0.91x the time at 1 thread, 0.93-0.97x at 2; same bits).
          // Each tile's share of the lines goes to its pgemm call, which fetches them one at a
          // time over its loop: issued all at once before the call (~30 lines a tile), they
          // filled the miss buffers and the kernel's own loads waited (W4 on Zen 3, same bits:
          // in-process switch, 1 / 2 threads, 0.88-0.92x / 0.94-0.95x the time, its Conv2d
          // 0.905-0.93x / 0.92-0.95x, with no prefetch at all 1.06-1.09x; two builds in one
          // process, both orders, 0.955-0.99x at 1 thread, 0.95-1.05x at 2).
          const int64_t nkc = std::min(kChunk, K - nk0);
          const int64_t nrow = nj0 >= jh || d.w_pg ? 0 : std::min(PR, jh - nj0);
          const char* pnext = d.w_pg && nj0 < jh ? reinterpret_cast<const char*>(d.w_pg + ((g * npanel + nj0 / PR) * K + nk0) * PR) : nullptr;
          const int64_t plines = pnext ? (nkc * PR * 4 + 63) / 64 : 0;
          for (int64_t t = 0; t < nt;) {
            int64_t px = 0;
            const int64_t tn = pgemm_run(kt, tl, t, nt, PM, jn, &px);  // (W4's last 8 channels: a row's 2 tiles)
            LineList pf;
            Shares lines(plines, nt, t), wrows(nrow, nt, t);
            for (int64_t u = t; u < t + tn; ++u) {
              lines.take(u, [&](int64_t l) { pf.add(pnext + l * 64); });
              wrows.take(u, [&](int64_t r) { pf.add_range(w + (g * Cog + nj0 + r) * K + nk0, nkc * 4); });
            }
            kt.pgemm(kc, wpk, rk, tl[3 * t], px, cp + t * PM * PR, k0 > 0, 1, jn, pf.line, pf.n);
            t += tn;
          }
        };
        // A panel's [pixel][channel] sums straight to the output rows, finished on the way
        // (finish_one: the same bits as the igemm's epilogue).
        auto finish_panel = [&](int64_t j0, const float* cp) {
          const int64_t jn = std::min(PR, jh - j0);
          for (int64_t t = 0; t < nt; ++t) {
            const float* cs = cp + t * PM * PR;
            const int64_t len = tl[3 * t + 1], ys = tl[3 * t + 2];
            const float* sc = scale ? scale + ys : nullptr;
            const float* po = post ? post + ys : nullptr;
            for (int64_t j = 0; j < jn; ++j) {
              const int64_t oc = g * Cog + j0 + j;
              float* yr = y + (n * d.Cout + oc) * Sout + ys;
              const float bv = d.bias ? d.bias[oc] : 0.f;
              for (int64_t i = 0; i < len; ++i) yr[i] = finish_one(cs[i * PR + j], bv, sc, po, i);
            }
          }
        };
        if (!pg_chunked) {  // the input read in place: panel by panel, each over every chunk
          for (int64_t j0 = jl; j0 < jh; j0 += PR) {
            for (int64_t k0 = 0; k0 < K; k0 += kChunk) {
              const bool more_k = k0 + kChunk < K;
              pass(j0, k0, more_k ? j0 : j0 + PR, more_k ? k0 + kChunk : 0, trows + k0, ct);
            }
            finish_panel(j0, ct);
          }
          continue;
        }
        for (int64_t k0 = 0; k0 < K; k0 += kChunk) {
          const int64_t kc = std::min(kChunk, K - k0);
          int64_t ic_lo = 0, ic_hi = 0;
          chunk_channels(k0, kc, taps, &ic_lo, &ic_hi);
          const size_t ti = static_cast<size_t>(tid);
          const bool kept = frame_band[ti] == bi && framed[ti] >= ic_hi - ic_lo;
          gather(n, g, base, buf, ic_lo, ic_hi, slot_cap, ic_lo, kept);
          if (!kept) {
            frame_band[ti] = bi;
            framed[ti] = ic_hi - ic_lo;
          }
          for (int64_t k = 0, t = k0 % taps, c = 0; k < kc; ++k) {  // (k0 + k = (ic_lo + c) * taps + t)
            trows[k] = buf + (off[static_cast<size_t>(t)] + c * Ez);
            if (++t == taps) t = 0, ++c;
          }
          for (int64_t j0 = jl; j0 < jh; j0 += PR) {
            const bool last = j0 + PR >= jh;
            pass(j0, k0, last && k0 + kc >= K ? jh : last ? jl : j0 + PR, last ? k0 + kc : k0, trows, ct + (j0 - jl) / PR * pg_sums);
          }
        }
        for (int64_t j0 = jl; j0 < jh; j0 += PR) finish_panel(j0, ct + (j0 - jl) / PR * pg_sums);
        continue;
      }
      // Reduction groups: one for a plain conv (every block reduces over all K rows); for
      // ragged phases one per phase, whose blocks (blk_lo + ph, then every nph_r-th) reduce
      // over that phase's rows of the union only, with its own length and weights: the same
      // chunks and sums as that phase's own conv.
      const float** pr = trows;
      if (ragged) {
        pr = prow.data() + tid * Kr;
        for (int64_t k = 0; k < Kr; ++k) pr[k] = trows[ps->kidx[k]];
      }
      const int64_t groups_r = ragged ? nph_r : 1, blk_step = ragged ? nph_r : 1;
      bool written = false;  // (tile_out) the item's results written by the kernels
      if (use_pk) {
        // Packed weights (kt.igemm_pk, packed up front or here): per reduction chunk, every tile group
        // of the band runs over all the item's blocks of MR channels, so that each tile
        // group's rows stay in L1 across the blocks and the chunk's packed weights in L2.
        // Same chunks, same k order, so the same sums as below. (Zen 3, AVX2, two builds in
        // one process against the unpacked loop below, tile groups outermost, 1 / 2 threads:
        // W1 0.86x / 0.90x the time, W2 0.93x / 0.87x, W3 0.96x / 0.87x, W6 0.89x / 0.85x,
        // W10 0.93x / 0.86x, W11 0.98x / 0.86x, W14 0.97x / 0.94x, W15 0.84x / 0.92x, with each
        // item packing its own blocks' chunks; the 2-thread figures include the band choice
        // above.)
        float* pxb = wpack + pack_floats;  // (pack_px) the tile group's pixels, [k][2 * NR]
        const float** pxr = prow_px.data() + tid * kChunk;  // (pack_px) their rows, pxb's
        static_assert(kTiles == 2, "pack_px's blocks hold 2 tiles");
        if (pack_px)
          for (int64_t k = 0; k < std::min(kChunk, K); ++k) pxr[k] = pxb + k * kTiles * NR;
        // [first, end) flat pixels of each tile group, and the output pixel of its first less
        // its flat pixel (tile_out)
        int64_t* tg = tgroups.data() + tid * tg_cap;
        int64_t ng = 0;
        // (a 1x1 conv's band, whose flat pixels are the output's: its first output pixel)
        const int64_t flat_out = (base[0] * d.out[1] + base[1]) * d.out[2] + base[2];
        if (row_tiles)
          for_rows([&](int64_t p, int64_t ys, int64_t len) {
            for (int64_t a = p; a < p + len; a += kTiles * NR, ++ng) {
              tg[3 * ng] = a;
              tg[3 * ng + 1] = std::min(p + len, a + kTiles * NR);
              tg[3 * ng + 2] = ys - p;
            }
          });
        else
          for (int64_t a = 0; a < P; a += kTiles * NR, ++ng) {
            tg[3 * ng] = a;
            tg[3 * ng + 1] = std::min(P, a + kTiles * NR);
            tg[3 * ng + 2] = flat_out;
          }
        const bool direct_out = tile_out && (row_tiles || (flat_out % NR == 0 && P % NR == 0));
        written = direct_out;
        float* yrow[16];  // (tile_out) the block's output rows and biases
        float bias6[16];
        for (int64_t k0 = 0; k0 < K; k0 += kChunk) {
          const int64_t kc = std::min(kChunk, K - k0);
          if (!pk_shared)  // this chunk of the item's blocks, [block][k][MR]
            for (int64_t blk = blk_lo; blk < blk_hi; ++blk)
              pack_panel(kt, w + (g * Cog + blk * MR) * K + k0, K, std::min(MR, Cog - blk * MR), kc, MR,
                         wpack + (blk - blk_lo) * MR * kc);
          for (int64_t gi = 0; gi < ng; ++gi) {
            const int64_t t0 = tg[3 * gi], t1 = tg[3 * gi + 1], to = tg[3 * gi + 2];
            const float* const* rk = trows + k0;
            int64_t pofs = 0;
            if (pack_px) {
              const int64_t ld = kTiles * NR, n = t1 - t0;
              for (int64_t k = 0; k < kc; ++k) {
                const float* src = trows[k0 + k] + t0;
                // The next group's cache lines, every one: a row of it spans 3 lines where the
                // input is not 64-byte aligned, and two prefetches 16 floats apart (the aligned
                // case) left the third to a demand miss. In-process A/B, W2 with its input at
                // each offset mod 64 bytes: 0.87-0.90x the time at 1 thread (one case 1.0x),
                // 0.96-1.01x at 2; same bits. (The group after next, or into L2: no faster.)
                if (t1 < P) prefetch_lines<3>(src + ld, (std::min(2 * ld, P - t0) - ld) * 4);
                // (Constant sizes, inlined, for whole groups of the ISAs' tiles: kTiles * NR is
                // known only at run time, and the library call per 128-byte row took 11% of W2;
                // inlined, W2 0.97-1.0x the time at 1 thread, two builds in one process.)
                if (n == 32) std::memcpy(pxb + k * ld, src, 32 * sizeof(float));
                else if (n == 96) std::memcpy(pxb + k * ld, src, 96 * sizeof(float));
                else std::memcpy(pxb + k * ld, src, static_cast<size_t>(n) * sizeof(float));
              }
              rk = pxr;
              pofs = t0;
            }
            for (int64_t blk = blk_lo; blk < blk_hi; ++blk) {
              const float* ap = pk_shared ? wpk_all + ((g * nblk + blk) * K + k0) * MR : wpack + (blk - blk_lo) * MR * kc;
              float* c = flat + (blk - blk_lo) * MR * ldc;
              // A last block's channels only (Cout 32: 5 blocks and 2 channels; in-process A/B
              // against all 6 rows, 1 / 2 threads: W15 0.94-0.96x / 0.93-0.96x the time, W1
              // 0.91-0.94x / 0.98-1.0x, W6 0.98x / 0.94x, the rest alike; same bits)
              const int64_t mr = std::min(MR, Cog - blk * MR);
              // A last block of 1-3 channels: the whole tile group at once through the narrow
              // kernel (4 vectors per channel: W15's last 2 channels of 32 had 4 FMA chains,
              // 9% of its time for 6% of its work; in-process A/B, 1 / 2 threads: W15
              // 0.96-0.98x / 0.98-1.0x the time, W6 0.92-1.09x (noise: W1, untouched, read
              // 0.86x in the same run) / 0.98-0.99x; same bits).
              TileOut tout{yrow, bias6};
              const TileOut* ot = nullptr;
              if (direct_out && k0 + kc >= K) {
                ot = &tout;
                for (int64_t m = 0; m < mr; ++m) {
                  const int64_t oc = g * Cog + blk * MR + m;
                  yrow[m] = y + (n * d.Cout + oc) * Sout + t0 + to;
                  bias6[m] = d.bias ? d.bias[oc] : 0.f;
                }
              }
              if (mr <= kt.igemm_pk_narrow_mr && kt.igemm_pk_narrow)  // (t1 - t0 <= kTiles * NR: its width)
                kt.igemm_pk_narrow(kc, ap, rk, t0 - pofs, t1 - t0, c + t0, ldc, k0 > 0, mr, ot);
              else
                for (int64_t p0 = t0; p0 < t1; p0 += NR) {
                  kt.igemm_pk(kc, ap, rk, p0 - pofs, std::min(NR, t1 - p0), c + p0, ldc, k0 > 0, mr, ot);
                  if (ot)
                    for (int64_t m = 0; m < mr; ++m) yrow[m] += NR;
                }
            }
          }
        }
      } else
      for (int64_t t0 = 0; t0 < P; t0 += kTiles * NR) {
        const int64_t t1 = std::min(P, t0 + kTiles * NR);
        for (int64_t q = 0; q < groups_r; ++q) {
          const int64_t kq = ragged ? ps->koff[q] : 0, Kq = ragged ? ps->koff[q + 1] - kq : K;
          for (int64_t k0 = 0; k0 < Kq; k0 += kChunk) {
            const int64_t kc = std::min(kChunk, Kq - k0);
            for (int64_t blk = blk_lo + q; blk < blk_hi; blk += blk_step) {  // (ragged: blk_lo a multiple of nph_r)
              const float* a = ragged                   ? (pack_rows ? wpack + (blk - blk_lo) / nph_r * MR * Kr
                                                                     : w + (g * (Cog / nph_r) + blk / nph_r * MR) * Kr) +
                                                              MR * kq + k0
                               : pack_rows              ? wpack + (blk - blk_lo) * MR * K + k0
                               : (tail && blk == nblk - 1) ? tails.data() + g * MR * K + k0
                                                           : w + (g * Cog + blk * MR) * K + k0;
              float* c = flat + (blk - blk_lo) * MR * ldc;
              for (int64_t p0 = t0; p0 < t1; p0 += NR)
                kt.igemm(kc, a, Kq, pr + kq + k0, p0, std::min(NR, t1 - p0), c + p0, ldc, k0 > 0);
            }
          }
        }
      }
      // 3. Valid pixels to the output (merged phases: their own store).
      if (ps) {
        // Merged transposed phases: the s2 phases of one (oc, r0, r1) fill one output row.
        const int64_t jl = blk_lo * MR, jh = std::min(Cog, blk_hi * MR), s2 = ps->s[2];
        const int64_t Z1 = d.out[1], Z2 = d.out[2];
        // Output channel oc's phases ph0 .. ph0 + s2 - 1 (one r0, r1), rows srcs[], to its rows.
        auto store = [&](int64_t oc, int64_t ph0) {
          const int64_t r1 = (ph0 / s2) % ps->s[1], r0 = ph0 / (s2 * ps->s[1]);
          float* yc = ps->y + (n * ps->Cout + oc) * prod3(ps->out);
          const float bv = ps->bias ? ps->bias[oc] : 0.f;
          for_rows([&](int64_t p, int64_t ys, int64_t len) {
            const int64_t zrow = ys / Z2, zlo = ys % Z2, z1 = zrow % Z1, z0 = zrow / Z1;
            const int64_t o0 = z0 * ps->s[0] + r0 - ps->pb[0], o1 = z1 * ps->s[1] + r1 - ps->pb[1];
            if (o0 < 0 || o0 >= ps->out[0] || o1 < 0 || o1 >= ps->out[1]) return;
            for (int64_t r = 0; r < s2; ++r) rowp[r] = srcs[r] ? srcs[r] + p : nullptr;
            store_phase_row(rowp, s2, ps->pb[2], zlo, zlo + len, yc + (o0 * ps->out[1] + o1) * ps->out[2], ps->out[2], bv,
                            stream, kt.interleave);
          });
        };
        if (ragged) {  // merged channel (ocb * nph + ph) * MR + i; the item holds every phase of its blocks' channels
          for (int64_t ocb = blk_lo / nph_r; ocb < blk_hi / nph_r; ++ocb)
            for (int64_t i = 0; i < MR; ++i)
              for (int64_t ph0 = 0; ph0 < nph_r; ph0 += s2) {
                for (int64_t r = 0; r < s2; ++r) srcs[r] = flat + (((ocb * nph_r + ph0 + r) - blk_lo) * MR + i) * ldc;
                store(g * (Cog / nph_r) + ocb * MR + i, ph0);
              }
          continue;
        }
        for (int64_t j = jl; j < jh;) {
          const int64_t om = g * Cog + j, oc = om / ps->nph, ph = om % ps->nph;
          const int64_t first = j - ph % s2;
          for (int64_t r = 0; r < s2; ++r) {
            const int64_t jj = first + r;
            srcs[r] = jj >= jl && jj < jh ? flat + (jj - jl) * ldc : nullptr;
          }
          j = first + s2;
          store(oc, ph - ph % s2);
        }
        continue;
      }
      if (!written) finish_channels(blk_lo * MR, std::min(Cog, blk_hi * MR));
    }
    if (stream) fence_streams();  // the streamed rows are visible before the pool reports done
  });
  return true;
}

void pixel_gemm_cl(const float* x, int64_t N, int64_t S, int64_t Cin, int64_t groups, const float* wp, int64_t np,
                   int64_t kChunk, const char* fn, const PixelBlockStore& store) {
  const KernelTable& kt = kernels();
  const int64_t PM = kt.pgemm_mr, PR = kt.pgemm_nr, K = Cin / groups;
  // Items: (image, block of 128 pixels (16 tiles of 8 on AVX-512), group, panel); per thread
  // the block's sums of one panel and the row table.
  constexpr int64_t kBlock = 128;
  const int64_t nblk = (S + kBlock - 1) / kBlock, gp = groups * np;
  const int threads = get_num_threads();
  float* sums = arena(0, checked_mul(threads, kBlock * PR, fn), fn, "the per-thread tile sums");
  std::vector<const float*> rows_all(static_cast<size_t>(threads * K));
  parallel_for_tid(N * nblk * gp, 1, threads, [&](int tid, int64_t b, int64_t e) {
    float* ct = sums + tid * kBlock * PR;
    const float** rows = rows_all.data() + tid * K;
    int64_t rows_of = -1;  // (image, group) of the row table
    for (int64_t it = b; it < e; ++it) {
      const int64_t blk = it / gp, n = blk / nblk, q0 = blk % nblk * kBlock, q1 = std::min(S, q0 + kBlock);
      const int64_t g = it % gp / np, p = it % np;
      if (rows_of != n * groups + g)
        for (int64_t k = 0; k < K; ++k) rows[k] = x + n * S * Cin + g * K + k;  // channel k of pixel 0
      rows_of = n * groups + g;
      const float* wpp = wp + (it % gp) * K * PR;
      for (int64_t k0 = 0; k0 < K; k0 += kChunk) {
        const int64_t kc = std::min(kChunk, K - k0);
        for (int64_t t = q0; t < q1; t += PM)
          kt.pgemm(kc, wpp + k0 * PR, rows + k0, t, std::min(PM, q1 - t), ct + (t - q0) * PR, k0 > 0, Cin, PR, nullptr, 0);
      }
      store(n, g, p, q0, q1, ct);
    }
  });
}

std::vector<float> pgemm_pack(const ConvDesc& d, const float* w) {
  const KernelTable& kt = kernels();
  const int64_t Cog = d.Cout / d.groups, K = d.Cin / d.groups * prod3(d.k), PR = kt.pgemm_nr;
  // The small-map pgemm's panels, and the channels-last pointwise GEMM's (conv1x1_cl: the
  // same layout; taken or not by the layout of each call's input).
  if (!pgemm_pays(d, kt) && !pointwise_gemm_ok(d, kt)) return {};
  const int64_t npanel = (Cog + PR - 1) / PR;
  std::vector<float> wp(static_cast<size_t>(checked_mul(checked_mul(d.groups * npanel, K, d.fn), PR, d.fn)));
  pack_panels(kt, w, d.groups, Cog, K, kt.pgemm_nr, wp.data());
  return wp;
}

}  // namespace convkit
