#include "cpu.h"

#include <cstdlib>
#include <cstring>

namespace convkit {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kSse41: return "sse4.1";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512f: return "avx512f";
    case Isa::kNeon: return "neon";
  }
  return "scalar";
}

Isa detected_isa() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma"))
    return Isa::kAvx512f;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
  if (__builtin_cpu_supports("sse4.1")) return Isa::kSse41;
  return Isa::kScalar;
#elif defined(__aarch64__)
  return Isa::kNeon;
#else
  return Isa::kScalar;
#endif
}

namespace {
int rank_of(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return 0;
    case Isa::kSse41: return 1;
    case Isa::kNeon: return 2;
    case Isa::kAvx2: return 2;
    case Isa::kAvx512f: return 3;
  }
  return 0;
}
}  // namespace

Isa active_isa() {
  static const Isa chosen = [] {
    Isa best = detected_isa();
    const char* cap = std::getenv("CONVKIT_ISA");
    if (!cap || !*cap) return best;
    Isa want = best;
    if (!std::strcmp(cap, "scalar")) want = Isa::kScalar;
    else if (!std::strcmp(cap, "sse4.1") || !std::strcmp(cap, "sse41")) want = Isa::kSse41;
    else if (!std::strcmp(cap, "avx2")) want = Isa::kAvx2;
    else if (!std::strcmp(cap, "avx512f")) want = Isa::kAvx512f;
    else if (!std::strcmp(cap, "neon")) want = Isa::kNeon;
    if (want == Isa::kScalar) return Isa::kScalar;
    // A cap never raises the ISA above what the CPU has, nor crosses architectures.
    if ((want == Isa::kNeon) != (best == Isa::kNeon)) return best == Isa::kNeon ? best : Isa::kScalar;
    return rank_of(want) < rank_of(best) ? want : best;
  }();
  return chosen;
}

}  // namespace convkit
