// The N-API surface. Each op has one entry point taking a plain descriptor object built by
// lib/native.ts; it is read into a C++ struct on the JS thread, re-checked (types, lengths,
// arithmetic), then run here (sync) or on a libuv worker (async, returns a Promise). The
// worker never touches V8; the descriptor, and so every buffer it holds, is pinned until
// the Promise settles.
#include <napi.h>

#include <cmath>
#include <cstdio>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <condition_variable>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <memory>
#include <string>

#include "../core/common.h"
#include "../core/cpu.h"
#include "../core/threadpool.h"
#include "../kernels/kernels.h"
#include "../ops/ops.h"
#include "../core/probe.h"

namespace convkit {
namespace {

// An integer in [lo, hi] read from a JS number d, or a RangeError naming fn and the field.
int64_t checked_int(const char* fn, const char* key, double d, int64_t lo, int64_t hi) {
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    char got[32];
    std::snprintf(got, sizeof(got), "%.17g", d);
    range_error(std::string(fn) + ": " + key + " expects an integer in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "], got " + got);
  }
  return static_cast<int64_t>(d);
}

class Reader {
 public:
  Reader(const Napi::Object& o, const char* fn) : o_(o), fn_(fn) {}

  int64_t i64(const char* key, int64_t lo, int64_t hi) const {
    const Napi::Value v = o_.Get(key);
    if (!v.IsNumber()) type_error(std::string(fn_) + ": " + key + " expects a number");
    return checked_int(fn_, key, v.As<Napi::Number>().DoubleValue(), lo, hi);
  }

  double f64(const char* key) const {
    const Napi::Value v = o_.Get(key);
    if (!v.IsNumber()) type_error(std::string(fn_) + ": " + key + " expects a number");
    return v.As<Napi::Number>().DoubleValue();
  }

  bool flag(const char* key) const { return o_.Get(key).ToBoolean().Value(); }

  void arr3(const char* key, int64_t* out, int64_t lo, int64_t hi) const {
    const Napi::Value v = o_.Get(key);
    if (!v.IsArray()) type_error(std::string(fn_) + ": " + key + " expects an array of 3 integers");
    const Napi::Array a = v.As<Napi::Array>();
    if (a.Length() != 3) range_error(std::string(fn_) + ": " + key + " expects 3 entries");
    for (uint32_t i = 0; i < 3; ++i) {
      const Napi::Value e = a.Get(i);
      if (!e.IsNumber()) type_error(std::string(fn_) + ": " + key + " expects numbers");
      out[i] = checked_int(fn_, key, e.As<Napi::Number>().DoubleValue(), lo, hi);
    }
  }

  void f64x3(const char* key, double* out) const {
    const Napi::Array a = o_.Get(key).As<Napi::Array>();
    if (!o_.Get(key).IsArray() || a.Length() != 3) type_error(std::string(fn_) + ": " + key + " expects 3 numbers");
    for (uint32_t i = 0; i < 3; ++i) {
      const Napi::Value e = a.Get(i);
      if (!e.IsNumber()) type_error(std::string(fn_) + ": " + key + " expects numbers");
      out[i] = e.As<Napi::Number>().DoubleValue();
    }
  }

  // A Float32Array of exactly `expected` elements (nullptr when optional and absent).
  float* f32(const char* key, int64_t expected, bool optional = false) const {
    const Napi::Value v = o_.Get(key);
    if (optional && (v.IsUndefined() || v.IsNull())) return nullptr;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      type_error(std::string(fn_) + ": " + key + " expects a Float32Array");
    Napi::Float32Array a = v.As<Napi::Float32Array>();
    if (a.ArrayBuffer().IsDetached()) type_error(std::string(fn_) + ": " + key + " is backed by a detached buffer");
    if (static_cast<int64_t>(a.ElementLength()) != expected)
      range_error(std::string(fn_) + ": " + key + " expects " + std::to_string(expected) + " elements, got " +
                  std::to_string(a.ElementLength()));
    if (expected == 0) return reinterpret_cast<float*>(&empty_);
    return a.Data();
  }

 private:
  Napi::Object o_;
  const char* fn_;
  static float empty_;
};
float Reader::empty_ = 0.f;

constexpr int64_t kMaxDim = int64_t{1} << 40;

// A large output is usually fresh memory: ask for transparent huge pages, so its first
// touch costs one fault per 2 MiB instead of one per 4 KiB (on a VM a fault costs more than
// the work done on the page). Advice only: nothing changes if the kernel declines.
void advise_output(float* p, int64_t count) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t b = reinterpret_cast<uintptr_t>(p), e = b + static_cast<uintptr_t>(count) * sizeof(float);
  const uintptr_t lo = (b + kHuge - 1) & ~(kHuge - 1), hi = e & ~(kHuge - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
#else
  (void)p;
  (void)count;
#endif
}

Napi::Value throw_js(Napi::Env env, const Error& e) {
  if (e.kind == Error::kType) Napi::TypeError::New(env, e.what()).ThrowAsJavaScriptException();
  else Napi::RangeError::New(env, e.what()).ThrowAsJavaScriptException();
  return env.Undefined();
}

// The async forms: a job runs on the runner thread (core/threadpool.h run_async), then
// settles its promise on its environment's JavaScript thread through that environment's
// thread-safe function.
struct AsyncJob {
  std::function<void()> job;
  napi_ref desc = nullptr;  // keeps the descriptor, and so every buffer the job uses, alive
  napi_deferred deferred = nullptr;
  bool failed = false;
  Error::Kind kind = Error::kRange;
  std::string message;
};

// Per environment (the main thread or a worker_threads Worker): jobs still computing, and the
// thread-safe function that settles them. When the environment is torn down (a Worker
// terminated mid-call), its cleanup hook waits for its running jobs, so no job writes into
// buffers freed with it, or calls the thread-safe function after that is gone (the hook is
// added after the function is created: hooks run in reverse order, so it runs first).
struct InFlight {
  std::mutex mu;
  std::condition_variable cv;
  int running = 0;                       // jobs not yet handed back (any thread, under mu)
  int pending = 0;                       // promises not yet settled (JavaScript thread only)
  napi_threadsafe_function tsfn = nullptr;
  static void wait_idle(void* arg) {
    auto* f = static_cast<InFlight*>(arg);
    std::unique_lock<std::mutex> lk(f->mu);
    f->cv.wait(lk, [f] { return f->running == 0; });
  }
  // On the JavaScript thread: settle the promise. env null: the environment is going away;
  // nothing is left to tell, and its references go with it.
  static void settle(napi_env env, napi_value, void* context, void* data) {
    auto* j = static_cast<AsyncJob*>(data);
    if (env != nullptr) {
      auto* f = static_cast<InFlight*>(context);
      napi_value desc = nullptr, result = nullptr;
      if (j->failed) {
        napi_value msg = nullptr;
        napi_create_string_utf8(env, j->message.c_str(), j->message.size(), &msg);
        if (j->kind == Error::kType) napi_create_type_error(env, nullptr, msg, &result);
        else napi_create_range_error(env, nullptr, msg, &result);
        if (result) napi_reject_deferred(env, j->deferred, result);
      } else {
        napi_get_reference_value(env, j->desc, &desc);
        if (desc) napi_get_named_property(env, desc, "y", &result);
        if (result) napi_resolve_deferred(env, j->deferred, result);
      }
      napi_delete_reference(env, j->desc);
      if (--f->pending == 0) napi_unref_threadsafe_function(env, f->tsfn);  // idle: may exit
    }
    delete j;
  }
};

InFlight* in_flight(Napi::Env env) {
  InFlight* f = env.GetInstanceData<InFlight>();
  if (!f) {
    f = new InFlight();
    napi_value name = Napi::String::New(env, "convkit");
    if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, f, InFlight::settle, &f->tsfn) !=
        napi_ok) {
      delete f;
      range_error("convkit: cannot create the thread-safe function of the async forms");
    }
    napi_unref_threadsafe_function(env, f->tsfn);  // referenced only while promises are pending
    env.SetInstanceData<InFlight>(f);              // deleted by node-addon-api after the cleanup hooks
    napi_add_env_cleanup_hook(env, InFlight::wait_idle, f);
  }
  return f;
}

// Queues `job` on the runner; the promise settles with desc.y, or rejects with the job's error.
Napi::Value run_job_async(Napi::Env env, const Napi::Object& desc, std::function<void()> job) {
  InFlight* f = in_flight(env);
  auto* j = new AsyncJob();
  j->job = std::move(job);
  napi_value promise = nullptr;
  if (napi_create_reference(env, desc, 1, &j->desc) != napi_ok || napi_create_promise(env, &j->deferred, &promise) != napi_ok) {
    if (j->desc) napi_delete_reference(env, j->desc);
    delete j;
    range_error("convkit: cannot start an async job");
  }
  if (f->pending++ == 0) napi_ref_threadsafe_function(env, f->tsfn);  // keeps the loop alive meanwhile
  {
    std::lock_guard<std::mutex> lk(f->mu);
    ++f->running;
  }
  run_async([j, f] {
    try {
      j->job();
    } catch (const Error& e) {
      j->failed = true;
      j->kind = e.kind;
      j->message = e.what();
    } catch (const std::exception& e) {
      j->failed = true;
      j->message = e.what();
    }
    j->job = nullptr;  // the descriptor's native side, freed here
    // Not ok only while the environment closes; then its teardown frees what j refers to.
    if (napi_call_threadsafe_function(f->tsfn, j, napi_tsfn_nonblocking) != napi_ok) delete j;
    std::lock_guard<std::mutex> lk(f->mu);
    if (--f->running == 0) f->cv.notify_all();
  });
  return Napi::Value(env, promise);
}

// Runs `parse` (JS thread) to get a job, then runs it now or on a worker.
Napi::Value dispatch(const Napi::CallbackInfo& info, const char* fallback_fn,
                     const std::function<std::function<void()>(const Napi::Object&)>& parse) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 1 || !info[0].IsObject()) type_error(std::string(fallback_fn) + ": expects a descriptor object");
    const Napi::Object desc = info[0].As<Napi::Object>();
    const bool async = info.Length() > 1 && info[1].ToBoolean().Value();
    std::function<void()> job = parse(desc);
    if (!async) {
      job();
      return desc.Get("y");
    }
    return run_job_async(env, desc, std::move(job));
  } catch (const Error& e) {
    return throw_js(env, e);
  } catch (const std::exception& e) {
    Napi::RangeError::New(env, std::string(fallback_fn) + ": " + e.what()).ThrowAsJavaScriptException();
    return env.Undefined();
  }
}

// The function name travels in the descriptor so native messages name the public call.
struct Named {
  std::shared_ptr<std::string> name;
  explicit Named(const Napi::Object& o, const char* fallback) {
    const Napi::Value v = o.Get("fn");
    name = std::make_shared<std::string>(v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string(fallback));
  }
};

PadMode read_mode(const Reader& r) { return static_cast<PadMode>(r.i64("mode", 0, 6)); }

// A transposed convolution's weight packed once (prepared layers), for the geometry it
// was packed for.
struct PackedConvTranspose {
  int64_t Cin = 0, Cout = 0, groups = 0, k[3]{}, s[3]{}, dil[3]{};
  std::vector<float> w;
  bool panels = false;  // pack_conv_transpose's layout: the pgemm's panels, else the igemm's rows
  explicit PackedConvTranspose(const ConvTransposeDesc& d) : Cin(d.Cin), Cout(d.Cout), groups(d.groups) {
    for (int i = 0; i < 3; ++i) { k[i] = d.k[i]; s[i] = d.stride[i]; dil[i] = d.dil[i]; }
  }
  bool matches(const ConvTransposeDesc& d) const {
    bool same = Cin == d.Cin && Cout == d.Cout && groups == d.groups;
    for (int i = 0; i < 3; ++i) same = same && k[i] == d.k[i] && s[i] == d.stride[i] && dil[i] == d.dil[i];
    return same;
  }
};
const napi_type_tag kPackedTag = {0x636f6e766b697421ULL, 0x7061636b65642121ULL};

// A convolution's weight packed once (prepared layers: pack_conv), for its weight geometry.
struct PackedConv {
  int64_t Cin = 0, Cout = 0, groups = 0, k[3]{};
  std::vector<float> w;
  bool wino = false;  // w: Winograd's transformed weights (else the small-map kernel's panels)
  explicit PackedConv(const ConvDesc& d) : Cin(d.Cin), Cout(d.Cout), groups(d.groups) {
    for (int i = 0; i < 3; ++i) k[i] = d.k[i];
  }
  bool matches(const ConvDesc& d) const {
    bool same = Cin == d.Cin && Cout == d.Cout && groups == d.groups;
    for (int i = 0; i < 3; ++i) same = same && k[i] == d.k[i];
    return same;
  }
};
const napi_type_tag kPackedConvTag = {0x636f6e766b697421ULL, 0x7061636b6564636fULL};

// desc.packed: absent, or a handle of type P (tag) made for d's weight geometry.
template <class P, class D>
const P* read_packed(const Napi::Object& o, const D& d, const napi_type_tag& tag, const char* maker) {
  const Napi::Value pv = o.Get("packed");
  if (pv.IsUndefined() || pv.IsNull()) return nullptr;
  if (!pv.IsExternal() || !pv.As<Napi::External<P>>().CheckTypeTag(&tag))
    type_error(std::string(d.fn) + ": packed expects a handle from " + maker);
  const P* p = pv.As<Napi::External<P>>().Data();
  if (!p->matches(d)) range_error(std::string(d.fn) + ": packed was prepared for another weight geometry");
  return p;
}

// A convolution's geometry, one Float64Array `g` (lib/conv.ts convDesc): reading numbers by
// index costs far less per call than a property lookup per field.
enum Geom : int {
  kRank = 0, kN = 1, kCin = 2, kCout = 3, kGroups = 4, kIn = 5, kK = 8, kStride = 11, kDil = 14, kPb = 17, kPa = 20,
  kOut = 23, kInCl = 26, kOutCl = 27, kMode = 28, kPadValue = 29, kWeightLayout = 30, kOpad = 31, kMulti = 34,
  kMaskC = 35, kGeomLength = 36
};
const char* const kGeomNames[kGeomLength] = {
    "rank", "N", "Cin", "Cout", "groups", "in[0]", "in[1]", "in[2]", "k[0]", "k[1]", "k[2]", "stride[0]",
    "stride[1]", "stride[2]", "dilation[0]", "dilation[1]", "dilation[2]", "padBefore[0]", "padBefore[1]",
    "padBefore[2]", "padAfter[0]", "padAfter[1]", "padAfter[2]", "out[0]", "out[1]", "out[2]", "inChannelsLast",
    "outChannelsLast", "mode", "padValue", "weightLayout", "outputPadding[0]", "outputPadding[1]",
    "outputPadding[2]", "multiChannel", "maskChannels"};

class GeomReader {
 public:
  GeomReader(const Napi::Object& o, const char* fn) : fn_(fn) {
    const Napi::Value v = o.Get("g");
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      type_error(std::string(fn) + ": g expects a Float64Array");
    const Napi::Float64Array a = v.As<Napi::Float64Array>();
    if (a.ElementLength() != kGeomLength)
      range_error(std::string(fn) + ": g expects " + std::to_string(kGeomLength) + " entries, got " +
                  std::to_string(a.ElementLength()));
    std::memcpy(g_, a.Data(), sizeof g_);
  }
  int64_t i64(int i, int64_t lo, int64_t hi) const { return checked_int(fn_, kGeomNames[i], g_[i], lo, hi); }
  void arr3(int i, int64_t* out, int64_t lo, int64_t hi) const {
    for (int j = 0; j < 3; ++j) out[j] = i64(i + j, lo, hi);
  }
  bool flag(int i) const { return i64(i, 0, 1) != 0; }
  double f64(int i) const { return g_[i]; }

 private:
  double g_[kGeomLength];
  const char* fn_;
};

// The geometry both convolution descriptors share (ConvDesc, ConvTransposeDesc).
template <typename Desc>
void read_conv_common(const GeomReader& r, Desc& d) {
  d.rank = static_cast<int>(r.i64(kRank, 1, 3));
  d.N = r.i64(kN, 0, kMaxDim);
  d.Cin = r.i64(kCin, 1, kMaxDim);
  d.Cout = r.i64(kCout, 1, kMaxDim);
  d.groups = r.i64(kGroups, 1, kMaxDim);
  r.arr3(kIn, d.in, 1, kMaxDim);
  r.arr3(kK, d.k, 1, kMaxDim);
  r.arr3(kStride, d.stride, 1, kMaxDim);
  r.arr3(kDil, d.dil, 1, kMaxDim);
  r.arr3(kPb, d.pb, 0, kMaxDim);
  r.arr3(kPa, d.pa, 0, kMaxDim);
  r.arr3(kOut, d.out, 1, kMaxDim);
  d.in_cl = r.flag(kInCl);
  d.out_cl = r.flag(kOutCl);
  if (d.Cin % d.groups || d.Cout % d.groups) range_error(std::string(d.fn) + ": channels must be divisible by groups");
}

int64_t total(int64_t a, int64_t b, const int64_t* s, const char* fn) {
  return checked_mul(checked_mul(a, b, fn), checked_mul(checked_mul(s[0], s[1], fn), s[2], fn), fn);
}

// An op writes its result while it reads its inputs: a result sharing memory with an input
// (the facade's `out` option, checked there first) is refused, by name.
struct Span {
  const char* name;
  const float* p;
  int64_t n;
};
void check_disjoint(const char* fn, const Span& y, std::initializer_list<Span> inputs) {
  const uintptr_t y0 = reinterpret_cast<uintptr_t>(y.p), y1 = y0 + static_cast<uintptr_t>(y.n) * sizeof(float);
  for (const Span& in : inputs) {
    if (in.p == nullptr || in.n <= 0 || y.n <= 0) continue;
    const uintptr_t a = reinterpret_cast<uintptr_t>(in.p), b = a + static_cast<uintptr_t>(in.n) * sizeof(float);
    if (a < y1 && y0 < b)
      range_error(std::string(fn) + ": " + y.name + " expects memory that no input shares, got a Float32Array overlapping " + in.name);
  }
}

Napi::Value Conv(const Napi::CallbackInfo& info) {
  return dispatch(info, "conv", [](const Napi::Object& o) {
    Named nm(o, "conv");
    auto d = std::make_shared<ConvDesc>();
    d->fn = nm.name->c_str();
    Reader r(o, d->fn);
    GeomReader gr(o, d->fn);
    read_conv_common(gr, *d);
    d->mode = static_cast<PadMode>(gr.i64(kMode, 0, 6));
    const double pv = gr.f64(kPadValue);
    if (!std::isfinite(pv)) range_error(std::string(d->fn) + ": padValue expects a finite number");
    d->pad_value = static_cast<float>(pv);
    d->wl = static_cast<WeightLayout>(gr.i64(kWeightLayout, 0, 2));
    check_conv(*d);
    d->x = r.f32("x", total(d->N, d->Cin, d->in, d->fn));
    d->w = r.f32("w", total(d->Cout, d->Cin / d->groups, d->k, d->fn));
    d->bias = r.f32("bias", d->Cout, true);
    d->y = r.f32("y", total(d->N, d->Cout, d->out, d->fn));
    check_disjoint(d->fn, {"y", d->y, total(d->N, d->Cout, d->out, d->fn)},
                   {{"x", d->x, total(d->N, d->Cin, d->in, d->fn)}, {"w", d->w, total(d->Cout, d->Cin / d->groups, d->k, d->fn)},
                    {"bias", d->bias, d->Cout}});
    advise_output(d->y, total(d->N, d->Cout, d->out, d->fn));
    const PackedConv* pc = read_packed<PackedConv>(o, *d, kPackedConvTag, "prepareConv");  // only one made for this geometry
    d->w_pg = pc && !pc->wino ? pc->w.data() : nullptr;
    d->w_wino = pc && pc->wino ? pc->w.data() : nullptr;
    return std::function<void()>([d, nm] { conv_forward(*d); });
  });
}

Napi::Value PartialConv(const Napi::CallbackInfo& info) {
  return dispatch(info, "partialConv", [](const Napi::Object& o) {
    Named nm(o, "partialConv");
    auto d = std::make_shared<ConvDesc>();
    d->fn = nm.name->c_str();
    Reader r(o, d->fn);
    GeomReader gr(o, d->fn);
    read_conv_common(gr, *d);
    d->mode = PadMode::kZeros;
    d->wl = static_cast<WeightLayout>(gr.i64(kWeightLayout, 0, 2));
    d->multi_channel = gr.flag(kMulti);
    d->mask_c = gr.i64(kMaskC, 0, kMaxDim);
    check_conv(*d);
    d->x = r.f32("x", total(d->N, d->Cin, d->in, d->fn));
    d->w = r.f32("w", total(d->Cout, d->Cin / d->groups, d->k, d->fn));
    d->bias = r.f32("bias", d->Cout, true);
    d->y = r.f32("y", total(d->N, d->Cout, d->out, d->fn));
    advise_output(d->y, total(d->N, d->Cout, d->out, d->fn));
    if (d->mask_c != 0) {
      if (d->mask_c != (d->multi_channel ? d->Cin : 1))
        range_error(std::string(d->fn) + ": mask expects " + std::to_string(d->multi_channel ? d->Cin : 1) +
                    " channels, got " + std::to_string(d->mask_c));
      d->mask = r.f32("mask", total(d->N, d->mask_c, d->in, d->fn));
    }
    d->mask_out = r.f32("maskOut", total(d->N, d->multi_channel ? d->Cout : 1, d->out, d->fn));
    {
      const Span x{"x", d->x, total(d->N, d->Cin, d->in, d->fn)}, w{"w", d->w, total(d->Cout, d->Cin / d->groups, d->k, d->fn)};
      const Span b{"bias", d->bias, d->Cout}, m{"mask", d->mask, d->mask ? total(d->N, d->mask_c, d->in, d->fn) : 0};
      const Span y{"y", d->y, total(d->N, d->Cout, d->out, d->fn)};
      check_disjoint(d->fn, y, {x, w, b, m});
      check_disjoint(d->fn, {"maskOut", d->mask_out, total(d->N, d->multi_channel ? d->Cout : 1, d->out, d->fn)}, {x, w, b, m, y});
    }
    return std::function<void()>([d, nm] { partial_conv_forward(*d); });
  });
}

Napi::Value ConvTranspose(const Napi::CallbackInfo& info) {
  return dispatch(info, "convTranspose", [](const Napi::Object& o) {
    Named nm(o, "convTranspose");
    auto d = std::make_shared<ConvTransposeDesc>();
    d->fn = nm.name->c_str();
    Reader r(o, d->fn);
    GeomReader gr(o, d->fn);
    read_conv_common(gr, *d);
    gr.arr3(kOpad, d->opad, 0, kMaxDim);
    d->mode = static_cast<PadMode>(gr.i64(kMode, 0, 6));
    check_conv_transpose(*d);
    d->x = r.f32("x", total(d->N, d->Cin, d->in, d->fn));
    d->w = r.f32("w", total(d->Cin, d->Cout / d->groups, d->k, d->fn));
    d->bias = r.f32("bias", d->Cout, true);
    d->y = r.f32("y", total(d->N, d->Cout, d->out, d->fn));
    check_disjoint(d->fn, {"y", d->y, total(d->N, d->Cout, d->out, d->fn)},
                   {{"x", d->x, total(d->N, d->Cin, d->in, d->fn)}, {"w", d->w, total(d->Cin, d->Cout / d->groups, d->k, d->fn)},
                    {"bias", d->bias, d->Cout}});
    advise_output(d->y, total(d->N, d->Cout, d->out, d->fn));
    if (const PackedConvTranspose* pt = read_packed<PackedConvTranspose>(o, *d, kPackedTag, "prepareConvTranspose")) {
      d->w_packed = pt->w.data();
      d->w_packed_panels = pt->panels;
    }
    return std::function<void()>([d, nm] { conv_transpose_forward(*d); });
  });
}

// prepareConv / prepareConvTranspose({fn, g, w}): a layer's weight packed once by `pack(d, p)`
// (ops.h), as a type-tagged External P that tells V8 its size; undefined when the geometry
// has no packed form (pack returns nothing). `read` reads the rest of the descriptor.
template <class Desc, class P, class Read, class Pack>
Napi::Value prepare_packed(const Napi::CallbackInfo& info, const char* name, const napi_type_tag& tag, Read read, Pack pack) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 1 || !info[0].IsObject()) type_error(std::string(name) + ": expects a descriptor object");
    const Napi::Object o = info[0].As<Napi::Object>();
    Named nm(o, name);
    Desc d;
    d.fn = nm.name->c_str();
    Reader r(o, d.fn);
    GeomReader gr(o, d.fn);
    read_conv_common(gr, d);
    read(r, gr, d);
    auto p = std::make_unique<P>(d);
    p->w = pack(d, *p);
    if (p->w.empty()) return env.Undefined();
    const int64_t bytes = static_cast<int64_t>(p->w.size() * sizeof(float));
    Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
    auto ext = Napi::External<P>::New(env, p.release(), [bytes](Napi::Env e, P* q) {
      Napi::MemoryManagement::AdjustExternalMemory(e, -bytes);
      delete q;
    });
    ext.TypeTag(&tag);
    return ext;
  } catch (const Error& e) {
    return throw_js(env, e);
  }
}

// The merged phases' sub-kernels (pack_conv_transpose).
Napi::Value PrepareConvTranspose(const Napi::CallbackInfo& info) {
  return prepare_packed<ConvTransposeDesc, PackedConvTranspose>(
      info, "prepareConvTranspose", kPackedTag,
      [](const Reader& r, GeomReader&, ConvTransposeDesc& d) { d.w = r.f32("w", total(d.Cin, d.Cout / d.groups, d.k, d.fn)); },
      [](const ConvTransposeDesc& d, PackedConvTranspose& p) { return pack_conv_transpose(d, &p.panels); });
}

// Winograd's transformed weights or the small-map kernel's panels, for the input geometry of
// the descriptor (pack_conv).
Napi::Value PrepareConv(const Napi::CallbackInfo& info) {
  return prepare_packed<ConvDesc, PackedConv>(
      info, "prepareConv", kPackedConvTag,
      [](const Reader& r, GeomReader& gr, ConvDesc& d) {
        d.wl = static_cast<WeightLayout>(gr.i64(kWeightLayout, 0, 2));
        check_conv(d);
        d.w = r.f32("w", total(d.Cout, d.Cin / d.groups, d.k, d.fn));
      },
      [](const ConvDesc& d, PackedConv& p) { return pack_conv(d, &p.wino); });
}

Napi::Value Pad(const Napi::CallbackInfo& info) {
  return dispatch(info, "pad", [](const Napi::Object& o) {
    Named nm(o, "pad");
    auto d = std::make_shared<PadDesc>();
    d->fn = nm.name->c_str();
    Reader r(o, d->fn);
    d->rank = static_cast<int>(r.i64("rank", 1, 3));
    d->N = r.i64("N", 0, kMaxDim);
    d->C = r.i64("C", 1, kMaxDim);
    r.arr3("in", d->in, 1, kMaxDim);
    r.arr3("before", d->before, -kMaxDim, kMaxDim);
    r.arr3("after", d->after, -kMaxDim, kMaxDim);
    r.arr3("out", d->out, 1, kMaxDim);
    d->in_cl = r.flag("inChannelsLast");
    d->out_cl = r.flag("outChannelsLast");
    d->mode = read_mode(r);
    if (d->mode == PadMode::kZeros || d->mode == PadMode::kPartial) range_error(std::string(d->fn) + ": bad mode");
    d->value = static_cast<float>(r.f64("value"));
    d->x = r.f32("x", total(d->N, d->C, d->in, d->fn));
    d->y = r.f32("y", total(d->N, d->C, d->out, d->fn));
    check_disjoint(d->fn, {"y", d->y, total(d->N, d->C, d->out, d->fn)}, {{"x", d->x, total(d->N, d->C, d->in, d->fn)}});
    advise_output(d->y, total(d->N, d->C, d->out, d->fn));
    return std::function<void()>([d, nm] { pad_forward(*d); });
  });
}

Napi::Value Interpolate(const Napi::CallbackInfo& info) {
  return dispatch(info, "interpolate", [](const Napi::Object& o) {
    Named nm(o, "interpolate");
    auto d = std::make_shared<InterpDesc>();
    d->fn = nm.name->c_str();
    Reader r(o, d->fn);
    d->rank = static_cast<int>(r.i64("rank", 1, 3));
    d->N = r.i64("N", 0, kMaxDim);
    d->C = r.i64("C", 1, kMaxDim);
    r.arr3("in", d->in, 1, kMaxDim);
    r.arr3("out", d->out, 1, kMaxDim);
    r.f64x3("scale", d->scale);
    d->align_corners = r.flag("alignCorners");
    d->in_cl = r.flag("inChannelsLast");
    d->out_cl = r.flag("outChannelsLast");
    d->mode = static_cast<InterpMode>(r.i64("mode", 0, 4));
    d->x = r.f32("x", total(d->N, d->C, d->in, d->fn));
    d->y = r.f32("y", total(d->N, d->C, d->out, d->fn));
    check_disjoint(d->fn, {"y", d->y, total(d->N, d->C, d->out, d->fn)}, {{"x", d->x, total(d->N, d->C, d->in, d->fn)}});
    advise_output(d->y, total(d->N, d->C, d->out, d->fn));
    return std::function<void()>([d, nm] { interpolate_forward(*d); });
  });
}

Napi::Value Layout(const Napi::CallbackInfo& info) {
  return dispatch(info, "to", [](const Napi::Object& o) {
    Named nm(o, "to");
    auto d = std::make_shared<LayoutDesc>();
    Reader r(o, nm.name->c_str());
    d->N = r.i64("N", 0, kMaxDim);
    d->C = r.i64("C", 1, kMaxDim);
    d->S = r.i64("S", 1, kMaxDim);
    d->to_cl = r.flag("toChannelsLast");
    const int64_t n = checked_mul(checked_mul(d->N, d->C, "to"), d->S, "to");
    d->x = r.f32("x", n);
    d->y = r.f32("y", n);
    check_disjoint(nm.name->c_str(), {"y", d->y, n}, {{"x", d->x, n}});
    return std::function<void()>([d] { layout_convert(*d); });
  });
}

// fromPixels / toPixels (sync): { fn, toFloat, P, C, channelsLast, mul, add (C numbers each),
// bytes (Uint8Array or Uint8ClampedArray, P*C), data (Float32Array, P*C) }.
Napi::Value Pixels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 1 || !info[0].IsObject()) type_error("pixels: expects a descriptor object");
    const Napi::Object o = info[0].As<Napi::Object>();
    Named nm(o, "pixels");
    const char* fn = nm.name->c_str();
    Reader r(o, fn);
    PixelsDesc d;
    d.fn = fn;
    d.to_float = r.flag("toFloat");
    d.cl = r.flag("channelsLast");
    d.P = r.i64("P", 0, kMaxDim);
    d.C = r.i64("C", 1, 4);
    const int64_t n = checked_mul(d.P, d.C, fn);
    for (const char* key : {"mul", "add"}) {
      const Napi::Value v = o.Get(key);
      if (!v.IsArray() || v.As<Napi::Array>().Length() != static_cast<uint32_t>(d.C))
        type_error(std::string(fn) + ": " + key + " expects " + std::to_string(d.C) + " numbers");
      const Napi::Array a = v.As<Napi::Array>();
      for (uint32_t c = 0; c < a.Length(); ++c) {
        const Napi::Value e = a.Get(c);
        if (!e.IsNumber() || !std::isfinite(e.As<Napi::Number>().DoubleValue()))
          range_error(std::string(fn) + ": " + key + " expects finite numbers");
        (key[0] == 'm' ? d.mul : d.add)[c] = e.As<Napi::Number>().DoubleValue();
      }
    }
    const Napi::Value b = o.Get("bytes");
    if (!b.IsTypedArray() || (b.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array &&
                              b.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_clamped_array))
      type_error(std::string(fn) + ": bytes expects a Uint8Array or Uint8ClampedArray");
    // (The typed array's own data pointer: its buffer may be a SharedArrayBuffer. A detached
    // buffer has length 0, refused below.)
    Napi::TypedArrayOf<uint8_t> bt(env, b);
    if (static_cast<int64_t>(bt.ElementLength()) != n)
      range_error(std::string(fn) + ": bytes expects " + std::to_string(n) + " elements, got " + std::to_string(bt.ElementLength()));
    uint8_t zero = 0;
    d.bytes = n == 0 ? &zero : bt.Data();
    d.f = r.f32("data", n);
    pixels_convert(d);
  } catch (const Error& e) {
    return throw_js(env, e);
  }
  return env.Undefined();
}

// The one argument of a setter, an integer in [lo, hi] (checked_int), or a TypeError naming
// fn, the argument and what it got.
int64_t setter_int(const Napi::CallbackInfo& info, const char* fn, const char* key, int64_t lo, int64_t hi) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    static const char* const kTypes[] = {"undefined", "null",       "a boolean",   "a number", "a string",
                                         "a symbol",  "an object", "a function", "an external", "a bigint"};
    const int t = info.Length() < 1 ? 0 : static_cast<int>(info[0].Type());
    type_error(std::string(fn) + ": " + key + " expects an integer, got " + (t >= 0 && t < 10 ? kTypes[t] : "another type"));
  }
  return checked_int(fn, key, info[0].As<Napi::Number>().DoubleValue(), lo, hi);
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  try {
    set_num_threads(static_cast<int>(setter_int(info, "setNumThreads", "n", 1, 256)));
  } catch (const Error& e) {
    return throw_js(info.Env(), e);
  }
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), get_num_threads()); }

// An op's output: n floats, uninitialised (every op writes all of its output), starting on a
// 64-byte boundary so that streamed results write whole cache lines (a Buffer's memory comes
// 16-byte aligned from malloc: W16's transposed tiles then straddled two lines per store).
Napi::Value AllocFloat32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t n;
  try {
    n = setter_int(info, "allocFloat32", "n", 0, std::min<int64_t>(2147483647, max_bytes().load() / 4));
  } catch (const Error& e) {
    return throw_js(env, e);
  }
  const size_t count = static_cast<size_t>(n);
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(env, count * sizeof(float) + 63);  // (napi_create_buffer: not zeroed)
  const size_t skew = reinterpret_cast<uintptr_t>(buf.Data()) & 63, off = (64 - skew) & 63;
  return Napi::Float32Array::New(env, count, buf.ArrayBuffer(), buf.ByteOffset() + off);
}

Napi::Value SetMaxBytes(const Napi::CallbackInfo& info) {
  try {
    max_bytes().store(setter_int(info, "setMaxBytes", "bytes", 1, 9007199254740991));
  } catch (const Error& e) {
    return throw_js(info.Env(), e);
  }
  return info.Env().Undefined();
}

Napi::Value RuntimeInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", kernels().isa);  // the path the dispatch table runs
  o.Set("detectedIsa", isa_name(detected_isa()));
  o.Set("cappedIsa", isa_name(active_isa()));
  o.Set("threads", get_num_threads());
  o.Set("defaultThreads", default_num_threads());
  o.Set("maxBytes", static_cast<double>(max_bytes().load()));
  return o;
}

Napi::Value ProbeFma(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double seconds = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0.2;
  return Napi::Number::New(env, probe_fma_gflops(seconds));
}

// scratchBytes(reset): scratch bytes the ops took since the last reset (see note_scratch).
Napi::Value ScratchBytes(const Napi::CallbackInfo& info) {
  const bool reset = info.Length() > 0 && info[0].ToBoolean().Value();
  return Napi::Number::New(info.Env(), static_cast<double>(scratch_bytes(reset)));
}

Napi::Value ProbeCopy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double mb = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 64;
  const double seconds = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0.2;
  return Napi::Number::New(env, probe_copy_gbs(mb, seconds));
}

}  // namespace

// glibc returns large freed blocks to the kernel at once (mmap threshold, trim), so every
// large output would come back as fresh pages, each faulted and zeroed by the kernel: on a
// VM that costs more than the op (measured here: 1.5 ms vs 0.11 ms for a 1.6 MB output).
// Keeping freed memory in the heap is what a server would configure; CONVKIT_MALLOC_TUNING=0
// leaves glibc's defaults alone.
void tune_malloc() {
#if defined(__GLIBC__)
  const char* v = std::getenv("CONVKIT_MALLOC_TUNING");
  if (v && v[0] == '0') return;
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  static const bool tuned = (tune_malloc(), true);
  (void)tuned;
  exports.Set("conv", Napi::Function::New(env, Conv));
  exports.Set("partialConv", Napi::Function::New(env, PartialConv));
  exports.Set("convTranspose", Napi::Function::New(env, ConvTranspose));
  exports.Set("prepareConvTranspose", Napi::Function::New(env, PrepareConvTranspose));
  exports.Set("prepareConv", Napi::Function::New(env, PrepareConv));
  exports.Set("pad", Napi::Function::New(env, Pad));
  exports.Set("interpolate", Napi::Function::New(env, Interpolate));
  exports.Set("layout", Napi::Function::New(env, Layout));
  exports.Set("pixels", Napi::Function::New(env, Pixels));
  exports.Set("allocFloat32", Napi::Function::New(env, AllocFloat32));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads));
  exports.Set("setMaxBytes", Napi::Function::New(env, SetMaxBytes));
  exports.Set("runtimeInfo", Napi::Function::New(env, RuntimeInfo));
  exports.Set("probeFma", Napi::Function::New(env, ProbeFma));
  exports.Set("probeCopy", Napi::Function::New(env, ProbeCopy));
  exports.Set("scratchBytes", Napi::Function::New(env, ScratchBytes));
  return exports;
}

}  // namespace convkit

static Napi::Object InitConvkit(Napi::Env env, Napi::Object exports) { return convkit::Init(env, exports); }
NODE_API_MODULE(convkit, InitConvkit)
