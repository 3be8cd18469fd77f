// Bit-identity (SPEC §5): sync, async and prepared-layer forms of the same call, and any
// thread count, give the same bits. Also: many async calls in flight, the event loop stays
// free during an async op, batch 0, NaN/Infinity propagation, layers own their weights.

import { describe, it, expect, afterAll } from 'vitest';
import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ck from '../lib/index';
import { randomData, refConv, prod, compare } from './reference';

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

// First index where the bit patterns differ, -1 when identical (and of the same length).
function firstBitDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return -2;
  const x = bits(a), y = bits(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

function expectBitIdentical(a: ck.Tensor, b: ck.Tensor, label: string): void {
  expect(b.shape, label).toEqual(a.shape);
  expect(b.layout, label).toBe(a.layout);
  const i = firstBitDiff(a.data, b.data);
  if (i !== -1)
    expect.fail(`${label}: results differ ${i === -2 ? 'in length' : `at element ${i}: ${a.data[i]} vs ${b.data[i]}`}`);
}

const T = (shape: number[], seed: number, layout?: ck.Layout) => {
  const t = ck.tensor(randomData(prod(shape), seed), shape);
  return layout ? t.to(layout) : t;
};

const savedThreads = ck.getNumThreads();
const distIndex = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');
const hasDist = existsSync(distIndex);
afterAll(() => ck.setNumThreads(savedThreads));

// ---------------------------------------------------------------------------------------

describe('sync, async and prepared-layer forms are bit-identical', () => {
  const conv2dCases: [string, ck.Layout | undefined, ck.ConvOptions][] = [
    ['zeros, padding 1', undefined, { padding: 1 }],
    ['stride 2, same, reflect, bias', undefined, { stride: 2, padding: 'same', paddingMode: 'reflect', bias: randomData(8, 9) }],
    ['groups 2, dilation 2, circular, asymmetric pads', undefined, { groups: 2, dilation: 2, padding: [[1, 3], [2, 0]], paddingMode: 'circular' }],
    ['partial padding, full', undefined, { padding: 'full', paddingMode: 'partial', bias: randomData(8, 3) }],
    ['channels-last, constant 0.5, stride [1, 2]', 'NHWC', { stride: [1, 2], padding: 2, paddingMode: 'constant', paddingValue: 0.5 }],
    ['channels-last in, channels-first out, symmetric', 'NHWC', { padding: 3, paddingMode: 'symmetric', outputLayout: 'NCHW' }],
  ];
  it.each(conv2dCases)('conv2d: %s', async (_name, layout, opts) => {
    const x = T([2, 4, 13, 11], 1, layout);
    const wShape = [8, 4 / (opts.groups ?? 1), 3, 3];
    const w = T(wShape, 2);
    const y = ck.conv2d(x, w, opts);
    expectBitIdentical(y, await ck.conv2dAsync(x, w, opts), 'conv2dAsync');
    expectBitIdentical(y, ck.conv(x, w, opts), 'conv');
    expectBitIdentical(y, await ck.convAsync(x, w, opts), 'convAsync');
    const layer = new ck.Conv2d({ weight: w, ...opts });
    expectBitIdentical(y, layer.forward(x), 'Conv2d.forward');
    expectBitIdentical(y, await layer.forwardAsync(x), 'Conv2d.forwardAsync');
    if (!opts.outputLayout) expect(layer.outputShape(x.shape, x.layout)).toEqual(y.shape);
  });

  it('conv2d with weightLayout HWIO / OHWI matches the same weights in OIHW, bit for bit', () => {
    const x = T([1, 3, 9, 9], 5);
    const Co = 4, Ci = 3, K = 3;
    const w = T([Co, Ci, K, K], 6);
    const hwio = new Float32Array(w.data.length), ohwi = new Float32Array(w.data.length);
    for (let o = 0; o < Co; o++)
      for (let i = 0; i < Ci; i++)
        for (let h = 0; h < K; h++)
          for (let v = 0; v < K; v++) {
            const val = w.data[((o * Ci + i) * K + h) * K + v];
            hwio[((h * K + v) * Ci + i) * Co + o] = val;
            ohwi[((o * K + h) * K + v) * Ci + i] = val;
          }
    const y = ck.conv2d(x, w, { padding: 1 });
    const yh = ck.conv2d(x, ck.tensor(hwio, [K, K, Ci, Co], 'NCHW'), { padding: 1, weightLayout: 'HWIO' });
    const yo = ck.conv2d(x, ck.tensor(ohwi, [Co, K, K, Ci], 'NCHW'), { padding: 1, weightLayout: 'OHWI' });
    // the same products summed: equal within rounding; the packing may legitimately reorder
    const ref = refConv({ data: x.data, shape: [1, 3, 9, 9] }, { data: w.data, shape: [Co, Ci, K, K] }, { padding: 1 });
    for (const [name, t] of [['OIHW', y], ['HWIO', yh], ['OHWI', yo]] as const) expect(compare(t.data, ref).ok, name).toBe(true);
    // partial convolution reads the same option (it was once dropped on the native side)
    const mask = ck.tensor(Float32Array.from({ length: 81 }, (_, i) => (i % 7 === 3 ? 0 : 1)), [1, 1, 9, 9]);
    const p = ck.partialConv2d(x, w, { padding: 1, mask });
    for (const [name, wt, shape] of [['HWIO', hwio, [K, K, Ci, Co]], ['OHWI', ohwi, [Co, K, K, Ci]]] as const) {
      const q = ck.partialConv2d(x, ck.tensor(wt, [...shape], 'NCHW'), { padding: 1, mask, weightLayout: name });
      expect(Array.from(q.output.data), `partialConv2d ${name}`).toEqual(Array.from(p.output.data));
      expect(Array.from(q.mask.data), `partialConv2d ${name} mask`).toEqual(Array.from(p.mask.data));
    }
  });

  it('convTranspose2d (stride 2, outputPadding, groups, bias, reflect) and ConvTranspose2d', async () => {
    for (const [layout, opts] of [
      [undefined, { stride: 2, padding: 1, outputPadding: 1 }],
      [undefined, { stride: [2, 3], padding: [[0, 1], [2, 1]], groups: 2, bias: randomData(6, 4), paddingMode: 'reflect' }],
      ['NHWC', { stride: 2, dilation: 2, padding: 'same' }],
    ] as [ck.Layout | undefined, ck.ConvTransposeOptions][]) {
      const x = T([2, 4, 9, 7], 11, layout);
      const w = T([4, 6 / (opts.groups ?? 1), 3, 3], 12); // Cin 4, Cout 6
      const y = ck.convTranspose2d(x, w, opts);
      expectBitIdentical(y, await ck.convTranspose2dAsync(x, w, opts), `convTranspose2dAsync ${JSON.stringify(opts)}`);
      const layer = new ck.ConvTranspose2d({ weight: w, ...opts });
      expectBitIdentical(y, layer.forward(x), 'ConvTranspose2d.forward');
      expectBitIdentical(y, await layer.forwardAsync(x), 'ConvTranspose2d.forwardAsync');
    }
  });

  it('ConvTranspose layers with a packed weight (k a multiple of the stride) match the functional form, call after call', async () => {
    const cases: [number[], number[], ck.ConvTransposeOptions, (typeof ck.ConvTranspose2d | typeof ck.ConvTranspose1d | typeof ck.ConvTranspose3d)][] = [
      [[2, 8, 9, 7], [8, 6, 4, 4], { stride: 2, padding: 1, bias: randomData(6, 31) }, ck.ConvTranspose2d],
      [[1, 6, 10, 11], [6, 2, 2, 2], { stride: 2, groups: 2 }, ck.ConvTranspose2d],
      [[1, 4, 33], [4, 5, 6], { stride: 3, padding: [[2, 1]] }, ck.ConvTranspose1d],
      [[1, 3, 4, 5, 6], [3, 4, 2, 2, 2], { stride: 2, padding: 1 }, ck.ConvTranspose3d],
    ];
    const fns = [ck.convTranspose1d, ck.convTranspose2d, ck.convTranspose3d] as const;
    for (const [xs, ws, opts, Layer] of cases) {
      const f = fns[xs.length - 3] as (x: ck.Tensor, w: ck.Tensor, o: ck.ConvTransposeOptions) => ck.Tensor;
      const w = T(ws, 32);
      const layer = new (Layer as typeof ck.ConvTranspose2d)({ weight: w, ...opts });
      for (const seed of [33, 34]) {
        const x = T(xs, seed);
        const y = f(x, w, opts);
        const label = `${Layer.name} ${JSON.stringify(opts)} seed ${seed}`;
        expectBitIdentical(y, layer.forward(x), `${label} forward`);
        expectBitIdentical(y, layer.forward(x), `${label} forward again`);
        expectBitIdentical(y, await layer.forwardAsync(x), `${label} forwardAsync`);
      }
      // another input shape, and outputSize (an outputPadding: the unpacked path) on the same weight
      const x2 = T([1, xs[1], ...xs.slice(2).map((e) => e + 1)], 35);
      expectBitIdentical(f(x2, w, opts), layer.forward(x2), `${Layer.name} second shape`);
      layer.dispose();
      expect(() => layer.forward(x2)).toThrow(RangeError);
    }
    const w = T([8, 6, 4, 4], 36), x = T([1, 8, 5, 5], 37);
    const out = { stride: 2, padding: 1, outputSize: [11, 11] };
    const layer = new ck.ConvTranspose2d({ weight: w, stride: 2, padding: 1 });
    layer.forward(x);
    expectBitIdentical(ck.convTranspose2d(x, w, out), new ck.ConvTranspose2d({ weight: w, ...out }).forward(x), 'outputSize layer');
  });

  it('ConvTranspose layers on small and large maps (the two merged kernels) match the functional form, in either order', async () => {
    // 16x16-like maps with many output channels take the channels-in-lanes kernel, larger ones
    // the pixel-lane kernel; a layer packs its weight for the kernel its first input takes,
    // and an input that takes the other one packs per call.
    const w = T([24, 40, 4, 4], 51), opts = { stride: 2, padding: 1, bias: randomData(40, 52) };
    const small = T([1, 24, 9, 8], 53), large = T([1, 24, 40, 41], 54);
    for (const order of [[small, large], [large, small]]) {
      const layer = new ck.ConvTranspose2d({ weight: w, ...opts });
      for (const x of [...order, ...order]) {
        const y = ck.convTranspose2d(x, w, opts);
        const label = `ConvTranspose2d ${x.shape.join('x')}`;
        expectBitIdentical(y, layer.forward(x), `${label} forward`);
        expectBitIdentical(y, await layer.forwardAsync(x), `${label} forwardAsync`);
        ck.setNumThreads(1);
        expectBitIdentical(y, layer.forward(x), `${label} forward at 1 thread`);
        ck.setNumThreads(2);
        expectBitIdentical(y, ck.convTranspose2d(x, w, opts), `${label} functional at 2 threads`);
        ck.setNumThreads(ck.runtimeInfo().defaultThreads);
      }
    }
  });

  it('Conv layers on small maps (a packed weight on AVX-512) match the functional form, at any thread count', async () => {
    // Small maps with many output channels take the channels-in-lanes kernel; a layer packs
    // its weight for it once. Larger inputs on the same layer take the other kernel.
    const cases: [number[], number[], ck.ConvOptions, typeof ck.Conv2d | typeof ck.Conv1d | typeof ck.Conv3d, number[]][] = [
      [[1, 40, 7, 7], [48, 40, 3, 3], { padding: 1, bias: randomData(48, 41) }, ck.Conv2d, [1, 40, 23, 19]],
      [[2, 16, 9, 8], [64, 8, 3, 3], { groups: 2, stride: 2, padding: 1, paddingMode: 'reflect' }, ck.Conv2d, [1, 16, 30, 31]],
      [[1, 24, 10], [33, 24, 3], { dilation: 2, padding: 2 }, ck.Conv1d, [1, 24, 300]],
      [[1, 8, 3, 4, 5], [40, 8, 3, 3, 3], { padding: 1 }, ck.Conv3d, [1, 8, 4, 12, 20]],
      [[1, 32, 5, 6], [3, 3, 32, 32], { padding: 1, weightLayout: 'HWIO' }, ck.Conv2d, [1, 32, 20, 20]],
    ];
    const fns = [ck.conv1d, ck.conv2d, ck.conv3d] as const;
    for (const [xs, ws, opts, Layer, bigger] of cases) {
      const f = fns[xs.length - 3] as (x: ck.Tensor, w: ck.Tensor, o: ck.ConvOptions) => ck.Tensor;
      const w = T(ws, 42);
      const layer = new (Layer as typeof ck.Conv2d)({ weight: w, ...opts });
      const label = `${Layer.name} x=${JSON.stringify(xs)} ${JSON.stringify({ ...opts, bias: undefined })}`;
      for (const threads of [1, 2, 3]) {
        ck.setNumThreads(threads);
        const x = T(xs, 43), x2 = T(bigger, 44);
        const y = f(x, w, opts);
        expectBitIdentical(y, layer.forward(x), `${label} forward, ${threads} threads`);
        expectBitIdentical(y, await layer.forwardAsync(x), `${label} forwardAsync, ${threads} threads`);
        expectBitIdentical(f(x2, w, opts), layer.forward(x2), `${label} larger input, ${threads} threads`);
        expectBitIdentical(y, layer.forward(x), `${label} back to the small input, ${threads} threads`);
      }
      ck.setNumThreads(savedThreads);
    }
    // the 1-thread result of the first case against the reference: the packed path is right, not only consistent
    const [xs, ws, opts] = cases[0];
    const xd = randomData(prod(xs), 45), wd = randomData(prod(ws), 46);
    const ref = refConv({ data: xd, shape: xs }, { data: wd, shape: ws }, opts as Record<string, unknown>);
    const got = new ck.Conv2d({ weight: ck.tensor(wd, ws), ...opts }).forward(ck.tensor(xd, xs));
    const c = compare(got.data, ref, 1e-4, 1e-6);
    expect(c.ok, `worst element ${c.index}: got ${c.got}, expected ${c.expected}`).toBe(true);
  });

  it('partialConv2d with a mask and bias, and PartialConv2d (output and mask)', async () => {
    const x = T([2, 3, 12, 10], 21);
    const w = T([5, 3, 3, 3], 22);
    const m = new Float32Array(2 * 12 * 10);
    randomData(m.length, 23).forEach((v, i) => (m[i] = v > 0 ? 1 : 0));
    const mask = ck.tensor(m, [2, 1, 12, 10]);
    const bias = randomData(5, 24);
    const opts = { padding: 1, stride: 2, bias };
    const r = ck.partialConv2d(x, w, { ...opts, mask });
    const ra = await ck.partialConv2dAsync(x, w, { ...opts, mask });
    expectBitIdentical(r.output, ra.output, 'partialConv2dAsync output');
    expectBitIdentical(r.mask, ra.mask, 'partialConv2dAsync mask');
    const layer = new ck.PartialConv2d({ weight: w, ...opts });
    const rl = layer.forward(x, mask);
    expectBitIdentical(r.output, rl.output, 'PartialConv2d.forward output');
    expectBitIdentical(r.mask, rl.mask, 'PartialConv2d.forward mask');
    const rla = await layer.forwardAsync(x, mask);
    expectBitIdentical(r.output, rla.output, 'PartialConv2d.forwardAsync output');
    expectBitIdentical(r.mask, rla.mask, 'PartialConv2d.forwardAsync mask');
    // channels-last input and mask
    const rc = ck.partialConv2d(x.to('NHWC'), w, { ...opts, mask: mask.to('NHWC') });
    expectBitIdentical(r.output, rc.output.to('NCHW'), 'partialConv2d NHWC output (converted back)');
  });

  it('conv1d / Conv1d and conv3d / Conv3d', async () => {
    const x1 = T([3, 4, 40], 31), w1 = T([6, 2, 5], 32);
    const o1: ck.ConvOptions = { groups: 2, stride: 3, padding: 'same', paddingMode: 'replicate', bias: randomData(6, 33) };
    const y1 = ck.conv1d(x1, w1, o1);
    expectBitIdentical(y1, await ck.conv1dAsync(x1, w1, o1), 'conv1dAsync');
    const l1 = new ck.Conv1d({ weight: w1, ...o1 });
    expectBitIdentical(y1, l1.forward(x1), 'Conv1d.forward');
    expectBitIdentical(y1, await l1.forwardAsync(x1), 'Conv1d.forwardAsync');

    const x3 = T([2, 3, 7, 8, 9], 34), w3 = T([4, 3, 3, 2, 3], 35);
    const o3: ck.ConvOptions = { padding: [1, [0, 1], 2], dilation: [1, 2, 1], paddingMode: 'reflect' };
    const y3 = ck.conv3d(x3, w3, o3);
    expectBitIdentical(y3, await ck.conv3dAsync(x3, w3, o3), 'conv3dAsync');
    const l3 = new ck.Conv3d({ weight: w3, ...o3 });
    expectBitIdentical(y3, l3.forward(x3), 'Conv3d.forward');
    expectBitIdentical(y3, await l3.forwardAsync(x3), 'Conv3d.forwardAsync');
    const x3l = x3.to('NDHWC');
    expectBitIdentical(ck.conv3d(x3l, w3, o3), await l3.forwardAsync(x3l), 'Conv3d NDHWC');
  });

  it('pad / padAsync and interpolate / interpolateAsync', async () => {
    const x = T([2, 3, 9, 11], 41);
    for (const mode of ['constant', 'reflect', 'replicate', 'circular', 'symmetric'] as const) {
      const p = [[-2, 13], [4, -1]] as [number, number][];
      expectBitIdentical(ck.pad(x, p, { mode }), await ck.padAsync(x, p, { mode }), `padAsync ${mode}`);
    }
    for (const o of [
      { size: [17, 5], mode: 'bilinear' }, { scaleFactor: 1.7, mode: 'bicubic', alignCorners: true },
      { scaleFactor: [0.5, 2.5], mode: 'nearest' }, { size: [4, 4], mode: 'area' }, { scaleFactor: 3, mode: 'nearest-exact' },
    ] as ck.InterpolateOptions[])
      expectBitIdentical(ck.interpolate(x, o), await ck.interpolateAsync(x, o), `interpolateAsync ${JSON.stringify(o)}`);
  });
});

// ---------------------------------------------------------------------------------------
// The `out` option: the result written into the caller's tensor, bit for bit the fresh
// result, every element of it (out starts as NaN), and `out` itself handed back.
// ---------------------------------------------------------------------------------------
describe('out: the result in the caller\'s tensor', () => {
  // A view into the middle of a larger buffer, filled with NaN: the floats around it must
  // stay NaN (nothing written outside out), and every float of it must be written.
  const outLike = (r: ck.Tensor) => {
    const buf = new Float32Array(r.data.length + 37).fill(NaN);
    return { buf, t: ck.tensor(buf.subarray(17, 17 + r.data.length), r.shape, r.layout) };
  };
  const check = (fresh: ck.Tensor, got: ck.Tensor, o: { buf: Float32Array; t: ck.Tensor }, label: string) => {
    expect(got, `${label}: returns out itself`).toBe(o.t);
    expectBitIdentical(fresh, got, label);
    for (const i of [...Array(17).keys(), ...Array(20).keys()].map((k, j) => (j < 17 ? k : 17 + fresh.data.length + k)))
      expect(Number.isNaN(o.buf[i]), `${label}: float ${i} outside out untouched`).toBe(true);
  };
  it('conv (1-D to 3-D, channels-last, groups, bias, reflect), sync and async, at 1 and 2 threads', async () => {
    const cases: [ck.Tensor, ck.Tensor, ck.ConvCallOptions, number][] = [
      [T([2, 6, 13, 17], 51), T([8, 3, 3, 3], 52), { padding: 1, groups: 2, bias: randomData(8, 53), paddingMode: 'reflect' }, 2],
      [T([1, 16, 9, 9], 54, 'NHWC'), T([32, 16, 1, 1], 55), {}, 2],
      [T([1, 5, 40], 56), T([7, 5, 3], 57), { stride: 2, padding: 1 }, 1],
      [T([1, 3, 5, 6, 7], 58), T([4, 3, 3, 3, 3], 59), { padding: 1, outputLayout: 'NDHWC' }, 3],
      [T([1, 512, 7, 7], 60), T([64, 512, 3, 3], 61), { padding: 1 }, 2], // a small map (the pgemm)
    ];
    for (const threads of [1, 2]) {
      ck.setNumThreads(threads);
      for (const [x, w, opt, rank] of cases) {
        const fresh = ck.conv(x, w, opt);
        const a = outLike(fresh), b = outLike(fresh);
        check(fresh, ck.conv(x, w, { ...opt, out: a.t }), a, `conv rank ${rank} t${threads}`);
        check(fresh, await ck.convAsync(x, w, { ...opt, out: b.t }), b, `convAsync rank ${rank} t${threads}`);
      }
    }
    ck.setNumThreads(savedThreads);
  });
  it('convTranspose (the merged phases, the pgemm, kernel = stride channels-last), pad and interpolate, sync and async', async () => {
    const x = T([1, 8, 9, 11], 62);
    const runs: [string, () => ck.Tensor, (out: ck.Tensor) => ck.Tensor, (out: ck.Tensor) => Promise<ck.Tensor>][] = [];
    for (const [w, opt] of [
      [T([8, 4, 4, 4], 63), { stride: 2, padding: 1, bias: randomData(4, 64) }],
      [T([8, 6, 3, 3], 65), { stride: 2, padding: 1, outputPadding: 1 }],
      [T([256, 128, 4, 4], 66), { stride: 2, padding: 1 }],
    ] as [ck.Tensor, ck.ConvTransposeOptions][]) {
      const xx = w.shape[0] === 256 ? T([1, 256, 8, 8], 67) : x;
      runs.push([`convTranspose2d ${JSON.stringify(w.shape)}`, () => ck.convTranspose2d(xx, w, opt),
        (out) => ck.convTranspose2d(xx, w, { ...opt, out }), (out) => ck.convTranspose2dAsync(xx, w, { ...opt, out })]);
    }
    const xl = T([1, 64, 6, 7], 68, 'NHWC'), wl = T([64, 32, 2, 2], 69);
    runs.push(['convTranspose2d k2 s2 NHWC', () => ck.convTranspose2d(xl, wl, { stride: 2 }),
      (out) => ck.convTranspose2d(xl, wl, { stride: 2, out }), (out) => ck.convTranspose2dAsync(xl, wl, { stride: 2, out })]);
    for (const mode of ['constant', 'reflect', 'circular'] as const) {
      const p = [[-2, 3], [4, -1]] as [number, number][];
      runs.push([`pad ${mode}`, () => ck.pad(x, p, { mode }), (out) => ck.pad(x, p, { mode, out }), (out) => ck.padAsync(x, p, { mode, out })]);
    }
    for (const o of [{ size: [17, 5], mode: 'bilinear' }, { scaleFactor: 2, mode: 'nearest', outputLayout: 'NHWC' }, { size: [4, 4], mode: 'area' }] as ck.InterpolateOptions[])
      runs.push([`interpolate ${JSON.stringify(o)}`, () => ck.interpolate(x, o), (out) => ck.interpolate(x, { ...o, out }), (out) => ck.interpolateAsync(x, { ...o, out })]);
    for (const [label, fresh, into, intoAsync] of runs) {
      const f = fresh();
      const a = outLike(f), b = outLike(f);
      check(f, into(a.t), a, label);
      check(f, await intoAsync(b.t), b, `${label} async`);
    }
  });
  it('partial convolution: out and maskOut, each or both, sync and async, single- and multi-channel masks', async () => {
    const x = T([2, 3, 9, 10], 95), w = T([4, 3, 3, 3], 96);
    const holes = (n: number, seed: number) => randomData(n, seed).map((v) => (v > 0.3 ? 0 : 1));
    for (const multi of [false, true]) {
      const mask = ck.tensor(holes(2 * (multi ? 3 : 1) * 90, 97), [2, multi ? 3 : 1, 9, 10]);
      const opt: ck.PartialConvCallOptions = { padding: 1, bias: randomData(4, 98), mask, multiChannel: multi };
      const fresh = ck.partialConv2d(x, w, opt);
      for (const which of ['out', 'maskOut', 'both'] as const) {
        for (const async of [false, true]) {
          const o = outLike(fresh.output), m = outLike(fresh.mask);
          const extra = which === 'out' ? { out: o.t } : which === 'maskOut' ? { maskOut: m.t } : { out: o.t, maskOut: m.t };
          const got = async ? await ck.partialConv2dAsync(x, w, { ...opt, ...extra }) : ck.partialConv2d(x, w, { ...opt, ...extra });
          const label = `partial ${multi ? 'multi' : 'single'} ${which}${async ? ' async' : ''}`;
          if (which !== 'maskOut') check(fresh.output, got.output, o, `${label} output`);
          else expectBitIdentical(fresh.output, got.output, `${label} output`);
          if (which !== 'out') check(fresh.mask, got.mask, m, `${label} mask`);
          else expectBitIdentical(fresh.mask, got.mask, `${label} mask`);
        }
      }
    }
  });
  it('t.to(layout, { out }): 1-D to 3-D both ways, and a copy into out for the same layout, at 1 and 2 threads', () => {
    for (const threads of [1, 2]) {
      ck.setNumThreads(threads);
      for (const [shape, from, to] of [
        [[2, 5, 7, 9], 'NCHW', 'NHWC'], [[1, 64, 40, 33], 'NCHW', 'NHWC'], [[3, 11, 17], 'NCW', 'NWC'],
        [[1, 4, 3, 5, 6], 'NCDHW', 'NDHWC'], [[2, 5, 7, 9], 'NCHW', 'NCHW'],
      ] as [number[], ck.Layout, ck.Layout][]) {
        const x = T(shape, 99, from === 'NCHW' || from === 'NCW' || from === 'NCDHW' ? undefined : from);
        const back = T(shape, 99).to(to);
        const fresh = x.to(to);
        const o = outLike(fresh.layout === x.layout ? back : fresh);
        check(fresh, x.to(to, { out: o.t }), o, `to ${from} -> ${to} t${threads}`);
        if (from === to) expect(o.t.data).not.toBe(x.data);
        const b = outLike(x);
        check(x, fresh.to(from, { out: b.t }), b, `to ${to} -> ${from} t${threads}`);
      }
    }
    ck.setNumThreads(savedThreads);
  });
  it('a plain {data, shape, layout} object as out: a Tensor over its data comes back', () => {
    const x = T([1, 3, 8, 8], 70), w = T([4, 3, 3, 3], 71);
    const fresh = ck.conv2d(x, w, { padding: 1 });
    const data = new Float32Array(fresh.data.length).fill(NaN);
    const got = ck.conv2d(x, w, { padding: 1, out: { data, shape: [1, 4, 8, 8], layout: 'NCHW' } });
    expect(got).toBeInstanceOf(ck.Tensor);
    expect(got.data).toBe(data);
    expectBitIdentical(fresh, got, 'plain out');
  });
  it('layers: forward(x, { out }) and forwardAsync, on the first input (a new plan) and on later ones (the plan reused)', async () => {
    const layers: [ck.Conv2d | ck.ConvTranspose2d, ck.Tensor[]][] = [
      [new ck.Conv2d({ weight: T([8, 4, 3, 3], 80), bias: randomData(8, 81), padding: 1 }), [T([1, 4, 9, 9], 82), T([1, 4, 9, 9], 83), T([2, 4, 5, 7], 84)]],
      [new ck.Conv2d({ weight: T([64, 512, 3, 3], 85), padding: 1 }), [T([1, 512, 7, 7], 86), T([1, 512, 7, 7], 87)]], // packed, small map
      [new ck.ConvTranspose2d({ weight: T([16, 8, 4, 4], 88), stride: 2, padding: 1 }), [T([1, 16, 6, 6], 89), T([1, 16, 6, 6], 90)]],
    ];
    for (const [layer, xs] of layers) {
      for (const x of xs) {
        const fresh = layer.forward(x);
        const a = outLike(fresh), b = outLike(fresh);
        check(fresh, layer.forward(x, { out: a.t }), a, `${layer.constructor.name} forward ${JSON.stringify(x.shape)}`);
        check(fresh, await layer.forwardAsync(x, { out: b.t }), b, `${layer.constructor.name} forwardAsync ${JSON.stringify(x.shape)}`);
      }
    }
    const layer = new ck.Conv2d({ weight: T([8, 4, 3, 3], 91), padding: 1 });
    const x = T([1, 4, 9, 9], 92);
    layer.forward(x);
    expect(() => layer.forward(x, { out: ck.tensor(new Float32Array(8 * 81), [1, 8, 81, 1]) })).toThrow(/^Conv2d\.forward: out\.shape expects \[1, 8, 9, 9\]/);
    expect(() => layer.forward(x, { out: x } as ck.ForwardOptions)).toThrow(RangeError); // (its shape, first)
    expect(() => layer.forward(x, { outt: 1 } as ck.ForwardOptions)).toThrow(/^Conv2d\.forward: options expects only the options out/);
    const y = T([1, 8, 9, 9], 93);
    const sq = new ck.Conv2d({ weight: T([8, 8, 1, 1], 94) });
    sq.forward(y);
    expect(() => sq.forward(y, { out: y })).toThrow(/^Conv2d\.forward: out\.data expects memory that no input shares/);
    await expect(sq.forwardAsync(y, { out: y })).rejects.toThrow(RangeError);
  });
  it('the same out, call after call, holds each call\'s own result', () => {
    const w = T([4, 3, 3, 3], 72), out = ck.tensor(new Float32Array(4 * 64), [1, 4, 8, 8]);
    for (const seed of [73, 74, 75]) {
      const x = T([1, 3, 8, 8], seed);
      const fresh = ck.conv2d(x, w, { padding: 1 });
      expectBitIdentical(fresh, ck.conv2d(x, w, { padding: 1, out }), `seed ${seed}`);
    }
  });
});

// ---------------------------------------------------------------------------------------

describe('results are bit-identical for any thread count', () => {
  // medium-sized inputs, so the work is actually split between threads
  const x = T([2, 16, 33, 35], 51);
  const xl = x.to('NHWC');
  const w = T([24, 16, 3, 3], 52);
  const wg = T([24, 4, 5, 5], 53);
  const wt = T([16, 12, 4, 4], 54);
  const m = new Float32Array(2 * 33 * 35);
  randomData(m.length, 55).forEach((v, i) => (m[i] = v > -0.3 ? 1 : 0));
  const mask = ck.tensor(m, [2, 1, 33, 35]);
  const bias = randomData(24, 56);
  const xs = T([1, 64, 6, 5], 57), wd = T([72, 64, 3, 3], 58), bd = randomData(72, 59), wtd = T([64, 40, 4, 4], 60);
  const ops: [string, () => ck.Tensor | ck.PartialConvResult][] = [
    ['conv2d zeros', () => ck.conv2d(x, w, { padding: 1, bias })],
    ['conv2d stride 2 reflect', () => ck.conv2d(x, w, { padding: 'same', stride: 2, paddingMode: 'reflect' })],
    ['conv2d groups 4 dilation 2 circular', () => ck.conv2d(x, wg, { padding: 4, dilation: 2, groups: 4, paddingMode: 'circular' })],
    ['conv2d partial padding', () => ck.conv2d(x, w, { padding: 2, paddingMode: 'partial', bias })],
    ['conv2d NHWC', () => ck.conv2d(xl, w, { padding: [[0, 2], [1, 1]], paddingMode: 'symmetric' })],
    ['convTranspose2d stride 2', () => ck.convTranspose2d(x, wt, { stride: 2, padding: 1, outputPadding: 1 })],
    ['convTranspose2d NHWC replicate', () => ck.convTranspose2d(xl, wt, { stride: 3, padding: 2, paddingMode: 'replicate' })],
    ['pad reflect', () => ck.pad(x, [[5, 40], [-3, 2]], { mode: 'reflect' })],
    ['pad circular NHWC', () => ck.pad(xl, 7, { mode: 'circular' })],
    ['interpolate bilinear', () => ck.interpolate(x, { size: [70, 51], mode: 'bilinear' })],
    ['interpolate bicubic alignCorners', () => ck.interpolate(xl, { scaleFactor: 1.5, mode: 'bicubic', alignCorners: true })],
    ['interpolate area', () => ck.interpolate(x, { size: [10, 12], mode: 'area' })],
    ['partialConv2d', () => ck.partialConv2d(x, w, { padding: 1, mask, bias })],
    ['partialConv2d NHWC stride 2', () => ck.partialConv2d(xl, w, { padding: 1, stride: 2, mask: mask.to('NHWC') })],
    // a small map with many channels: threads split the output channels of one band
    ['conv2d deep, small map (channel split)', () => ck.conv2d(xs, wd, { padding: 1, paddingMode: 'reflect', bias: bd })],
    ['convTranspose2d k4 s2 (merged phases), small map', () => ck.convTranspose2d(xs, wtd, { stride: 2, padding: 1 })],
    ['layout NCHW -> NHWC, one image', () => x.to('NHWC')],
  ];
  it('the channel-split small map agrees with the reference at 8 threads', () => {
    ck.setNumThreads(8);
    const ref = refConv({ data: xs.data, shape: xs.shape }, { data: wd.data, shape: wd.shape }, { padding: 1, paddingMode: 'reflect', bias: bd });
    expect(compare(ck.conv2d(xs, wd, { padding: 1, paddingMode: 'reflect', bias: bd }).data, ref).ok).toBe(true);
  });
  it.each(ops)('%s: setNumThreads(1) vs 2 vs 3 vs 8', (name, op) => {
    const run = (n: number) => {
      ck.setNumThreads(n);
      expect(ck.getNumThreads()).toBe(n);
      return op();
    };
    const r1 = run(1);
    for (const n of [2, 3, 8]) {
      const rn = run(n);
      if ('output' in r1) {
        expectBitIdentical(r1.output, (rn as ck.PartialConvResult).output, `${name} output, 1 vs ${n} threads`);
        expectBitIdentical(r1.mask, (rn as ck.PartialConvResult).mask, `${name} mask, 1 vs ${n} threads`);
      } else expectBitIdentical(r1, rn as ck.Tensor, `${name}, 1 vs ${n} threads`);
    }
    ck.setNumThreads(savedThreads);
  });
});

// ---------------------------------------------------------------------------------------

describe('asynchronous calls', () => {
  it('20 async calls in flight at once all give the sync result', async () => {
    const jobs = Array.from({ length: 20 }, (_, i) => {
      const x = T([1 + (i % 3), 3 + (i % 4), 17 + i, 13], 100 + i);
      const w = T([5, 3 + (i % 4), 3, 1 + (i % 3)], 200 + i);
      const opts: ck.ConvOptions = { padding: i % 5, stride: 1 + (i % 2), paddingMode: (['zeros', 'reflect', 'circular', 'replicate', 'symmetric'] as const)[i % 5] };
      return { x, w, opts, expected: ck.conv2d(x, w, opts) };
    });
    const results = await Promise.all(jobs.map((j) => ck.conv2dAsync(j.x, j.w, j.opts)));
    results.forEach((r, i) => expectBitIdentical(jobs[i].expected, r, `async call ${i}`));
  });

  it('mixed async ops in flight at once (conv, convTranspose, pad, interpolate, partialConv) are all correct', async () => {
    const x = T([2, 4, 21, 19], 300);
    const w = T([4, 4, 3, 3], 301);
    const expected = [
      ck.conv2d(x, w, { padding: 1 }), ck.convTranspose2d(x, w, { stride: 2 }), ck.pad(x, 3, { mode: 'reflect' }),
      ck.interpolate(x, { scaleFactor: 2, mode: 'bilinear' }), ck.partialConv2d(x, w, { padding: 1 }).output,
    ];
    const got = await Promise.all([
      ck.conv2dAsync(x, w, { padding: 1 }), ck.convTranspose2dAsync(x, w, { stride: 2 }), ck.padAsync(x, 3, { mode: 'reflect' }),
      ck.interpolateAsync(x, { scaleFactor: 2, mode: 'bilinear' }), ck.partialConv2dAsync(x, w, { padding: 1 }).then((r) => r.output),
    ]);
    got.forEach((g, i) => expectBitIdentical(expected[i], g, `mixed async op ${i}`));
  });

  it('the event loop keeps ticking while a larger async conv runs', async () => {
    // ~2.4 GFLOP (5-20 ms here). A promise settles in the poll phase, as soon as the job is
    // done; when the test processes beside this one hold both cores, the JavaScript thread
    // itself may get no time slice before that, so up to three tries: a call that blocked
    // the loop would tick in none.
    const x = T([2, 64, 128, 128], 400);
    const w = T([64, 64, 3, 3], 401);
    let best = 0;
    for (let attempt = 0; attempt < 3 && best === 0; attempt++) {
      let ticks = 0;
      let done = false;
      const tick = () => {
        if (done) return;
        ticks++;
        setImmediate(tick);
      };
      const p = ck.conv2dAsync(x, w, { padding: 1 }).then((r) => {
        done = true;
        return r;
      });
      setImmediate(tick);
      const y = await p;
      expect(y.shape).toEqual([2, 64, 128, 128]);
      best = Math.max(best, ticks);
    }
    expect(best).toBeGreaterThan(0);
  });

  it('an async call keeps its input alive: detaching the caller\'s buffer after the call does not change the result', async () => {
    const shape = [2, 8, 40, 40];
    const data = randomData(prod(shape), 500);
    const w = T([8, 8, 3, 3], 501);
    const expected = ck.conv2d(ck.tensor(new Float32Array(data), shape), w, { padding: 1 });
    const x = ck.tensor(data, shape);
    const p = ck.conv2dAsync(x, w, { padding: 1 });
    // move the buffer away from the caller while the op may still be running
    const moved = structuredClone(data.buffer, { transfer: [data.buffer as ArrayBuffer] });
    expect(data.length).toBe(0);
    expectBitIdentical(expected, await p, 'conv2dAsync after detaching its input');
    expect(moved.byteLength).toBe(prod(shape) * 4);
  });
});

describe('async calls from worker threads, thread-count changes in flight', () => {
  const jobs = Array.from({ length: 8 }, (_, i) => {
    const xs = [1, 4 + i, 20 + 3 * i, 17], ws = [6, 4 + i, 3, 3];
    const o = { padding: 'same', stride: 1 + (i % 2), paddingMode: (['zeros', 'reflect', 'circular', 'symmetric'] as const)[i % 4] };
    return { xs, ws, o, x: randomData(prod(xs), 800 + i), w: randomData(prod(ws), 900 + i) };
  });
  const expected = jobs.map((j) => ck.conv2d(ck.tensor(j.x, j.xs), ck.tensor(j.w, j.ws), j.o as ck.ConvOptions));

  const workerSource = `
    const { parentPort, workerData } = require('node:worker_threads');
    const ck = require(workerData.dist);
    (async () => {
      const ys = await Promise.all(workerData.jobs.map((j) =>
        ck.conv2dAsync(ck.tensor(j.x, j.xs), ck.tensor(j.w, j.ws), j.o)));
      const sync = workerData.jobs.map((j) => ck.conv2d(ck.tensor(j.x, j.xs), ck.tensor(j.w, j.ws), j.o));
      parentPort.postMessage({ async: ys.map((y) => y.data), sync: sync.map((y) => y.data) });
    })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));`;

  it.skipIf(!hasDist)('two workers and the main thread, all with async calls in flight, get the main thread\'s sync bits', async () => {
    const run = () => new Promise<{ async: Float32Array[]; sync: Float32Array[]; error?: string }>((resolve, reject) => {
      const w = new Worker(workerSource, { eval: true, workerData: { dist: distIndex, jobs } });
      w.once('message', (m) => {
        resolve(m);
        void w.terminate();
      });
      w.once('error', reject);
    });
    const [a, b, mine] = await Promise.all([
      run(), run(), Promise.all(jobs.map((j) => ck.conv2dAsync(ck.tensor(j.x, j.xs), ck.tensor(j.w, j.ws), j.o as ck.ConvOptions))),
    ]);
    for (const [who, r] of [['worker 1', a], ['worker 2', b]] as const) {
      expect(r.error, who).toBeUndefined();
      r.async.forEach((d, i) => expect(firstBitDiff(expected[i].data, d), `${who} async job ${i}`).toBe(-1));
      r.sync.forEach((d, i) => expect(firstBitDiff(expected[i].data, d), `${who} sync job ${i}`).toBe(-1));
    }
    mine.forEach((y, i) => expectBitIdentical(expected[i], y, `main thread async job ${i}`));
  });

  // In a child process: if this aborts, it must not take the test runner down with it.
  it.skipIf(!hasDist)('terminating a worker, or a worker exiting, while its async ops run leaves the process alive', () => {
    const script = `
      const { Worker } = require('node:worker_threads');
      const dist = ${JSON.stringify(distIndex)};
      const body = (end) => \`
        const { parentPort } = require('node:worker_threads');
        const ck = require(\${JSON.stringify(dist)});
        const x = ck.tensor(new Float32Array(2 * 32 * 96 * 96).fill(0.5), [2, 32, 96, 96]);
        const w = ck.tensor(new Float32Array(32 * 32 * 9).fill(0.25), [32, 32, 3, 3]);
        ck.conv2dAsync(x, w, { padding: 1 }); ck.convTranspose2dAsync(x, w, { stride: 2 });
        ck.padAsync(x, 9, { mode: 'reflect' }); ck.interpolateAsync(x, { scaleFactor: 2 });
        \${end}\`;
      (async () => {
        for (let round = 0; round < 3; round++) {
          const w = new Worker(body("parentPort.postMessage('started');"), { eval: true });
          await new Promise((r) => w.once('message', r));
          await w.terminate();
          const e = new Worker(body('process.exit(0);'), { eval: true });
          await new Promise((r) => e.once('exit', r));
        }
        const ck = require(dist);
        const y = await ck.conv2dAsync(ck.tensor(new Float32Array(4).fill(1), [1, 1, 2, 2]), ck.tensor(new Float32Array(1).fill(2), [1, 1, 1, 1]));
        process.stdout.write('survived ' + Array.from(y.data).join(','));
      })();`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect({ status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr.slice(0, 300) })
      .toEqual({ status: 0, signal: null, stdout: 'survived 2,2,2,2', stderr: '' });
  });

  it('setNumThreads while async calls are in flight: every result still bit-identical', async () => {
    try {
      const ps = jobs.map((j) => ck.conv2dAsync(ck.tensor(j.x, j.xs), ck.tensor(j.w, j.ws), j.o as ck.ConvOptions));
      ck.setNumThreads(1);
      const more = jobs.map((j) => ck.conv2dAsync(ck.tensor(j.x, j.xs), ck.tensor(j.w, j.ws), j.o as ck.ConvOptions));
      ck.setNumThreads(3);
      const ys = await Promise.all([...ps, ...more]);
      ys.forEach((y, i) => expectBitIdentical(expected[i % jobs.length], y, `job ${i}`));
    } finally {
      ck.setNumThreads(savedThreads);
    }
  });
});

// ---------------------------------------------------------------------------------------

describe('batch 0', () => {
  const x0 = ck.tensor(new Float32Array(0), [0, 3, 8, 8]);
  const w = T([4, 3, 3, 3], 600);
  it.each([
    ['conv2d', () => ck.conv2d(x0, w, { padding: 1 }), [0, 4, 8, 8]],
    ['conv2d stride 2 reflect', () => ck.conv2d(x0, w, { stride: 2, paddingMode: 'reflect', padding: 'same' }), [0, 4, 4, 4]],
    ['conv2d NHWC', () => ck.conv2d(x0.to('NHWC'), w), [0, 6, 6, 4]],
    ['conv (generic)', () => ck.conv(x0, w), [0, 4, 6, 6]],
    ['convTranspose2d', () => ck.convTranspose2d(x0, T([3, 2, 3, 3], 601), { stride: 2 }), [0, 2, 17, 17]],
    ['partialConv2d', () => ck.partialConv2d(x0, w).output, [0, 4, 6, 6]],
    ['partialConv2d mask', () => ck.partialConv2d(x0, w).mask, [0, 1, 6, 6]],
    ['pad', () => ck.pad(x0, [[1, 2], [-1, 0]], { mode: 'circular' }), [0, 3, 11, 7]],
    ['interpolate', () => ck.interpolate(x0, { scaleFactor: 2 }), [0, 3, 16, 16]],
    ['to NHWC', () => x0.to('NHWC'), [0, 8, 8, 3]],
    ['Conv2d layer', () => new ck.Conv2d({ weight: w }).forward(x0), [0, 4, 6, 6]],
    ['conv1d', () => ck.conv1d(ck.tensor(new Float32Array(0), [0, 2, 5]), T([1, 2, 2], 602)), [0, 1, 4]],
    ['conv3d', () => ck.conv3d(ck.tensor(new Float32Array(0), [0, 2, 3, 3, 3]), T([1, 2, 2, 2, 2], 603)), [0, 1, 2, 2, 2]],
  ] as [string, () => ck.Tensor, number[]][])('%s gives an empty result of the right shape', (_n, f, shape) => {
    const y = f();
    expect(y.shape).toEqual(shape);
    expect(y.data).toBeInstanceOf(Float32Array);
    expect(y.data.length).toBe(0);
  });

  it('async forms too', async () => {
    expect((await ck.conv2dAsync(x0, w, { padding: 1 })).shape).toEqual([0, 4, 8, 8]);
    expect((await ck.padAsync(x0, 1)).shape).toEqual([0, 3, 10, 10]);
    expect((await ck.interpolateAsync(x0, { size: [3, 3] })).shape).toEqual([0, 3, 3, 3]);
    expect((await ck.convTranspose2dAsync(x0, T([3, 2, 3, 3], 604))).shape).toEqual([0, 2, 10, 10]);
  });
});

// ---------------------------------------------------------------------------------------

// Area (adaptive average pooling) by its definition in float32, in torch's order: each
// window summed along W, those sums along H (then D), one division by the window size. Whole
// factors take the row kernels, ragged windows the general loops: both must give these bits,
// with Infinity and -0 in the data.
function refArea(x: Float32Array, shape: number[], out: number[]): Float32Array {
  const f = Math.fround;
  const [N, C, ...sp] = shape;
  const rank = sp.length;
  const win = (o: number, i: number, n: number) => [Math.floor((o * n) / i), Math.ceil(((o + 1) * n) / i)];
  const S = sp.reduce((a, b) => a * b, 1), So = out.reduce((a, b) => a * b, 1);
  const y = new Float32Array(N * C * So);
  const ext = [...new Array(3 - rank).fill(1), ...sp], oe = [...new Array(3 - rank).fill(1), ...out];
  for (let p = 0; p < N * C; p++)
    for (let z = 0; z < oe[0]; z++)
      for (let h = 0; h < oe[1]; h++)
        for (let w = 0; w < oe[2]; w++) {
          const [z0, z1] = win(z, oe[0], ext[0]), [h0, h1] = win(h, oe[1], ext[1]), [w0, w1] = win(w, oe[2], ext[2]);
          let sd = 0;
          for (let a = z0; a < z1; a++) {
            let sh = 0;
            for (let b = h0; b < h1; b++) {
              let sw = 0;
              for (let c = w0; c < w1; c++) {
                const v = x[p * S + (a * ext[1] + b) * ext[2] + c];
                sw = c === w0 ? f(v * 1) : f(sw + f(v * 1));
              }
              sh = b === h0 ? f(sw * 1) : f(sh + f(sw * 1));
            }
            sd = a === z0 ? f(sh * 1) : f(sd + f(sh * 1));
          }
          y[p * So + (z * oe[1] + h) * oe[2] + w] = f(sd / ((z1 - z0) * (h1 - h0) * (w1 - w0)));
        }
  return y;
}

describe("interpolate 'area' matches its float32 definition bit for bit", () => {
  it.each([
    ['2-D, whole factor 2 (row kernels)', [2, 3, 16, 24], [8, 12]],
    ['2-D, whole factors 4 and 3', [1, 2, 16, 24], [4, 8]],
    ['2-D, ragged windows (general loops)', [1, 3, 13, 17], [5, 7]],
    ['2-D, upscale (windows of one)', [1, 2, 5, 6], [9, 13]],
    ['1-D, factor 2', [1, 4, 40], [20]],
    ['3-D, factor 2', [1, 2, 4, 6, 8], [2, 3, 4]],
  ] as [string, number[], number[]][])('%s', (_name, shape, size) => {
    const x = randomData(prod(shape), 17);
    x[1] = Infinity;
    x[20] = -0;
    x[21] = -0;
    x[x.length - 3] = -Infinity;
    const want = refArea(x, shape, size);
    for (const layout of ['first', 'last'] as const) {
      let t = ck.tensor(x, shape);
      const cl = { 3: 'NWC', 4: 'NHWC', 5: 'NDHWC' }[shape.length] as ck.Layout;
      const cf = { 3: 'NCW', 4: 'NCHW', 5: 'NCDHW' }[shape.length] as ck.Layout;
      if (layout === 'last') t = t.to(cl);
      const y = ck.interpolate(t, { size, mode: 'area' }).to(cf);
      const i = firstBitDiff(y.data, want);
      if (i !== -1) expect.fail(`channels-${layout}: element ${i}: ${y.data[i]} vs ${want[i]}`);
    }
  });
});

describe('NaN and Infinity in data propagate (not errors)', () => {
  // 1 channel 7x7 input, all ones except one special value at (3, 3); 3x3 kernel of ones.
  const make = (v: number) => {
    const d = new Float32Array(49).fill(1);
    d[3 * 7 + 3] = v;
    return ck.tensor(d, [1, 1, 7, 7]);
  };
  const ones = ck.tensor(new Float32Array(9).fill(1), [1, 1, 3, 3]);
  const inWindow = (r: number, c: number, pad: number) => Math.abs(r - pad - 3 + 1) <= 1 && Math.abs(c - pad - 3 + 1) <= 1;

  it.each([
    ['NaN', NaN, (v: number) => Number.isNaN(v)],
    ['+Infinity', Infinity, (v: number) => v === Infinity],
    ['-Infinity', -Infinity, (v: number) => v === -Infinity],
  ] as [string, number, (v: number) => boolean][])('conv2d with %s in the input', async (_n, special, isSpecial) => {
    for (const layout of ['NCHW', 'NHWC'] as const) {
      const x = make(special).to(layout);
      for (const y of [ck.conv2d(x, ones), await ck.conv2dAsync(x, ones), ck.conv2d(x, ones, { padding: 1, paddingMode: 'reflect' })]) {
        const pad = y.shape[2] === 7 ? 1 : 0;
        const n = y.shape[2];
        for (let r = 0; r < n; r++)
          for (let c = 0; c < n; c++) {
            const v = y.data[r * n + c];
            // with padding 1 and reflect, (3,3) is read only by windows around it (n = 7 > 2 + 3)
            const expectSpecial = pad ? Math.abs(r - 3) <= 1 && Math.abs(c - 3) <= 1 : inWindow(r, c, 0);
            if (expectSpecial) expect(isSpecial(v), `${layout} (${r}, ${c}) = ${v}`).toBe(true);
            else expect(v, `${layout} (${r}, ${c})`).toBe(9);
          }
      }
    }
  });

  it('Infinity times a zero weight gives NaN (IEEE), Infinity minus Infinity gives NaN', () => {
    const x = make(Infinity);
    const w = new Float32Array(9).fill(1);
    w[4] = 0; // centre tap 0: the output at (2, 2) of a valid conv reads (3, 3) with weight 0
    const y = ck.conv2d(x, ck.tensor(w, [1, 1, 3, 3]));
    expect(Number.isNaN(y.data[2 * 5 + 2])).toBe(true);
    expect(y.data[1 * 5 + 1]).toBe(Infinity);
    const d = new Float32Array(49).fill(0);
    d[0] = Infinity;
    d[1] = -Infinity;
    const y2 = ck.conv2d(ck.tensor(d, [1, 1, 7, 7]), ck.tensor(new Float32Array(4).fill(1), [1, 1, 2, 2]));
    expect(Number.isNaN(y2.data[0])).toBe(true);
  });

  // A 3x3 unit-stride conv of 32 channels on each side: Winograd's transforms (AVX2) would mix
  // each patch's 16 inputs, turning an infinity into NaN (inf - inf), and into outputs whose
  // windows do not hold it; such calls take the direct sums. Input all ones, weights all ones,
  // padding 1: each output is 32 x (taps inside), exactly, except where the special value
  // reaches. One image of 30x31 (F(2x2, 3x3); an odd width: a column of half tiles), and of
  // 60x57 (F(4x4, 3x3); rows of 15 tiles, the special value in the last vector's, a partial one).
  it.each([
    ['+Infinity in the input', 'x', Infinity, 30, 31, 6, 7],
    ['-Infinity in the input', 'x', -Infinity, 30, 31, 6, 7],
    ['NaN in the input', 'x', NaN, 30, 31, 6, 7],
    ['+Infinity in a weight', 'w', Infinity, 30, 31, 0, 0],
    ['+Infinity in the input, F(4x4, 3x3)', 'x', Infinity, 60, 57, 41, 55],
    ['NaN in the input, F(4x4, 3x3)', 'x', NaN, 60, 57, 2, 50],
    ['+Infinity in a weight, F(4x4, 3x3)', 'w', Infinity, 60, 57, 0, 0],
  ] as [string, 'x' | 'w', number, number, number, number, number][])('32 -> 32 channels 3x3 (Winograd-sized): %s', (_n, where, v, H, W, hr, hc) => {
    const C = 32;
    const xd = new Float32Array(C * H * W).fill(1), wd = new Float32Array(C * C * 9).fill(1);
    if (where === 'x') xd[(5 * H + hr) * W + hc] = v; // channel 5, (hr, hc)
    else wd[(3 * C + 7) * 9 + 4] = v; // output channel 3, input channel 7, centre tap
    const x = ck.tensor(xd, [1, C, H, W]), wt = ck.tensor(wd, [C, C, 3, 3]);
    const y = ck.conv2d(x, wt, { padding: 1 });
    // the prepared layer (its weights transformed once) alike, bit for bit
    expectBitIdentical(y, new ck.Conv2d({ weight: wt, padding: 1 }).forward(x), 'Conv2d against conv2d');
    const taps = (r: number, c: number) => (Math.min(r + 1, H - 1) - Math.max(r - 1, 0) + 1) * (Math.min(c + 1, W - 1) - Math.max(c - 1, 0) + 1);
    for (let oc = 0; oc < C; oc++)
      for (let r = 0; r < H; r++)
        for (let c = 0; c < W; c++) {
          const got = y.data[(oc * H + r) * W + c];
          const hit = where === 'x' ? Math.abs(r - hr) <= 1 && Math.abs(c - hc) <= 1 : oc === 3;
          const want = hit ? v : C * taps(r, c);
          if (!Object.is(got, want) && !(Number.isNaN(want) && Number.isNaN(got)))
            expect.fail(`output channel ${oc} at (${r}, ${c}): got ${got}, expected ${want}`);
        }
  });

  // The 1-D forms (Winograd on AVX2; F(4, 3) at length 601, F(2, 3) at 301, too short for
  // F(4, 3)'s scratch): an infinity at the middle position h of channel 5, k3 p1: outputs h - 1
  // .. h + 1 infinite, the rest exactly 32 x (taps inside).
  it.each([601, 301])('32 -> 32 channels k3 1-D (Winograd-sized), length %i: +Infinity in the input', (L) => {
    const C = 32, h = (L - 1) / 2;
    const xd = new Float32Array(C * L).fill(1), wd = new Float32Array(C * C * 3).fill(1);
    xd[5 * L + h] = Infinity;
    const x = ck.tensor(xd, [1, C, L]), wt = ck.tensor(wd, [C, C, 3]);
    const y = ck.conv1d(x, wt, { padding: 1 });
    expectBitIdentical(y, new ck.Conv1d({ weight: wt, padding: 1 }).forward(x), 'Conv1d against conv1d');
    for (let oc = 0; oc < C; oc++)
      for (let i = 0; i < L; i++) {
        const got = y.data[oc * L + i];
        const want = Math.abs(i - h) <= 1 ? Infinity : C * (i === 0 || i === L - 1 ? 2 : 3);
        if (got !== want) expect.fail(`output channel ${oc} at ${i}: got ${got}, expected ${want}`);
      }
  });

  it('NaN in a weight, in a bias, in pad, interpolate and convTranspose', () => {
    const x = ck.tensor(new Float32Array(49).fill(1), [1, 1, 7, 7]);
    const w = new Float32Array(9).fill(1);
    w[0] = NaN;
    expect(Array.from(ck.conv2d(x, ck.tensor(w, [1, 1, 3, 3])).data).every(Number.isNaN)).toBe(true);
    const yb = ck.conv2d(x, ones, { bias: new Float32Array([NaN]) });
    expect(Array.from(yb.data).every(Number.isNaN)).toBe(true);
    const p = ck.pad(make(NaN), 2, { mode: 'reflect' });
    expect(Number.isNaN(p.data[5 * 11 + 5])).toBe(true);
    expect(Array.from(p.data).filter(Number.isNaN).length).toBe(1); // a pad of 2 reflects rows 1, 2 and 4, 5, not 3
    const ps = ck.pad(make(NaN), 4, { mode: 'symmetric' }); // 15x15: input row 3 at 7, and mirrored at 0 and 14
    expect(Array.from(ps.data).filter(Number.isNaN).length).toBe(9);
    expect(Number.isNaN(ps.data[0])).toBe(true);
    expect(p.data[0]).toBe(1);
    const i = ck.interpolate(make(Infinity), { scaleFactor: 2, mode: 'nearest' });
    expect(i.data[6 * 14 + 6]).toBe(Infinity);
    expect(i.data[0]).toBe(1);
    const t = ck.convTranspose2d(make(NaN), ones);
    expect(Number.isNaN(t.data[4 * 9 + 4])).toBe(true);
    expect(t.data[0]).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------

describe('layers own their weights', () => {
  it('mutating the weight and bias arrays after construction changes nothing', async () => {
    const x = T([1, 3, 10, 10], 700);
    const wd = randomData(4 * 3 * 9, 701), bd = randomData(4, 702);
    const w = ck.tensor(wd, [4, 3, 3, 3]);
    const expectedConv = ck.conv2d(x, ck.tensor(new Float32Array(wd), [4, 3, 3, 3]), { padding: 1, bias: new Float32Array(bd) });
    const conv = new ck.Conv2d({ weight: w, padding: 1, bias: bd });
    const wt = ck.tensor(wd, [3, 4, 3, 3]);
    const xt = T([1, 3, 10, 10], 703);
    const expectedT = ck.convTranspose2d(xt, ck.tensor(new Float32Array(wd), [3, 4, 3, 3]), { stride: 2, bias: new Float32Array(bd) });
    const convT = new ck.ConvTranspose2d({ weight: wt, stride: 2, bias: bd });
    const expectedP = ck.partialConv2d(x, ck.tensor(new Float32Array(wd), [4, 3, 3, 3]), { padding: 1, bias: new Float32Array(bd) });
    const part = new ck.PartialConv2d({ weight: w, padding: 1, bias: bd });
    // mutate everything the caller still holds
    wd.fill(123);
    bd.fill(-7);
    expectBitIdentical(expectedConv, conv.forward(x), 'Conv2d after mutation');
    expectBitIdentical(expectedConv, await conv.forwardAsync(x), 'Conv2d.forwardAsync after mutation');
    expectBitIdentical(expectedT, convT.forward(xt), 'ConvTranspose2d after mutation');
    expectBitIdentical(expectedP.output, part.forward(x).output, 'PartialConv2d after mutation');
  });

  it('mutating a plain-object weight\'s shape array after construction changes nothing', () => {
    const x = T([1, 2, 6, 6], 710);
    const shape = [3, 2, 3, 3];
    const wd = randomData(54, 711);
    const expected = ck.conv2d(x, ck.tensor(new Float32Array(wd), [3, 2, 3, 3]));
    const layer = new ck.Conv2d({ weight: { data: wd, shape, layout: 'NCHW' } });
    shape[0] = 1;
    shape[2] = 1;
    expectBitIdentical(expected, layer.forward(x), 'Conv2d after mutating the shape array');
  });
});
