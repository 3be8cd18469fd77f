'use strict';
// The workload table of BENCH.md (W1..W16; W13 has a bilinear and a nearest variant, and here
// a bicubic one too).
// float32, PyTorch semantics, input NCHW (NCW / NCDHW for 1d / 3d). Each entry carries its
// geometry, a benchdnn-like canonical string, its FLOP or byte count and a deterministic
// input generator, so every implementation sees the same numbers.
//
// FLOPs = 2·N·Cout·(Cin/groups)·∏k·∏(output spatial);
// transposed: 2·N·Cin·(Cout/groups)·∏k·∏(input spatial).
// Memory-bound ops: bytes = bytes read + bytes written (float32 = 4 bytes).

const { product, randomFloats, rng } = require('./util.cjs');

const DIMS = ['d', 'h', 'w'];

function convOut(i, k, s, d, p) {
  return Math.floor((i + 2 * p - d * (k - 1) - 1) / s) + 1;
}
function convTOut(i, k, s, d, p, op) {
  return (i - 1) * s - 2 * p + d * (k - 1) + op + 1;
}

function fill(v, r) {
  return Array.isArray(v) ? v.slice() : new Array(r).fill(v);
}

function spatialPart(names, inn, out, k, s, d, p) {
  // benchdnn: id/od/kd/sd/dd/pd per spatial dim, dilation printed as d-1.
  return names.map((n, j) => `i${n}${inn[j]}o${n}${out[j]}k${n}${k[j]}s${n}${s[j]}d${n}${d[j] - 1}p${n}${p[j]}`).join('_');
}

// A forward convolution (kind 'conv' or 'partial').
function conv(id, what, o) {
  const r = o.in.length;
  const k = fill(o.k, r), stride = fill(o.stride ?? 1, r), dil = fill(o.dil ?? 1, r), pad = fill(o.pad ?? 0, r);
  const groups = o.groups ?? 1;
  const out = o.in.map((i, j) => convOut(i, k[j], stride[j], dil[j], pad[j]));
  const names = DIMS.slice(3 - r);
  const g = groups > 1 ? `g${groups}` : '';
  const mode = o.paddingMode && o.paddingMode !== 'zeros' ? ` --pad-mode=${o.paddingMode}` : '';
  const kind = o.kind ?? 'conv';
  const prefix = kind === 'partial' ? `--conv --partial --mask=${o.maskKind}` : '--conv';
  const canonical = `${prefix}${mode} ${g}mb${o.N}_ic${o.Cin}oc${o.Cout}_${spatialPart(names, o.in, out, k, stride, dil, pad)}`;
  const flops = 2 * o.N * o.Cout * (o.Cin / groups) * product(k) * product(out);
  return {
    id, key: id, what, kind, rank: r,
    N: o.N, Cin: o.Cin, Cout: o.Cout, groups, in: o.in, out, k, stride, dil, pad,
    paddingMode: o.paddingMode ?? 'zeros',
    inputShape: [o.N, o.Cin, ...o.in],
    weightShape: [o.Cout, o.Cin / groups, ...k],
    outputShape: [o.N, o.Cout, ...out],
    outputLayout: ['NCW', 'NCHW', 'NCDHW'][r - 1],
    metric: 'flop', flops, bytes: 4 * (o.N * o.Cin * product(o.in) + o.N * o.Cout * product(out)),
    canonical, image: !!o.image, maskKind: o.maskKind,
  };
}

// A transposed convolution (PyTorch weight [Cin, Cout/groups, k...]).
function convT(id, what, o) {
  const r = o.in.length;
  const k = fill(o.k, r), stride = fill(o.stride ?? 1, r), dil = fill(o.dil ?? 1, r), pad = fill(o.pad ?? 0, r);
  const op = fill(o.outputPadding ?? 0, r);
  const groups = o.groups ?? 1;
  const out = o.in.map((i, j) => convTOut(i, k[j], stride[j], dil[j], pad[j], op[j]));
  const names = DIMS.slice(3 - r);
  const g = groups > 1 ? `g${groups}` : '';
  const canonical = `--deconv ${g}mb${o.N}_ic${o.Cin}oc${o.Cout}_${spatialPart(names, o.in, out, k, stride, dil, pad)}`;
  const flops = 2 * o.N * o.Cin * (o.Cout / groups) * product(k) * product(o.in);
  return {
    id, key: id, what, kind: 'convT', rank: r,
    N: o.N, Cin: o.Cin, Cout: o.Cout, groups, in: o.in, out, k, stride, dil, pad, outputPadding: op,
    paddingMode: 'zeros',
    inputShape: [o.N, o.Cin, ...o.in],
    weightShape: [o.Cin, o.Cout / groups, ...k],
    outputShape: [o.N, o.Cout, ...out],
    outputLayout: ['NCW', 'NCHW', 'NCDHW'][r - 1],
    metric: 'flop', flops, bytes: 4 * (o.N * o.Cin * product(o.in) + o.N * o.Cout * product(out)),
    canonical,
  };
}

const WORKLOADS = [
  conv('W1', 'resnet 3x3', { N: 1, Cin: 64, Cout: 64, in: [56, 56], k: 3, stride: 1, pad: 1 }),
  conv('W2', 'resnet 1x1', { N: 1, Cin: 256, Cout: 64, in: [56, 56], k: 1 }),
  conv('W3', 'stem 7x7/2', { N: 1, Cin: 3, Cout: 64, in: [224, 224], k: 7, stride: 2, pad: 3 }),
  conv('W4', 'deep 3x3', { N: 1, Cin: 512, Cout: 512, in: [7, 7], k: 3, pad: 1 }),
  conv('W5', 'depthwise 3x3', { N: 1, Cin: 32, Cout: 32, groups: 32, in: [112, 112], k: 3, pad: 1 }),
  conv('W6', 'dilated 3x3', { N: 1, Cin: 128, Cout: 128, in: [64, 64], k: 3, dil: 2, pad: 2 }),
  convT('W7', 'transposed, U-Net up', { N: 1, Cin: 128, Cout: 64, in: [64, 64], k: 2, stride: 2 }),
  convT('W8', 'transposed, DCGAN', { N: 1, Cin: 256, Cout: 128, in: [16, 16], k: 4, stride: 2, pad: 1 }),
  conv('W9', 'image filter 5x5', { N: 1, Cin: 3, Cout: 3, groups: 3, in: [1080, 1920], k: 5, pad: 2, paddingMode: 'reflect', image: true }),
  conv('W10', 'partial conv, inpainting', { kind: 'partial', N: 1, Cin: 3, Cout: 64, in: [256, 256], k: 7, stride: 2, pad: 3, maskKind: 'random' }),
  conv('W11', 'batch throughput', { N: 32, Cin: 64, Cout: 64, in: [56, 56], k: 3, pad: 1 }),
  {
    id: 'W12', key: 'W12', what: 'reflect pad 16', kind: 'pad', rank: 2, N: 1, Cin: 3, Cout: 3, in: [1080, 1920],
    padBy: 16, padMode: 'reflect', out: [1112, 1952], inputShape: [1, 3, 1080, 1920], outputShape: [1, 3, 1112, 1952],
    outputLayout: 'NCHW', metric: 'byte', image: true,
    canonical: '--pad --alg=reflect 1x3x1080x1920_ph16pw16',
  },
  {
    id: 'W13', key: 'W13-bilinear', what: 'upsample x2 bilinear', kind: 'interp', mode: 'bilinear', rank: 2, N: 1, Cin: 64, Cout: 64,
    in: [128, 128], out: [256, 256], scale: 2, inputShape: [1, 64, 128, 128], outputShape: [1, 64, 256, 256],
    outputLayout: 'NCHW', metric: 'byte',
    canonical: '--resampling --alg=linear mb1ic64_ih128oh256_iw128ow256',
  },
  {
    id: 'W13', key: 'W13-nearest', what: 'upsample x2 nearest', kind: 'interp', mode: 'nearest', rank: 2, N: 1, Cin: 64, Cout: 64,
    in: [128, 128], out: [256, 256], scale: 2, inputShape: [1, 64, 128, 128], outputShape: [1, 64, 256, 256],
    outputLayout: 'NCHW', metric: 'byte',
    canonical: '--resampling --alg=nearest mb1ic64_ih128oh256_iw128ow256',
  },
  {
    // Not in BENCH.md's table: the issue's "bicubic >= 2x OpenCV" target, on W13's shape.
    id: 'W13', key: 'W13-bicubic', what: 'upsample x2 bicubic', kind: 'interp', mode: 'bicubic', rank: 2, N: 1, Cin: 64, Cout: 64,
    in: [128, 128], out: [256, 256], scale: 2, inputShape: [1, 64, 128, 128], outputShape: [1, 64, 256, 256],
    outputLayout: 'NCHW', metric: 'byte',
    canonical: '--resampling --alg=cubic mb1ic64_ih128oh256_iw128ow256',
  },
  conv('W14', 'conv1d', { N: 1, Cin: 64, Cout: 64, in: [16000], k: 3, pad: 1 }),
  conv('W15', 'conv3d', { N: 1, Cin: 16, Cout: 32, in: [8, 56, 56], k: 3, pad: 1 }),
  {
    id: 'W16', key: 'W16', what: 'layout NCHW->NHWC', kind: 'layout', rank: 2, N: 1, Cin: 64, Cout: 64, in: [224, 224], out: [224, 224],
    inputShape: [1, 64, 224, 224], outputShape: [1, 224, 224, 64], outputLayout: 'NHWC', metric: 'byte',
    canonical: '--reorder --sdt=f32 --ddt=f32 --stag=abcd --dtag=acdb 1x64x224x224',
  },
];

// Byte counts of the memory-bound entries (read + written).
for (const w of WORKLOADS) {
  if (w.metric === 'byte') {
    w.bytes = 4 * (product(w.inputShape) + product(w.outputShape));
    w.flops = 0;
  }
}

// The 5x5 kernel of W9: the binomial (Gaussian-like) [1 4 6 4 1]ᵀ[1 4 6 4 1] / 256, exact in
// float32 and expressible as an integer kernel with scale 256 for sharp.
const BINOMIAL5 = [1, 4, 6, 4, 1];
const W9_KERNEL_INT = [];
for (const a of BINOMIAL5) for (const b of BINOMIAL5) W9_KERNEL_INT.push(a * b);

// Deterministic inputs per workload: x (NCHW), w (PyTorch layout), mask for W10.
// Image workloads (W9, W12) use integer pixel values 0..255, so sharp sees the same image.
function makeInputs(w) {
  const seed = 1000 + WORKLOADS.indexOf(w) * 17;
  const n = product(w.inputShape);
  const inputs = {};
  if (w.image) {
    const r = rng(seed);
    const x = new Float32Array(n);
    // A smooth gradient plus noise: looks like an image, exercises all 8-bit levels.
    const [N, C, H, W] = w.inputShape;
    for (let c = 0; c < C; c++)
      for (let y = 0; y < H; y++)
        for (let xx = 0; xx < W; xx++) {
          const base = 128 + 90 * Math.sin((xx + 37 * c) / 97) * Math.cos(y / 61);
          x[(c * H + y) * W + xx] = Math.max(0, Math.min(255, Math.round(base + (r() - 0.5) * 60)));
        }
    void N;
    inputs.x = x;
  } else {
    inputs.x = randomFloats(n, seed);
  }
  if (w.kind === 'conv' || w.kind === 'partial' || w.kind === 'convT') {
    if (w.id === 'W9') {
      const k = new Float32Array(product(w.weightShape));
      for (let c = 0; c < w.Cin; c++) for (let i = 0; i < 25; i++) k[c * 25 + i] = W9_KERNEL_INT[i] / 256;
      inputs.w = k;
    } else {
      // Scaled like a default init so outputs stay O(1).
      const fanIn = w.kind === 'convT' ? (w.Cout / w.groups) * product(w.k) : (w.Cin / w.groups) * product(w.k);
      inputs.w = randomFloats(product(w.weightShape), seed + 1, 1 / Math.sqrt(fanIn));
    }
  }
  if (w.kind === 'partial') {
    // A random binary mask [N, 1, H, W] with 25 % holes.
    const r = rng(seed + 2);
    const m = new Float32Array(w.N * product(w.in));
    for (let i = 0; i < m.length; i++) m[i] = r() < 0.25 ? 0 : 1;
    inputs.mask = m;
    inputs.maskShape = [w.N, 1, ...w.in];
  }
  return inputs;
}

module.exports = { WORKLOADS, makeInputs, W9_KERNEL_INT, convOut, convTOut };
