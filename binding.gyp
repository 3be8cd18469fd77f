{
  "targets": [
    {
      "target_name": "convkit",
      "conditions": [
        ["target_arch=='x64'", {"dependencies": ["convkit_sse41", "convkit_avx2", "convkit_avx512"]}],
        ["target_arch=='arm64'", {"sources": ["native/kernels/f32-igemm-8x8-neon.cc", "native/kernels/f32-dwconv-neon.cc"]}]
      ],
      "ldflags": ["-Wl,-z,nodelete"],
      "sources": [
        "native/binding/addon.cc",
        "native/core/common.cc",
        "native/core/cpu.cc",
        "native/core/padmap.cc",
        "native/core/probe.cc",
        "native/core/threadpool.cc",
        "native/kernels/dispatch.cc",
        "native/kernels/f32-conv-scalar.cc",
        "native/ops/conv.cc",
        "native/ops/conv_fast.cc",
        "native/ops/conv_transpose.cc",
        "native/ops/conv_winograd.cc",
        "native/ops/interpolate.cc",
        "native/ops/layout.cc",
        "native/ops/pad.cc",
        "native/ops/pixels.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-O2"],
      "cflags": ["-O3", "-Wall", "-Wextra"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-Wall", "-Wextra"],
      "xcode_settings": {"GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17"},
      "msvs_settings": {"VCCLCompilerTool": {"ExceptionHandling": 1}}
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "convkit_sse41",
          "type": "static_library",
          "sources": ["native/kernels/f32-igemm-6x8-sse41.cc", "native/kernels/f32-dwconv-sse41.cc"],
          "cflags": ["-O3", "-Wall", "-Wextra", "-msse4.1", "-fPIC"],
          "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-msse4.1", "-fPIC"],
          "cflags!": ["-O2"],
          "cflags_cc!": ["-std=gnu++17", "-O2"]
        },
        {
          "target_name": "convkit_avx2",
          "type": "static_library",
          "sources": ["native/kernels/f32-igemm-6x16-avx2.cc", "native/kernels/f32-pgemm-4x24-avx2.cc", "native/kernels/f32-dwconv-avx2.cc", "native/kernels/f32-resize-avx2.cc", "native/kernels/f32-deinterleave-avx2.cc", "native/kernels/f32-winograd-avx2.cc"],
          "cflags": ["-O3", "-Wall", "-Wextra", "-mavx2", "-mfma", "-fPIC"],
          "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-mavx2", "-mfma", "-fPIC"],
          "cflags!": ["-O2"],
          "cflags_cc!": ["-std=gnu++17", "-O2"]
        },
        {
          "target_name": "convkit_avx512",
          "type": "static_library",
          "sources": ["native/kernels/f32-igemm-8x48-avx512.cc", "native/kernels/f32-pgemm-8x32-avx512.cc", "native/kernels/f32-dwconv-avx512.cc", "native/kernels/f32-resize-avx512.cc", "native/kernels/f32-transpose-avx512.cc"],
          "cflags": ["-O3", "-Wall", "-Wextra", "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma", "-fPIC"],
          "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma", "-fPIC"],
          "cflags!": ["-O2"],
          "cflags_cc!": ["-std=gnu++17", "-O2"]
        }
      ]
    }]
  ]
}
