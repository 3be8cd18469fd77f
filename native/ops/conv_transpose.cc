// Transposed convolution as the adjoint of the padded convolution: scatter every input
// pixel through the kernel onto the full (unpadded) output, then fold the padding back
// with the shared padding model — dropped for zeros, wrapped/mirrored/clamped otherwise.
// The SIMD paths split it into stride phases (stride-1 sub-convolutions, no zero-insertion
// waste). Phases with one sub-kernel shape merge into one convolution: through conv_fast's
// igemm (pixels in the lanes) or, on small maps, conv_transpose_pgemm (channels in the
// lanes, exactly the pixels that land in the output). Phases of several shapes (k3 s2) merge
// over the union of their taps, each reducing over its own (conv_transpose_ragged). Others
// run phase by phase.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

namespace {

int64_t gcd64(int64_t a, int64_t b) { return b == 0 ? a : gcd64(b, a % b); }

// One stride phase r of one dim: the taps t with t*d = u*s + r, as a stride-1 sub-kernel.
struct Phase {
  int64_t r = 0, k = 0, dil = 1, u0 = 0, umax = 0, Z = 0;
  std::vector<int64_t> tap;  // tap[t'] = original tap of sub-kernel position t' (flipped)
};

std::vector<Phase> phases_of(int64_t in, int64_t k, int64_t s, int64_t d) {
  const int64_t F = (in - 1) * s + d * (k - 1) + 1;
  std::vector<Phase> out(static_cast<size_t>(s));
  for (int64_t r = 0; r < s; ++r) {
    Phase& p = out[static_cast<size_t>(r)];
    p.r = r;
    p.Z = (F - r + s - 1) / s;
    std::vector<std::pair<int64_t, int64_t>> ut;  // (u, t)
    for (int64_t t = 0; t < k; ++t)
      if ((t * d) % s == r) ut.emplace_back((t * d - r) / s, t);
    p.k = static_cast<int64_t>(ut.size());
    if (!p.k) continue;
    p.dil = d / gcd64(s, d);
    p.u0 = ut.front().first;
    p.umax = ut.back().first;
    for (int64_t j = p.k - 1; j >= 0; --j) p.tap.push_back(ut[static_cast<size_t>(j)].second);
  }
  return out;
}

// The merged form (PhaseStore): merged channel oc * nph + ph holds phase ph's taps of
// output channel oc, [Cout * nph, Cin/g, k'...]. src_tap[ph * kv + pos] = the original tap
// of sub-kernel position pos (taps flipped, as phases_of lists them).
std::vector<int64_t> phase_src_taps(const ConvTransposeDesc& d, const std::vector<Phase>* ph) {
  const int64_t kv = ph[0][0].k * ph[1][0].k * ph[2][0].k;
  std::vector<int64_t> src(static_cast<size_t>(prod3(d.k)));
  for (const Phase& p0 : ph[0])
    for (const Phase& p1 : ph[1])
      for (const Phase& p2 : ph[2]) {
        const int64_t phi = (p0.r * d.stride[1] + p1.r) * d.stride[2] + p2.r;
        for (int64_t a = 0; a < p0.k; ++a)
          for (int64_t b = 0; b < p1.k; ++b)
            for (int64_t e = 0; e < p2.k; ++e)
              src[static_cast<size_t>(phi * kv + (a * p1.k + b) * p2.k + e)] =
                  (p0.tap[static_cast<size_t>(a)] * d.k[1] + p1.tap[static_cast<size_t>(b)]) * d.k[2] + p2.tap[static_cast<size_t>(e)];
      }
  return src;
}

// Phases of every dim; true when they merge (same sub-kernel shape in each dim). Whether a
// call may take the merged path also needs zeros padding and no outputPadding.
bool merged_phases(const ConvTransposeDesc& d, std::vector<Phase>* ph) {
  bool merged = true;
  for (int i = 0; i < 3; ++i) {
    ph[i] = phases_of(d.in[i], d.k[i], d.stride[i], d.dil[i]);
    for (const Phase& p : ph[i])
      merged = merged && p.k > 0 && p.k == ph[i][0].k && p.u0 == ph[i][0].u0 && p.dil == ph[i][0].dil;
  }
  return merged;
}

// The PhaseStore of d's merged phases, for packing (its output fields still to be set).
// src_tap: phase_src_taps for phases of one shape; null for ragged ones (kv, src_tap unset).
PhaseStore phase_store(const ConvTransposeDesc& d, const std::vector<int64_t>* src_tap) {
  PhaseStore ps{};
  for (int i = 0; i < 3; ++i) {
    ps.s[i] = d.stride[i]; ps.pb[i] = d.pb[i]; ps.out[i] = d.out[i];
  }
  ps.nph = d.stride[0] * d.stride[1] * d.stride[2];
  ps.Cout = d.Cout;
  ps.cig = d.Cin / d.groups;
  ps.cog = d.Cout / d.groups;
  ps.K = prod3(d.k);
  if (src_tap) {
    ps.kv = ps.K / ps.nph;
    ps.src_tap = src_tap->data();
  }
  return ps;
}

// The merged phases as one stride-1 convolution with Cout * nph output channels (PhaseStore),
// over the union of the phases' taps: pixel z reads input z - u at kernel position
// (umax - u) / dil, u from the smallest u0 to the largest umax of the phases (for phases of
// one shape, exactly their sub-kernel). Every phase of a dim steps its u by the same dil.
ConvDesc merged_conv(const ConvTransposeDesc& d, const std::vector<Phase>* ph) {
  ConvDesc c;
  c.fn = d.fn;
  c.rank = d.rank;
  c.N = d.N; c.Cin = d.Cin; c.Cout = d.Cout * d.stride[0] * d.stride[1] * d.stride[2]; c.groups = d.groups;
  for (int i = 0; i < 3; ++i) {
    int64_t Z = 0, umin = INT64_MAX, umax = 0;
    for (const Phase& p : ph[i])
      if (p.k > 0) {
        Z = std::max(Z, p.Z);
        umin = std::min(umin, p.u0);
        umax = std::max(umax, p.umax);
      }
    const int64_t dil = ph[i][0].dil;
    c.in[i] = d.in[i]; c.k[i] = (umax - umin) / dil + 1; c.stride[i] = 1; c.dil[i] = dil;
    c.pb[i] = umax; c.pa[i] = Z - d.in[i] - umin; c.out[i] = Z;
  }
  return c;
}

// The merged phases through conv_fast (its igemm; PhaseStore's epilogue). w_rows: the merged
// rows packed by pack_conv_transpose; null: conv_fast's items pack their own (ps.w_t).
bool conv_transpose_merged(const ConvTransposeDesc& d, const float* x, float* y, const std::vector<Phase>* ph,
                           const float* w_rows) {
  const std::vector<int64_t> src_tap = phase_src_taps(d, ph);
  PhaseStore ps = phase_store(d, &src_tap);
  ps.bias = d.bias;
  ps.y = y;
  ps.w_t = w_rows ? nullptr : d.w;
  return conv_fast(merged_conv(d, ph), x, w_rows, nullptr, nullptr, nullptr, &ps);
}

// The pixel-major plan of merged phases (conv_transpose_pgemm). Per dim i and phase r: the
// pixels z in [zlo, zhi) that land inside the output (at z * s + r - pb). The input is read
// zero-extended, coordinate c of extent E[i] holding input c - umax, so that pixel z's
// sub-kernel position j reads c = z + j * dil. Work items: (image, group, panel of PR output
// channels, band of lines), every phase in each; a line is one (z0, z1) of a phase's pixels.
struct PhasePanels {
  static constexpr int64_t kChunk = 64;  // reduction indices per pass (see conv_transpose_pgemm)
  static constexpr int64_t kMaxSums = 32 << 10;  // floats of a band's tile sums (128 KiB: 128 tiles on AVX-512)
  int64_t PM = 0, PR = 0, nph = 0, cig = 0, cog = 0, kv = 0, K = 0, npanel = 0;
  int64_t ks[3]{}, dil[3]{}, umax[3]{}, E[3]{};
  std::vector<int64_t> zlo[3], zhi[3];
  int64_t lines_per_band = 1, nbands = 1, max_tiles = 1;  // max_tiles: a band's, all phases
  int64_t tile_cap = 1;  // a band's tiles at most: kMaxSums floats of sums
  std::vector<int64_t> src_tap;  // phase_src_taps
  int64_t lines(int64_t r0, int64_t r1) const {
    return std::max<int64_t>(0, zhi[0][static_cast<size_t>(r0)] - zlo[0][static_cast<size_t>(r0)]) *
           std::max<int64_t>(0, zhi[1][static_cast<size_t>(r1)] - zlo[1][static_cast<size_t>(r1)]);
  }
  int64_t len(int64_t r2) const { return std::max<int64_t>(0, zhi[2][static_cast<size_t>(r2)] - zlo[2][static_cast<size_t>(r2)]); }
  int64_t parts(int64_t r2) const { return (len(r2) + PM - 1) / PM; }  // tiles per line
};

// threads > 0: bands also small enough to give every thread items (the sums do not depend on
// the bands); 0: the plan's shapes alone.
PhasePanels phase_panels(const ConvTransposeDesc& d, const std::vector<Phase>* ph, const KernelTable& kt, int threads) {
  PhasePanels pp;
  pp.PM = kt.pgemm_mr; pp.PR = kt.pgemm_nr;
  pp.nph = prod3(d.stride);
  pp.cig = d.Cin / d.groups; pp.cog = d.Cout / d.groups;
  pp.src_tap = phase_src_taps(d, ph);
  for (int i = 0; i < 3; ++i) {
    pp.ks[i] = ph[i][0].k; pp.dil[i] = ph[i][0].dil; pp.umax[i] = ph[i][0].umax;
    const int64_t s = d.stride[i];
    int64_t top = 0;
    for (int64_t r = 0; r < s; ++r) {
      pp.zlo[i].push_back((d.pb[i] - r + s - 1) / s);
      pp.zhi[i].push_back(std::min(ph[i][static_cast<size_t>(r)].Z, (d.out[i] + d.pb[i] - r + s - 1) / s));
      top = std::max(top, pp.zhi[i].back());
    }
    pp.E[i] = top + (pp.ks[i] - 1) * pp.dil[i];
  }
  pp.kv = pp.ks[0] * pp.ks[1] * pp.ks[2];
  pp.K = pp.cig * pp.kv;
  pp.npanel = (pp.cog + pp.PR - 1) / pp.PR;
  // Bands of lines whose tiles (every phase's) hold at most kMaxSums floats of sums, so that a
  // panel's weights are packed and read few times (W8 on AVX-512: 4 phases x 16 lines x 2
  // tiles of 8 x 32, one band; two bands of 64 KiB measured ~5% slower at 1 thread. On AVX2,
  // tiles of 4 x 24: 341 tiles, 2 bands, where a cap of 128 tiles made 4, each packing the
  // panel's weights again: in-process A/B on Zen 3, 0.91x the time at 1 thread, 0.96x at 2,
  // the prepared layer 0.97x; one band of 512 alike), unless the threads need more items.
  int64_t max_lines = 1, tiles_per_line = 0;  // (a line index of every phase)
  for (int64_t a = 0; a < d.stride[0]; ++a)
    for (int64_t b = 0; b < d.stride[1]; ++b) max_lines = std::max(max_lines, pp.lines(a, b));
  for (int64_t c = 0; c < d.stride[2]; ++c) tiles_per_line += pp.parts(c);
  tiles_per_line *= d.stride[0] * d.stride[1];
  pp.tile_cap = PhasePanels::kMaxSums / (pp.PM * pp.PR);
  pp.lines_per_band = std::max<int64_t>(1, pp.tile_cap / std::max<int64_t>(1, tiles_per_line));
  if (threads > 1) {
    const int64_t per_band = d.N * d.groups * pp.npanel, want = (threads + per_band - 1) / per_band;
    pp.lines_per_band = std::min(pp.lines_per_band, std::max<int64_t>(1, (max_lines + want - 1) / want));
  }
  pp.lines_per_band = std::min(pp.lines_per_band, max_lines);
  pp.nbands = (max_lines + pp.lines_per_band - 1) / pp.lines_per_band;
  pp.max_tiles = pp.lines_per_band * std::max<int64_t>(1, tiles_per_line);
  return pp;
}

// Whether the merged phases run faster through the pgemm (conv_transpose_pgemm) than through
// conv_fast's igemm: the lanes each fills per reduction index and output channel, as conv_fast
// counts them for the pgemm (igemm_lanes), weighed by the same pgemm_min_ratio. W8 (16x16 ->
// 32x32, k4 s2 p1): 320 igemm lanes for 256 pixels a phase, 1.25 -> the pgemm; W7 (k2 s2,
// 1x1 phases over 64x64): 4096 for 4096 -> the igemm, whose epilogue streams whole rows.
// Depends on the shapes and the ISA alone, never on the thread count.
bool phase_pgemm_pays(const ConvTransposeDesc& d, const std::vector<Phase>* ph, const KernelTable& kt) {
  if (!kt.pgemm || d.Cout / d.groups < kt.pgemm_nr / 2) return false;
  const PhasePanels pp = phase_panels(d, ph, kt, 0);
  if (pp.max_tiles > pp.tile_cap) return false;  // long lines: their tile sums would not fit
  double lanes_pg = 0;
  for (int64_t a = 0; a < d.stride[0]; ++a)
    for (int64_t b = 0; b < d.stride[1]; ++b)
      for (int64_t c = 0; c < d.stride[2]; ++c)
        if (pp.len(c) > 0) lanes_pg += static_cast<double>(pp.lines(a, b) * pgemm_run_lanes(pp.len(c), kt));
  lanes_pg /= static_cast<double>(pp.nph);
  return lanes_pg > 0 && static_cast<double>(igemm_lanes(merged_conv(d, ph), kt)) >= kt.pgemm_min_ratio * lanes_pg;
}

// Every phase's weights of panel `panel` of group g (output channels panel * PR .. + PR of the
// group, zero past its last) for the reduction indices k0 .. k0 + kc of k = (ic, pos), k-major:
// out[phi * phase_ld + (k - k0) * PR + j] = w[ic][oc][src_tap[phi * kv + pos]], from the
// transposed weight. Each input channel's [PR][taps] block is read once, transposed into t
// (taps x PR floats, scratch), and its rows dealt to the phases.
void pack_phase_panels(const ConvTransposeDesc& d, const PhasePanels& pp, const KernelTable& kt, int64_t g, int64_t panel,
                       int64_t k0, int64_t kc, float* out, int64_t phase_ld, float* t) {
  const int64_t PR = pp.PR, kv = pp.kv, Kfull = prod3(d.k), oc0 = panel * PR, jn = std::min(PR, pp.cog - oc0);
  if (jn < PR)
    for (int64_t tap = 0; tap < Kfull; ++tap) std::fill(t + tap * PR + jn, t + (tap + 1) * PR, 0.f);
  for (int64_t ic = k0 / kv; ic * kv < k0 + kc; ++ic) {
    kt.transpose(d.w + ((g * pp.cig + ic) * pp.cog + oc0) * Kfull, Kfull, t, PR, jn, Kfull);
    const int64_t p0 = std::max<int64_t>(0, k0 - ic * kv), p1 = std::min(kv, k0 + kc - ic * kv);
    for (int64_t phi = 0; phi < pp.nph; ++phi)
      for (int64_t pos = p0; pos < p1; ++pos) {
        const float* __restrict src = t + pp.src_tap[static_cast<size_t>(phi * kv + pos)] * PR;
        float* __restrict dst = out + phi * phase_ld + (ic * kv + pos - k0) * PR;
        for (int64_t j = 0; j < PR; ++j) dst[j] = src[j];
      }
  }
}

// The merged phases through the pgemm (output channels in the lanes, pixels in tiles of <= PM
// along each line): each item computes exactly the phase pixels that land in the output,
// where the igemm's flat pixel lanes would also cover pixels past the output's edges, the
// padding columns and tile remainders. Then each pixel goes to its place, plus the bias.
// The reduction runs in chunks of kChunk, the phases' weights of a chunk packed together
// (W8: 4 x 8 KiB, in L1 while the tiles use them; chunks of 128 measured alike, with twice
// the scratch); every pixel's sum is the same chain of chunks whatever the item or thread. wpk: the panels packed by pack_conv_transpose
// ([g][panel][phase][K][PR]); null: each item packs its panel's chunks right before use.
void conv_transpose_pgemm(const ConvTransposeDesc& d, const float* x, float* y, const std::vector<Phase>* ph,
                          const float* wpk) {
  const KernelTable& kt = kernels();
  const int threads = get_num_threads();
  const PhasePanels pp = phase_panels(d, ph, kt, threads);
  const int64_t PM = pp.PM, PR = pp.PR, K = pp.K, nph = pp.nph, cig = pp.cig, cog = pp.cog, kChunk = pp.kChunk;
  const int64_t* E = pp.E;
  const int64_t Eb = checked_mul(checked_mul(E[0], E[1], d.fn), E[2], d.fn), Sin = prod3(d.in), Sout = prod3(d.out), Kfull = prod3(d.k);

  // Per thread: the chunk's packed weights (every phase) and the transpose scratch, then the
  // band's tile sums and one tile transposed.
  const int64_t pack = wpk ? 0 : nph * kChunk * PR + Kfull * PR;
  const int64_t per_thread_base = pack + pp.max_tiles * PM * PR + PM * PR;
  // The input zero-extended: coordinate c of dim i holds input c - umax[i] (a negative
  // `after` crops what no pixel reads). Made once for every (image, group) by the pad op;
  // or, where that would take the call's scratch past its output's size (W8 at 2 threads:
  // 332 KB, and 2 x 125 KB per thread, against a 512 KB output), per item and reduction
  // chunk, only the chunk's input channels (slot_cap of them), into a per-thread buffer
  // whose zeros are written once. W8 at 2 threads: extra memory 1.11x -> 0.60x of the
  // output (its ConvTranspose2d 1.01x -> 0.50x); in-process A/B, same bits: 0.98x the time,
  // the layer 0.95-0.97x. (At 1 thread, where the whole buffer fits, per chunk took
  // 1.01x / 1.01-1.02x.)
  const int64_t slot_cap = max_chunk_channels(K, kChunk, pp.kv);
  const bool chunked = checked_mul(d.N * d.Cin, Eb, d.fn) + threads * per_thread_base > checked_mul(d.N * d.Cout, Sout, d.fn);
  const int64_t cbuf = chunked ? slot_cap * Eb : 0;
  float* buf = chunked ? nullptr : arena(2, checked_mul(d.N * d.Cin, Eb, d.fn), d.fn, "the zero-extended input");
  int64_t ext[3];  // the input's extent inside the buffer, per dim
  for (int i = 0; i < 3; ++i) ext[i] = std::min(d.in[i], E[i] - pp.umax[i]);
  if (!chunked) {
    PadDesc zx;
    zx.fn = d.fn;
    zx.rank = d.rank;
    zx.N = d.N; zx.C = d.Cin;
    for (int i = 0; i < 3; ++i) {
      zx.in[i] = d.in[i]; zx.before[i] = pp.umax[i]; zx.out[i] = E[i]; zx.after[i] = E[i] - d.in[i] - pp.umax[i];
    }
    zx.x = x; zx.y = buf;
    pad_forward(zx);
  }
  // Offsets of the reduction indices k = (ic, pos) in a group's buffer.
  std::vector<int64_t> off(static_cast<size_t>(K));
  for (int64_t ic = 0, k = 0; ic < cig; ++ic)
    for (int64_t a = 0; a < pp.ks[0]; ++a)
      for (int64_t b = 0; b < pp.ks[1]; ++b)
        for (int64_t c = 0; c < pp.ks[2]; ++c)
          off[static_cast<size_t>(k++)] = ic * Eb + ((a * pp.dil[0]) * E[1] + b * pp.dil[1]) * E[2] + c * pp.dil[2];

  const int64_t per_thread = per_thread_base + cbuf;  // (the chunk's input last)
  float* scr = arena(0, checked_mul(threads, per_thread, d.fn), d.fn, "the per-thread tiles");
  const int64_t rows_len = chunked ? std::min(K, kChunk) : K;
  std::vector<const float*> rows_all(static_cast<size_t>(threads * rows_len));
  // per thread: 3 per tile (flat pixel, pixels, output pixel), then each phase's first tile
  const int64_t tl_len = 3 * pp.max_tiles + nph + 1;
  std::vector<int64_t> tiles_all(static_cast<size_t>(threads * tl_len));
  std::vector<char> zeroed(static_cast<size_t>(threads), 0);  // (chunked) the thread's buffer's zeros written
  note_scratch(static_cast<int64_t>(rows_all.size() * sizeof(const float*) + (off.size() + tiles_all.size()) * sizeof(int64_t)));
  const int64_t nbands = pp.nbands, npanel = pp.npanel, items = d.N * d.groups * npanel * nbands;
  parallel_for_tid(items, 1, threads, [&](int tid, int64_t b0, int64_t b1) {
    float* wp = scr + tid * per_thread;
    float* tr = wp + nph * kChunk * PR;
    float* ct = wp + pack;
    float* tt = ct + pp.max_tiles * PM * PR;  // a tile transposed
    float* cb = wp + per_thread_base;           // (chunked) the chunk's input channels
    const float** rows = rows_all.data() + tid * rows_len;
    int64_t* tl = tiles_all.data() + tid * tl_len;
    int64_t* first = tl + 3 * pp.max_tiles;
    int64_t rows_of = -1;
    for (int64_t it = b0; it < b1; ++it) {
      const int64_t band = it % nbands, panel = it / nbands % npanel, ng = it / (nbands * npanel);
      const int64_t n = ng / d.groups, g = ng % d.groups;
      if (!chunked && rows_of != ng) {
        rows_of = ng;
        const float* base = buf + (n * d.Cin + g * cig) * Eb;
        for (int64_t k = 0; k < K; ++k) rows[k] = base + off[static_cast<size_t>(k)];
      }
      // The band's tiles, phase by phase.
      int64_t nt = 0;
      for (int64_t phi = 0; phi < nph; ++phi) {
        first[phi] = nt;
        const int64_t r2 = phi % d.stride[2], r1 = phi / d.stride[2] % d.stride[1], r0 = phi / (d.stride[2] * d.stride[1]);
        const int64_t z0lo = pp.zlo[0][static_cast<size_t>(r0)], z1lo = pp.zlo[1][static_cast<size_t>(r1)];
        const int64_t z2lo = pp.zlo[2][static_cast<size_t>(r2)], len = pp.len(r2), parts = pp.parts(r2);
        const int64_t n1 = std::max<int64_t>(1, pp.zhi[1][static_cast<size_t>(r1)] - z1lo);
        const int64_t l0 = band * pp.lines_per_band, l1 = std::min(pp.lines(r0, r1), l0 + pp.lines_per_band);
        for (int64_t l = l0; l < l1; ++l) {
          const int64_t z0 = z0lo + l / n1, z1 = z1lo + l % n1;
          const int64_t yrow = ((z0 * d.stride[0] + r0 - d.pb[0]) * d.out[1] + z1 * d.stride[1] + r1 - d.pb[1]) * d.out[2];
          for (int64_t t = 0, a = 0; t < parts; ++t) {
            const int64_t bnd = len * (t + 1) / parts;
            tl[3 * nt] = (z0 * E[1] + z1) * E[2] + z2lo + a;
            tl[3 * nt + 1] = bnd - a;
            tl[3 * nt + 2] = yrow + (z2lo + a) * d.stride[2] + r2 - d.pb[2];
            a = bnd;
            ++nt;
          }
        }
      }
      first[nph] = nt;
      if (nt == 0) continue;
      const float* panel_w = wpk ? wpk + (g * npanel + panel) * nph * K * PR : nullptr;
      const int64_t jn = std::min(PR, cog - panel * PR);  // the panel's output channels
      for (int64_t k0 = 0; k0 < K; k0 += kChunk) {
        const int64_t kc = std::min(kChunk, K - k0);
        if (!wpk) pack_phase_panels(d, pp, kt, g, panel, k0, kc, wp, kChunk * PR, tr);
        const float* const* rk = rows + k0;
        if (chunked) {  // the chunk's input channels, zero-extended, and their rows
          if (!zeroed[static_cast<size_t>(tid)]) {
            std::fill(cb, cb + cbuf, 0.f);
            zeroed[static_cast<size_t>(tid)] = 1;
          }
          int64_t ic_lo = 0, ic_hi = 0;
          chunk_channels(k0, kc, pp.kv, &ic_lo, &ic_hi);
          for (int64_t ic = ic_lo; ic < ic_hi; ++ic) {
            const float* xc = x + (n * d.Cin + g * cig + ic) * Sin;
            float* bc = cb + (ic - ic_lo) * Eb + (pp.umax[0] * E[1] + pp.umax[1]) * E[2] + pp.umax[2];
            for (int64_t z0 = 0; z0 < ext[0]; ++z0)
              for (int64_t z1 = 0; z1 < ext[1]; ++z1)
                copy_short(xc + (z0 * d.in[1] + z1) * d.in[2], bc + (z0 * E[1] + z1) * E[2], ext[2]);
          }
          for (int64_t k = 0; k < kc; ++k) rows[k] = cb + (off[static_cast<size_t>(k0 + k)] - ic_lo * Eb);
          rk = rows;
        }
        // (The tiles compute the panel's jn channels only: W8's last panel holds 8 of 24;
        // in-process A/B, 0.95-0.97x the time at 1 thread, 0.92-0.98x at 2; same bits.)
        // Unless prepared, the next chunk's weight blocks ([PR][taps] per input channel, read
        // by the next pack_phase_panels) are fetched while this chunk's tiles run, a few lines
        // per tile (in-process A/B, W8 on Zen 3: 0.89-0.94x the time at 1 thread, 0.96-1.0x
        // at 2; same bits).
        const int64_t blk_lines = (jn * Kfull * 4 + 63) / 64;  // one input channel's block
        const int64_t nic0 = (k0 + kc) / pp.kv, nic1 = std::min(cig, (k0 + kc + kChunk + pp.kv - 1) / pp.kv);
        const int64_t nlines = wpk ? 0 : std::max<int64_t>(0, nic1 - nic0) * blk_lines;
        const char* wnext = nlines ? reinterpret_cast<const char*>(d.w + ((g * cig + nic0) * cog + panel * PR) * Kfull) : nullptr;
        Shares fetch(nlines, nt, 0);
        int64_t fblk = 0, fline = 0;  // the next line to fetch: line fline of block fblk (counted, not divided out)
        // Prepared panels: each phase's next chunk fetched into L2 over that phase's tiles
        // (as conv_fast's pixel-major path; W8's ConvTranspose2d, in-process A/B: 0.98x the
        // time at 1 thread, 0.95-0.99x at 2; same bits).
        const bool pfx = wpk && k0 + kc < K;
        const int64_t nkc = std::min(kChunk, K - k0 - kc), plines = pfx ? (nkc * PR * 4 + 63) / 64 : 0;
        for (int64_t phi = 0; phi < nph; ++phi) {
          const float* w = wpk ? panel_w + (phi * K + k0) * PR : wp + phi * kChunk * PR;
          const char* pn = pfx ? reinterpret_cast<const char*>(panel_w + (phi * K + k0 + kc) * PR) : nullptr;
          Shares next_chunk(plines, first[phi + 1] - first[phi], 0);  // (over the phase's tiles)
          for (int64_t t = first[phi]; t < first[phi + 1];) {
            // A last panel of one vector of channels (W8's 128 = 5 x 24 + 8): runs of tiles
            // in one call (pgemm_run; their sums are consecutive too). In-process A/B, W8, 1 /
            // 2 threads: 0.975-0.98x / 1.0x the time, the layer 0.965-0.97x / 0.99x; same bits.
            int64_t px = 0;
            const int64_t tn = pgemm_run(kt, tl, t, first[phi + 1], PM, jn, &px);
            for (int64_t u = t; u < t + tn; ++u) {
              next_chunk.take(u - first[phi], [&](int64_t l) { __builtin_prefetch(pn + l * 64, 0, 2); });
              fetch.take(u, [&](int64_t) {
                __builtin_prefetch(wnext + fblk * cog * Kfull * 4 + fline * 64, 0, 2);
                if (++fline == blk_lines) fline = 0, ++fblk;
              });
            }
            kt.pgemm(kc, w, rk, tl[3 * t], px, ct + t * PM * PR, k0 > 0, 1, jn, nullptr, 0);
            t += tn;
          }
        }
      }
      const int64_t s2 = d.stride[2];
      // Each tile's [pixel][channel] sums transposed (in L1) to [channel][pixel], then each
      // channel's pixels to their places, plus the bias (store_phase_row's sum). Channel by
      // channel straight from the tiles, each load was a line of its own across the band's
      // tiles (in-process A/B, W8: 0.95-0.98x the time at 1 thread, 0.96-1.03x at 2; same bits).
      float* yb = y + (n * d.Cout + g * cog + panel * PR) * Sout;
      const float* bb = d.bias ? d.bias + g * cog + panel * PR : nullptr;
      for (int64_t t = 0; t < nt; ++t) {
        const int64_t len = tl[3 * t + 1];
        kt.transpose(ct + t * PM * PR, PR, tt, PM, len, jn);
        for (int64_t j = 0; j < jn; ++j) {
          float* yo = yb + j * Sout + tl[3 * t + 2];
          const float bv = bb ? bb[j] : 0.f;
          const float* src = tt + j * PM;
          for (int64_t i = 0; i < len; ++i) yo[i * s2] = src[i] + bv;
        }
      }
    }
  });
}

}  // namespace

void pack_ragged_rows(const PhaseStore& ps, int64_t g, int64_t ocb0, int64_t ocb1, float* out) {
  const int64_t cig = ps.cig, cog = ps.cog, K = ps.K, MR = kernels().igemm_mr, nph = ps.nph;
  const float* wg = ps.w_t + g * cig * cog * K;
  for (int64_t ocb = ocb0; ocb < ocb1; ++ocb)
    for (int64_t q = 0; q < nph; ++q) {
      const int64_t k0 = ps.koff[q], kp = ps.koff[q + 1] - k0;
      const int64_t* __restrict tap = ps.ktap + k0;
      for (int64_t i = 0; i < MR; ++i, out += kp) {
        const float* __restrict wo = wg + (ocb * MR + i) * K;
        float* __restrict o = out;
        for (int64_t k = 0; k < kp; ++k) o[k] = wo[tap[k]];
      }
    }
}

void pack_phase_rows(const PhaseStore& ps, const float* w_t, int64_t g, int64_t j0, int64_t j1, float* out) {
  // Locals and __restrict: the build has -fno-strict-aliasing, and the stores would
  // otherwise make the compiler reload every pointer and index on each element.
  const int64_t cig = ps.cig, cog = ps.cog, K = ps.K, kv = ps.kv, nph = ps.nph;
  for (int64_t j = j0; j < j1; ++j) {
    const int64_t* __restrict src = ps.src_tap + (j % nph) * kv;
    const float* __restrict wt = w_t + (g * cig * cog + j / nph) * K;  // input channel 0 of oc
    float* __restrict o = out + (j - j0) * cig * kv;
    for (int64_t ic = 0; ic < cig; ++ic, wt += cog * K, o += kv)
      for (int64_t pos = 0; pos < kv; ++pos) o[pos] = wt[src[pos]];
  }
}

std::vector<float> pack_conv_transpose(const ConvTransposeDesc& d, bool* panels) {
  *panels = false;
  std::vector<Phase> ph[3];
  if (!merged_phases(d, ph)) return {};
  const KernelTable& kt = kernels();
  if (phase_pgemm_pays(d, ph, kt)) {  // conv_transpose_pgemm's panels, [g][panel][phase][K][PR]
    const PhasePanels pp = phase_panels(d, ph, kt, 0);
    const int64_t per = pp.nph * pp.K * pp.PR, count = checked_mul(d.groups * pp.npanel, per, d.fn);
    std::vector<float> w = scratch(count, d.fn, "the packed weight");
    std::vector<float> t(static_cast<size_t>(prod3(d.k) * pp.PR));
    for (int64_t it = 0; it < d.groups * pp.npanel; ++it)
      pack_phase_panels(d, pp, kt, it / pp.npanel, it % pp.npanel, 0, pp.K, w.data() + it * per, pp.K * pp.PR, t.data());
    *panels = true;
    return w;
  }
  const int64_t nph = d.stride[0] * d.stride[1] * d.stride[2], cig = d.Cin / d.groups, cog = d.Cout / d.groups;
  std::vector<float> w = scratch(checked_mul(d.Cout, cig * prod3(d.k), d.fn), d.fn, "the packed weight");
  const std::vector<int64_t> src_tap = phase_src_taps(d, ph);
  const PhaseStore ps = phase_store(d, &src_tap);
  const int64_t rows = cog * nph;  // merged rows per group
  parallel_for(d.groups * cog, 1, [&](int64_t b, int64_t e) {
    for (int64_t it = b; it < e; ++it) {
      const int64_t g = it / cog, j0 = it % cog * nph;  // the nph rows of one output channel
      pack_phase_rows(ps, d.w, g, j0, j0 + nph, w.data() + (g * rows + j0) * cig * ps.kv);
    }
  });
  return w;
}

// Stride-phase decomposition (no zero-insertion waste): the full output of phase (r0,r1,r2)
// is a stride-1 convolution of x with the taps t*d = u*s + r, flipped; each runs through
// the SIMD conv driver, then lands in the output (folded by the padding model).
// Phases of different sub-kernel shapes (k3 s2: 2x2, 2x1, 1x2, 1x1) merged over the union
// of their taps (PhaseStore::ragged): one conv_fast pass, one gather of each band, and each
// phase's blocks reducing over its own taps only, in its own conv's order (the same sums as
// phase by phase). Needs every output pixel reached (the caller's check), unit dilation and
// whole igemm blocks of output channels; false otherwise, and nothing written.
bool conv_transpose_ragged(const ConvTransposeDesc& d, const float* x, float* y, const std::vector<Phase>* ph) {
  const KernelTable& kt = kernels();
  const int64_t MR = kt.igemm_mr, cig = d.Cin / d.groups, cog = d.Cout / d.groups, nph = prod3(d.stride);
  if (MR < 1 || cog % MR != 0) return false;
  for (int i = 0; i < 3; ++i) {
    if (d.dil[i] != 1) return false;
    for (const Phase& p : ph[i])
      if (p.k < 1) return false;
  }
  const ConvDesc c = merged_conv(d, ph);  // the union of the phases' taps (unit dilation: positions umax - u)
  const int64_t* umax = c.pb;             // (merged_conv's pb: each dim's largest u)
  const int64_t* ku = c.k;
  // Each phase's reduction indices into the union kernel, in its own order (ic, then its
  // sub-kernel positions), and the weights per group, block of MR output channels and phase.
  const int64_t KU = prod3(ku), K = prod3(d.k), Kr = cig * K;
  std::vector<int64_t> koff(static_cast<size_t>(nph + 1), 0), kidx(static_cast<size_t>(Kr)), ktap(static_cast<size_t>(Kr));
  for (int64_t q = 0; q < nph; ++q) {
    const Phase& p0 = ph[0][static_cast<size_t>(q / (d.stride[1] * d.stride[2]))];
    const Phase& p1 = ph[1][static_cast<size_t>(q / d.stride[2] % d.stride[1])];
    const Phase& p2 = ph[2][static_cast<size_t>(q % d.stride[2])];
    int64_t at = koff[static_cast<size_t>(q)];
    for (int64_t ic = 0; ic < cig; ++ic)
      for (int64_t a = 0; a < p0.k; ++a)
        for (int64_t b = 0; b < p1.k; ++b)
          for (int64_t e = 0; e < p2.k; ++e, ++at) {
            kidx[static_cast<size_t>(at)] = ic * KU + ((a + umax[0] - p0.umax) * ku[1] + (b + umax[1] - p1.umax)) * ku[2] + (e + umax[2] - p2.umax);
            ktap[static_cast<size_t>(at)] = ic * cog * K + (p0.tap[static_cast<size_t>(a)] * d.k[1] + p1.tap[static_cast<size_t>(b)]) * d.k[2] +
                                            p2.tap[static_cast<size_t>(e)];  // in w [Cin, Cout/g, k...], from (g, ic 0, oc 0)
          }
    koff[static_cast<size_t>(q) + 1] = at;
  }
  PhaseStore ps = phase_store(d, nullptr);
  ps.bias = d.bias;
  ps.y = y;
  ps.ragged = true;
  ps.koff = koff.data();
  ps.kidx = kidx.data();
  ps.ktap = ktap.data();
  ps.w_t = d.w;  // (packed by conv_fast's items, or once up front: pack_ragged_rows)
  return conv_fast(c, x, nullptr, nullptr, nullptr, nullptr, &ps);
}

bool conv_transpose_fast(const ConvTransposeDesc& d, const float* x, float* y) {
  const int64_t cig = d.Cin / d.groups, cog = d.Cout / d.groups, K = prod3(d.k);
  std::vector<Phase> ph[3];
  const bool mergeable = merged_phases(d, ph);
  int64_t full[3];
  for (int i = 0; i < 3; ++i) full[i] = (d.in[i] - 1) * d.stride[i] + d.dil[i] * (d.k[i] - 1) + 1;
  const int64_t Sout = prod3(d.out);
  bool covered = d.mode == PadMode::kZeros;
  for (int i = 0; i < 3; ++i) {
    covered = covered && d.opad[i] == 0;
    for (const Phase& p : ph[i]) covered = covered && p.k > 0;
  }
  // Phases with one common sub-kernel shape per dim: one merged convolution (PhaseStore).
  if (covered && mergeable) {
    // (A packed weight serves the path it was packed for; the other packs per call.)
    if (phase_pgemm_pays(d, ph, kernels())) {
      conv_transpose_pgemm(d, x, y, ph, d.w_packed_panels ? d.w_packed : nullptr);
      return true;
    }
    return conv_transpose_merged(d, x, y, ph, d.w_packed_panels ? nullptr : d.w_packed);
  }

  // Every output pixel is exactly one phase pixel: zeros padding, every phase with taps, and
  // each output coordinate + pb inside the full extent (an outputPadding that adds no
  // unreached row or column, as k3 s2 p1 with outputPadding 1: 2x upsampling).
  bool reached = d.mode == PadMode::kZeros;
  for (int i = 0; i < 3; ++i) {
    reached = reached && d.out[i] + d.pb[i] <= full[i];
    for (const Phase& p : ph[i]) reached = reached && p.k > 0;
  }
  std::vector<int64_t> map[3];
  for (int i = 0; i < 3; ++i) map[i] = pad_index_map(d.mode, d.out[i], d.pb[i], d.pa[i]);
  if (!reached) {  // positions no phase reaches keep the bias; folds accumulate onto zeros
    parallel_for(d.N * d.Cout, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t)
        std::fill(y + t * Sout, y + (t + 1) * Sout, d.mode == PadMode::kZeros && d.bias ? d.bias[t % d.Cout] : 0.f);
    });
  }
  // Phases of several shapes, every output pixel reached: merged over the union of their taps.
  // (In-process A/B against phase by phase, same bits: k3 s2 p1 outputPadding 1, 64 channels,
  // 56x56 -> 112x112: 0.84x the time at 1 thread, 0.73x at 2; 1-D 0.85x / 0.81x, 3-D 0.77x /
  // 0.51x, k5 s2 0.91x / 0.79x.) Else phase by phase, below.
  if (reached && conv_transpose_ragged(d, x, y, ph)) return true;
  // Every phase's sub-kernel [Cout, Cin/g, k'...] in one pass over the transposed weight
  // [Cin, Cout/g, k...]: each weight row (all taps of one (ic, oc)) is read once and its taps
  // are dealt to their phases; per output channel, so the writes run contiguously.
  std::vector<int64_t> phase_of(static_cast<size_t>(K), -1), pos_of(static_cast<size_t>(K), 0), phase_off, phase_ks;
  {
    int64_t off = 0;
    for (const Phase& p0 : ph[0])
      for (const Phase& p1 : ph[1])
        for (const Phase& p2 : ph[2]) {
          if (!p0.k || !p1.k || !p2.k) continue;
          for (int64_t a = 0; a < p0.k; ++a)
            for (int64_t b = 0; b < p1.k; ++b)
              for (int64_t e = 0; e < p2.k; ++e) {
                const size_t t = static_cast<size_t>((p0.tap[static_cast<size_t>(a)] * d.k[1] + p1.tap[static_cast<size_t>(b)]) * d.k[2] +
                                                     p2.tap[static_cast<size_t>(e)]);
                phase_of[t] = static_cast<int64_t>(phase_off.size());
                pos_of[t] = (a * p1.k + b) * p2.k + e;
              }
          phase_off.push_back(off);
          phase_ks.push_back(p0.k * p1.k * p2.k);
          off += d.Cout * cig * phase_ks.back();
        }
  }
  std::vector<float> wsub = scratch(phase_off.empty() ? 0 : phase_off.back() + d.Cout * cig * phase_ks.back(), d.fn, "the phase sub-kernels");
  // Tap t of row r = oc*cig + i lands at base[t] + r * ks[t].
  std::vector<int64_t> tbase(static_cast<size_t>(K), -1), tks(static_cast<size_t>(K), 0);
  for (size_t t = 0; t < static_cast<size_t>(K); ++t)
    if (phase_of[t] >= 0) {
      tbase[t] = phase_off[static_cast<size_t>(phase_of[t])] + pos_of[t];
      tks[t] = phase_ks[static_cast<size_t>(phase_of[t])];
    }
  parallel_for(d.Cout, 4, [&](int64_t ob, int64_t oe) {
    float* ws = wsub.data();
    for (int64_t oc = ob; oc < oe; ++oc) {
      const int64_t g = oc / cog, j = oc % cog;
      for (int64_t i = 0; i < cig; ++i) {
        const float* wt = d.w + ((g * cig + i) * cog + j) * K;
        const int64_t r = oc * cig + i;
        for (int64_t t = 0; t < K; ++t)
          if (tbase[static_cast<size_t>(t)] >= 0) ws[tbase[static_cast<size_t>(t)] + r * tks[static_cast<size_t>(t)]] = wt[t];
      }
    }
  });
  // Phase (r0, r1, r2)'s sub-convolution: the input, stride 1, its sub-kernel, padded so
  // that its pixel z is the full coordinate z * s + r.
  auto phase_conv = [&](const Phase* const* p) {
    ConvDesc c;
    c.fn = d.fn;
    c.rank = d.rank;
    c.N = d.N; c.Cin = d.Cin; c.Cout = d.Cout; c.groups = d.groups;
    for (int i = 0; i < 3; ++i) {
      c.in[i] = d.in[i]; c.k[i] = p[i]->k; c.stride[i] = 1; c.dil[i] = p[i]->dil;
      c.pb[i] = p[i]->umax; c.pa[i] = p[i]->Z - d.in[i] - p[i]->u0; c.out[i] = p[i]->Z;
    }
    return c;
  };
  int64_t phase_i = 0;
  if (reached) {
    // The s2 phases of each (r0, r1) into planes of their own, then every output row they
    // make written once, whole: their rows interleaved, plus the bias (store_phase_row,
    // streamed when the output is large). No fill, no read-modify-write of the output.
    // (In-process A/B against the fold onto a filled output, k3 s2 p1 outputPadding 1, 64
    // channels: 56x56 -> 112x112 0.83x the time at 1 thread, 0.88x at 2; 1-D 0.80x; k5 s2
    // 0.86x; 3-D 0.86x / 0.96x.)
    const int64_t s2 = d.stride[2], NC = d.N * d.Cout;
    int64_t most = 0;  // floats of the largest (r0, r1)'s planes
    for (const Phase& p0 : ph[0])
      for (const Phase& p1 : ph[1]) {
        int64_t f = 0;
        for (const Phase& p2 : ph[2]) f += p0.Z * p1.Z * p2.Z;
        most = std::max(most, f);
      }
    std::unique_ptr<float[]> planes = scratch_raw(checked_mul(NC, most, d.fn), d.fn, "the phase planes");
    const bool stream = streamed_result(NC, Sout, d.fn);
    const InterleaveFn il = kernels().interleave;
    const int threads = get_num_threads();
    std::vector<int64_t> at(static_cast<size_t>(s2));          // each phase's plane offset
    std::vector<const float*> rowp(static_cast<size_t>(threads * s2));  // per thread (workers never allocate)
    for (const Phase& p0 : ph[0])
      for (const Phase& p1 : ph[1]) {
        int64_t off = 0;
        for (const Phase& p2 : ph[2]) {
          const Phase* p[3] = {&p0, &p1, &p2};
          const ConvDesc c = phase_conv(p);
          at[static_cast<size_t>(p2.r)] = off;
          if (!conv_fast(c, x, wsub.data() + phase_off[static_cast<size_t>(phase_i++)], planes.get() + off, nullptr, nullptr))
            return false;
          off += NC * prod3(c.out);
        }
        const int64_t Z0 = p0.Z, Z1 = p1.Z, zhi = (d.out[2] + d.pb[2] + s2 - 1) / s2;
        parallel_for_tid(NC * Z0 * Z1, std::max<int64_t>(1, 4096 / d.out[2]), threads, [&](int tid, int64_t b, int64_t e) {
          const float** rp = rowp.data() + tid * s2;
          for (int64_t t = b; t < e; ++t) {
            const int64_t z1 = t % Z1, z0 = t / Z1 % Z0, nc = t / (Z0 * Z1);
            const int64_t o0 = z0 * d.stride[0] + p0.r - d.pb[0], o1 = z1 * d.stride[1] + p1.r - d.pb[1];
            if (o0 < 0 || o0 >= d.out[0] || o1 < 0 || o1 >= d.out[1]) continue;
            for (int64_t r = 0; r < s2; ++r)
              rp[r] = planes.get() + at[static_cast<size_t>(r)] + t * ph[2][static_cast<size_t>(r)].Z;
            store_phase_row(rp, s2, d.pb[2], 0, zhi, y + nc * Sout + (o0 * d.out[1] + o1) * d.out[2], d.out[2],
                            d.bias ? d.bias[nc % d.Cout] : 0.f, stream, il);
          }
          if (stream) fence_streams();  // the streamed rows are visible before the pool reports done
        });
      }
    return true;
  }
  bool ok = true;
  std::vector<float> buf;
  for (const Phase& p0 : ph[0])
    for (const Phase& p1 : ph[1])
      for (const Phase& p2 : ph[2]) {
        if (!p0.k || !p1.k || !p2.k) continue;
        const Phase* p[3] = {&p0, &p1, &p2};
        const ConvDesc c = phase_conv(p);
        const int64_t Sz = prod3(c.out);
        // Sub-kernel [Cout, Cin/g, k'...] from the transposed weight [Cin, Cout/g, k...].
        const float* wphase = wsub.data() + phase_off[static_cast<size_t>(phase_i++)];
        buf.resize(static_cast<size_t>(checked_mul(d.N * d.Cout, Sz, d.fn)));
        note_scratch(static_cast<int64_t>(buf.size() * sizeof(float)));
        if (!conv_fast(c, x, wphase, buf.data(), nullptr, nullptr)) {
          ok = false;
          break;
        }
        // Phase pixel z lands on full coordinate z*s + r, output coordinate through the fold
        // (onto the bias for zeros padding; the other modes add it after).
        parallel_for(d.N * d.Cout, 1, [&](int64_t b, int64_t e) {
          for (int64_t t = b; t < e; ++t) {
            const float* src = buf.data() + t * Sz;
            float* yp = y + t * Sout;
            for (int64_t z0 = 0; z0 < c.out[0]; ++z0) {
              const int64_t f0 = z0 * d.stride[0] + p0.r;
              const int64_t o0 = f0 < full[0] ? map[0][static_cast<size_t>(f0)] : -1;
              if (o0 < 0) continue;
              for (int64_t z1 = 0; z1 < c.out[1]; ++z1) {
                const int64_t f1 = z1 * d.stride[1] + p1.r;
                const int64_t o1 = f1 < full[1] ? map[1][static_cast<size_t>(f1)] : -1;
                if (o1 < 0) continue;
                const float* sr = src + (z0 * c.out[1] + z1) * c.out[2];
                float* yr = yp + (o0 * d.out[1] + o1) * d.out[2];
                const int64_t* m2 = map[2].data();
                for (int64_t z2 = 0; z2 < c.out[2]; ++z2) {
                  const int64_t f2 = z2 * d.stride[2] + p2.r;
                  const int64_t o2 = f2 < full[2] ? m2[f2] : -1;
                  if (o2 >= 0) yr[o2] += sr[z2];
                }
              }
            }
          }
        });
      }
  if (!ok) return false;
  if (d.mode != PadMode::kZeros && d.bias) {
    parallel_for(d.N * d.Cout, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const float bv = d.bias[t % d.Cout];
        for (int64_t s = 0; s < Sout; ++s) y[t * Sout + s] += bv;
      }
    });
  }
  return true;
}

namespace {

// A transposed convolution whose kernel equals its stride (k2 s2, U-Net's up-convolution: no
// padding, dilation or outputPadding), channels-last input and result: every output pixel is
// one input pixel times one phase's 1x1 sub-kernel, so it is one GEMM over the input's
// pixels, through the pgemm reading them in place (pixel stride Cin), its lanes 32 output
// channels of one phase, which are contiguous in the output pixel they land on: each tile's
// sums are written straight into the result, nothing gathered, interleaved or transposed.
// Chunks of input channels from zero as the channels-first path's (each phase's K is Cin, its
// one tap): its bits. Taken (true) on ISAs with a pgemm, with a
// whole panel of output channels per group or more, and 64 input channels or more, in the
// functional form and in prepared layers alike.
bool conv_transpose_k_is_s_cl(const ConvTransposeDesc& d, const float* x, float* y) {
  const KernelTable& kt = kernels();
  const int64_t Cig = d.Cin / d.groups, Cog = d.Cout / d.groups;
  if (!kt.pgemm || !d.in_cl || !d.out_cl || Cog < kt.pgemm_nr || Cig < 64) return false;
  for (int i = 0; i < 3; ++i)
    if (d.k[i] != d.stride[i] || d.dil[i] != 1 || d.pb[i] != 0 || d.pa[i] != 0 || d.opad[i] != 0) return false;
  const int64_t PR = kt.pgemm_nr, S = prod3(d.in), nph = prod3(d.k), npanel = (Cog + PR - 1) / PR;
  const int64_t K = Cig, gpp = d.groups * nph * npanel;
  // The chunks of the path channels-first takes: the phase pgemm's (small maps) or conv_fast's.
  std::vector<Phase> ph3[3];
  merged_phases(d, ph3);
  const int64_t kChunk = phase_pgemm_pays(d, ph3, kt) ? PhasePanels::kChunk : 256;
  // Panels [g][panel][phase][K][PR]: w[g*Cig + ic][panel*PR + j][phase], zero past the group's
  // channels; conv_transpose_pgemm's layout, so a prepared layer's panels (pack_conv_transpose's,
  // for a small map) serve as they are; else packed here.
  const float* wp = d.w_packed && d.w_packed_panels ? d.w_packed : nullptr;
  if (!wp) {
    float* wn = arena(1, checked_mul(gpp * K, PR, d.fn), d.fn, "the phase panels");
    parallel_for(gpp, 1, [&](int64_t b, int64_t e) {
      for (int64_t it = b; it < e; ++it) {
        const int64_t g = it / (npanel * nph), oc0 = it / nph % npanel * PR, ph = it % nph, jn = std::min(PR, Cog - oc0);
        float* o = wn + it * K * PR;
        for (int64_t ic = 0; ic < K; ++ic)
          for (int64_t j = 0; j < PR; ++j)
            o[ic * PR + j] = j < jn ? d.w[((g * Cig + ic) * Cog + oc0 + j) * nph + ph] : 0.f;
      }
    });
    wp = wn;
  }
  pixel_gemm_cl(x, d.N, S, d.Cin, d.groups, wp, nph * npanel, kChunk, d.fn,
                [&](int64_t n, int64_t g, int64_t p, int64_t q0, int64_t q1, const float* sums) {
                  // Input pixel q = (z0, z1, z2) lands, for phase (r0, r1, r2), on output pixel
                  // (z0 * s0 + r0, z1 * s1 + r1, z2 * s2 + r2).
                  const int64_t pn = p / nph, ph = p % nph;
                  const int64_t r2 = ph % d.k[2], r1 = ph / d.k[2] % d.k[1], r0 = ph / (d.k[2] * d.k[1]);
                  const int64_t oc0 = g * Cog + pn * PR, jn = std::min(PR, Cog - pn * PR);
                  for (int64_t q = q0; q < q1; ++q) {
                    const int64_t z2 = q % d.in[2], z1 = q / d.in[2] % d.in[1], z0 = q / (d.in[2] * d.in[1]);
                    const int64_t op = ((z0 * d.k[0] + r0) * d.out[1] + z1 * d.k[1] + r1) * d.out[2] + z2 * d.k[2] + r2;
                    const float* cs = sums + (q - q0) * PR;
                    float* yo = y + (n * prod3(d.out) + op) * d.Cout + oc0;
                    if (d.bias)
                      for (int64_t j = 0; j < jn; ++j) yo[j] = cs[j] + d.bias[oc0 + j];  // (store_phase_row's sum)
                    else
                      std::memcpy(yo, cs, static_cast<size_t>(jn) * sizeof(float));
                  }
                });
  return true;
}

}  // namespace

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
  if (conv_transpose_k_is_s_cl(d, d.x, d.y)) return;
  std::unique_ptr<float[]> xt, yt;
  const float* x = channels_first(d.x, d.in_cl, d.N, d.Cin, Sin, xt, d.fn);
  const bool transpose_out = d.out_cl && d.Cout > 1 && Sout > 1;
  if (transpose_out) yt = scratch_raw(checked_mul(d.N * d.Cout, Sout, d.fn), d.fn, "the channels-first result");
  float* y = transpose_out ? yt.get() : d.y;
  if (kernels().igemm && conv_transpose_fast(d, x, y)) {
    if (transpose_out) store_result(y, d.y, true, d.N, d.Cout, Sout);
    return;
  }

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
