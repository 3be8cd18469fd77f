// Winograd convolution for 3x3 convolutions of unit stride (Lavin & Gray, "Fast Algorithms
// for Convolutional Neural Networks", 2015). F(2x2, 3x3): each 2x2 tile of the output is
// A^T [ (G g G^T) .* (B^T d B) ] A over its 4x4 input patch d, which takes 16 products per
// input and output channel where the direct sum takes 36. Summed over the input channels,
// the 16 elementwise products are 16 GEMMs (Cout x Cin by Cin x tiles), run by the igemm
// kernels of the dispatch table, between an input and an output transform. F(4x4, 3x3) the
// same way with 4x4 tiles from 6x6 patches, 36 GEMMs, 36 products where the direct sum takes
// 144; taken where two threads' buffers fit beside its transformed weights (36 x Cin x Cout
// floats, against 16 x), else F(2x2, 3x3). 1-D convolutions (k3) take F(4, 3): tiles of 4
// outputs from 6 inputs, 6 GEMMs, 6 products per input and output channel where the direct
// sum takes 12; or F(2, 3) (tiles of 2 outputs from 4 inputs, 4 GEMMs) where F(4, 3)'s
// scratch would not fit within the output's size but its own does.
//
//   F(2x2, 3x3), along each of the two dims:
//   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]     (weights, 3 -> 4)
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]      (input patches, 4 -> 4)
//   A^T = [1 1 1 0; 0 1 -1 -1]                          (products, 4 -> 2)
//   F(2, 3): the same G, B^T and A^T along the one dim.
//   F(4, 3): G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1],
//   B^T and A^T in kernels/f32-winograd-avx2.cc (6 -> 6, 6 -> 4); F(4x4, 3x3): the same
//   along each of the two dims.
//
// Every output is the same arithmetic whatever the thread count or the item it falls in
// (the transforms run lane by lane, the GEMMs' chains over the input channels in order), so
// results stay bit-identical across thread counts and between the call's forms. They are not
// the direct sums' bits, and their rounding error is larger (the transforms add and subtract
// up to 9 terms before and after the products), within the same float32 bounds the tests hold
// every convolution to: on W1 (576 terms per output, outputs up to ~40 in size) they differ
// from the direct sums by at most 2.5e-5. F(4, 3)'s transforms weigh their terms by up to 8
// (A^T) and 5 (B^T): a float32 model of W14's shape (64 channels, 192 terms) put its error at
// about 5x F(2, 3)'s, under 1% of that bound; one of F(4x4, 3x3) on 64 channels (576 terms),
// 3.2e-5 at most, 0.4% of it.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "../core/common.h"
#include "../core/threadpool.h"
#include "../kernels/kernels.h"
#include "internal.h"
#include "ops.h"

namespace convkit {

namespace {

// Where Winograd applies and pays: a 2-D 3x3 conv (any padding amounts) of unit stride, one
// group, a constant padding mode, either layout in and out, and channels enough on both sides
// that the GEMMs outweigh the transforms. A dilation D splits the conv into D x D
// undilated ones, over the output's pixels of each residue (row mod D, column mod D).
// 1-D (a rank-1 conv, or any whose only spatial extent is the last): F(4, 3) or F(2, 3).
bool winograd_1d(const ConvDesc& d) { return d.in[0] == 1 && d.in[1] == 1 && d.k[0] == 1 && d.k[1] == 1 && d.out[1] == 1; }

int winograd_dims(const ConvDesc& d) { return winograd_1d(d) ? 1 : 2; }

bool winograd_applies(const ConvDesc& d, const KernelTable& kt) {
  const KernelTable::WinogradFns& f2 = kt.winograd[winograd_dims(d) - 1][0];  // (the 2-point form)
  if (!f2.in || !f2.out || !kt.igemm_pk || d.groups != 1) return false;
  if (d.mode != PadMode::kZeros && d.mode != PadMode::kConstant) return false;
  if (d.in[0] != 1 || d.k[0] != 1 || d.out[0] != 1) return false;
  for (int i = winograd_1d(d) ? 2 : 1; i < 3; ++i)
    if (d.k[i] != 3 || d.stride[i] != 1 || d.out[i] < 4 * d.dil[i]) return false;
  return d.Cin >= 32 && d.Cout >= 32;
}

// A call's tiling: the dilation's sub-grids (one, undilated, without), their tiles, and the
// sizes of the scratch (floats).
struct Tiling {
  // Sub-grid: output pixels (Dy u + ry, Dx v + rx), in m x m tiles of (u, v) (1-D: 1 x m);
  // their input rows Dy (u + i) + ry - ph, columns Dx (v + j) + rx - pw.
  struct Sub {
    int64_t ry, rx, OHs, OWs, TW, tiles;
  };
  std::vector<Sub> subs;
  int64_t tiles = 0, TW = 0;  // (tiles: of an image; TW: the most tiles per row)
  int64_t MR = 0, NR = 0, nblk = 0, U_floats = 0, out_floats = 0, RL = 0;
  // The form F(m, 3) (1-D) or F(m x m, 3 x 3) (2-D), m = 2 or 4, and its kernels; a tile's P
  // = (m + 2)^dims positions, a patch's input rows (2-D: m + 2; 1-D: 1).
  int dims = 2, m = 2, P = 16, rows = 4;
  KernelTable::WinogradFns fn;
  // The P positions' rows lie an odd number of 64-byte lines apart, so that a tile's P
  // values (stored, then read back, together) fall in different L1 sets: at W1's 64 x 64
  // floats apart they shared one (W1 at 1 thread, a perf loop before and after: 3.2 -> 1.9-2.0
  // ms).
  static int64_t skew(int64_t floats) { return floats / 16 % 2 ? floats : floats + 16; }
  // n rounded up to the tiles a transform runs at once (fn.whole; 0 or 1: n itself).
  int64_t whole(int64_t n) const { return fn.whole > 1 ? (n + fn.whole - 1) / fn.whole * fn.whole : n; }
  // Floats more per position, which the kernels' whole vectors may write past an item's last
  // tile (fn.whole - 1, rounded up to 16 to keep skew's parity).
  int64_t slack() const { return fn.whole > 1 ? (fn.whole + 14) / 16 * 16 : 0; }
  // Per thread, for items of T tiles and passes of cb blocks of output channels: the item's
  // transformed input, the pass's products and the row buffers.
  int64_t per_thread(int64_t Cin, int64_t T, int64_t cb) const {
    return P * (skew(Cin * T + slack()) + skew(cb * MR * T + slack())) + rows * RL;
  }
  // The call's scratch within its output's size (issue 3's bound on extra memory): the
  // transformed weights and n threads' buffers.
  bool fits(int64_t Cin, int64_t T, int64_t cb, int64_t n) const { return U_floats + n * per_thread(Cin, T, cb) <= out_floats; }
  // The most bytes of an item's transformed input (P x Cin x T floats): half the L2; F(4x4,
  // 3x3) the whole (W11 took 0.91x / 0.93x the time at 1 / 2 threads with T = 48 against 16,
  // in-process A/B; 64 measured alike).
  int64_t item_bytes() const { return int64_t{dims == 2 && m == 4 ? 512 : 256} << 10; }

  Tiling(const ConvDesc& d, const KernelTable& kt, int m_) {
    const int64_t Dy = d.dil[1], Dx = d.dil[2], OH = d.out[1], OW = d.out[2];
    dims = winograd_dims(d), m = m_, fn = kt.winograd[dims - 1][m / 4];
    rows = dims == 2 ? m + 2 : 1, P = dims == 2 ? (m + 2) * (m + 2) : m + 2;
    for (int64_t ry = 0; ry < Dy; ++ry)
      for (int64_t rx = 0; rx < Dx; ++rx) {
        Sub u;
        u.ry = ry, u.rx = rx, u.OHs = (OH - ry + Dy - 1) / Dy, u.OWs = (OW - rx + Dx - 1) / Dx;
        u.TW = (u.OWs + m - 1) / m, u.tiles = (u.OHs + m - 1) / m * u.TW;
        subs.push_back(u);
        tiles += u.tiles;
        TW = std::max(TW, u.TW);
      }
    MR = kt.igemm_mr, NR = kt.igemm_nr, nblk = (d.Cout + MR - 1) / MR;
    U_floats = P * nblk * MR * d.Cin, out_floats = d.N * d.Cout * OH * OW;
    RL = m * whole(TW) + 2;
  }
};

// Taken (where the conv applies) if one thread's buffers fit at the smallest T and cb, whatever
// the thread count (so that neither the path nor the bits depend on it), for the functional
// and prepared forms alike.
bool winograd_takes(const ConvDesc& d, const Tiling& tl) { return tl.fits(d.Cin, tl.NR, 1, 1); }

// The call's tiling: by F(4, 3) or F(4x4, 3x3) where their kernels exist and fit (1-D: one
// thread's buffers beside its transformed weights; 2-D: two threads', else two threads would
// run it on one: W1's 608 KB of them leave room for one), else by F(2, 3) or F(2x2, 3x3). Two
// builds in one process, both orders, time against the 2-point form, 1 / 2 threads: W11
// 0.75-0.87x / 0.74-0.78x, 64->64 224x224 0.69x / 0.69x, 128->128 112x112 0.69x (1 thread);
// W14 0.81-0.84x / 0.81-0.85x, 32->32 L=8000 0.78x, 128->128 L=4000 0.81x, 256->256 L=2000
// 0.85x (1 thread).
Tiling tiling(const ConvDesc& d, const KernelTable& kt) {
  Tiling t4(d, kt, 4);
  if (t4.fn.in && t4.fn.out && t4.fits(d.Cin, t4.NR, 1, t4.dims == 1 ? 1 : 2)) return t4;
  return Tiling(d, kt, 2);
}

bool finite(const float* v, int64_t n) {
  float chk = 0.f;
  for (int64_t i = 0; i < n; ++i) chk += v[i] * 0.f;
  return chk == chk;
}

// The weight transforms along one dim, o = G g (3 -> m + 2): F(2, 3)'s and F(4, 3)'s.
inline void g4(const float* g, float* o) {
  o[0] = g[0];
  o[1] = 0.5f * (g[0] + g[1] + g[2]);
  o[2] = 0.5f * (g[0] - g[1] + g[2]);
  o[3] = g[2];
}

inline void g6(const float* g, float* o) {
  o[0] = 0.25f * g[0];
  o[1] = -(g[0] + g[1] + g[2]) / 6.f;
  o[2] = -(g[0] - g[1] + g[2]) / 6.f;
  o[3] = (g[0] + 2.f * g[1] + 4.f * g[2]) / 24.f;
  o[4] = (g[0] - 2.f * g[1] + 4.f * g[2]) / 24.f;
  o[5] = g[2];
}

// The transformed weights U = G g (1-D) or G g G^T (2-D), zero past the last channel, packed
// for kt.igemm_pk: [p][block][Cin][MR].
template <int M>
inline void gm(const float* g, float* o) {
  if constexpr (M == 4) g6(g, o);
  else g4(g, o);
}

template <int M, int Dims>
void transform_weights_form(const ConvDesc& d, const Tiling& tl, const float* w, float* U) {
  constexpr int n = M + 2, P = Dims == 2 ? n * n : n;
  const int64_t Cin = d.Cin, Cout = d.Cout, MR = tl.MR, nblk = tl.nblk;
  parallel_for(nblk, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      for (int64_t ic = 0; ic < Cin; ++ic)
        for (int64_t m = 0; m < MR; ++m) {  // (U's MR channels of a block: consecutive floats)
          const int64_t oc = b * MR + m;
          float u[P];
          if (oc >= Cout) {
            std::fill(u, u + P, 0.f);
          } else if (Dims == 1) {
            gm<M>(w + (oc * Cin + ic) * 3, u);
          } else {
            const float* g = w + (oc * Cin + ic) * 9;
            float t[n][3];  // G g, column by column
            for (int j = 0; j < 3; ++j) {
              const float col[3] = {g[j], g[3 + j], g[6 + j]};
              float o[n];
              gm<M>(col, o);
              for (int i = 0; i < n; ++i) t[i][j] = o[i];
            }
            for (int i = 0; i < n; ++i) gm<M>(t[i], u + n * i);  // (G g) G^T
          }
          for (int p = 0; p < P; ++p) U[((p * nblk + b) * Cin + ic) * MR + m] = u[p];
        }
  });
}

void transform_weights(const ConvDesc& d, const Tiling& tl, const float* w, float* U) {
  if (tl.dims == 1) (tl.m == 4 ? transform_weights_form<4, 1> : transform_weights_form<2, 1>)(d, tl, w, U);
  else (tl.m == 4 ? transform_weights_form<4, 2> : transform_weights_form<2, 2>)(d, tl, w, U);
}

}  // namespace

std::vector<float> winograd_pack(const ConvDesc& d, const float* w) {
  const KernelTable& kt = kernels();
  if (!winograd_applies(d, kt)) return {};
  const Tiling tl = tiling(d, kt);
  if (!winograd_takes(d, tl) || !finite(w, d.Cout * d.Cin * prod3(d.k))) return {};
  std::vector<float> U(static_cast<size_t>(tl.U_floats));
  transform_weights(d, tl, w, U.data());
  return U;
}

bool conv_winograd(const ConvDesc& d, const float* x, const float* w, float* y) {
  const KernelTable& kt = kernels();
  if (!winograd_applies(d, kt)) return false;
  const Tiling tl = tiling(d, kt);
  if (!winograd_takes(d, tl)) return false;
  const int64_t Cin = d.Cin, Cout = d.Cout, H = d.in[1], W = d.in[2], OH = d.out[1], OW = d.out[2];
  const int64_t ph = d.pb[1], pw = d.pb[2], Dy = d.dil[1], Dx = d.dil[2];
  const std::vector<Tiling::Sub>& subs = tl.subs;
  const int64_t tiles = tl.tiles, MR = tl.MR, NR = tl.NR, nblk = tl.nblk, U_floats = tl.U_floats, out_floats = tl.out_floats;
  const int64_t RL = tl.RL, mt = tl.m;
  const float fill = d.mode == PadMode::kConstant ? d.pad_value : 0.f;
  const int64_t xps = d.x_cl ? Cin : 1, yps = d.y_cl ? Cout : 1;  // floats from a pixel to the next
  const int threads = get_num_threads();

  // Tiles per item T: a multiple of the igemm's lanes, up to 4 tile groups, with the item's
  // transformed input (P x Cin x T) within Tiling::item_bytes. Blocks of output channels per pass over it, cb: as many as the call's
  // scratch allows within its output's size (Tiling::fits; the same bound with prepared
  // weights); then as many threads as fit.
  int64_t T = NR, cb = 1;
  for (int64_t m = 4; m >= 1; --m) {
    const int64_t t = m * NR;
    if (m > 1 && tl.P * Cin * t * 4 > tl.item_bytes()) continue;
    if (m > 1 && threads > 1 && d.N * ((tiles + t - 1) / t) < 3 * threads) continue;  // items enough for the threads
    if (!tl.fits(Cin, t, 1, threads)) continue;
    T = t;
    cb = nblk;
    while (cb > 1 && !tl.fits(Cin, T, cb, threads)) cb = (cb + 1) / 2;
    break;
  }
  const int workers = static_cast<int>(std::min<int64_t>(threads, (out_floats - U_floats) / tl.per_thread(Cin, T, cb)));
  const int64_t Ts = T;  // a row of the transformed input / the products (the GEMMs' tiles: whole lanes)
  const int64_t per = tl.per_thread(Cin, T, cb);
  const int64_t vs = Tiling::skew(Cin * Ts + tl.slack()), ms = Tiling::skew(cb * MR * Ts + tl.slack());  // (position strides)

  // Infinities and NaNs: the transforms mix each patch's 16 inputs, so an infinite input
  // would come out as NaN (inf - inf), and in outputs whose window does not hold it, where the
  // direct sum gives +-inf or a finite value (SPEC: they propagate as IEEE arithmetic says).
  // Such calls are left to the direct sums (conv_fast redoes the whole output). (Prepared
  // weights were checked when prepared: winograd_pack.)
  const float* U = d.w_wino;
  if (!U) {
    if (!finite(w, Cout * Cin * prod3(d.k))) return false;
    float* u = arena(1, U_floats, d.fn, "the transformed weights");
    transform_weights(d, tl, w, u);
    U = u;
  }
  // Results of 256 KiB or more (streamed_result, as conv_fast's epilogue): the output
  // transforms may stream them (KernelTable::winograd; F(4, 3)'s do).
  const bool stream = streamed_result(d.N * Cout, OH * OW, d.fn);
  std::atomic<bool> nonfinite{false};
  float* scr = arena(0, checked_mul(workers, per, d.fn), d.fn, "the per-thread tiles");
  const int P = tl.P;
  std::vector<const float*> rows_all(static_cast<size_t>(workers * P * Cin));
  note_scratch(static_cast<int64_t>(rows_all.size() * sizeof(const float*)));
  std::vector<int64_t> sub_items(subs.size() + 1, 0);  // each sub-grid's first item in an image
  for (size_t i = 0; i < subs.size(); ++i) sub_items[i + 1] = sub_items[i] + (subs[i].tiles + T - 1) / T;
  const int64_t per_image = sub_items.back(), items = d.N * per_image;
  parallel_for_tid(items, 1, workers, [&](int tid, int64_t i0, int64_t i1) {
    float* V = scr + tid * per;  // [p][ic][Ts], positions vs apart: the item's transformed input
    float* M = V + P * vs;    // [p][oc][Ts], positions ms apart: the products (whole blocks of channels)
    float* R = M + P * ms;       // 4 input rows (1-D: 1), padded: [4][RL]
    const float** rows = rows_all.data() + tid * P * Cin;
    for (int64_t p = 0; p < P; ++p)
      for (int64_t ic = 0; ic < Cin; ++ic) rows[p * Cin + ic] = V + p * vs + ic * Ts;
    for (int64_t it = i0; it < i1; ++it) {
      const int64_t n = it / per_image, j = it % per_image;
      size_t si = 0;
      while (sub_items[si + 1] <= j) ++si;
      const Tiling::Sub& sg = subs[si];
      const int64_t ta = (j - sub_items[si]) * T, tb = std::min(sg.tiles, ta + T), nt = tb - ta;
      // Each row of tiles the item holds: (ty, first tx, tiles, its first lane).
      auto segments = [&](auto&& f) {
        for (int64_t t = ta; t < tb;) {
          const int64_t ty = t / sg.TW, tx = t % sg.TW, len = std::min(sg.TW - tx, tb - t);
          f(ty, tx, len, t - ta);
          t += len;
        }
      };
      // 1. The input transform, V = B^T d B per tile and input channel.
      for (int64_t ic = 0; ic < Cin; ++ic) {
        // (channels-last: a pixel's channels Cin apart, read and written in place: the same
        // values through the same arithmetic, so the same bits as channels-first)
        const float* xc = d.x_cl ? x + n * H * W * Cin + ic : x + (n * Cin + ic) * H * W;
        segments([&](int64_t ty, int64_t tx, int64_t len, int64_t lane) {
          const int64_t ix0 = Dx * mt * tx + sg.rx - pw, cols = mt * len + 2;  // input columns ix0 + Dx i, i < cols
          for (int r = 0; r < tl.rows; ++r) {
            const int64_t iy = Dy * (mt * ty + r) + sg.ry - ph;
            float* rr = R + r * RL;
            if (!d.x_cl && ic + 1 < Cin && iy >= 0 && iy < H) {
              // The next channel's row, fetched meanwhile: the rows of successive channels
              // lie a plane apart, beyond the hardware prefetcher's reach (two builds in one
              // process, both orders, 1 thread: W6 0.91x / 0.95x the time, W1 0.99x / 1.03x;
              // same bits).
              const int64_t a = std::max<int64_t>(0, ix0), b = std::min(W, ix0 + Dx * (cols - 1) + 1);
              prefetch_lines<3>(xc + H * W + iy * W + a, (b - a) * 4);
            }
            if (iy < 0 || iy >= H) {
              std::fill(rr, rr + cols, fill);
            } else {
              // columns ix0 + Dx i: inside the row for lo <= i < hi, copied by strided_run
              // (ops/internal.h, a stride of Dx pixels); the rest is padding
              const float* xr = xc + iy * W * xps;
              const int64_t lo = std::min(cols, ix0 >= 0 ? 0 : (-ix0 + Dx - 1) / Dx);
              const int64_t hi = std::max(lo, std::min(cols, W - ix0 <= 0 ? 0 : (W - ix0 + Dx - 1) / Dx));
              std::fill(rr, rr + lo, fill);
              if (hi > lo) strided_run<false>(xr + (ix0 + Dx * lo) * xps, nullptr, Dx * xps, hi - lo, rr + lo);
              std::fill(rr + hi, rr + cols, fill);
            }
            std::fill(rr + cols, rr + mt * tl.whole(len) + 2, 0.f);  // (the kernels' whole vectors)
          }
          if (tl.fn.in(R, RL, len, V + ic * Ts + lane, vs))
            nonfinite.store(true, std::memory_order_relaxed);
        });
      }
      // 2. Per pass of cb blocks of output channels: the P GEMMs, position by position (its
      // transformed input stays in L1 across the blocks), then the output transform.
      for (int64_t b0 = 0; b0 < nblk; b0 += cb) {
        const int64_t b1 = std::min(nblk, b0 + cb);
        for (int64_t p = 0; p < P; ++p) {
          const float* const* rp = rows + p * Cin;
          for (int64_t b = b0; b < b1; ++b) {
            const int64_t mr = std::min(MR, Cout - b * MR);
            float* c = M + p * ms + (b - b0) * MR * Ts;
            for (int64_t p0 = 0; p0 < nt; p0 += NR)
              kt.igemm_pk(Cin, U + (p * nblk + b) * Cin * MR, rp, p0, std::min(NR, nt - p0), c + p0, Ts, false, mr, nullptr);
          }
        }
        for (int64_t oc = b0 * MR; oc < std::min(Cout, b1 * MR); ++oc) {
          const float bias = d.bias ? d.bias[oc] : 0.f;
          float* yc = d.y_cl ? y + n * OH * OW * Cout + oc : y + (n * Cout + oc) * OH * OW;
          segments([&](int64_t ty, int64_t tx, int64_t len, int64_t lane) {
            // tiles with all mt columns inside; a last one (whole < len) has the rest
            const int64_t whole = std::min(len, (sg.OWs - mt * tx) / mt);
            float* y0 = yc + ((Dy * mt * ty + sg.ry) * OW + Dx * mt * tx + sg.rx) * yps;
            const float* mo = M + (oc - b0 * MR) * Ts + lane;
            const int tail = whole < len ? static_cast<int>(sg.OWs - mt * (tx + whole)) : 0;
            float* yr[4];  // the tile row's output rows (1-D: one; null: past the output)
            for (int64_t k = 0; k < (tl.dims == 2 ? mt : 1); ++k) yr[k] = mt * ty + k < sg.OHs ? y0 + k * Dy * OW * yps : nullptr;
            tl.fn.out(mo, ms, whole, tail, bias, yr, Dx * yps, stream);
          });
        }
      }
    }
    if (stream) fence_streams();  // the streamed rows are visible before the pool reports done
  });
  return !nonfinite.load();
}

}  // namespace convkit
