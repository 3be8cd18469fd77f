// The single dispatch table, chosen once: the best ISA the CPU has (capped by CONVKIT_ISA)
// among those convkit has kernels for. An ISA without its own kernel for an entry inherits
// the next slower one's.
#include "../core/cpu.h"
#include "kernels.h"

namespace convkit {

const KernelTable& kernels() {
  static const KernelTable table = [] {
    KernelTable t = scalar_kernels();
#if defined(__x86_64__)
    const Isa isa = active_isa();
    if (isa == Isa::kSse41 || isa == Isa::kAvx2 || isa == Isa::kAvx512f) register_sse41_kernels(t);
    if (isa == Isa::kAvx2 || isa == Isa::kAvx512f) {  // overrides the SSE4.1 entries
      register_avx2_kernels(t);
      register_avx2_pgemm(t);
      register_avx2_deinterleave(t);
      register_avx2_winograd(t);
      t.resize = resize_kernels_avx2();
    }
    if (isa == Isa::kAvx512f) {  // overrides the AVX2 entries
      register_avx512_kernels(t);
      register_avx512_pgemm(t);
      register_avx512_transpose(t);
      t.resize = resize_kernels_avx512();
    }
#elif defined(__aarch64__)
    if (active_isa() == Isa::kNeon) register_neon_kernels(t);
#endif
    return t;
  }();
  return table;
}

}  // namespace convkit
