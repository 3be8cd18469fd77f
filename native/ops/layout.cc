#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../core/common.h"
#include "../core/threadpool.h"
#include "../kernels/kernels.h"
#include "internal.h"
#include "ops.h"

namespace convkit {

// stream: the destination is a result far larger than the caches (written around them, where
// the ISA has a streaming transpose); not for a copy the caller reads back at once.
void transpose_layout(const float* src, float* dst, int64_t N, int64_t C, int64_t S, bool to_cl, bool stream) {
  // Items are blocks of rows x columns of each image, so every core works even on a single
  // image with few channels (NCHW -> NHWC of 64 channels is one band of 64 rows).
  const int64_t rows = to_cl ? C : S, cols = to_cl ? S : C;
  const KernelTable& kt = kernels();
  const bool big = stream && N * C * S * 4 >= kStreamCopyBytes;  // streamed (where the kernels can)
  if (C >= 2 && C <= 4 && (to_cl ? kt.interleave != nullptr : kt.deinterleave != nullptr)) {
    // Images' few channels: pixels interleaved to or from planes, in runs of each image.
    constexpr int64_t kRun = 16384;  // pixels per item (a multiple of 16: runs keep the planes' alignment)
    const int64_t runs = (S + kRun - 1) / kRun;
    parallel_for(N * runs, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t n = t / runs, p0 = t % runs * kRun, len = std::min(kRun, S - p0);
        const float* s = src + n * C * S;
        float* d = dst + n * C * S;
        if (to_cl) {
          const float* planes[4];
          for (int64_t c = 0; c < C; ++c) planes[c] = s + c * S + p0;
          kt.interleave(planes, static_cast<int>(C), len, d + p0 * C, big, nullptr);
        } else {
          float* planes[4];
          for (int64_t c = 0; c < C; ++c) planes[c] = d + c * S + p0;
          kt.deinterleave(s + p0 * C, static_cast<int>(C), len, planes, big);
        }
      }
      if (big) fence_streams();  // the streamed lines are visible before the pool reports done
    });
    return;
  }
  const bool nt = big && kt.transpose_stream;
  const TransposeFn tr = nt ? kt.transpose_stream : kt.transpose;
  constexpr int64_t kBand = 64;
  const int64_t rbands = (rows + kBand - 1) / kBand;
  const int64_t want = 8 * static_cast<int64_t>(get_num_threads());
  int64_t cband = kBand;  // columns per block: a multiple of kBand, at most ~1/want of the row
  if (N * rbands < want) cband = std::max<int64_t>(kBand, (cols * N * rbands / want + kBand - 1) / kBand * kBand);
  else cband = (cols + kBand - 1) / kBand * kBand;
  const int64_t cbands = (cols + cband - 1) / cband;
  // Blocks of ~64 KiB at least per take: smaller ones, one at a time, made the threads
  // contend for the pool's counter (NHWC -> NCHW of 32x112x112, 196 blocks of 64x32: 2
  // threads took longer than 1).
  const int64_t grain = std::max<int64_t>(1, 16384 / (kBand * cband));
  parallel_for(N * rbands * cbands, grain, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t cb = t % cbands, rb = (t / cbands) % rbands, n = t / (cbands * rbands);
      const int64_t r0 = rb * kBand, r1 = std::min(rows, r0 + kBand);
      const float* s = src + n * C * S;
      float* d = dst + n * C * S;
      // rows [r0, r1) x columns [c0, c1): dst[j*rows + i] = src[i*cols + j], tile by tile
      const int64_t c1 = std::min(cols, (cb + 1) * cband);
      for (int64_t j0 = cb * cband; j0 < c1; j0 += kBand) {
        const int64_t j1 = std::min(c1, j0 + kBand);
        tr(s + r0 * cols + j0, cols, d + j0 * rows + r0, rows, r1 - r0, j1 - j0);
      }
    }
    if (nt) fence_streams();  // the streamed lines are visible before the pool reports done
  });
}

const float* channels_first(const float* x, bool cl, int64_t N, int64_t C, int64_t S, std::unique_ptr<float[]>& tmp,
                            const char* fn) {
  if (!cl || C == 1 || S == 1) return x;  // the two layouts coincide
  tmp = scratch_raw(checked_mul(checked_mul(N, C, fn), S, fn), fn, "a channels-first copy of the input");
  transpose_layout(x, tmp.get(), N, C, S, false, false);
  return tmp.get();
}

void store_result(const float* src, float* dst, bool cl, int64_t N, int64_t C, int64_t S) {
  if (src == dst) return;
  if (!cl || C == 1 || S == 1) {
    std::memcpy(dst, src, static_cast<size_t>(N * C * S) * sizeof(float));
    return;
  }
  transpose_layout(src, dst, N, C, S, true, true);
}

void layout_convert(const LayoutDesc& d) {
  if (d.N == 0) return;
  if (d.C == 1 || d.S == 1) {
    std::memcpy(d.y, d.x, static_cast<size_t>(d.N * d.C * d.S) * sizeof(float));
    return;
  }
  transpose_layout(d.x, d.y, d.N, d.C, d.S, d.to_cl, true);
}

}  // namespace convkit
