// a * b rounded on its own: the empty asm keeps the compiler from contracting it with a
// following add into a fused multiply-add (GCC does by default where FMA is in the base ISA,
// arm64), so that every ISA gives the bits of separate roundings (torch's, JavaScript's).
// Internal linkage: each file compiles its own copy with its own flags (see simd-sse41.h).
#pragma once

namespace convkit {
namespace {

template <typename T>
inline T mul_unfused(T a, T b) {
  T r = a * b;
#if defined(__x86_64__) || defined(__i386__)
  asm("" : "+x"(r));
#elif defined(__aarch64__)
  asm("" : "+w"(r));
#endif
  return r;
}

}  // namespace
}  // namespace convkit
