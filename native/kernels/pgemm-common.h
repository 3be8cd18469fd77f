// Shared by the pixel-major igemm kernels of every ISA (f32-pgemm-*.cc): internal linkage,
// so no ISA's copy can be linked into another's caller.
#pragma once
#include <cstdint>
#include <type_traits>

namespace convkit {
namespace {

// f(std::integral_constant<int, mr>) for a tile of mr pixels, 1 <= mr <= MaxMR (the kernel
// template instantiated for each); nothing for any other mr.
template <int MaxMR, int N = 1, typename F>
inline void with_mr(int64_t mr, F&& f) {
  if constexpr (N <= MaxMR) {
    if (mr == N) f(std::integral_constant<int, N>{});
    else with_mr<MaxMR, N + 1>(mr, f);
  }
}

}  // namespace
}  // namespace convkit
