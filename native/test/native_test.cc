// Native tests: the ops through their C++ descriptors, without Node, so they can run under
// AddressSanitizer and UndefinedBehaviorSanitizer. The reference here is written apart from
// the ops: padding by bouncing/clamping loops, convolution as a plain sum per output.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#include "../core/common.h"
#include "../core/geometry.h"
#include "../core/padmap.h"
#include "../core/threadpool.h"
#include "../ops/ops.h"

using namespace convkit;

static int failures = 0;
#define CHECK(cond, ...)                           \
  do {                                             \
    if (!(cond)) {                                 \
      ++failures;                                  \
      std::fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      std::fprintf(stderr, __VA_ARGS__);           \
      std::fprintf(stderr, "\n");                  \
    }                                              \
  } while (0)

// Independent source index: walk outwards, bouncing (reflect/symmetric) or wrapping.
static int64_t ref_index(PadMode m, int64_t c, int64_t n) {
  if (c >= 0 && c < n) return c;
  switch (m) {
    case PadMode::kReplicate: return c < 0 ? 0 : n - 1;
    case PadMode::kCircular: { while (c < 0) c += n; while (c >= n) c -= n; return c; }
    case PadMode::kReflect: {
      if (n == 1) return 0;
      for (;;) {
        if (c < 0) c = -c;
        else if (c >= n) c = 2 * (n - 1) - c;
        else return c;
      }
    }
    case PadMode::kSymmetric: {
      for (;;) {
        if (c < 0) c = -c - 1;
        else if (c >= n) c = 2 * n - 1 - c;
        else return c;
      }
    }
    default: return -1;
  }
}

static void test_padmap() {
  const PadMode modes[] = {PadMode::kZeros, PadMode::kReflect, PadMode::kReplicate, PadMode::kCircular, PadMode::kSymmetric};
  for (PadMode m : modes)
    for (int64_t n = 1; n <= 5; ++n)
      for (int64_t b = 0; b <= 12; ++b)
        for (int64_t j = 0; j < n + 2 * b; ++j)
          CHECK(pad_source_index(m, j, n, b, b) == ref_index(m, j - b, n), "padmap mode %d n %ld b %ld j %ld", (int)m, (long)n, (long)b, (long)j);
  // Worked example: reflect(2) of [0 1 2] -> 2 1 0 1 2 1 0
  const int64_t want[] = {2, 1, 0, 1, 2, 1, 0};
  for (int j = 0; j < 7; ++j) CHECK(pad_source_index(PadMode::kReflect, j, 3, 2, 2) == want[j], "reflect example %d", j);
}

struct Geo {
  int64_t N, Cin, Cout, G, in[3], k[3], s[3], d[3], pb[3], pa[3], out[3];
};

static std::vector<float> randv(std::mt19937& r, int64_t n) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = u(r);
  return v;
}

static double ref_conv_at(const Geo& g, PadMode m, float val, const std::vector<float>& x, const std::vector<float>& w,
                          int64_t n, int64_t oc, const int64_t* o) {
  const int64_t cig = g.Cin / g.G, cog = g.Cout / g.G, grp = oc / cog;
  double acc = 0;
  int64_t inb = 1;
  for (int i = 0; i < 3; ++i) {
    int64_t c = 0;
    for (int64_t t = 0; t < g.k[i]; ++t) {
      const int64_t p = o[i] * g.s[i] - g.pb[i] + t * g.d[i];
      c += (p >= 0 && p < g.in[i]);
    }
    inb *= c;
  }
  for (int64_t ci = 0; ci < cig; ++ci)
    for (int64_t a = 0; a < g.k[0]; ++a)
      for (int64_t b = 0; b < g.k[1]; ++b)
        for (int64_t e = 0; e < g.k[2]; ++e) {
          const int64_t kk[3] = {a, b, e};
          int64_t src[3];
          bool inside = true;
          for (int i = 0; i < 3; ++i) {
            src[i] = ref_index(m, o[i] * g.s[i] - g.pb[i] + kk[i] * g.d[i], g.in[i]);
            if (src[i] < 0) inside = false;
          }
          const double wv = w[static_cast<size_t>((((oc * cig + ci) * g.k[0] + a) * g.k[1] + b) * g.k[2] + e)];
          const double xv = inside ? x[static_cast<size_t>((((n * g.Cin + grp * cig + ci) * g.in[0] + src[0]) * g.in[1] + src[1]) * g.in[2] + src[2])]
                                   : (m == PadMode::kConstant ? val : 0.0);
          acc += wv * xv;
        }
  if (m == PadMode::kPartial) return inb ? acc * static_cast<double>(g.k[0] * g.k[1] * g.k[2]) / static_cast<double>(inb) : 0.0;
  return acc;
}

// The expected conv output with bias: paddingMode 'partial' leaves a window with no
// in-bounds tap at 0, bias included (what ref_conv_at gives without the bias).
static double ref_conv_biased(const Geo& g, PadMode m, float val, const std::vector<float>& x, const std::vector<float>& w,
                              const std::vector<float>& bias, int64_t n, int64_t oc, const int64_t* o) {
  const double want = ref_conv_at(g, m, val, x, w, n, oc, o);
  if (m == PadMode::kPartial) {
    int64_t inb = 1;
    for (int i = 0; i < 3; ++i) {
      int64_t c = 0;
      for (int64_t t = 0; t < g.k[i]; ++t) { const int64_t p = o[i] * g.s[i] - g.pb[i] + t * g.d[i]; c += (p >= 0 && p < g.in[i]); }
      inb *= c;
    }
    if (inb == 0) return want;
  }
  return want + bias[static_cast<size_t>(oc)];
}

static void test_conv(std::mt19937& r) {
  const PadMode modes[] = {PadMode::kZeros, PadMode::kConstant, PadMode::kReflect, PadMode::kReplicate,
                           PadMode::kCircular, PadMode::kSymmetric, PadMode::kPartial};
  std::uniform_int_distribution<int> U(0, 1 << 20);
  for (int iter = 0; iter < 300; ++iter) {
    Geo g{};
    const int rank = 1 + U(r) % 3;
    g.N = U(r) % 3;
    g.G = 1 + U(r) % 3;
    g.Cin = g.G * (1 + U(r) % 3);
    g.Cout = g.G * (1 + U(r) % 3);
    bool ok = true;
    for (int i = 0; i < 3; ++i) {
      const bool active = i >= 3 - rank;
      g.in[i] = active ? 1 + U(r) % 7 : 1;
      g.k[i] = active ? 1 + U(r) % 4 : 1;
      g.s[i] = active ? 1 + U(r) % 3 : 1;
      g.d[i] = active ? 1 + U(r) % 2 : 1;
      g.pb[i] = active ? U(r) % 9 : 0;  // up to wider than the input
      g.pa[i] = active ? U(r) % 9 : 0;
      g.out[i] = conv_out_size(g.in[i], g.k[i], g.s[i], g.d[i], g.pb[i], g.pa[i]);
      ok = ok && g.out[i] >= 1;
    }
    if (!ok) continue;
    const PadMode m = modes[U(r) % 7];
    const bool in_cl = U(r) % 2, out_cl = U(r) % 2;
    const int64_t S = g.in[0] * g.in[1] * g.in[2], So = g.out[0] * g.out[1] * g.out[2], K = g.k[0] * g.k[1] * g.k[2];
    std::vector<float> x = randv(r, g.N * g.Cin * S), w = randv(r, g.Cout * (g.Cin / g.G) * K), bias = randv(r, g.Cout);
    std::vector<float> xin(x.size()), y(static_cast<size_t>(g.N * g.Cout * So), -7.f);
    // the op's input in its layout
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t c = 0; c < g.Cin; ++c)
        for (int64_t s = 0; s < S; ++s)
          xin[static_cast<size_t>(in_cl ? (n * S + s) * g.Cin + c : (n * g.Cin + c) * S + s)] = x[static_cast<size_t>((n * g.Cin + c) * S + s)];
    ConvDesc d;
    d.fn = "native_test";
    d.rank = rank;
    d.N = g.N; d.Cin = g.Cin; d.Cout = g.Cout; d.groups = g.G;
    for (int i = 0; i < 3; ++i) {
      d.in[i] = g.in[i]; d.k[i] = g.k[i]; d.stride[i] = g.s[i]; d.dil[i] = g.d[i];
      d.pb[i] = g.pb[i]; d.pa[i] = g.pa[i]; d.out[i] = g.out[i];
    }
    d.in_cl = in_cl; d.out_cl = out_cl; d.mode = m; d.pad_value = 0.25f;
    d.x = xin.data(); d.w = w.data(); d.bias = bias.data(); d.y = y.data();
    conv_forward(d);
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t oc = 0; oc < g.Cout; ++oc)
        for (int64_t a = 0; a < g.out[0]; ++a)
          for (int64_t b = 0; b < g.out[1]; ++b)
            for (int64_t e = 0; e < g.out[2]; ++e) {
              const int64_t o[3] = {a, b, e};
              const int64_t s = (a * g.out[1] + b) * g.out[2] + e;
              const double want = ref_conv_biased(g, m, 0.25f, x, w, bias, n, oc, o);
              const float got = y[static_cast<size_t>(out_cl ? (n * So + s) * g.Cout + oc : (n * g.Cout + oc) * So + s)];
              CHECK(std::fabs(got - want) <= 1e-4 * (1 + std::fabs(want)) * std::sqrt(static_cast<double>(K * g.Cin)),
                    "conv iter %d mode %d: got %g want %g", iter, (int)m, got, want);
            }
  }
}

// <conv(x), y> == <x, convT(y)> for every mode convTranspose offers.
static void test_adjoint(std::mt19937& r) {
  const PadMode modes[] = {PadMode::kZeros, PadMode::kReflect, PadMode::kReplicate, PadMode::kCircular, PadMode::kSymmetric};
  std::uniform_int_distribution<int> U(0, 1 << 20);
  for (int iter = 0; iter < 200; ++iter) {
    ConvDesc c;
    c.fn = "native_test";
    c.rank = 1 + U(r) % 3;
    c.N = 1 + U(r) % 2; c.groups = 1 + U(r) % 2;
    c.Cin = c.groups * (1 + U(r) % 3); c.Cout = c.groups * (1 + U(r) % 3);
    bool ok = true;
    for (int i = 0; i < 3; ++i) {
      const bool active = i >= 3 - c.rank;
      c.in[i] = active ? 1 + U(r) % 6 : 1;
      c.k[i] = active ? 1 + U(r) % 3 : 1;
      c.stride[i] = active ? 1 + U(r) % 3 : 1;
      c.dil[i] = active ? 1 + U(r) % 2 : 1;
      c.pb[i] = active ? U(r) % 7 : 0;
      c.pa[i] = active ? U(r) % 7 : 0;
      c.out[i] = conv_out_size(c.in[i], c.k[i], c.stride[i], c.dil[i], c.pb[i], c.pa[i]);
      ok = ok && c.out[i] >= 1;
    }
    if (!ok) continue;
    c.mode = modes[U(r) % 5];
    const int64_t S = c.in[0] * c.in[1] * c.in[2], So = c.out[0] * c.out[1] * c.out[2], K = c.k[0] * c.k[1] * c.k[2];
    std::vector<float> x = randv(r, c.N * c.Cin * S), w = randv(r, c.Cout * (c.Cin / c.groups) * K);
    std::vector<float> yv = randv(r, c.N * c.Cout * So), cx(static_cast<size_t>(c.N * c.Cout * So)), ty(x.size());
    c.x = x.data(); c.w = w.data(); c.y = cx.data();
    conv_forward(c);
    ConvTransposeDesc t;
    t.fn = "native_test";
    t.rank = c.rank; t.N = c.N; t.Cin = c.Cout; t.Cout = c.Cin; t.groups = c.groups; t.mode = c.mode;
    for (int i = 0; i < 3; ++i) {
      t.in[i] = c.out[i]; t.k[i] = c.k[i]; t.stride[i] = c.stride[i]; t.dil[i] = c.dil[i];
      t.pb[i] = c.pb[i]; t.pa[i] = c.pa[i]; t.out[i] = c.in[i];
      t.opad[i] = c.in[i] - conv_transpose_out_size(c.out[i], c.k[i], c.stride[i], c.dil[i], c.pb[i], c.pa[i], 0);
    }
    // The conv weight [Cout, Cin/g, k] read as the transposed weight [Cin', Cout'/g, k].
    t.x = yv.data(); t.w = w.data(); t.y = ty.data();
    conv_transpose_forward(t);
    double lhs = 0, rhs = 0, mag = 0;
    for (size_t i = 0; i < cx.size(); ++i) { lhs += static_cast<double>(cx[i]) * yv[i]; mag += std::fabs(cx[i] * yv[i]); }
    for (size_t i = 0; i < x.size(); ++i) rhs += static_cast<double>(x[i]) * ty[i];
    CHECK(std::fabs(lhs - rhs) <= 1e-4 * (1 + mag), "adjoint iter %d mode %d: %g vs %g", iter, (int)c.mode, lhs, rhs);
  }
}

static void test_interpolate_and_pad(std::mt19937& r) {
  std::uniform_int_distribution<int> U(0, 1 << 20);
  for (int iter = 0; iter < 200; ++iter) {
    InterpDesc d;
    d.fn = "native_test";
    d.rank = 1 + U(r) % 3;
    d.N = U(r) % 3; d.C = 1 + U(r) % 4;
    d.mode = static_cast<InterpMode>(U(r) % 5);
    d.align_corners = (d.mode == InterpMode::kLinear || d.mode == InterpMode::kCubic) && U(r) % 2;
    for (int i = 0; i < 3; ++i) {
      const bool active = i >= 3 - d.rank;
      d.in[i] = active ? 1 + U(r) % 9 : 1;
      d.out[i] = active ? 1 + U(r) % 17 : 1;
      d.scale[i] = active && U(r) % 2 ? 0.5 + (U(r) % 8) * 0.37 : 0;
    }
    d.in_cl = U(r) % 2; d.out_cl = U(r) % 2;
    std::vector<float> x = randv(r, d.N * d.C * d.in[0] * d.in[1] * d.in[2]);
    std::vector<float> y(static_cast<size_t>(d.N * d.C * d.out[0] * d.out[1] * d.out[2]), NAN);
    d.x = x.data(); d.y = y.data();
    interpolate_forward(d);
    for (float v : y) CHECK(std::isfinite(v) && std::fabs(v) < 2.0f, "interpolate iter %d value %g", iter, v);
  }
  // Nearest x2 along W of widths divisible by 8 (the kernels' x2 row path), H x1, x2 and x3;
  // small outputs and a 1.2 MB one (streamed into a 64-byte-aligned buffer), against indexing.
  const int64_t dup_cases[][4] = {{3, 5, 8, 2}, {2, 3, 24, 3}, {1, 7, 16, 1}, {64, 48, 24, 2}};
  for (const auto& c : dup_cases) {
    InterpDesc d;
    d.fn = "native_test";
    d.N = 1; d.C = c[0];
    d.in[1] = c[1]; d.in[2] = c[2]; d.out[1] = c[1] * c[3]; d.out[2] = 2 * c[2];
    d.scale[1] = static_cast<double>(c[3]); d.scale[2] = 2;
    d.mode = InterpMode::kNearest;
    const int64_t n_in = d.C * d.in[1] * d.in[2], n_out = d.C * d.out[1] * d.out[2];
    std::vector<float> x = randv(r, n_in), mem(static_cast<size_t>(n_out + 16), NAN);
    float* y = mem.data() + (16 - reinterpret_cast<uintptr_t>(mem.data()) / 4 % 16) % 16;
    d.x = x.data(); d.y = y;
    interpolate_forward(d);
    for (int64_t q = 0; q < n_out; ++q) {
      const int64_t w = q % d.out[2], h = q / d.out[2] % d.out[1], ch = q / (d.out[2] * d.out[1]);
      CHECK(y[q] == x[static_cast<size_t>((ch * d.in[1] + h / c[3]) * d.in[2] + w / 2)], "nearest x2 %ldx%ldx%ld (x%ld) at %ld",
            (long)c[0], (long)c[1], (long)c[2], (long)c[3], (long)q);
    }
  }
  for (int iter = 0; iter < 200; ++iter) {
    PadDesc p;
    p.fn = "native_test";
    p.rank = 1 + U(r) % 3; p.N = U(r) % 3; p.C = 1 + U(r) % 3;
    const PadMode modes[] = {PadMode::kConstant, PadMode::kReflect, PadMode::kReplicate, PadMode::kCircular, PadMode::kSymmetric};
    p.mode = modes[U(r) % 5];
    p.value = 0.5f;
    bool ok = true;
    for (int i = 0; i < 3; ++i) {
      const bool active = i >= 3 - p.rank;
      p.in[i] = active ? 1 + U(r) % 6 : 1;
      p.before[i] = active ? U(r) % 12 - 3 : 0;
      p.after[i] = active ? U(r) % 12 - 3 : 0;
      p.out[i] = p.in[i] + p.before[i] + p.after[i];
      const int64_t kept = p.in[i] + (p.before[i] < 0 ? p.before[i] : 0) + (p.after[i] < 0 ? p.after[i] : 0);
      ok = ok && p.out[i] >= 1 && kept >= 1;
    }
    if (!ok) continue;
    p.in_cl = U(r) % 2; p.out_cl = U(r) % 2;
    std::vector<float> x = randv(r, p.N * p.C * p.in[0] * p.in[1] * p.in[2]);
    std::vector<float> y(static_cast<size_t>(p.N * p.C * p.out[0] * p.out[1] * p.out[2]), NAN);
    p.x = x.data(); p.y = y.data();
    pad_forward(p);
    for (float v : y) CHECK(std::isfinite(v), "pad iter %d", iter);
  }
  {  // a result of 4 MiB or more (rows streamed): every element from its source
    PadDesc p;
    p.fn = "native_test";
    p.rank = 2; p.N = 1; p.C = 3; p.mode = PadMode::kReflect;
    p.in[1] = 300; p.in[2] = 1013; p.before[1] = 7; p.after[1] = 5; p.before[2] = 3; p.after[2] = 9;
    for (int i = 1; i < 3; ++i) p.out[i] = p.in[i] + p.before[i] + p.after[i];
    std::vector<float> x = randv(r, p.C * p.in[1] * p.in[2]), y(static_cast<size_t>(p.C * p.out[1] * p.out[2]), NAN);
    p.x = x.data(); p.y = y.data();
    pad_forward(p);
    auto refl = [](int64_t j, int64_t n) { return j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j; };
    int64_t bad = 0;
    for (int64_t c = 0; c < p.C; ++c)
      for (int64_t h = 0; h < p.out[1]; ++h)
        for (int64_t w = 0; w < p.out[2]; ++w)
          bad += y[static_cast<size_t>((c * p.out[1] + h) * p.out[2] + w)] !=
                 x[static_cast<size_t>((c * p.in[1] + refl(h - 7, p.in[1])) * p.in[2] + refl(w - 3, p.in[2]))];
    CHECK(bad == 0, "large reflect pad: %ld elements off", (long)bad);
  }
}

// Same results, bit for bit, with 1 and 2 threads.
static void test_threads(std::mt19937& r) {
  ConvDesc d;
  d.fn = "native_test";
  d.rank = 2; d.N = 2; d.Cin = 6; d.Cout = 10; d.groups = 2;
  d.in[1] = 17; d.in[2] = 19; d.k[1] = 3; d.k[2] = 3; d.pb[1] = d.pa[1] = d.pb[2] = d.pa[2] = 1;
  d.out[1] = 17; d.out[2] = 19;
  d.mode = PadMode::kReflect;
  std::vector<float> x = randv(r, 2 * 6 * 17 * 19), w = randv(r, 10 * 3 * 9), y1(2 * 10 * 17 * 19), y2(y1.size());
  d.x = x.data(); d.w = w.data();
  set_num_threads(1); d.y = y1.data(); conv_forward(d);
  set_num_threads(2); d.y = y2.data(); conv_forward(d);
  CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * 4) == 0, "thread counts differ");
}

// The pool: every index of every parallel_for run exactly once, whatever the thread count,
// the grain and whether the workers are awake (back to back), asleep (after a pause longer
// than their spin) or just waking up when a job ends (short jobs after a pause: a worker
// that wakes late must find the job closed and leave it alone), and after resizes.
static void test_pool(std::mt19937& r) {
  const int saved = get_num_threads();
  std::vector<std::atomic<int>> hits(4096);
  for (int round = 0; round < 6; ++round) {
    set_num_threads(round % 3 + 2);  // 2, 3, 4 threads
    for (int it = 0; it < 300; ++it) {
      if (it % 50 == 0) std::this_thread::sleep_for(std::chrono::microseconds(150 + 300 * (it % 100 == 0)));
      const int64_t count = 1 + static_cast<int64_t>(r() % 4096), grain = 1 + static_cast<int64_t>(r() % 64);
      for (int64_t i = 0; i < count; ++i) hits[static_cast<size_t>(i)].store(0);
      std::atomic<int> bad_tid{0};
      std::atomic<int64_t> done{0};  // indices finished, counted as each chunk ends
      const int maxt = 1 + static_cast<int>(r() % 4);
      parallel_for_tid(count, grain, maxt, [&](int tid, int64_t b, int64_t e) {
        if (tid < 0 || tid >= maxt) bad_tid.store(1);
        for (int64_t i = b; i < e; ++i) {
          volatile uint32_t spin = static_cast<uint32_t>(i);  // ~50 ns an index: chunks last long enough
          for (int k = 0; k < 40; ++k) spin = spin * 1664525u + 1013904223u;  // to overlap the main thread's end
          hits[static_cast<size_t>(i)].fetch_add(1 + static_cast<int>(spin & 0u));
        }
        done.fetch_add(e - b);
      });
      const int64_t finished = done.load();  // (right away: every chunk must be over)
      CHECK(finished == count, "pool: round %d it %d: returned with %ld of %ld indices done", round, it,
            static_cast<long>(finished), static_cast<long>(count));
      int64_t wrong = 0;
      for (int64_t i = 0; i < count; ++i) wrong += hits[static_cast<size_t>(i)].load() != 1;
      CHECK(wrong == 0 && bad_tid.load() == 0, "pool: round %d it %d count %ld grain %ld: %ld indices not run exactly once",
            round, it, static_cast<long>(count), static_cast<long>(grain), static_cast<long>(wrong));
    }
  }
  set_num_threads(saved);
}

// A phase whose every pixel lands past the cropped end (found by the property tests).
static void test_transpose_crop() {
  ConvTransposeDesc t;
  t.fn = "native_test";
  t.rank = 1; t.N = 1; t.Cin = 1; t.Cout = 1;
  t.in[2] = 1; t.k[2] = 3; t.stride[2] = 3; t.pb[2] = 0; t.pa[2] = 1; t.out[2] = 2;
  const float x[1] = {2.f}, w[3] = {1.f, 10.f, 100.f};
  std::vector<float> y(3, -1.f);  // one guard element past the output
  t.x = x; t.w = w; t.y = y.data();
  conv_transpose_forward(t);
  CHECK(y[0] == 2.f && y[1] == 20.f && y[2] == -1.f, "crop: got %g %g guard %g", y[0], y[1], y[2]);
}

// 1-D output bands that start past the input's end (a wide reflect pad): the gather of a
// band with no interior run once looped forever.
static void test_band_past_input() {
  Geo g{};
  g.N = 1; g.Cin = 1; g.Cout = 1; g.G = 1;
  for (int i = 0; i < 3; ++i) { g.in[i] = 1; g.k[i] = 1; g.s[i] = 1; g.d[i] = 1; g.pb[i] = 0; g.pa[i] = 0; }
  g.in[2] = 3; g.k[2] = 2; g.s[2] = 2; g.pb[2] = 1; g.pa[2] = 3000;
  g.out[2] = conv_out_size(g.in[2], g.k[2], g.s[2], g.d[2], g.pb[2], g.pa[2]);
  const std::vector<float> x = {1.f, 2.f, 3.f}, w = {0.5f, 0.25f};
  std::vector<float> y(static_cast<size_t>(g.out[2]));
  ConvDesc d;
  d.fn = "native_test"; d.rank = 1; d.N = 1; d.Cin = 1; d.Cout = 1;
  d.in[2] = g.in[2]; d.k[2] = g.k[2]; d.stride[2] = g.s[2]; d.pb[2] = g.pb[2]; d.pa[2] = g.pa[2]; d.out[2] = g.out[2];
  d.mode = PadMode::kReflect;
  d.x = x.data(); d.w = w.data(); d.y = y.data();
  conv_forward(d);
  for (int64_t o = 0; o < g.out[2]; ++o) {
    const int64_t oo[3] = {0, 0, o};
    const double want = ref_conv_at(g, PadMode::kReflect, 0.f, x, w, 0, 0, oo);
    CHECK(std::fabs(y[static_cast<size_t>(o)] - want) < 1e-6, "band past input o=%ld got %g want %g", (long)o, y[static_cast<size_t>(o)], want);
  }
}

static void test_errors() {
  ConvDesc d;
  d.fn = "native_test";
  d.N = 1; d.Cin = 3; d.Cout = 4; d.groups = 2;  // 3 % 2 != 0
  bool threw = false;
  try { check_conv(d); } catch (const Error& e) { threw = e.kind == Error::kRange; }
  CHECK(threw, "groups not dividing must throw RangeError");
  max_bytes().store(1024);
  threw = false;
  try { (void)scratch(1 << 20, "native_test", "x"); } catch (const Error& e) { threw = e.kind == Error::kRange; }
  CHECK(threw, "scratch above maxBytes must throw RangeError");
  max_bytes().store(int64_t{4} << 30);
}

namespace simd_tests { static void run(std::mt19937& r); }  // the SIMD-path section, after main()

int main() {
  std::mt19937 r(1234);
  test_padmap();
  test_conv(r);
  test_adjoint(r);
  test_interpolate_and_pad(r);
  test_threads(r);
  test_pool(r);
  test_transpose_crop();
  test_band_past_input();
  test_errors();
  { std::mt19937 r2(5678); simd_tests::run(r2); }
  if (failures) {
    std::fprintf(stderr, "%d failures\n", failures);
    return 1;
  }
  std::printf("native tests: 0 failed\n");
  return 0;
}

// ---------------------------------------------------------------------------------------
// SIMD kernel paths. The random cases above are small (a few pixels, a few channels), so
// the SIMD kernels mostly run their tails there. These reach the whole tiles of every ISA's
// igemm (6x16 AVX2, 8x48 AVX-512, 6x8 SSE4.1, 8x8 NEON: channel blocks and tails, pixel
// tiles and tails, reductions longer than the driver's 256-deep chunks), its depthwise block
// kernels (3x3, 5x5, 7x7 and generic shapes, blocks of rows and their tails, both row
// sharing modes) and row kernel (stride along the row), and the layout transposes; each
// against the reference above, and bit for bit between 1 and 2 threads.
#include "../kernels/kernels.h"

namespace simd_tests {

struct Shape {
  int rank;
  int64_t N, Cin, Cout, G, in[3], k[3], s[3], d[3], pb[3], pa[3];
  PadMode mode;
  bool in_cl, out_cl;
};

static int64_t cases_run = 0, packed_run = 0;

static void run_case(const char* what, const Shape& c, std::mt19937& r) {
  Geo g{};
  g.N = c.N; g.Cin = c.Cin; g.Cout = c.Cout; g.G = c.G;
  for (int i = 0; i < 3; ++i) {
    g.in[i] = c.in[i]; g.k[i] = c.k[i]; g.s[i] = c.s[i]; g.d[i] = c.d[i]; g.pb[i] = c.pb[i]; g.pa[i] = c.pa[i];
    g.out[i] = conv_out_size(g.in[i], g.k[i], g.s[i], g.d[i], g.pb[i], g.pa[i]);
  }
  const int64_t S = g.in[0] * g.in[1] * g.in[2], So = g.out[0] * g.out[1] * g.out[2], K = g.k[0] * g.k[1] * g.k[2];
  const int64_t Cig = g.Cin / g.G;
  std::vector<float> x = randv(r, g.N * g.Cin * S), w = randv(r, g.Cout * Cig * K), bias = randv(r, g.Cout);
  std::vector<float> xin(x.size());
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t ch = 0; ch < g.Cin; ++ch)
      for (int64_t s = 0; s < S; ++s)
        xin[static_cast<size_t>(c.in_cl ? (n * S + s) * g.Cin + ch : (n * g.Cin + ch) * S + s)] = x[static_cast<size_t>((n * g.Cin + ch) * S + s)];
  ConvDesc d;
  d.fn = "native_test";
  d.rank = c.rank;
  d.N = g.N; d.Cin = g.Cin; d.Cout = g.Cout; d.groups = g.G;
  for (int i = 0; i < 3; ++i) {
    d.in[i] = g.in[i]; d.k[i] = g.k[i]; d.stride[i] = g.s[i]; d.dil[i] = g.d[i];
    d.pb[i] = g.pb[i]; d.pa[i] = g.pa[i]; d.out[i] = g.out[i];
  }
  d.in_cl = c.in_cl; d.out_cl = c.out_cl; d.mode = c.mode; d.pad_value = 0.25f;
  d.x = xin.data(); d.w = w.data(); d.bias = bias.data();
  // Results on 64-byte boundaries, as the addon allocates them (the paths that stream whole
  // lines take them only so).
  const size_t ny = static_cast<size_t>(g.N * g.Cout * So);
  std::vector<float> m1(ny + 16, -7.f), m2(ny + 16, -9.f);
  auto align64 = [](std::vector<float>& m) { return m.data() + (16 - reinterpret_cast<uintptr_t>(m.data()) / 4 % 16) % 16; };
  float* const y1 = align64(m1);
  float* const y2 = align64(m2);
  set_num_threads(1); d.y = y1; conv_forward(d);
  set_num_threads(2); d.y = y2; conv_forward(d);
  CHECK(std::memcmp(y1, y2, ny * sizeof(float)) == 0, "%s: 1 and 2 threads differ", what);
  // A prepared layer's packed weight (when the geometry takes one): the same bits.
  bool wino = false;
  const std::vector<float> wp = pack_conv(d, &wino);
  if (!wp.empty()) {
    (wino ? d.w_wino : d.w_pg) = wp.data();
    d.y = y2;
    conv_forward(d);
    d.w_pg = d.w_wino = nullptr;
    CHECK(std::memcmp(y1, y2, ny * sizeof(float)) == 0, "%s: packed weight differs", what);
    ++packed_run;
  }
  int bad = 0;
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t oc = 0; oc < g.Cout; ++oc)
      for (int64_t a = 0; a < g.out[0]; ++a)
        for (int64_t b = 0; b < g.out[1]; ++b)
          for (int64_t e = 0; e < g.out[2]; ++e) {
            const int64_t o[3] = {a, b, e};
            const int64_t s = (a * g.out[1] + b) * g.out[2] + e;
            const double want = ref_conv_biased(g, c.mode, 0.25f, x, w, bias, n, oc, o);
            const float got = y1[static_cast<size_t>(c.out_cl ? (n * So + s) * g.Cout + oc : (n * g.Cout + oc) * So + s)];
            const bool ok = std::fabs(got - want) <= 1e-5 * (1 + std::fabs(want)) * std::sqrt(static_cast<double>(K * Cig));
            if (!ok && bad++ < 3)
              CHECK(ok, "%s: n %ld oc %ld at (%ld, %ld, %ld): got %.8g want %.8g", what, (long)n, (long)oc, (long)a, (long)b, (long)e,
                    got, want);
          }
  CHECK(bad == 0, "%s: %d outputs off the reference", what, bad);
  ++cases_run;
}

// rank 1: in/k/s/d/pb/pa along W; rank 2: {H, W}; rank 3: {D, H, W}.
static Shape shape(int rank, int64_t N, int64_t Cin, int64_t Cout, int64_t G, std::vector<int64_t> in, std::vector<int64_t> k,
                   std::vector<int64_t> s, std::vector<int64_t> d, std::vector<int64_t> pb, std::vector<int64_t> pa, PadMode mode,
                   bool in_cl = false, bool out_cl = false) {
  Shape c{};
  c.rank = rank; c.N = N; c.Cin = Cin; c.Cout = Cout; c.G = G; c.mode = mode; c.in_cl = in_cl; c.out_cl = out_cl;
  for (int i = 0; i < 3; ++i) {
    const int j = i - (3 - rank);  // index into the per-rank lists
    const bool active = j >= 0;
    c.in[i] = active ? in[static_cast<size_t>(j)] : 1;
    c.k[i] = active ? k[static_cast<size_t>(j)] : 1;
    c.s[i] = active ? s[static_cast<size_t>(j)] : 1;
    c.d[i] = active ? d[static_cast<size_t>(j)] : 1;
    c.pb[i] = active ? pb[static_cast<size_t>(j)] : 0;
    c.pa[i] = active ? pa[static_cast<size_t>(j)] : 0;
  }
  return c;
}

static void test_igemm_paths(std::mt19937& r) {
  const PadMode Z = PadMode::kZeros;
  // channel blocks + tail, pixel tiles + tails
  run_case("igemm 3->16 3x3 pad 1", shape(2, 1, 3, 16, 1, {20, 37}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z), r);
  // no padding, unit stride: the direct path; K = 360 > 256: accumulated reduction chunks;
  // channels-last in and out: the layout transposes
  run_case("igemm 40->13 3x3 direct NHWC", shape(2, 1, 40, 13, 1, {9, 23}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z, true, true), r);
  run_case("igemm 8->7 5x5 s2 reflect", shape(2, 1, 8, 7, 1, {31, 45}, {5, 5}, {2, 2}, {1, 1}, {2, 2}, {2, 2}, PadMode::kReflect), r);
  run_case("igemm 6->24 g2 3x3 d2 replicate", shape(2, 1, 6, 24, 2, {17, 64}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}, PadMode::kReplicate), r);
  run_case("igemm 1-D 4->9 k7 circular", shape(1, 2, 4, 9, 1, {200}, {7}, {1}, {1}, {3}, {3}, PadMode::kCircular), r);
  // 1-D beyond one band (512 outputs): the inner bands read the input in place, the end ones are gathered
  run_case("igemm 1-D 8->20 k5 d2 reflect long", shape(1, 2, 8, 20, 1, {3001}, {5}, {1}, {2}, {4}, {4}, PadMode::kReflect), r);
  run_case("igemm 1-D 6->10 g2 k3 long", shape(1, 2, 6, 10, 2, {2500}, {3}, {1}, {1}, {1}, {1}, Z), r);
  run_case("igemm 1-D 5->9 k4 constant asym long NHWC", shape(1, 1, 5, 9, 1, {1800}, {4}, {1}, {1}, {2}, {1}, PadMode::kConstant, true, true), r);
  // (written channels-last by the igemm's epilogue itself: groups, streamed transposes)
  run_case("igemm 24->48 g2 3x3 NHWC in and out, streamed", shape(2, 1, 24, 48, 2, {40, 41}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z, true, true), r);
  run_case("igemm 16->40 3x3 s2 NCHW in, NHWC out", shape(2, 1, 16, 40, 1, {30, 33}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, PadMode::kReflect, false, true), r);
  // (read channels-last by the gather itself: strides, dilation, a padding mode, groups, and a
  // single band gathered in channel parts by the threads)
  run_case("igemm 12->20 g2 3x3 s2 d2 reflect, NHWC in", shape(2, 2, 12, 20, 2, {17, 19}, {3, 3}, {2, 2}, {2, 2}, {2, 2}, {2, 2}, PadMode::kReflect, true, false), r);
  run_case("igemm 64->40 3x3 7x7 NHWC in (one band, parts)", shape(2, 1, 64, 40, 1, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z, true, true), r);
  run_case("igemm 2-D one output row, 3 input rows, long", shape(2, 1, 3, 8, 1, {3, 1200}, {3, 3}, {2, 1}, {1, 1}, {0, 1}, {0, 1}, Z), r);
  run_case("igemm 1-D 4->8 k3 no pad long", shape(1, 1, 4, 8, 1, {1500}, {3}, {1}, {1}, {0}, {0}, PadMode::kCircular), r);
  run_case("igemm 3-D 3->8 3x3x3", shape(3, 2, 3, 8, 1, {5, 9, 19}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, Z), r);
  run_case("igemm 64->6 1x1", shape(2, 1, 64, 6, 1, {7, 53}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z), r);
  // 1x1 read in place, each tile group's pixels copied first: two chunks, a partial group
  run_case("igemm 300->20 1x1 (two chunks, pixel blocks)", shape(2, 2, 300, 20, 1, {9, 23}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z), r);
  // planes a multiple of 1 KiB: gathered, channels an odd number of lines apart
  run_case("igemm 24->20 1x1 32x32 (aliasing planes)", shape(2, 1, 24, 20, 1, {32, 32}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z), r);
  // output rows of whole tiles (packed igemm: tile groups along each row; a single tile at a row's end)
  run_case("igemm 8->48 3x3 d2 rows of 48", shape(2, 1, 8, 48, 1, {24, 48}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}, PadMode::kReflect), r);
  run_case("igemm 16->14 3x3 16x16 valid (aliasing planes)", shape(2, 2, 16, 14, 1, {16, 16}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z), r);
  // one image, many bands: at 2 threads the last bands are halved (uneven bands)
  run_case("igemm 16->24 3x3 one image, 57 rows", shape(2, 1, 16, 24, 1, {57, 40}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, PadMode::kReflect), r);
  run_case("igemm 5->11 3x3 partial", shape(2, 1, 5, 11, 1, {13, 29}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, PadMode::kPartial), r);
  run_case("igemm 2->5 4x4 s3 constant", shape(2, 1, 2, 5, 1, {40, 40}, {4, 4}, {3, 3}, {1, 1}, {3, 3}, {3, 3}, PadMode::kConstant), r);
  // pointwise, channels-last in and out: one GEMM over the pixels (conv1x1_cl)
  run_case("1x1 NHWC 40->48", shape(2, 2, 40, 48, 1, {9, 13}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z, true, true), r);
  run_case("1x1 NHWC 300->33 (two chunks)", shape(2, 1, 300, 33, 1, {7, 11}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z, true, true), r);
  run_case("1x1 NHWC g2 24->40", shape(2, 1, 24, 40, 2, {5, 21}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z, true, true), r);
  run_case("1x1 NWC 1-D 17->64", shape(1, 2, 17, 64, 1, {301}, {1}, {1}, {1}, {0}, {0}, Z, true, true), r);
  run_case("1x1 NDHWC 3-D 8->16", shape(3, 1, 8, 16, 1, {3, 4, 5}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, Z, true, true), r);
  // results of 256 KiB or more written by the packed igemm itself (TileOut), channels-first:
  // output rows of whole tiles (two reduction chunks, a narrow last block of 2 channels), a
  // 1x1 conv's flat pixels in bands of whole tiles, and one whose bands of 44-pixel rows are
  // not (its items take the epilogue)
  run_case("igemm 12->32 5x5 rows of 48, streamed by the kernel", shape(2, 1, 12, 32, 1, {44, 48}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, Z), r);
  run_case("igemm 24->40 g2 5x5 rows of 64, two images, streamed by the kernel", shape(2, 2, 24, 40, 2, {40, 64}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, Z), r);
  run_case("igemm 300->20 1x1 rows of 48, streamed by the kernel", shape(2, 2, 300, 20, 1, {40, 48}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z), r);
  run_case("igemm 300->20 1x1 rows of 44, streamed", shape(2, 2, 300, 20, 1, {40, 44}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z), r);
  // (one image at 2 threads: the last bands halved on whole tiles, as W2's)
  run_case("igemm 64->24 1x1 56x56, streamed by the kernel", shape(2, 1, 64, 24, 1, {56, 56}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z), r);
  run_case("igemm 30->50 3x3 s2 symmetric", shape(2, 1, 30, 50, 1, {8, 14}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, PadMode::kSymmetric), r);
}

// The pixel-major pgemm (small maps, output channels in the lanes; AVX-512) against the
// igemm it replaces there: the same sums bit for bit, per mr, K (over and under one chunk)
// and accumulation; then through the driver, whole and packed.
// The packed-weight igemm (kt.igemm_pk, where an ISA has one) against the unpacked igemm of
// the same table, bit for bit: its blocks are igemm_mr channels wide (a table pairing it with
// another ISA's igemm fails here), over odd and even K, full and partial tiles, both modes,
// and every count of a block's channels: rows m < mr as the igemm's, rows past them untouched.
static void test_igemm_packed(std::mt19937& r) {
  const convkit::KernelTable& kt = convkit::kernels();
  if (!kt.igemm_pk) return;
  const int64_t MR = kt.igemm_mr, NR = kt.igemm_nr, L = 3 * NR + 5, ldc = 2 * NR;
  for (int64_t K : {1, 2, 7, 256, 301})
    for (int64_t nr = 1; nr <= NR; nr += (nr < 3 || nr >= NR - 1) ? 1 : NR / 4)
      for (int64_t mr = 1; mr <= MR; ++mr)
      for (int acc = 0; acc < 2; ++acc) {
        std::vector<float> src = randv(r, K * L), a = randv(r, MR * K), ap(static_cast<size_t>(K * MR));
        std::vector<const float*> rows(static_cast<size_t>(K));
        for (int64_t k = 0; k < K; ++k) rows[static_cast<size_t>(k)] = src.data() + (k * 7) % K * L;
        for (int64_t k = 0; k < K; ++k)
          for (int64_t m = 0; m < MR; ++m) ap[static_cast<size_t>(k * MR + m)] = a[static_cast<size_t>(m * K + k)];
        std::vector<float> c1 = randv(r, MR * ldc), c2 = c1;
        const std::vector<float> c0 = c1;
        kt.igemm(K, a.data(), K, rows.data(), 5, nr, c1.data(), ldc, acc != 0);
        kt.igemm_pk(K, ap.data(), rows.data(), 5, nr, c2.data(), ldc, acc != 0, mr, nullptr);
        int bad = 0;
        for (int64_t m = 0; m < MR; ++m)
          bad += std::memcmp(m < mr ? &c1[static_cast<size_t>(m * ldc)] : &c0[static_cast<size_t>(m * ldc)],
                             &c2[static_cast<size_t>(m * ldc)], static_cast<size_t>(nr) * 4) != 0;
        CHECK(bad == 0, "igemm_pk K %ld nr %ld mr %ld acc %d: %d of %ld rows differ from the igemm's (or, past mr, from before)",
              (long)K, (long)nr, (long)mr, acc, bad, (long)MR);
      }
}

// The kernels that take more pixels at once for a few channels: igemm_pk_narrow (a block's last
// 1-3 channels, a tile group of up to 32 pixels) against igemm_pk tile by tile, and the pgemm's
// runs of up to pgemm_mr_narrow pixels (one vector of channels) against tile-by-tile calls:
// the same bits, nothing written to rows (channels) past mr.
static void test_narrow_kernels(std::mt19937& r) {
  const convkit::KernelTable& kt = convkit::kernels();
  if (kt.igemm_pk_narrow) {
    const int64_t MR = kt.igemm_mr, NR = kt.igemm_nr, ldc = 64, L = 64;
    for (int64_t K : {1, 5, 256})
      for (int64_t mr = 1; mr <= kt.igemm_pk_narrow_mr; ++mr)
        for (int64_t nr : {1, 7, 8, 9, 16, 17, 31, 32})
          for (int acc = 0; acc < 2; ++acc) {
            std::vector<float> src = randv(r, K * L), ap = randv(r, K * MR), c0 = randv(r, MR * ldc);
            std::vector<const float*> rows(static_cast<size_t>(K));
            for (int64_t k = 0; k < K; ++k) rows[static_cast<size_t>(k)] = src.data() + k * L;
            std::vector<float> c1 = c0, c2 = c0;
            kt.igemm_pk_narrow(K, ap.data(), rows.data(), 5, nr, c1.data(), ldc, acc != 0, mr, nullptr);
            for (int64_t p = 0; p < nr; p += NR) kt.igemm_pk(K, ap.data(), rows.data(), 5 + p, std::min(NR, nr - p), c2.data() + p, ldc, acc != 0, mr, nullptr);
            int bad = 0;
            for (int64_t m = 0; m < MR; ++m)
              bad += std::memcmp(&c1[static_cast<size_t>(m * ldc)], m < mr ? &c2[static_cast<size_t>(m * ldc)] : &c0[static_cast<size_t>(m * ldc)],
                                 static_cast<size_t>(nr) * 4) != 0;
            CHECK(bad == 0, "igemm_pk_narrow K %ld mr %ld nr %ld acc %d: %d rows differ from igemm_pk's (or, past mr, from before)",
                  (long)K, (long)mr, (long)nr, acc, bad);
          }
  }
  if (kt.pgemm_mr_narrow) {
    const int64_t NR = kt.pgemm_nr, PM = kt.pgemm_mr, L = 40;
    for (int64_t K : {1, 7, 256})
      for (int64_t mr = 1; mr <= kt.pgemm_mr_narrow; ++mr)
        for (int64_t nc : {int64_t{1}, NR / 3})
          for (int acc = 0; acc < 2; ++acc) {
            std::vector<float> src = randv(r, K * L), wp = randv(r, K * NR), c0 = randv(r, kt.pgemm_mr_narrow * NR);
            std::vector<const float*> rows(static_cast<size_t>(K));
            for (int64_t k = 0; k < K; ++k) rows[static_cast<size_t>(k)] = src.data() + k * L;
            std::vector<float> c1 = c0, c2 = c0;
            kt.pgemm(K, wp.data(), rows.data(), 3, mr, c1.data(), acc != 0, 1, nc, nullptr, 0);
            for (int64_t p = 0; p < mr; p += PM) kt.pgemm(K, wp.data(), rows.data(), 3 + p, std::min(PM, mr - p), c2.data() + p * NR, acc != 0, 1, nc, nullptr, 0);
            int bad = 0;
            for (int64_t i = 0; i < mr; ++i)
              bad += std::memcmp(&c1[static_cast<size_t>(i * NR)], &c2[static_cast<size_t>(i * NR)], static_cast<size_t>(nc) * 4) != 0;
            CHECK(bad == 0, "pgemm run K %ld mr %ld nc %ld acc %d: %d pixels differ from tile-by-tile calls", (long)K, (long)mr, (long)nc, acc, bad);
          }
  }
}

// 3x3 unit-stride convolutions of 32+ channels each side: Winograd F(2x2, 3x3) where the ISA
// has its transforms (ops/conv_winograd.cc), else the direct sums. Odd output sizes (half
// tiles), padding per side, a constant fill, a last block of fewer than 6 channels, several
// images; the scratch bound gives passes of output channels and single-worker calls. Larger
// outputs take F(4x4, 3x3); 1-D: F(4, 3), and F(2, 3) on lengths too short for its scratch.
static void test_winograd(std::mt19937& r) {
  const PadMode Z = PadMode::kZeros, C = PadMode::kConstant;
  run_case("winograd 32->38 p1, 2 x 29x31", shape(2, 2, 32, 38, 1, {29, 31}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z), r);
  run_case("winograd 36->32 valid, 3 x 37x30", shape(2, 3, 36, 32, 1, {37, 30}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z), r);
  run_case("winograd 40->32 constant, pads (2,0) (0,3), 2 x 30x26",
           shape(2, 2, 40, 32, 1, {30, 26}, {3, 3}, {1, 1}, {1, 1}, {2, 0}, {0, 3}, C), r);
  run_case("winograd 64->64 p1 48x48", shape(2, 1, 64, 64, 1, {48, 48}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z), r);
  run_case("winograd 32->38 p1 NHWC in and out, 2 x 29x31",
           shape(2, 2, 32, 38, 1, {29, 31}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z, true, true), r);
  run_case("winograd F(4x4) 32->32 p1, 2 x 45x33", shape(2, 2, 32, 32, 1, {45, 33}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z), r);
  run_case("winograd F(4x4) 33->32 dilation 2 p2, NHWC in and out, 66x70",
           shape(2, 1, 33, 32, 1, {66, 70}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}, Z, true, true), r);
  run_case("winograd F(4x4) 32->34 constant, pads (2,0) (0,3), 3 x 36x30",
           shape(2, 3, 32, 34, 1, {36, 30}, {3, 3}, {1, 1}, {1, 1}, {2, 0}, {0, 3}, C), r);
  run_case("winograd 1-D F(4, 3) 32->38 p1, 3 x 201", shape(1, 3, 32, 38, 1, {201}, {3}, {1}, {1}, {1}, {1}, Z), r);
  run_case("winograd 1-D F(4, 3) 32->32 p1, 2 x 203", shape(1, 2, 32, 32, 1, {203}, {3}, {1}, {1}, {1}, {1}, Z), r);
  run_case("winograd 1-D F(4, 3) 32->40 p1, 2 x 1703 (a streamed result)", shape(1, 2, 32, 40, 1, {1703}, {3}, {1}, {1}, {1}, {1}, Z), r);
  run_case("winograd 1-D F(2, 3) 64->64 p1, 401", shape(1, 1, 64, 64, 1, {401}, {3}, {1}, {1}, {1}, {1}, Z), r);
  run_case("winograd 1-D F(2, 3) 48->48 dilation 2 p2, NWC in and out, 300",
           shape(1, 1, 48, 48, 1, {300}, {3}, {1}, {2}, {2}, {2}, Z, true, true), r);
  run_case("winograd 1-D 40->34 constant, dilation 2, pads (2, 3), NWC in and out, 2 x 515",
           shape(1, 2, 40, 34, 1, {515}, {3}, {1}, {2}, {2}, {3}, C, true, true), r);
  run_case("winograd 32->36 dilation 2 p2, NHWC in, 27x38", shape(2, 1, 32, 36, 1, {27, 38}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}, Z, true), r);
  run_case("winograd 32->36 dilation 2 p2, 2 x 27x38", shape(2, 2, 32, 36, 1, {27, 38}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}, Z), r);
  run_case("winograd 34->32 dilation (2, 3) constant, pads (1, 4) (3, 2), 31x40",
           shape(2, 1, 34, 32, 1, {31, 40}, {3, 3}, {1, 1}, {2, 3}, {1, 4}, {3, 2}, C), r);
}

static void test_pgemm_paths(std::mt19937& r) {
  const convkit::KernelTable& kt = convkit::kernels();
  if (kt.pgemm) {
    const int64_t NR = kt.pgemm_nr, MRp = kt.pgemm_mr, MR = kt.igemm_mr;
    for (int64_t K : {1, 7, 256, 301})
      for (int64_t mr = 1; mr <= MRp; ++mr)
        for (int acc = 0; acc < 2; ++acc) {
          const int64_t L = 40;  // row length; tiles start at p0 = 3
          std::vector<float> src = randv(r, K * L), wp = randv(r, K * NR), a(static_cast<size_t>(NR * K));
          std::vector<const float*> rows(static_cast<size_t>(K));
          for (int64_t k = 0; k < K; ++k) rows[static_cast<size_t>(k)] = src.data() + k * L;
          for (int64_t k = 0; k < K; ++k)
            for (int64_t j = 0; j < NR; ++j) a[static_cast<size_t>(j * K + k)] = wp[static_cast<size_t>(k * NR + j)];
          const int64_t ldc = 64;
          std::vector<float> c1 = randv(r, MRp * NR), c2(static_cast<size_t>(NR * ldc));
          for (int64_t i = 0; i < mr; ++i)
            for (int64_t j = 0; j < NR; ++j) c2[static_cast<size_t>(j * ldc + i)] = c1[static_cast<size_t>(i * NR + j)];
          // The same pixels channels-last (pixel stride K + 3, rows[k] at channel k of pixel 0).
          const int64_t ps = K + 3;
          std::vector<float> cl(static_cast<size_t>(L * ps));
          std::vector<const float*> rows_cl(static_cast<size_t>(K));
          for (int64_t k = 0; k < K; ++k) {
            rows_cl[static_cast<size_t>(k)] = cl.data() + k;
            for (int64_t p = 0; p < L; ++p) cl[static_cast<size_t>(p * ps + k)] = src[static_cast<size_t>(k * L + p)];
          }
          std::vector<float> c3 = c1;
          const std::vector<float> c0 = c1;
          kt.pgemm(K, wp.data(), rows.data(), 3, mr, c1.data(), acc != 0, 1, NR, nullptr, 0);
          kt.pgemm(K, wp.data(), rows_cl.data(), 3, mr, c3.data(), acc != 0, ps, NR, nullptr, 0);
          CHECK(std::memcmp(c1.data(), c3.data(), c1.size() * sizeof(float)) == 0, "pgemm K %ld mr %ld acc %d: pixel stride %ld differs",
                (long)K, (long)mr, acc, (long)ps);
          // Lines to prefetch spread over the loop (fewer, as many and more than K): the same sums.
          std::vector<const char*> pf(static_cast<size_t>(K + 5));
          for (size_t l = 0; l < pf.size(); ++l) pf[l] = reinterpret_cast<const char*>(src.data()) + (l * 64) % (src.size() * 4);
          for (int64_t npf : {int64_t{1}, int64_t{3}, K, K + 5}) {
            std::vector<float> c5 = c0;
            kt.pgemm(K, wp.data(), rows.data(), 3, mr, c5.data(), acc != 0, 1, NR, pf.data(), npf);
            CHECK(std::memcmp(c1.data(), c5.data(), c1.size() * sizeof(float)) == 0, "pgemm K %ld mr %ld acc %d: %ld lines to prefetch change the sums",
                  (long)K, (long)mr, acc, (long)npf);
          }
          // A partial panel (nc of its channels, e.g. a last one): those lanes as the whole panel's.
          for (int64_t nc : {int64_t{1}, int64_t{8}, int64_t{9}, NR / 2 + 1, NR - 1}) {
            std::vector<float> c4 = c0;
            kt.pgemm(K, wp.data(), rows.data(), 3, mr, c4.data(), acc != 0, 1, nc, nullptr, 0);
            int off = 0;
            for (int64_t i = 0; i < mr; ++i)
              off += std::memcmp(&c1[static_cast<size_t>(i * NR)], &c4[static_cast<size_t>(i * NR)], static_cast<size_t>(nc) * 4) != 0;
            CHECK(off == 0, "pgemm K %ld mr %ld acc %d nc %ld: %d pixels' channels differ from the whole panel's", (long)K, (long)mr, acc,
                  (long)nc, off);
          }
          for (int64_t j0 = 0; j0 < NR; j0 += MR)
            kt.igemm(K, a.data() + j0 * K, K, rows.data(), 3, mr, c2.data() + j0 * ldc, ldc, acc != 0);
          int bad = 0;
          for (int64_t i = 0; i < mr; ++i)
            for (int64_t j = 0; j < NR; ++j)
              bad += std::memcmp(&c1[static_cast<size_t>(i * NR + j)], &c2[static_cast<size_t>(j * ldc + i)], 4) != 0;
          CHECK(bad == 0, "pgemm K %ld mr %ld acc %d: %d sums differ from the igemm's", (long)K, (long)mr, acc, bad);
        }
  }
  const PadMode Z = PadMode::kZeros;
  const int64_t before = packed_run;
  // K = 360: two reduction chunks; 48 channels: a whole panel and a partial one
  run_case("pgemm 40->48 7x7 pad 1", shape(2, 1, 40, 48, 1, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z), r);
  run_case("pgemm 16->64 g2 s2 reflect", shape(2, 2, 16, 64, 2, {9, 8}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, PadMode::kReflect), r);
  run_case("pgemm 3-D 8->40 3x3x3", shape(3, 1, 8, 40, 1, {3, 4, 5}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, Z), r);
  run_case("pgemm 1-D 24->33 k3 d2", shape(1, 1, 24, 33, 1, {10}, {3}, {1}, {2}, {2}, {2}, Z), r);
  run_case("pgemm 32->32 3x3 NHWC", shape(2, 1, 32, 32, 1, {5, 6}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z, true, true), r);
  // Outputs large enough for the per-chunk gathers (conv_fast's pg_chunked): several images,
  // chunks across channel boundaries; a constant fill over several bands of a tall map.
  run_case("pgemm 64->128 7x7 x4 pad 1, gathered by chunks", shape(2, 4, 64, 128, 1, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z), r);
  run_case("pgemm 40->80 130x7 constant, gathered by chunks", shape(2, 1, 40, 80, 1, {130, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, PadMode::kConstant), r);
  CHECK(!kt.pgemm || packed_run - before == 7, "pgemm: %ld of 7 small-map cases took the packed path", (long)(packed_run - before));
}

// The streamed epilogue rows (AVX-512: 64-byte non-temporal stores): every length and
// alignment, exactly raw + b, nothing written outside [0, n).
static void test_stream_row(std::mt19937& r) {
  const convkit::KernelTable& kt = convkit::kernels();
  if (!kt.stream_row) return;
  std::vector<float> raw = randv(r, 100), sc = randv(r, 100), po = randv(r, 100);
  alignas(64) float y[128];
  for (int form = 0; form < 4; ++form) {  // scale and post, each given or not
    const float* scale = form & 1 ? sc.data() + 5 : nullptr;
    const float* post = form & 2 ? po.data() + 7 : nullptr;
    for (int64_t off = 0; off < 16; ++off)
      for (int64_t n = 0; n <= 70; ++n) {
        for (float& v : y) v = -1234.f;
        kt.stream_row(raw.data() + 3, 0.5f, scale, post, y + off, n);
        int bad = 0;
        for (int64_t i = 0; i < 128; ++i) {
          const int64_t k = i - off;
          float want = -1234.f;
          if (k >= 0 && k < n) {  // the portable epilogue's operations, one rounding each
            volatile float v = raw[static_cast<size_t>(3 + k)];
            if (scale) v = v * scale[k];
            v = v + 0.5f;
            if (post) v = v * post[k];
            want = v;
          }
          bad += std::memcmp(&y[i], &want, 4) != 0;
        }
        CHECK(bad == 0, "stream_row form %d offset %ld n %ld: %d wrong", form, (long)off, (long)n, bad);
      }
  }
  if (!kt.interleave) return;
  // The interleave (C = 2..4 planes, with and without an added bias), streamed and not, at
  // every offset: exactly planes[c][i] (+ b), nothing written outside.
  std::vector<float> p2 = randv(r, 300);
  for (int C = 2; C <= 4; ++C)
    for (int add = 0; add < 2; ++add)
      for (int st = 0; st < 2; ++st)
        for (int64_t off = 0; off < 16; ++off)
          for (int64_t n = 0; n * C + off <= 120; n += (n < 20 ? 1 : 7)) {
            const float* planes[4] = {raw.data() + 1, p2.data() + 3, p2.data() + 101, p2.data() + 202};
            for (float& v : y) v = -1234.f;
            const float b = 0.25f;
            kt.interleave(planes, C, n, y + off, st != 0, add ? &b : nullptr);
            int bad = 0;
            for (int64_t i = 0; i < 128; ++i) {
              const int64_t k = i - off;
              const float want = k < 0 || k >= n * C ? -1234.f : add ? planes[k % C][k / C] + b : planes[k % C][k / C];
              bad += std::memcmp(&y[i], &want, 4) != 0;
            }
            CHECK(bad == 0, "interleave C %d add %d stream %d offset %ld n %ld: %d wrong", C, add, st, (long)off, (long)n, bad);
          }
}

static void test_dwconv_paths(std::mt19937& r) {
  const PadMode Z = PadMode::kZeros;
  // block kernel (unit stride along the row)
  run_case("dw 3x3 11x70", shape(2, 2, 3, 3, 3, {11, 70}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z), r);
  run_case("dw 3x3 5x150 no pad", shape(2, 1, 2, 2, 2, {5, 150}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z), r);
  run_case("dw 5x5 reflect", shape(2, 1, 2, 2, 2, {9, 37}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, PadMode::kReflect), r);
  run_case("dw 7x7 x2 replicate", shape(2, 1, 2, 4, 2, {13, 21}, {7, 7}, {1, 1}, {1, 1}, {3, 3}, {3, 3}, PadMode::kReplicate), r);
  run_case("dw 3x3 d2 symmetric", shape(2, 1, 2, 2, 2, {10, 45}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}, PadMode::kSymmetric), r);
  run_case("dw 3x3 row stride 2", shape(2, 1, 3, 3, 3, {15, 33}, {3, 3}, {2, 1}, {1, 1}, {1, 1}, {1, 1}, Z), r);
  run_case("dw 2x4 circular", shape(2, 1, 2, 2, 2, {12, 50}, {2, 4}, {1, 1}, {1, 1}, {1, 2}, {0, 1}, PadMode::kCircular), r);
  run_case("dw 1x1", shape(2, 1, 3, 3, 3, {6, 19}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, Z), r);
  run_case("dw 3-D 3x3x3", shape(3, 1, 2, 2, 2, {4, 7, 26}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, Z), r);
  run_case("dw 5x5 constant", shape(2, 1, 2, 2, 2, {8, 17}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, PadMode::kConstant), r);
  run_case("dw 3x3 partial", shape(2, 1, 2, 2, 2, {9, 30}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, PadMode::kPartial), r);
  // Inputs of >= 1 Mi floats: the interior of each row read in place, the edges from padded
  // copies (row strides keep the outputs, and the reference's work, small).
  run_case("dw 5x5 reflect large", shape(2, 1, 1, 1, 1, {700, 1500}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, PadMode::kReflect), r);
  run_case("dw 3x3 d2 circular large", shape(2, 1, 1, 1, 1, {1000, 1100}, {3, 3}, {50, 1}, {2, 2}, {2, 2}, {2, 2}, PadMode::kCircular), r);
  run_case("dw 7x7 replicate asym large", shape(2, 1, 1, 1, 1, {1000, 1049}, {7, 7}, {97, 1}, {1, 1}, {3, 1}, {2, 5}, PadMode::kReplicate), r);
  run_case("dw 3x3 constant large", shape(2, 1, 2, 2, 2, {520, 1030}, {3, 3}, {64, 1}, {1, 1}, {1, 2}, {3, 0}, PadMode::kConstant), r);
  run_case("dw 4x6 d2 symmetric large", shape(2, 1, 1, 1, 1, {1100, 1000}, {4, 6}, {111, 1}, {1, 2}, {2, 21}, {1, 19}, PadMode::kSymmetric), r);
  // The same column cases on cached inputs (padded copies of whole rows).
  run_case("dw 5x5 reflect wide", shape(2, 1, 2, 2, 2, {9, 133}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, PadMode::kReflect), r);
  run_case("dw 3x3 zeros wide", shape(2, 1, 3, 3, 3, {11, 97}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z), r);
  run_case("dw 7x7 replicate wide", shape(2, 1, 2, 2, 2, {10, 120}, {7, 7}, {1, 1}, {1, 1}, {3, 3}, {3, 3}, PadMode::kReplicate), r);
  run_case("dw 3x3 d3 circular wide", shape(2, 1, 2, 2, 2, {12, 101}, {3, 3}, {1, 1}, {3, 3}, {3, 3}, {3, 3}, PadMode::kCircular), r);
  run_case("dw 5x5 symmetric asym", shape(2, 1, 2, 2, 2, {9, 90}, {5, 5}, {1, 1}, {1, 1}, {1, 4}, {3, 0}, PadMode::kSymmetric), r);
  run_case("dw 5x5 constant wide", shape(2, 1, 2, 2, 2, {8, 77}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, PadMode::kConstant), r);
  run_case("dw 3x3 left pad only", shape(2, 1, 2, 2, 2, {7, 66}, {3, 3}, {1, 1}, {1, 1}, {1, 2}, {1, 0}, Z), r);
  run_case("dw 3x3 right pad only", shape(2, 1, 2, 2, 2, {7, 66}, {3, 3}, {1, 1}, {1, 1}, {1, 0}, {1, 2}, PadMode::kReflect), r);
  run_case("dw 4x6 d2 wide pads", shape(2, 1, 2, 2, 2, {9, 150}, {4, 6}, {1, 1}, {2, 2}, {5, 21}, {4, 19}, PadMode::kReplicate), r);
  run_case("dw 3x3 row stride 2 wide", shape(2, 1, 2, 2, 2, {15, 81}, {3, 3}, {2, 1}, {1, 1}, {1, 1}, {1, 1}, PadMode::kReflect), r);
  run_case("dw 3-D 3x3x3 wide", shape(3, 1, 2, 2, 2, {3, 5, 70}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, PadMode::kCircular), r);
  run_case("dw 3x3 channels-last wide", shape(2, 2, 3, 3, 3, {6, 90}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, PadMode::kReflect, true, true), r);
  // plane by plane (maps over 56x56), input in cache: every column through the ring
  run_case("dw 3x3 plane by plane 60x70 reflect", shape(2, 1, 3, 3, 3, {60, 70}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, PadMode::kReflect), r);
  run_case("dw 5x5 x2 plane by plane 64x66 constant", shape(2, 1, 2, 4, 2, {64, 66}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, PadMode::kConstant), r);
  // by chunks of channels (dwconv_cl): small planes, channels-last input and/or result
  run_case("dw chunks 40ch 3x3 10x200 NHWC (16 + 16 + 8)", shape(2, 1, 40, 40, 40, {10, 200}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, PadMode::kReflect, true, true), r);
  run_case("dw chunks 20ch x2 1-D k5 NWC in", shape(1, 2, 20, 40, 20, {700}, {5}, {1}, {1}, {2}, {2}, PadMode::kCircular, true, false), r);
  run_case("dw RGB 5x5 reflect NHWC (deinterleave, interleave)", shape(2, 1, 3, 3, 3, {23, 61}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, PadMode::kReflect, true, true), r);
  run_case("dw RGB 3x3 NCHW in, NHWC out", shape(2, 2, 3, 3, 3, {17, 40}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, PadMode::kSymmetric, false, true), r);
  run_case("dw 2ch x2 3x3 NHWC (4 out: interleave)", shape(2, 1, 2, 4, 2, {12, 33}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z, true, true), r);
  run_case("dw 6ch 3x3 d2 row stride 2 NHWC", shape(2, 1, 6, 6, 6, {19, 45}, {3, 3}, {2, 1}, {2, 2}, {2, 2}, {2, 2}, PadMode::kReplicate, true, true), r);
  run_case("dw 5ch 3x3 partial NHWC", shape(2, 1, 5, 5, 5, {11, 26}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, PadMode::kPartial, true, true), r);
  run_case("dw 3-D 4ch 3x3x3 NDHWC", shape(3, 1, 4, 4, 4, {4, 6, 30}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, PadMode::kConstant, true, true), r);
  run_case("dw 3x3 small planes 32ch 9x9 NCHW", shape(2, 2, 32, 32, 32, {9, 9}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z), r);
  run_case("dw RGB 5x5 NHWC large (streamed, prefetched)", shape(2, 1, 3, 3, 3, {300, 420}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, PadMode::kReflect, true, true), r);
  run_case("dw 24ch 3x3 NHWC large (streamed transposes)", shape(2, 1, 24, 24, 24, {120, 130}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z, true, true), r);
  // NCHW results of 256 KiB or more: rows 64-byte aligned (streamed) or not
  run_case("dw 4ch 5x5 NCHW large, 256 wide (streamed rows)", shape(2, 1, 4, 4, 4, {70, 256}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, PadMode::kReflect), r);
  run_case("dw 4ch 3x3 NCHW large, 180 wide", shape(2, 1, 4, 4, 4, {95, 180}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, Z), r);
  // channels in the lanes (dwconv_flat: channels-last in and out, 16k channels, <= 9 taps)
  run_case("dw flat 32ch 3x3 NHWC", shape(2, 2, 32, 32, 32, {12, 30}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, PadMode::kReflect, true, true), r);
  run_case("dw flat 48ch 3x3 d2 constant NHWC", shape(2, 1, 48, 48, 48, {11, 21}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}, PadMode::kConstant, true, true), r);
  run_case("dw flat 64ch 3x3 7x40 NHWC (column ranges)", shape(2, 1, 64, 64, 64, {7, 40}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, PadMode::kCircular, true, true), r);
  run_case("dw flat 16ch 1-D k9 NWC", shape(1, 2, 16, 16, 16, {77}, {9}, {1}, {1}, {4}, {4}, PadMode::kSymmetric, true, true), r);
  run_case("dw flat 16ch 3x2 row stride 2 NHWC", shape(2, 1, 16, 16, 16, {13, 19}, {3, 2}, {2, 1}, {1, 1}, {1, 0}, {1, 1}, Z, true, true), r);
  run_case("dw flat 3-D 32ch 3x3x3 NDHWC", shape(3, 1, 32, 32, 32, {4, 5, 9}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, PadMode::kReplicate, true, true), r);
  // row kernel (stride along the row)
  run_case("dw 3x3 s2 rows", shape(2, 1, 3, 3, 3, {14, 41}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, Z), r);
  run_case("dw 1-D k5 s3", shape(1, 2, 2, 4, 2, {100}, {5}, {3}, {1}, {2}, {2}, PadMode::kReflect), r);
}

// fromPixels / toPixels natively: bytes -> floats -> bytes with unit scale is the identity, in
// both layouts and for 1..4 channels, over sizes around the runs (8192 pixels); ties and
// out-of-range values round half to even and clamp.
static void test_pixels(std::mt19937& r) {
  std::uniform_int_distribution<int> U(0, 255);
  for (int64_t C = 1; C <= 4; ++C)
    for (int64_t P : {int64_t{1}, int64_t{17}, int64_t{8192}, int64_t{20001}})
      for (int cl = 0; cl < 2; ++cl) {
        std::vector<uint8_t> b(static_cast<size_t>(P * C)), back(b.size());
        for (auto& v : b) v = static_cast<uint8_t>(U(r));
        std::vector<float> f(b.size(), NAN);
        PixelsDesc d;
        d.P = P; d.C = C; d.cl = cl; d.to_float = true; d.bytes = b.data(); d.f = f.data();
        pixels_convert(d);
        int bad = 0;
        for (int64_t p = 0; p < P; ++p)
          for (int64_t c = 0; c < C; ++c) bad += f[static_cast<size_t>(cl ? p * C + c : c * P + p)] != b[static_cast<size_t>(p * C + c)];
        d.to_float = false; d.bytes = back.data();
        pixels_convert(d);
        CHECK(bad == 0 && back == b, "pixels C %ld P %ld cl %d: %d wrong", (long)C, (long)P, cl, bad);
      }
  const float vals[] = {0.5f, 1.5f, 2.5f, 254.5f, 255.5f, -0.5f, -0.f, NAN, INFINITY, -INFINITY, 3.49f, 1e9f};
  const uint8_t want[] = {0, 2, 2, 254, 255, 0, 0, 0, 255, 0, 3, 255};
  std::vector<float> f(vals, vals + 12);
  std::vector<uint8_t> b(12);
  PixelsDesc d;
  d.P = 12; d.C = 1; d.to_float = false; d.bytes = b.data(); d.f = f.data();
  pixels_convert(d);
  for (int i = 0; i < 12; ++i) CHECK(b[static_cast<size_t>(i)] == want[i], "toPixels of %g: %d, want %d", vals[i], b[static_cast<size_t>(i)], want[i]);
}

static void test_layout_paths(std::mt19937& r) {
  // (C 2..4: the interleave kernels, in runs of 16384 pixels; 33000 = two runs and a tail,
  // 4 MiB and more streamed)
  const int64_t Cs[] = {2, 3, 4, 5, 8, 13, 17}, Ss[] = {2, 4, 7, 16, 33, 33000, 349525};
  for (int64_t C : Cs)
    for (int64_t S : Ss)
      for (int to_cl = 0; to_cl < 2; ++to_cl) {
        const int64_t N = 2;
        std::vector<float> x = randv(r, N * C * S), y(x.size(), NAN);
        LayoutDesc d;
        d.N = N; d.C = C; d.S = S; d.to_cl = to_cl; d.x = x.data(); d.y = y.data();
        layout_convert(d);
        int bad = 0;
        for (int64_t n = 0; n < N; ++n)
          for (int64_t c = 0; c < C; ++c)
            for (int64_t s = 0; s < S; ++s) {
              const size_t cf = static_cast<size_t>((n * C + c) * S + s), cl = static_cast<size_t>((n * S + s) * C + c);
              bad += to_cl ? y[cl] != x[cf] : y[cf] != x[cl];
            }
        CHECK(bad == 0, "layout C %ld S %ld to_cl %d: %d wrong", (long)C, (long)S, to_cl, bad);
      }
}

// The ISA's transposes (and the streaming one), every tile edge and alignment, against the
// definition; nothing written outside the rows x cols block.
static void test_transpose_kernels(std::mt19937& r) {
  const KernelTable& kt = kernels();
  const TransposeFn fns[2] = {kt.transpose, kt.transpose_stream};
  const int64_t sizes[] = {1, 3, 8, 15, 16, 17, 31, 32, 33, 40};
  std::vector<float> src = randv(r, 64 * 64);
  alignas(64) static float dst[80 * 80];
  for (int f = 0; f < 2; ++f) {
    if (!fns[f]) continue;
    for (int64_t rows : sizes)
      for (int64_t cols : sizes)
        for (int64_t off : {int64_t{0}, int64_t{16}, int64_t{5}})
          for (int64_t extra : {int64_t{0}, int64_t{7}}) {
            const int64_t src_ld = cols + extra, dst_ld = (rows + 15) / 16 * 16 + extra;
            for (float& v : dst) v = -1234.f;
            fns[f](src.data(), src_ld, dst + off, dst_ld, rows, cols);
            int bad = 0;
            for (int64_t k = 0; k < 80 * 80; ++k) {
              const int64_t q = k - off, j = q >= 0 ? q / dst_ld : -1, i = q - j * dst_ld;
              const float want = j >= 0 && j < cols && i < rows ? src[static_cast<size_t>(i * src_ld + j)] : -1234.f;
              bad += dst[k] != want;
            }
            CHECK(bad == 0, "transpose%s %ldx%ld off %ld extra %ld: %d wrong", f ? "_stream" : "", (long)rows, (long)cols,
                  (long)off, (long)extra, bad);
          }
  }
  // A result large enough for layout_convert to stream (>= 4 MiB), both directions.
  for (int to_cl = 0; to_cl < 2; ++to_cl) {
    const int64_t C = 64, S = 16411;
    std::vector<float> x = randv(r, C * S), y(x.size(), NAN);
    LayoutDesc d;
    d.N = 1; d.C = C; d.S = S; d.to_cl = to_cl; d.x = x.data(); d.y = y.data();
    layout_convert(d);
    int64_t bad = 0;
    for (int64_t c = 0; c < C; ++c)
      for (int64_t s2 = 0; s2 < S; ++s2)
        bad += to_cl ? y[static_cast<size_t>(s2 * C + c)] != x[static_cast<size_t>(c * S + s2)]
                     : y[static_cast<size_t>(c * S + s2)] != x[static_cast<size_t>(s2 * C + c)];
    CHECK(bad == 0, "layout 64 x %ld to_cl %d: %ld wrong", (long)S, to_cl, (long)bad);
  }
}

// Transposed convolution (zeros padding) by its definition, in double: every input pixel u
// scattered through every tap t onto output o = u * s + t * d - pb.
static std::vector<double> ref_conv_transpose(const ConvTransposeDesc& t, const std::vector<float>& x, const std::vector<float>& w,
                                              const std::vector<float>& bias) {
  const int64_t cig = t.Cin / t.groups, cog = t.Cout / t.groups, Sin = t.in[0] * t.in[1] * t.in[2];
  const int64_t Sout = t.out[0] * t.out[1] * t.out[2], K = t.k[0] * t.k[1] * t.k[2];
  std::vector<double> y(static_cast<size_t>(t.N * t.Cout * Sout));
  for (int64_t n = 0; n < t.N; ++n)
    for (int64_t oc = 0; oc < t.Cout; ++oc)
      for (int64_t s = 0; s < Sout; ++s) y[static_cast<size_t>((n * t.Cout + oc) * Sout + s)] = bias[static_cast<size_t>(oc)];
  for (int64_t n = 0; n < t.N; ++n)
    for (int64_t ic = 0; ic < t.Cin; ++ic)
      for (int64_t u = 0; u < Sin; ++u) {
        const int64_t uu[3] = {u / (t.in[1] * t.in[2]), u / t.in[2] % t.in[1], u % t.in[2]};
        const double xv = x[static_cast<size_t>((n * t.Cin + ic) * Sin + u)];
        const int64_t g = ic / cig;
        for (int64_t j = 0; j < cog; ++j)
          for (int64_t tap = 0; tap < K; ++tap) {
            const int64_t tt[3] = {tap / (t.k[1] * t.k[2]), tap / t.k[2] % t.k[1], tap % t.k[2]};
            int64_t o[3];
            bool in = true;
            for (int i = 0; i < 3; ++i) {
              o[i] = uu[i] * t.stride[i] + tt[i] * t.dil[i] - t.pb[i];
              in = in && o[i] >= 0 && o[i] < t.out[i];
            }
            if (!in) continue;
            const int64_t oc = g * cog + j;
            y[static_cast<size_t>((n * t.Cout + oc) * Sout + (o[0] * t.out[1] + o[1]) * t.out[2] + o[2])] +=
                xv * w[static_cast<size_t>((ic * cog + j) * K + tap)];
          }
      }
  return y;
}

// Transposed convolutions whose stride phases merge (one sub-kernel shape), through both
// merged paths (conv_fast's igemm, conv_transpose_pgemm where its lanes pay: small maps),
// and a few that do not merge (phase by phase: interleaved into whole output rows when every
// output pixel is a phase's, outputPadding included, else folded onto a filled output):
// against the definition, bit for bit between 1 and 2 threads, and with a prepared layer's
// packed weight.
static void test_transpose_paths(std::mt19937& r) {
  struct T { const char* what; int rank; int64_t N, Cin, Cout, G, in[3], k[3], s[3], d[3], pb[3], pa[3]; bool cl; int64_t op[3]; };
  const T cases[] = {
      {"convT 24->40 k4 s2 p1 16x16", 2, 1, 24, 40, 1, {1, 16, 16}, {1, 4, 4}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, false, {0, 0, 0}},
      {"convT 100->33 k4 s2 p1 7x9 (chunks)", 2, 2, 100, 33, 1, {1, 7, 9}, {1, 4, 4}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, false, {0, 0, 0}},
      {"convT 16->64 g2 k4 s2 p2 5x11", 2, 1, 16, 64, 2, {1, 5, 11}, {1, 4, 4}, {1, 2, 2}, {1, 1, 1}, {0, 2, 2}, {0, 2, 2}, false, {0, 0, 0}},
      {"convT 8->48 k6 s3 p2 6x5", 2, 1, 8, 48, 1, {1, 6, 5}, {1, 6, 6}, {1, 3, 3}, {1, 1, 1}, {0, 2, 2}, {0, 2, 2}, false, {0, 0, 0}},
      {"convT 20->32 k3 s1 p1 8x8", 2, 1, 20, 32, 1, {1, 8, 8}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, false, {0, 0, 0}},
      {"convT 12->40 k4 s2 asym 6x7", 2, 1, 12, 40, 1, {1, 6, 7}, {1, 4, 4}, {1, 2, 2}, {1, 1, 1}, {0, 0, 3}, {0, 2, 1}, false, {0, 0, 0}},
      {"convT 8->36 k4 s2 p1 NHWC", 2, 2, 8, 36, 1, {1, 9, 10}, {1, 4, 4}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, true, {0, 0, 0}},
      {"convT 1-D 16->40 k4 s2 p1", 1, 2, 16, 40, 1, {1, 1, 37}, {1, 1, 4}, {1, 1, 2}, {1, 1, 1}, {0, 0, 1}, {0, 0, 1}, false, {0, 0, 0}},
      {"convT 3-D 6->34 k2 s2", 3, 1, 6, 34, 1, {3, 4, 5}, {2, 2, 2}, {2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, false, {0, 0, 0}},
      {"convT 3-D 4->40 k4 s2 p1", 3, 1, 4, 40, 1, {3, 3, 4}, {4, 4, 4}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, false, {0, 0, 0}},
      {"convT 24->40 k4 s2 p1 30x30", 2, 1, 24, 40, 1, {1, 30, 30}, {1, 4, 4}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, false, {0, 0, 0}},
      {"convT 32->64 k2 s2 20x24", 2, 1, 32, 64, 1, {1, 20, 24}, {1, 2, 2}, {1, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, false, {0, 0, 0}},
      {"convT 16->240 k4 s2 p1 9x8 (270 KiB out)", 2, 1, 16, 240, 1, {1, 9, 8}, {1, 4, 4}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, false, {0, 0, 0}},
      {"convT 8->256 k4 s2 p1 7x9 (odd rows)", 2, 1, 8, 256, 1, {1, 7, 9}, {1, 4, 4}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, false, {0, 0, 0}},
      {"convT 16->32 k4 s2 p1 2x900 (long lines)", 2, 1, 16, 32, 1, {1, 2, 900}, {1, 4, 4}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, false, {0, 0, 0}},
      {"convT 8->40 k4 s2 d2 (unmerged)", 2, 1, 8, 40, 1, {1, 6, 6}, {1, 4, 4}, {1, 2, 2}, {1, 2, 2}, {0, 1, 1}, {0, 1, 1}, false, {0, 0, 0}},
      {"convT 8->40 k3 s2 p1 (unmerged)", 2, 1, 8, 40, 1, {1, 7, 6}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, false, {0, 0, 0}},
      {"convT 8->40 k3 s2 p1 op1 24x23 (unmerged, streamed)", 2, 1, 8, 40, 1, {1, 24, 23}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, false, {0, 1, 1}},
      {"convT 6->20 k3 s2 p0 op1 (last row and column unreached)", 2, 1, 6, 20, 1, {1, 5, 6}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, false, {0, 1, 1}},
      {"convT 12->24 g3 k5 s2 p2 op1 NHWC", 2, 2, 12, 24, 3, {1, 9, 8}, {1, 5, 5}, {1, 2, 2}, {1, 1, 1}, {0, 2, 2}, {0, 2, 2}, true, {0, 1, 1}},
      {"convT 8->16 k5 s3 p2 op1 (3 phases)", 2, 1, 8, 16, 1, {1, 6, 7}, {1, 5, 5}, {1, 3, 3}, {1, 1, 1}, {0, 2, 2}, {0, 2, 2}, false, {0, 1, 1}},
      {"convT 1-D 16->24 k3 s2 p1 op1", 1, 2, 16, 24, 1, {1, 1, 41}, {1, 1, 3}, {1, 1, 2}, {1, 1, 1}, {0, 0, 1}, {0, 0, 1}, false, {0, 0, 1}},
      {"convT 3-D 4->12 k3 s2 p1 op1", 3, 1, 4, 12, 1, {3, 4, 5}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, false, {1, 1, 1}},
      // kernel = stride, channels-last: one GEMM over the input's pixels (conv_transpose_k_is_s_cl)
      {"convT 96->40 k2 s2 NHWC 20x24", 2, 2, 96, 40, 1, {1, 20, 24}, {1, 2, 2}, {1, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, true, {0, 0, 0}},
      {"convT 300->33 k2 s3 NHWC 5x7 (chunks)", 2, 1, 300, 33, 1, {1, 5, 7}, {1, 2, 3}, {1, 2, 3}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, true, {0, 0, 0}},
      {"convT 128->96 g2 k2 s2 NHWC 9x6", 2, 1, 128, 96, 2, {1, 9, 6}, {1, 2, 2}, {1, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, true, {0, 0, 0}},
      {"convT 3-D 64->32 k2 s2 NDHWC", 3, 1, 64, 32, 1, {3, 4, 5}, {2, 2, 2}, {2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, true, {0, 0, 0}},
  };
  int panels_run = 0, rows_run = 0;
  for (const T& c : cases) {
    ConvTransposeDesc t;
    t.fn = "native_test";
    t.rank = c.rank; t.N = c.N; t.Cin = c.Cin; t.Cout = c.Cout; t.groups = c.G;
    for (int i = 0; i < 3; ++i) {
      t.in[i] = c.in[i]; t.k[i] = c.k[i]; t.stride[i] = c.s[i]; t.dil[i] = c.d[i]; t.pb[i] = c.pb[i]; t.pa[i] = c.pa[i];
      t.opad[i] = c.op[i];
      t.out[i] = conv_transpose_out_size(c.in[i], c.k[i], c.s[i], c.d[i], c.pb[i], c.pa[i], c.op[i]);
    }
    const int64_t Sin = t.in[0] * t.in[1] * t.in[2], Sout = t.out[0] * t.out[1] * t.out[2];
    const int64_t K = t.k[0] * t.k[1] * t.k[2];
    std::vector<float> x = randv(r, t.N * t.Cin * Sin), w = randv(r, t.Cin * (t.Cout / t.groups) * K), bias = randv(r, t.Cout);
    std::vector<float> xin(x.size());
    for (int64_t n = 0; n < t.N; ++n)
      for (int64_t ch = 0; ch < t.Cin; ++ch)
        for (int64_t s = 0; s < Sin; ++s)
          xin[static_cast<size_t>(c.cl ? (n * Sin + s) * t.Cin + ch : (n * t.Cin + ch) * Sin + s)] = x[static_cast<size_t>((n * t.Cin + ch) * Sin + s)];
    t.in_cl = t.out_cl = c.cl;
    t.x = xin.data(); t.w = w.data(); t.bias = bias.data();
    std::vector<float> y1(static_cast<size_t>(t.N * t.Cout * Sout), -7.f), y2(y1.size(), -9.f), y3(y1.size(), -5.f);
    set_num_threads(1); t.y = y1.data(); conv_transpose_forward(t);
    set_num_threads(2); t.y = y2.data(); conv_transpose_forward(t);
    CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)) == 0, "%s: 1 and 2 threads differ", c.what);
    bool panels = false;
    const std::vector<float> wp = pack_conv_transpose(t, &panels);
    if (!wp.empty()) {
      t.w_packed = wp.data(); t.w_packed_panels = panels; t.y = y3.data();
      conv_transpose_forward(t);
      t.w_packed = nullptr; t.w_packed_panels = false;
      CHECK(std::memcmp(y1.data(), y3.data(), y1.size() * sizeof(float)) == 0, "%s: packed weight differs", c.what);
      (panels ? panels_run : rows_run) += 1;
    }
    const std::vector<double> want = ref_conv_transpose(t, x, w, bias);
    int bad = 0;
    for (int64_t n = 0; n < t.N; ++n)
      for (int64_t oc = 0; oc < t.Cout; ++oc)
        for (int64_t s = 0; s < Sout; ++s) {
          const double wv = want[static_cast<size_t>((n * t.Cout + oc) * Sout + s)];
          const float got = y1[static_cast<size_t>(c.cl ? (n * Sout + s) * t.Cout + oc : (n * t.Cout + oc) * Sout + s)];
          const bool ok = std::fabs(got - wv) <= 1e-5 * (1 + std::fabs(wv)) * std::sqrt(static_cast<double>(K * t.Cin / t.groups));
          if (!ok && bad++ < 3)
            CHECK(ok, "%s: n %ld oc %ld pixel %ld: got %.8g want %.8g", c.what, (long)n, (long)oc, (long)s, got, wv);
        }
    CHECK(bad == 0, "%s: %d outputs off the definition", c.what, bad);
  }
  // (Which merged path a case takes depends on the ISA's tiles; the pgemm's must be among them.)
  CHECK(!kernels().pgemm || panels_run >= 5, "transposed: %d cases took the pgemm's panels, want >= 5", panels_run);
  CHECK(rows_run >= 1, "transposed: %d cases took the igemm's merged rows, want >= 1", rows_run);
  std::printf("transposed paths: %d through the pgemm's panels, %d the igemm's merged rows\n", panels_run, rows_run);
}

static void run(std::mt19937& r) {
  const int saved = get_num_threads();
  test_transpose_kernels(r);
  test_igemm_paths(r);
  test_igemm_packed(r);
  test_narrow_kernels(r);
  test_pgemm_paths(r);
  test_winograd(r);
  test_transpose_paths(r);
  test_stream_row(r);
  test_dwconv_paths(r);
  test_layout_paths(r);
  test_pixels(r);
  set_num_threads(saved);
  std::printf("simd paths (isa %s, igemm %dx%d): %ld conv cases\n", kernels().isa, kernels().igemm_mr, kernels().igemm_nr,
              (long)cases_run);
}

}  // namespace simd_tests
