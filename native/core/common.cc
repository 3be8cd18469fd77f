#include "common.h"

#include <memory>

namespace convkit {

std::atomic<int64_t>& max_bytes() {
  static std::atomic<int64_t> v{int64_t{4} << 30};
  return v;
}

namespace {
std::atomic<int64_t> g_scratch_bytes{0};
}
void note_scratch(int64_t bytes) { g_scratch_bytes.fetch_add(bytes, std::memory_order_relaxed); }
int64_t scratch_bytes(bool reset) { return reset ? g_scratch_bytes.exchange(0) : g_scratch_bytes.load(); }

std::vector<float> scratch(int64_t count, const char* fn, const char* what) {
  if (count < 0 || count > max_bytes().load() / static_cast<int64_t>(sizeof(float))) {
    range_error(std::string(fn) + ": scratch for " + what + " expects at most maxBytes = " +
                std::to_string(max_bytes().load()) + " bytes (see setMaxBytes), got " + std::to_string(count * 4));
  }
  note_scratch(count * static_cast<int64_t>(sizeof(float)));
  try {
    return std::vector<float>(static_cast<size_t>(count));
  } catch (const std::bad_alloc&) {
    range_error(std::string(fn) + ": could not allocate " + std::to_string(count * 4) + " bytes for " + what);
  }
}

std::unique_ptr<float[]> scratch_raw(int64_t count, const char* fn, const char* what) {
  if (count < 0 || count > max_bytes().load() / static_cast<int64_t>(sizeof(float))) {
    range_error(std::string(fn) + ": scratch for " + what + " expects at most maxBytes = " +
                std::to_string(max_bytes().load()) + " bytes (see setMaxBytes), got " + std::to_string(count * 4));
  }
  note_scratch(count * static_cast<int64_t>(sizeof(float)));
  try {
    return std::unique_ptr<float[]>(new float[static_cast<size_t>(count)]);
  } catch (const std::bad_alloc&) {
    range_error(std::string(fn) + ": could not allocate " + std::to_string(count * 4) + " bytes for " + what);
  }
}

float* arena(int slot, int64_t count, const char* fn, const char* what) {
  struct Slot {
    std::unique_ptr<float[]> data;
    int64_t size = 0;
  };
  thread_local Slot slots[4];
  if (count < 0 || count > max_bytes().load() / static_cast<int64_t>(sizeof(float))) {
    range_error(std::string(fn) + ": scratch for " + what + " expects at most maxBytes = " +
                std::to_string(max_bytes().load()) + " bytes (see setMaxBytes), got " + std::to_string(count * 4));
  }
  note_scratch(count * static_cast<int64_t>(sizeof(float)));
  Slot& s = slots[slot & 3];
  if (s.size < count) {
    s.data.reset();
    s.size = 0;
    try {
      s.data.reset(new float[static_cast<size_t>(count) + 16]);
    } catch (const std::bad_alloc&) {
      range_error(std::string(fn) + ": could not allocate " + std::to_string(count * 4) + " bytes for " + what);
    }
    s.size = count;
  }
  return s.data.get();
}

}  // namespace convkit
