// torch.nn.functional.interpolate: every mode is a separable resampling, so each spatial
// dimension gets a table of (source index, weight) taps computed exactly as PyTorch's CPU
// kernels compute them (float index arithmetic included), and one loop applies the tables.
//
// Channels-first nearest/linear/cubic (the common case) runs W and H fused, per plane and
// block of output rows: the W pass fills a small ring of resampled source rows (L1-resident)
// as the H taps ask for them, and each output row is combined from that ring straight into
// the result (streaming stores for large outputs). Channels-last inputs run the same fused
// pass, a row of pixels taken as a row of floats, when that needs no gathers or has few
// channels (kFlatMaxC), else with their W pass pixel by pixel (each output pixel's channels
// combined from its source pixels'). A D pass, ragged 'area' windows and taps past
// kMaxFusedTaps go through separable passes over whole intermediates. Both use the same row kernels (SIMD from the kernel table,
// portable loops here), which round every product and sum in torch's order, so every ISA and
// thread count gives the same bits.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../core/common.h"
#include "../core/cpu.h"
#include "../core/threadpool.h"
#include "../kernels/kernels.h"
#include "../kernels/resize-common.h"
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

// ---- row kernels -------------------------------------------------------------------------

// Portable row kernels (lanes = 1: every block one output, kind 2 with absolute indices).
void portable_row(const ResizeRowPlan& p, const float* x, float* y) { resize_row_any(p, 1, x, y); }

void portable_combine(int taps, const float* const* rows, const float* w, int64_t n, float* y, ResizeStream*) {
  if (taps == 1 && w[0] == 1.f) {  // x * 1 is x
    std::memcpy(y, rows[0], static_cast<size_t>(n) * sizeof(float));
    return;
  }
  const float* r0 = rows[0];
  const float w0 = w[0];
  for (int64_t i = 0; i < n; ++i) y[i] = r0[i] * w0;
  for (int t = 1; t < taps; ++t) {
    const float* rt = rows[t];
    const float wt = w[t];
    for (int64_t i = 0; i < n; ++i) y[i] = y[i] + rt[i] * wt;
  }
}

void portable_finish(ResizeStream*, float*) {}

void portable_pixels(int taps, const float* x, const int64_t* src, const float* wt, int64_t C, int64_t n, float* y) {
  const float* r[4];
  for (int64_t j = 0; j < n; ++j, src += taps, wt += taps, y += C) {
    for (int t = 0; t < taps; ++t) r[t] = x + src[t] * C;
    portable_combine(taps, r, wt, C, y, nullptr);
  }
}

const ResizeKernels kPortable{1, portable_row, portable_combine, portable_finish, nullptr, false, portable_pixels};

// The dispatch table's SIMD kernels, else the portable loops above (the scalar path).
const ResizeKernels& resize_kernels() {
  const ResizeKernels* t = kernels().resize;
  return t ? *t : kPortable;
}

// Outputs at least this large (an L2 cache) are written with non-temporal stores: a plain
// store would first read every line it overwrites (a fresh output is in no cache), and the
// output would push the input out of cache. Measured on Zen 5, W13 (16 MB out): 1.6x faster;
// still faster at 1 MB.
constexpr int64_t kStreamBytes = int64_t{1} << 20;

constexpr int kMaxFusedTaps = 4;  // nearest 1, linear 2, cubic 4
constexpr int kMaxDupRows = 8;    // output rows per call of the nearest-x2 kernel
// Channels-last inputs take the fused W+H pass, their rows as rows of floats, when they have
// fewer channels than this, or when every block of the flattened W taps fits the kernels'
// window (no gathers: nearest with any C, linear up to 16 channels). Else the separable
// passes, a kernel call per pixel: for an RGB image upscaled x2 that was 4x the fused time,
// and for 64 channels 2x (nearest).
constexpr int64_t kFlatMaxC = 16;

// A tap table in the kernels' block format (ResizeRowPlan), owning its arrays.
struct RowPlan {
  std::vector<int32_t> base, kind, run, idx;
  std::vector<float> wt;
  ResizeRowPlan p;
};

// False when the table does not fit the format (uneven tap counts, too many taps, extents
// past int32): those dims take the general passes.
bool build_plan(const Taps& t, int64_t n_in, int64_t n_out, int lanes, bool wide3, RowPlan& rp) {
  if (n_out < 1 || t.count.empty() || n_in > INT32_MAX || n_out > INT32_MAX) return false;
  const int64_t T = t.count[0];
  if (T < 1 || T > kMaxFusedTaps) return false;
  for (int64_t j = 0; j < n_out; ++j) {
    if (t.count[static_cast<size_t>(j)] != T || t.first[static_cast<size_t>(j)] != j * T) return false;
    if (T == 1 && t.wt[static_cast<size_t>(j)] != 1.f) return false;  // one tap means a plain gather
  }
  const int64_t L = lanes, blocks = (n_out + L - 1) / L;
  rp.base.assign(static_cast<size_t>(blocks), 0);
  rp.kind.assign(static_cast<size_t>(blocks), 2);
  rp.idx.assign(static_cast<size_t>(blocks * T * L), 0);
  rp.wt.assign(static_cast<size_t>(blocks * T * L), 0.f);
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t j0 = b * L, j1 = std::min(n_out, j0 + L);
    int64_t lo = INT64_MAX, hi = -1;
    for (int64_t k = j0 * T; k < j1 * T; ++k) {
      lo = std::min(lo, t.src[static_cast<size_t>(k)]);
      hi = std::max(hi, t.src[static_cast<size_t>(k)]);
    }
    const bool window = L > 1 && hi - lo < 2 * L;  // the taps fit one 2*lanes window
    const bool window3 = !window && wide3 && hi - lo < 3 * L && lo + 3 * L <= n_in;  // or a 3*lanes one inside the row
    const int64_t base = window || window3 ? lo : 0;
    rp.base[static_cast<size_t>(b)] = static_cast<int32_t>(base);
    rp.kind[static_cast<size_t>(b)] = window3 ? 3 : !window ? 2 : base + 2 * L <= n_in ? 0 : 1;
    for (int64_t j = j0; j < j1; ++j)
      for (int64_t k = 0; k < T; ++k) {
        const size_t at = static_cast<size_t>((b * T + k) * L + (j - j0));
        rp.idx[at] = static_cast<int32_t>(t.src[static_cast<size_t>(j * T + k)] - base);
        rp.wt[at] = t.wt[static_cast<size_t>(j * T + k)];
      }
  }
  // Periodic runs: full kind-0 blocks with the same relative indices and weights.
  rp.run.assign(static_cast<size_t>(blocks), 1);
  const int64_t full = n_out / L, per = T * L;
  for (int64_t b = 0; b < full;) {
    int64_t e = b + 1;
    if (L > 1 && rp.kind[static_cast<size_t>(b)] == 0)
      while (e < full && rp.kind[static_cast<size_t>(e)] == 0 &&
             std::equal(rp.idx.begin() + b * per, rp.idx.begin() + (b + 1) * per, rp.idx.begin() + e * per) &&
             std::equal(rp.wt.begin() + b * per, rp.wt.begin() + (b + 1) * per, rp.wt.begin() + e * per))
        ++e;
    rp.run[static_cast<size_t>(b)] = static_cast<int32_t>(e - b);
    b = e;
  }
  rp.p.taps = static_cast<int>(T);
  rp.p.n_in = n_in;
  rp.p.n_out = n_out;
  rp.p.blocks = blocks;
  rp.p.base = rp.base.data();
  rp.p.kind = rp.kind.data();
  rp.p.run = rp.run.data();
  rp.p.idx = rp.idx.data();
  rp.p.wt = rp.wt.data();
  return true;
}

// ---- separable passes (D pass, channels-last, area) ------------------------------------

// One separable pass along an axis of a [outer][n_in][inner] view:
//   out[o][j][i] = sum_t wt[j,t] * in[o][src[j,t]][i]   (first term t*w, then += t*w: torch's order)
void resample_axis(const ResizeKernels& k, const Taps& t, const float* in, float* out, int64_t outer, int64_t n_in,
                   int64_t n_out, int64_t inner, bool stream) {
  stream = stream && inner >= 1024 && reinterpret_cast<uintptr_t>(out) % sizeof(float) == 0;
  parallel_for(outer * n_out, inner == 1 ? 64 : std::max<int64_t>(1, 4096 / inner), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t o = r / n_out, j = r % n_out;
      const float* src = in + o * n_in * inner;
      float* dst = out + r * inner;
      const int64_t f = t.first[static_cast<size_t>(j)], c = t.count[static_cast<size_t>(j)];
      const int64_t* sx = t.src.data() + f;
      const float* wx = t.wt.data() + f;
      if (inner == 1) {
        float acc = src[sx[0]] * wx[0];
        for (int64_t q = 1; q < c; ++q) acc = acc + src[sx[q]] * wx[q];
        dst[0] = acc;
        continue;
      }
      if (c <= 8) {
        const float* rows[8];
        for (int64_t q = 0; q < c; ++q) rows[q] = src + sx[q] * inner;
        if (!stream) {
          k.combine(static_cast<int>(c), rows, wx, inner, dst, nullptr);
          continue;
        }
        ResizeStream st;  // each output row is a run
        st.begin = dst;
        k.combine(static_cast<int>(c), rows, wx, inner, dst, &st);
        k.finish(&st, dst + inner);
        continue;
      }
      const float* s0 = src + sx[0] * inner;
      const float w0 = wx[0];
      for (int64_t i = 0; i < inner; ++i) dst[i] = s0[i] * w0;
      for (int64_t q = 1; q < c; ++q) {
        const float* sk = src + sx[q] * inner;
        const float wk = wx[q];
        for (int64_t i = 0; i < inner; ++i) dst[i] = dst[i] + sk[i] * wk;
      }
    }
  });
}

// The innermost axis of a channels-first plane: out[o][j] over rows of n_in. `plan` when the
// taps fit the kernels' format, else the general tap lists (area).
void resample_last(const ResizeKernels& k, const RowPlan* plan, const Taps& t, const float* in, float* out,
                   int64_t rows, int64_t n_in, int64_t n_out) {
  if (plan) {
    parallel_for(rows, std::max<int64_t>(1, 16384 / n_out), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) k.row(plan->p, in + r * n_in, out + r * n_out);
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
        for (int64_t q = 1; q < c; ++q) acc = acc + src[t.src[static_cast<size_t>(f + q)]] * t.wt[static_cast<size_t>(f + q)];
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

// Whether every output index has the same number of taps, 1 to kMaxFusedTaps, index j's at
// j * T (ResizeKernels::pixels' layout).
bool pixel_taps(const Taps& t) {
  if (t.count.empty() || t.count[0] < 1 || t.count[0] > kMaxFusedTaps) return false;
  for (size_t j = 0; j < t.count.size(); ++j)
    if (t.count[j] != t.count[0] || t.first[j] != static_cast<int64_t>(j) * t.count[0]) return false;
  return true;
}

// ---- fused W+H pass (channels-first) -----------------------------------------------------

// planes x [Hi][Wi] -> planes x [Ho][Wo]: W by `wplan` (null: W unchanged), then H by `ht`
// (null: H unchanged; its taps are <= kMaxFusedTaps each). Work items are (plane, block of
// output rows); a block recomputes the few resampled rows it shares with its neighbour, so
// any split gives the same bits. With `stream`, each item's output (a contiguous run of
// rows) is written with non-temporal stores. With `wpix` (and no wplan): channels-last rows
// of pixels of C floats, W resampled pixel by pixel, each output pixel's C floats combined
// from its source pixels' (the separable W pass's sums: same bits). (Channels-last with many
// channels ran two passes over a whole intermediate: W13 in NHWC took 1.5x its NCHW time at
// 1 thread and 2.7x at 2, where it ran no faster than at 1.)
void fused_wh(const ResizeKernels& k, const RowPlan* wplan, const Taps* ht, const float* x, float* y, int64_t planes,
              int64_t Hi, int64_t Wi, int64_t Ho, int64_t Wo, bool stream, bool dup_w, const Taps* wpix = nullptr,
              int64_t C = 1) {
  // One source row's W resampling into dst (wpix: every pixel wpix->count[0] taps, in
  // order, as pixel_taps checked).
  auto resample_row = [&](const float* src, float* dst) {
    if (wplan) k.row(wplan->p, src, dst);
    else k.pixels(static_cast<int>(wpix->count[0]), src, wpix->src.data(), wpix->wt.data(), C, Wo / C, dst);
  };
  const bool wres = wplan || wpix;  // W resampled
  const int threads = get_num_threads();
  // Whole planes when there are enough of them; else row blocks of >= 16 rows.
  int64_t nblk = 1;
  if (ht && planes < 8 * threads) nblk = std::min((8 * threads + planes - 1) / planes, std::max<int64_t>(1, Ho / 16));
  const int64_t rows_per = (Ho + nblk - 1) / nblk;
  nblk = (Ho + rows_per - 1) / rows_per;
  stream = stream && reinterpret_cast<uintptr_t>(y) % sizeof(float) == 0;
  const int64_t stride = (Wo + 31) / 16 * 16;  // whole lines, room for an offset < 16
  // Nearest x2 along W (dup_w: the caller checked the taps) with single H taps: no ring, each
  // source row duplicated straight into its output rows (W13: 128x128 -> 256x256), streamed
  // only where every output row starts a cache line.
  bool single_h = true;  // (every H tap alone, weight 1)
  if (ht)
    for (size_t j = 0; j < ht->count.size(); ++j)
      single_h = single_h && ht->count[j] == 1 && ht->wt[static_cast<size_t>(ht->first[j])] == 1.f;
  const bool dup = dup_w && k.dup2 && single_h && Wi % 8 == 0 &&
                   (!stream || (reinterpret_cast<uintptr_t>(y) % 64 == 0 && Wo % 16 == 0));
  // Per thread: a ring of resampled rows, source row s in slot s % ring_rows (W only with
  // streaming: one row), and a stream state. The taps of an output row are consecutive
  // source rows (clamped at the edges) and advance monotonically, so as many slots as taps
  // hold them all, and each resampled row is computed once per item.
  int64_t max_taps = 1;
  if (ht)
    for (int64_t c : ht->count) max_taps = std::max(max_taps, c);
  const int64_t ring_rows = !wres || dup ? 0 : ht ? max_taps : stream ? 1 : 0;
  const int64_t per_thread = ring_rows * stride;
  std::vector<float> mem(static_cast<size_t>(threads * per_thread + 16));
  note_scratch(static_cast<int64_t>(mem.size() * sizeof(float)));
  std::vector<ResizeStream> streams(stream && !dup ? static_cast<size_t>(threads) : 0);
  float* const buf = mem.data() + (16 - (reinterpret_cast<uintptr_t>(mem.data()) / sizeof(float)) % 16) % 16;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(1, rows_per * Wo));
  parallel_for_tid(planes * nblk, grain, threads, [&](int tid, int64_t b, int64_t e) {
    float* const ring0 = buf + tid * per_thread;
    ResizeStream* const st = stream && !dup ? &streams[static_cast<size_t>(tid)] : nullptr;
    for (int64_t it = b; it < e; ++it) {
      const int64_t p = it / nblk, j0 = (it % nblk) * rows_per, j1 = std::min(Ho, j0 + rows_per);
      const float* xp = x + p * Hi * Wi;
      float* yp = y + p * Ho * Wo;
      if (dup) {  // each source row straight to the output rows that repeat it
        for (int64_t j = j0; j < j1;) {
          const int64_t s = ht ? ht->src[static_cast<size_t>(ht->first[static_cast<size_t>(j)])] : j;
          int ny = 0;
          float* ys[kMaxDupRows];
          do ys[ny++] = yp + j++ * Wo;
          while (j < j1 && ny < kMaxDupRows && ht && ht->src[static_cast<size_t>(ht->first[static_cast<size_t>(j)])] == s);
          k.dup2(xp + s * Wi, Wi, ys, ny, stream);
        }
        continue;  // (fenced once, after the items)
      }
      if (st) st->begin = yp + j0 * Wo;
      // Resampled rows aligned like the output rows (exactly so when Wo is a multiple of 16):
      // the combine's loads then never straddle cache lines.
      float* const ring = ring0 + reinterpret_cast<uintptr_t>(yp + j0 * Wo) % 64 / sizeof(float);
      int64_t tag[kMaxFusedTaps];
      std::fill(tag, tag + kMaxFusedTaps, int64_t{-1});
      for (int64_t j = j0; j < j1; ++j) {
        if (!ht) {  // W only
          if (!st) {
            resample_row(xp + j * Wi, yp + j * Wo);
            continue;
          }
          resample_row(xp + j * Wi, ring);
          const float* r0 = ring;
          const float one = 1.f;
          k.combine(1, &r0, &one, Wo, yp + j * Wo, st);
          continue;
        }
        const int64_t f = ht->first[static_cast<size_t>(j)], c = ht->count[static_cast<size_t>(j)];
        const float* rows[kMaxFusedTaps];
        for (int64_t q = 0; q < c; ++q) {
          const int64_t s = ht->src[static_cast<size_t>(f + q)];
          if (!wres) {
            rows[q] = xp + s * Wi;
            continue;
          }
          const int64_t at = s % ring_rows;
          float* slot = ring + at * stride;
          if (tag[at] != s) {
            resample_row(xp + s * Wi, slot);
            tag[at] = s;
          }
          rows[q] = slot;
        }
        k.combine(static_cast<int>(c), rows, ht->wt.data() + f, Wo, yp + j * Wo, st);
      }
      if (st) k.finish(st, yp + j1 * Wo);
    }
    if (dup && stream) fence_streams();  // the streamed rows are visible before the pool reports done
  });
}

// Whether t is nearest x2: output j is input j / 2, alone, weight 1.
bool is_dup2(const Taps& t, int64_t in, int64_t out) {
  if (out != 2 * in) return false;
  for (int64_t j = 0; j < out; ++j) {
    const size_t f = static_cast<size_t>(t.first[static_cast<size_t>(j)]);
    if (t.count[static_cast<size_t>(j)] != 1 || t.src[f] != j / 2 || t.wt[f] != 1.f) return false;
  }
  return true;
}

// t for rows of pixels of C floats each, as a table over the floats.
Taps flatten(const Taps& t, int64_t C) {
  Taps f;
  const int64_t n = static_cast<int64_t>(t.first.size());
  f.first.resize(static_cast<size_t>(n * C));
  f.count.resize(static_cast<size_t>(n * C));
  for (int64_t j = 0; j < n; ++j)
    for (int64_t c = 0; c < C; ++c) {
      const size_t q = static_cast<size_t>(j * C + c);
      f.first[q] = static_cast<int64_t>(f.src.size());
      f.count[q] = t.count[static_cast<size_t>(j)];
      for (int64_t i = 0; i < f.count[q]; ++i) {
        const size_t at = static_cast<size_t>(t.first[static_cast<size_t>(j)] + i);
        f.add(t.src[at] * C + c, t.wt[at]);
      }
    }
  return f;
}

bool fusable_h(const Taps& t) {
  for (int64_t c : t.count)
    if (c < 1 || c > kMaxFusedTaps) return false;
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
  bool ident[3];
  for (int i = 0; i < 3; ++i) {
    const bool active = i >= 3 - d.rank;
    if (!active && d.in[i] != d.out[i]) range_error(f + "inactive dimension changed extent");
    if (active) taps[i] = make_taps(d.mode, d.in[i], d.out[i], d.scale[i], d.align_corners);
    ident[i] = !active || (d.mode != InterpMode::kArea && is_identity(taps[i], d.in[i], d.out[i]));
  }
  const bool area = d.mode == InterpMode::kArea;
  // Area windows of one size along every dim (whole downscale factors) fit the row kernels
  // (weights 1, summed in tap order: the general loops' sums); ragged ones keep those loops
  // (the kernels' fixed tap count would pad windows with weight-0 taps: 0 * inf is NaN).
  auto uniform = [](const Taps& t) {
    return std::all_of(t.count.begin(), t.count.end(), [&](int64_t c) { return c == t.count[0]; });
  };
  const bool kernels_ok = !area || (uniform(taps[0]) && uniform(taps[1]) && uniform(taps[2]));
  const int64_t C = d.C;
  const bool cl = d.in_cl && C > 1;  // one channel: both layouts are the same memory
  const ResizeKernels& k = resize_kernels();
  const int64_t S = prod3(d.out), total = d.N * C * S;
  const bool same_layout = d.in_cl == d.out_cl || C == 1 || S == 1;
  const bool stream = k.lanes > 1 && total >= kStreamBytes / static_cast<int64_t>(sizeof(float));
  // Current extents, updated after each pass.
  int64_t ext[3] = {d.in[0], d.in[1], d.in[2]};
  const float* cur = d.x;
  int slot = 1;
  float* last_buf = nullptr;
  int remaining = 0;  // passes still to run; the last writes straight into y when no relayout follows
  for (int axis = 0; axis < 3; ++axis) remaining += ident[axis] ? 0 : 1;
  auto target = [&](int64_t count, bool last) {
    float* nxt = last && same_layout ? d.y : arena(slot, count, d.fn, "an interpolation pass");
    slot = slot == 1 ? 2 : 1;
    return nxt;
  };

  // W and H in one pass: channels-first, or channels-last with few channels, whose rows of
  // pixels are resampled as rows of floats (output float (j, c) from input floats s * C + c,
  // with pixel j's taps and weights: the same sums, where the separable W pass would handle
  // each pixel's C floats on its own).
  // Channels-last rows whose flattened taps need gathers: W pixel by pixel (wpix), each
  // output pixel's C floats combined from its source pixels'.
  RowPlan wplan;
  const int64_t fc = cl ? C : 1;  // floats per pixel along a row
  auto windowed = [&] { return std::none_of(wplan.kind.begin(), wplan.kind.end(), [](int32_t v) { return v == 2; }); };
  bool fuse = false, wpix = false;
  if (kernels_ok && (!ident[2] || !ident[1]) && (ident[1] || fusable_h(taps[1]))) {
    if (ident[2]) {
      fuse = true;
    } else if (build_plan(cl ? flatten(taps[2], C) : taps[2], d.in[2] * fc, d.out[2] * fc, k.lanes, k.wide3, wplan) &&
               (!cl || C < kFlatMaxC || windowed())) {
      fuse = true;
    } else if (cl) {
      fuse = wpix = pixel_taps(taps[2]);
    }
  }
  if (fuse) {
    const int passes = (ident[2] ? 0 : 1) + (ident[1] ? 0 : 1);
    const int64_t planes = d.N * (cl ? 1 : C) * ext[0];
    const int64_t count = checked_mul(checked_mul(planes * fc, d.out[1], d.fn), d.out[2], d.fn);
    remaining -= passes;
    float* nxt = target(count, remaining == 0);
    fused_wh(k, ident[2] || wpix ? nullptr : &wplan, ident[1] ? nullptr : &taps[1], cur, nxt, planes, ext[1], ext[2] * fc, d.out[1],
             d.out[2] * fc, stream && nxt == d.y, !cl && !ident[2] && is_dup2(taps[2], ext[2], d.out[2]),
             wpix ? &taps[2] : nullptr, C);
    ext[1] = d.out[1];
    ext[2] = d.out[2];
    cur = last_buf = nxt;
    ident[1] = ident[2] = true;
  }
  for (int axis = 2; axis >= 0; --axis) {
    if (ident[axis]) continue;
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
    float* nxt = target(count, --remaining == 0);
    if (inner == 1) {
      RowPlan plan;
      const bool planned = kernels_ok && build_plan(taps[axis], ext[axis], d.out[axis], k.lanes, k.wide3, plan);
      resample_last(k, planned ? &plan : nullptr, taps[axis], cur, nxt, outer, ext[axis], d.out[axis]);
    } else {
      resample_axis(k, taps[axis], cur, nxt, outer, ext[axis], d.out[axis], inner, stream && nxt == d.y);
    }
    ext[axis] = d.out[axis];
    cur = nxt;
    last_buf = nxt;
  }
  float* res = last_buf;
  if (area) {  // sums -> means: divide by the window size (product of the per-dim counts)
    float* r = res;
    auto cnt = [&](int i, int64_t j) { return taps[i].count.empty() ? int64_t{1} : taps[i].count[static_cast<size_t>(j)]; };
    // By rows of the output (one division per pixel, no index arithmetic: with three integer
    // divisions per pixel to find its row and column, this pass took 60% of a 2x downscale).
    const int64_t W = d.out[2], rows = d.N * (cl ? 1 : C) * d.out[0] * d.out[1], per = cl ? C : 1;
    parallel_for(rows, std::max<int64_t>(1, 4096 / (W * per)), [&](int64_t b, int64_t e) {
      for (int64_t row = b; row < e; ++row) {
        const int64_t h = row % d.out[1], z = row / d.out[1] % d.out[0];
        const int64_t zh = cnt(0, z) * cnt(1, h);
        float* rr = r + row * W * per;
        if (kernels_ok) {  // one window size: one divisor per row (a loop the compiler vectorizes)
          const float div = static_cast<float>(zh * cnt(2, 0));
          for (int64_t i = 0; i < W * per; ++i) rr[i] /= div;
          continue;
        }
        for (int64_t w = 0; w < W; ++w) {
          const float div = static_cast<float>(zh * cnt(2, w));
          for (int64_t c = 0; c < per; ++c) rr[w * per + c] /= div;
        }
      }
    });
  }
  if (!res) {  // every pass was the identity
    if (same_layout) std::memcpy(d.y, d.x, static_cast<size_t>(total) * sizeof(float));
    else transpose_layout(d.x, d.y, d.N, C, S, d.out_cl, true);
    return;
  }
  if (res == d.y) return;
  if (same_layout) std::memcpy(d.y, res, static_cast<size_t>(total) * sizeof(float));
  else transpose_layout(res, d.y, d.N, C, S, d.out_cl, true);
}

}  // namespace convkit
