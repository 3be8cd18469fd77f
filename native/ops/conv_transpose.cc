// Transposed convolution as the adjoint of the padded convolution: scatter every input
// pixel through the kernel onto the full (unpadded) output, then fold the padding back
// with the shared padding model — dropped for zeros, wrapped/mirrored/clamped otherwise.
#include <algorithm>
#include <cstring>
#include <utility>
#include <string>

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
PhaseStore phase_store(const ConvTransposeDesc& d, const std::vector<int64_t>& src_tap) {
  PhaseStore ps{};
  for (int i = 0; i < 3; ++i) {
    ps.s[i] = d.stride[i]; ps.pb[i] = d.pb[i]; ps.out[i] = d.out[i];
  }
  ps.nph = d.stride[0] * d.stride[1] * d.stride[2];
  ps.Cout = d.Cout;
  ps.cig = d.Cin / d.groups;
  ps.cog = d.Cout / d.groups;
  ps.K = prod3(d.k);
  ps.kv = ps.K / ps.nph;
  ps.src_tap = src_tap.data();
  return ps;
}

bool conv_transpose_merged(const ConvTransposeDesc& d, const float* x, float* y, const std::vector<Phase>* ph) {
  const int64_t nph = d.stride[0] * d.stride[1] * d.stride[2];
  const std::vector<int64_t> src_tap = phase_src_taps(d, ph);
  PhaseStore ps = phase_store(d, src_tap);
  ps.bias = d.bias;
  ps.y = y;
  ps.w_t = d.w_packed ? nullptr : d.w;  // prepared layers bring the rows packed
  ConvDesc c;
  c.fn = d.fn;
  c.rank = d.rank;
  c.N = d.N; c.Cin = d.Cin; c.Cout = d.Cout * nph; c.groups = d.groups;
  for (int i = 0; i < 3; ++i) {
    int64_t Z = 0;
    for (const Phase& p : ph[i]) Z = std::max(Z, p.Z);
    const Phase& p = ph[i][0];
    c.in[i] = d.in[i]; c.k[i] = p.k; c.stride[i] = 1; c.dil[i] = p.dil;
    c.pb[i] = p.umax; c.pa[i] = Z - d.in[i] - p.u0; c.out[i] = Z;
  }
  return conv_fast(c, x, d.w_packed, nullptr, nullptr, nullptr, &ps);
}

}  // namespace

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

std::vector<float> pack_conv_transpose(const ConvTransposeDesc& d) {
  std::vector<Phase> ph[3];
  if (!merged_phases(d, ph)) return {};
  const int64_t nph = d.stride[0] * d.stride[1] * d.stride[2], cig = d.Cin / d.groups, cog = d.Cout / d.groups;
  std::vector<float> w = scratch(checked_mul(d.Cout, cig * prod3(d.k), d.fn), d.fn, "the packed weight");
  const std::vector<int64_t> src_tap = phase_src_taps(d, ph);
  const PhaseStore ps = phase_store(d, src_tap);
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
  if (covered && mergeable) return conv_transpose_merged(d, x, y, ph);

  std::vector<int64_t> map[3];
  for (int i = 0; i < 3; ++i) map[i] = pad_index_map(d.mode, d.out[i], d.pb[i], d.pa[i]);
  if (!covered) {  // positions no phase reaches keep the bias; folds accumulate onto zeros
    parallel_for(d.N * d.Cout, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t)
        std::fill(y + t * Sout, y + (t + 1) * Sout, d.mode == PadMode::kZeros && d.bias ? d.bias[t % d.Cout] : 0.f);
    });
  }
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
  bool ok = true;
  int64_t phase_i = 0;
  std::vector<float> buf;
  for (const Phase& p0 : ph[0])
    for (const Phase& p1 : ph[1])
      for (const Phase& p2 : ph[2]) {
        if (!p0.k || !p1.k || !p2.k) continue;
        const Phase* p[3] = {&p0, &p1, &p2};
        ConvDesc c;
        c.fn = d.fn;
        c.rank = d.rank;
        c.N = d.N; c.Cin = d.Cin; c.Cout = d.Cout; c.groups = d.groups;
        for (int i = 0; i < 3; ++i) {
          c.in[i] = d.in[i]; c.k[i] = p[i]->k; c.stride[i] = 1; c.dil[i] = p[i]->dil;
          c.pb[i] = p[i]->umax; c.pa[i] = p[i]->Z - d.in[i] - p[i]->u0; c.out[i] = p[i]->Z;
        }
        const int64_t Sz = prod3(c.out);
        // Sub-kernel [Cout, Cin/g, k'...] from the transposed weight [Cin, Cout/g, k...].
        const float* wphase = wsub.data() + phase_off[static_cast<size_t>(phase_i++)];
        buf.resize(static_cast<size_t>(checked_mul(d.N * d.Cout, Sz, d.fn)));
        note_scratch(static_cast<int64_t>(buf.size() * sizeof(float)));
        if (!conv_fast(c, x, wphase, buf.data(), nullptr, nullptr)) {
          ok = false;
          break;
        }
        // Phase pixel z lands on full coordinate z*s + r, output coordinate through the fold.
        parallel_for(d.N * d.Cout, 1, [&](int64_t b, int64_t e) {
          for (int64_t t = b; t < e; ++t) {
            const float* src = buf.data() + t * Sz;
            float* yp = y + t * Sout;
            const float bv = covered && d.bias ? d.bias[t % d.Cout] : 0.f;
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
                const int64_t s2 = d.stride[2], r2 = p2.r;
                if (covered) {  // zeros: o2 = z2*s2 + r2 - pb2 where it lands inside the output
                  const int64_t shift = r2 - d.pb[2];
                  const int64_t zlo = shift >= 0 ? 0 : (-shift + s2 - 1) / s2;
                  const int64_t last = d.out[2] - 1 - shift;  // largest z2*s2 that lands inside
                  const int64_t zhi = last < 0 ? 0 : std::min<int64_t>(c.out[2], last / s2 + 1);
                  for (int64_t z2 = zlo; z2 < zhi; ++z2) yr[z2 * s2 + shift] = sr[z2] + bv;
                } else {
                  for (int64_t z2 = 0; z2 < c.out[2]; ++z2) {
                    const int64_t f2 = z2 * s2 + r2;
                    const int64_t o2 = f2 < full[2] ? m2[f2] : -1;
                    if (o2 >= 0) yr[o2] += sr[z2];
                  }
                }
              }
            }
          }
        });
      }
  if (!ok) return false;
  if (!covered && d.mode != PadMode::kZeros && d.bias) {
    parallel_for(d.N * d.Cout, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const float bv = d.bias[t % d.Cout];
        for (int64_t s = 0; s < Sout; ++s) y[t * Sout + s] += bv;
      }
    });
  }
  return true;
}

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
  std::vector<float> xt, yt;
  const float* x = channels_first(d.x, d.in_cl, d.N, d.Cin, Sin, xt, d.fn);
  const bool transpose_out = d.out_cl && d.Cout > 1 && Sout > 1;
  if (transpose_out) yt = scratch(checked_mul(d.N * d.Cout, Sout, d.fn), d.fn, "the channels-first result");
  float* y = transpose_out ? yt.data() : d.y;
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
