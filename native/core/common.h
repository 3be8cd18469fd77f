// Errors, limits and scratch memory shared by every op.
#pragma once
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <memory>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace convkit {

// Thrown by native code on bad input; the binding turns it into a JS TypeError/RangeError.
struct Error : std::runtime_error {
  enum Kind { kType, kRange } kind;
  Error(Kind k, const std::string& m) : std::runtime_error(m), kind(k) {}
};

[[noreturn]] inline void range_error(const std::string& m) { throw Error(Error::kRange, m); }
[[noreturn]] inline void type_error(const std::string& m) { throw Error(Error::kType, m); }

// The allocation limit of SPEC §4 (setMaxBytes); checked before every native allocation.
std::atomic<int64_t>& max_bytes();

// Extra memory accounting (the bench's "extra memory per call"): every scratch buffer an op
// takes, counted in bytes when taken, whether fresh or reused. scratch_bytes(true) returns
// the count since the last reset and resets it.
void note_scratch(int64_t bytes);
int64_t scratch_bytes(bool reset);

// Scratch floats, refused with a RangeError above max_bytes() before anything is allocated.
std::vector<float> scratch(int64_t count, const char* fn, const char* what);

// The same, uninitialised (no zeroing pass): for buffers whose every element is written
// before it is read (a channels-first copy of an input, a result before its relayout).
std::unique_ptr<float[]> scratch_raw(int64_t count, const char* fn, const char* what);

// Reusable uninitialised scratch owned by the calling thread (slot 0..3): grows, never
// shrinks, so steady-state calls neither zero nor fault in fresh pages. Checked against
// max_bytes() like scratch(). Valid until the same thread asks for the same slot again.
float* arena(int slot, int64_t count, const char* fn, const char* what);

// Orders this thread's non-temporal stores before whatever it does next: each worker that
// streamed part of a result calls it before the pool reports its job done (a no-op off x86).
inline void fence_streams() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

inline int64_t checked_mul(int64_t a, int64_t b, const char* fn) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) range_error(std::string(fn) + ": size overflows 64 bits");
  return r;
}

}  // namespace convkit
