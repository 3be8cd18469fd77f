// Property tests: random valid shapes and options against the float64 reference
// (test/reference.ts), the adjoint identity of transposed convolution (SPEC §3.2), and
// random invalid arguments (SPEC §4).
//
// Tolerance for convolutions: |got - exact| <= 1e-4 * (sum of |terms|) + 1e-6, a float32
// recursive-summation bound ((n-1)·2^-24 relative to the sum of |terms|, n <= 384 here)
// with a wide margin. pad copies values: exact equality.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import * as ck from '../lib/index';
import {
  compare, convOutExtent, convPads, randomData, refConv, refConvTranspose, refPad, refPartialConv, prod,
  RefConvTransposeOptions, RefMode, RefPadMode, RefPadding, RefResult,
} from './reference';

const CF = { 1: 'NCW', 2: 'NCHW', 3: 'NCDHW' } as const;
const CL = { 1: 'NWC', 2: 'NHWC', 3: 'NDHWC' } as const;
type Rank = 1 | 2 | 3;

const CONV_MODES: RefMode[] = ['zeros', 'constant', 'reflect', 'replicate', 'circular', 'symmetric', 'partial'];
const T_MODES = ['zeros', 'reflect', 'replicate', 'circular', 'symmetric'] as const;
const PAD_MODES: RefPadMode[] = ['constant', 'reflect', 'replicate', 'circular', 'symmetric'];

const convFn = { 1: ck.conv1d, 2: ck.conv2d, 3: ck.conv3d } as const;
const convTFn = { 1: ck.convTranspose1d, 2: ck.convTranspose2d, 3: ck.convTranspose3d } as const;

function expectClose(got: ck.Tensor, ref: RefResult, label: () => string, rtol = 1e-4, atol = 1e-6): void {
  expect(got.shape, label()).toEqual(ref.shape);
  const c = compare(got.data, ref, rtol, atol);
  if (!c.ok)
    expect.fail(`${label()}\n  worst element ${c.index}: got ${c.got}, expected ${c.expected} (tolerance ${c.tol})`);
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof Float32Array ? `Float32Array(${x.length})` : x));
}

// fc.assert over `arb`, the thread count restored afterwards (the checks set it).
function assertRestoringThreads<T>(arb: fc.Arbitrary<T>, check: (r: T) => void, numRuns: number): void {
  const before = ck.getNumThreads();
  try {
    fc.assert(fc.property(arb, check), { numRuns });
  } finally {
    ck.setNumThreads(before);
  }
}

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

const rankArb = fc.constantFrom<Rank>(1, 2, 3);
const dims3 = (min: number, max: number) => fc.array(fc.integer({ min, max }), { minLength: 3, maxLength: 3 });
const padInts = fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 })), { minLength: 3, maxLength: 3 });

const convCaseArb = fc.record({
  rank: rankArb,
  N: fc.integer({ min: 0, max: 2 }),
  G: fc.integer({ min: 1, max: 6 }),
  a: fc.integer({ min: 1, max: 6 }),
  b: fc.integer({ min: 1, max: 6 }),
  spatial: dims3(1, 7),
  k: dims3(1, 4),
  stride: dims3(1, 3),
  dilation: dims3(1, 2),
  spatialForm: fc.constantFrom('number', 'array'),
  padForm: fc.constantFrom('omitted', 'number', 'perdim', 'pairs', 'same', 'valid', 'full'),
  pads: padInts,
  mode: fc.constantFrom(...CONV_MODES),
  padValue: fc.double({ min: -4, max: 4, noNaN: true }).map(Math.fround),
  bias: fc.boolean(),
  generic: fc.boolean(),
  weightFamily: fc.constantFrom(0, 0, 1, 2),
  outFirst: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

// The weight in another axis order: out[perm-ordered index] = w[canonical index].
function transpose(data: Float32Array, shape: readonly number[], perm: readonly number[]): { data: Float32Array; shape: number[] } {
  const outShape = perm.map((a) => shape[a]);
  const inStrides = shape.map((_, i) => prod(shape.slice(i + 1)));
  const out = new Float32Array(data.length);
  const idx = new Array(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let j = 0; j < perm.length; j++) src += idx[j] * inStrides[perm[j]];
    out[o] = data[src];
    for (let j = idx.length - 1; j >= 0; j--) {
      if (++idx[j] < outShape[j]) break;
      idx[j] = 0;
    }
  }
  return { data: out, shape: outShape };
}
const SPATIAL_NAMES = { 1: 'W', 2: 'HW', 3: 'DHW' } as const;
// weightLayout name and the axis permutation from [O, I, ...k] for families OI+k, k+IO, O+k+I
function weightLayoutOf(rank: Rank, family: number): { name: string; perm: number[] } {
  const k = Array.from({ length: rank }, (_, i) => i + 2);
  const sp = SPATIAL_NAMES[rank];
  if (family === 1) return { name: `${sp}IO`, perm: [...k, 1, 0] };
  if (family === 2) return { name: `O${sp}I`, perm: [0, ...k, 1] };
  return { name: `OI${sp}`, perm: [0, 1, ...k] };
}

// Shrinks k (in place) until every dilated kernel fits in its padded input; pads are
// recomputed per dim, as 'same' padding depends on k.
function fitKernel(k: number[], spatial: number[], stride: number[], dilation: number[], padding: RefPadding | undefined): number[] {
  for (let t = 0; t < k.length; t++) {
    const pads = convPads(padding, spatial, k, stride, dilation);
    while (k[t] > 1 && dilation[t] * (k[t] - 1) + 1 > spatial[t] + pads.before[t] + pads.after[t]) k[t]--;
  }
  return k;
}

// The draws every grouped-conv generator below shares.
const convTail = {
  mode: fc.constantFrom(...CONV_MODES),
  bias: fc.boolean(),
  layoutLast: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
};

interface ConvCase {
  xShape: number[];
  wShape: number[];
  opts: Record<string, unknown>;
  refOpts: Record<string, unknown>;
  rank: Rank;
  generic: boolean;
  seed: number;
}

// Turns raw draws into a valid case: channels divisible by groups, and (for explicit
// padding) kernels shrunk until the dilated kernel fits in the padded input.
type ConvRaw = typeof convCaseArb extends fc.Arbitrary<infer T> ? T : never;
function buildConvCase(r: ConvRaw): ConvCase {
  const rank = r.rank;
  const G = r.G, a = Math.min(r.a, Math.floor(6 / G)), b = Math.min(r.b, Math.floor(6 / G));
  const C = G * a, Cout = G * b;
  const spatial = r.spatial.slice(0, rank);
  const k = r.k.slice(0, rank);
  const stride = r.stride.slice(0, rank);
  const dilation = r.dilation.slice(0, rank);
  const uniform = r.spatialForm === 'number';
  let padding: RefPadding | undefined;
  switch (r.padForm) {
    case 'omitted': padding = undefined; break;
    case 'number': padding = r.pads[0][0]; break;
    case 'perdim': padding = r.pads.slice(0, rank).map((p) => p[0]); break;
    case 'pairs': padding = r.pads.slice(0, rank).map((p) => [p[0], p[1]] as [number, number]); break;
    default: padding = r.padForm as RefPadding;
  }
  const sArr = uniform ? new Array(rank).fill(stride[0]) : stride;
  const dArr = uniform ? new Array(rank).fill(dilation[0]) : dilation;
  if (padding !== 'same' && padding !== 'full') fitKernel(k, spatial, sArr, dArr, padding);
  const opts: Record<string, unknown> = {
    stride: uniform ? stride[0] : stride,
    dilation: uniform ? dilation[0] : dilation,
    paddingMode: r.mode,
  };
  if (G !== 1 || r.seed % 2 === 0) opts.groups = G;
  if (padding !== undefined) opts.padding = padding;
  if (r.mode === 'constant') opts.paddingValue = r.padValue;
  if (r.bias) opts.bias = randomData(Cout, r.seed ^ 0x5bd1e995);
  return {
    xShape: [r.N, C, ...spatial], wShape: [Cout, a, ...k], opts, refOpts: { ...opts }, rank, generic: r.generic, seed: r.seed,
  };
}

// ---------------------------------------------------------------------------------------
// Convolution against the reference, channels-first and channels-last
// ---------------------------------------------------------------------------------------

describe('conv1d/conv2d/conv3d vs. float64 reference', () => {
  it('random shapes, strides, dilations, groups, padding forms and padding modes', () => {
    fc.assert(
      fc.property(convCaseArb, (raw) => {
        const c = buildConvCase(raw);
        const xd = randomData(prod(c.xShape), c.seed);
        const wd = randomData(prod(c.wShape), c.seed + 1);
        const ref = refConv({ data: xd, shape: c.xShape }, { data: wd, shape: c.wShape }, c.refOpts);
        const x = ck.tensor(xd, c.xShape);
        // the same weights, in the axis order a weightLayout option names (default: none given)
        const wl = weightLayoutOf(c.rank, raw.weightFamily);
        const wt = transpose(wd, c.wShape, wl.perm);
        const w = ck.tensor(wt.data, wt.shape, CF[c.rank]);
        const opts = raw.weightFamily === 0 ? c.opts : { ...c.opts, weightLayout: wl.name };
        const f = c.generic ? ck.conv : convFn[c.rank];
        const label = (layout: string) => () => `${c.generic ? 'conv' : `conv${c.rank}d`} ${layout} x=${show(c.xShape)} w=${show(wt.shape)} ${show(opts)}`;
        const y = f(x, w, opts as ck.ConvOptions);
        expect(y.layout).toBe(CF[c.rank]);
        expectClose(y, ref, label(CF[c.rank]));
        // channels-last: same case, input converted, result converted back (or asked for
        // channels-first directly with outputLayout)
        if (raw.outFirst) {
          const yl = f(x.to(CL[c.rank]), w, { ...opts, outputLayout: CF[c.rank] } as ck.ConvOptions);
          expect(yl.layout).toBe(CF[c.rank]);
          expectClose(yl, ref, label(`${CL[c.rank]} -> outputLayout ${CF[c.rank]}`));
        } else {
          const yl = f(x.to(CL[c.rank]), w, opts as ck.ConvOptions);
          expect(yl.layout).toBe(CL[c.rank]);
          expectClose(yl.to(CF[c.rank]), ref, label(CL[c.rank]));
        }
      }),
      { numRuns: 300 },
    );
  });
});

// Medium sizes: enough channels and pixels for the blocked SIMD kernels, their edge tiles
// and the thread split to be exercised (the small cases above may all take simple paths).
const mediumArb = fc.record({
  N: fc.integer({ min: 1, max: 2 }),
  G: fc.constantFrom(1, 1, 1, 2, 4),
  cinPerG: fc.integer({ min: 1, max: 12 }),
  coutPerG: fc.integer({ min: 1, max: 20 }),
  H: fc.integer({ min: 6, max: 40 }),
  W: fc.integer({ min: 6, max: 72 }),  // (rows past 64 pixels: whole 16x16 transposes and tails of channels-last outputs)
  k: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
  stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  padding: fc.constantFrom<RefPadding>('same', 'valid', 'full', 1, 2, [[0, 3], [2, 1]]),
  ...convTail,
});

describe('conv2d, medium sizes, vs. float64 reference', () => {
  it('6-40 rows of 6-72 pixels, up to 48 input and 80 output channels, every mode and layout', () => {
    fc.assert(
      fc.property(mediumArb, (r) => {
        const C = r.G * r.cinPerG, Cout = r.G * r.coutPerG;
        const k = fitKernel([...r.k], [r.H, r.W], [...r.stride], [...r.dilation], r.padding);
        const xShape = [r.N, C, r.H, r.W], wShape = [Cout, r.cinPerG, ...k];
        const opts: ck.ConvOptions = {
          groups: r.G, stride: [...r.stride], dilation: [...r.dilation], padding: r.padding as ck.Padding, paddingMode: r.mode,
          bias: r.bias ? randomData(Cout, r.seed + 3) : undefined, paddingValue: r.mode === 'constant' ? 0.75 : undefined,
        };
        const xd = randomData(prod(xShape), r.seed), wd = randomData(prod(wShape), r.seed + 1);
        const ref = refConv({ data: xd, shape: xShape }, { data: wd, shape: wShape }, opts as Record<string, unknown>);
        const x = ck.tensor(xd, xShape), w = ck.tensor(wd, wShape);
        const y = r.layoutLast ? ck.conv2d(x.to('NHWC'), w, opts).to('NCHW') : ck.conv2d(x, w, opts);
        expectClose(y, ref, () => `conv2d ${r.layoutLast ? 'NHWC' : 'NCHW'} x=${show(xShape)} w=${show(wShape)} ${show(opts)}`);
      }),
      { numRuns: 40 },
    );
  });

  // Channels-last outputs of the igemm path are written by its epilogue through transposes
  // (rows of 16 pixels and tails); rows longer than the random cases usually reach.
  it.each([
    ['8->16 3x3 p1, 20x64', [1, 8, 20, 64], [16, 8, 3, 3], { padding: 1 }],
    ['24->48 groups 2, 3x3 s2 reflect, 18x75', [2, 24, 18, 75], [48, 12, 3, 3], { padding: 1, stride: 2, groups: 2, paddingMode: 'reflect' }],
    ['5->40 1x7, 9x100, bias', [1, 5, 9, 100], [40, 5, 1, 7], { padding: [0, 3], bias: randomData(40, 5) }],
  ] as [string, number[], number[], ck.ConvOptions][])('channels-last output, long rows: %s', (_n, xShape, wShape, opts) => {
    const xd = randomData(prod(xShape), 11), wd = randomData(prod(wShape), 12);
    const ref = refConv({ data: xd, shape: xShape }, { data: wd, shape: wShape }, opts as Record<string, unknown>);
    const w = ck.tensor(wd, wShape);
    for (const inLayout of ['NCHW', 'NHWC'] as const) {
      const y = ck.conv2d(ck.tensor(xd, xShape).to(inLayout), w, { ...opts, outputLayout: 'NHWC' });
      expect(y.layout).toBe('NHWC');
      expectClose(y.to('NCHW'), ref, () => `conv2d ${inLayout} in, NHWC out x=${show(xShape)} w=${show(wShape)}`);
    }
  });

  it('convTranspose2d, medium sizes', () => {
    fc.assert(
      fc.property(mediumArb, fc.constantFrom(...T_MODES), (r, mode) => {
        const C = r.G * r.cinPerG, Cout = r.G * r.coutPerG;
        const H = Math.ceil(r.H / 2), W = Math.ceil(r.W / 2);
        const xShape = [r.N, C, H, W], wShape = [C, r.coutPerG, ...r.k];
        const op = r.stride.map((s, t) => Math.min(1, Math.max(s, r.dilation[t]) - 1));
        const opts: ck.ConvTransposeOptions = {
          groups: r.G, stride: [...r.stride], dilation: [...r.dilation], padding: [[0, 1], 1], outputPadding: op, paddingMode: mode,
          bias: r.bias ? randomData(Cout, r.seed + 3) : undefined,
        };
        const full = [H, W].map((i, t) => (i - 1) * r.stride[t] + r.dilation[t] * (r.k[t] - 1) + 1 + op[t]);
        if (full[0] < 3 || full[1] < 3) opts.padding = 0;
        const xd = randomData(prod(xShape), r.seed), wd = randomData(prod(wShape), r.seed + 1);
        const ref = refConvTranspose({ data: xd, shape: xShape }, { data: wd, shape: wShape }, opts as Record<string, unknown>);
        const x = ck.tensor(xd, xShape), w = ck.tensor(wd, wShape);
        const y = r.layoutLast ? ck.convTranspose2d(x.to('NHWC'), w, opts).to('NCHW') : ck.convTranspose2d(x, w, opts);
        expectClose(y, ref, () => `convTranspose2d ${r.layoutLast ? 'NHWC' : 'NCHW'} x=${show(xShape)} w=${show(wShape)} ${show(opts)}`);
      }),
      { numRuns: 25 },
    );
  });
});

// Extreme geometry on tiny inputs: pads hundreds of times wider than the input (the mode's
// reflection / wrap repeating as numpy.pad does), huge dilations and strides.
const extremeArb = fc.record({
  rank: fc.constantFrom<1 | 2>(1, 2),
  C: fc.integer({ min: 1, max: 3 }),
  Cout: fc.integer({ min: 1, max: 3 }),
  spatial: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
  pads: fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3000 })),
  k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  dilation: fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 })),
  outTarget: fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 })),
  mode: fc.constantFrom(...CONV_MODES),
  layoutLast: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

// Small maps with many output channels: the channels-in-lanes kernel (AVX-512), its
// panels of 32 channels and their partial last one, pixel tiles of 1-8 along each output
// row, reductions over one 256-deep chunk and more; directly and as a layer (packed weight).
const smallMapArb = fc.record({
  rank: rankArb,
  N: fc.integer({ min: 1, max: 2 }),
  G: fc.constantFrom(1, 1, 2),
  cinPerG: fc.integer({ min: 1, max: 40 }),
  coutPerG: fc.integer({ min: 16, max: 80 }),
  spatial: dims3(1, 9),
  k: dims3(1, 3),
  stride: dims3(1, 2),
  dilation: dims3(1, 2),
  padding: fc.constantFrom<RefPadding>('same', 'valid', 1, 2),
  ...convTail,
});

describe('conv on small maps with many channels vs. float64 reference', () => {
  it('1-D, 2-D and 3-D maps of 1-9 per dim, 16-80 output channels per group, functional and layer', () => {
    const layers = { 1: ck.Conv1d, 2: ck.Conv2d, 3: ck.Conv3d } as const;
    fc.assert(
      fc.property(smallMapArb, (r) => {
        const rank = r.rank;
        const spatial = r.spatial.slice(0, rank), k = r.k.slice(0, rank);
        const stride = r.stride.slice(0, rank), dilation = r.dilation.slice(0, rank);
        const padding = r.padding === 'same' && stride.some((v) => v > 1) ? 1 : r.padding;
        fitKernel(k, spatial, stride, dilation, padding);
        const C = r.G * r.cinPerG, Cout = r.G * r.coutPerG;
        const xShape = [r.N, C, ...spatial], wShape = [Cout, r.cinPerG, ...k];
        const opts: ck.ConvOptions = {
          groups: r.G, stride, dilation, padding: padding as ck.Padding, paddingMode: r.mode,
          bias: r.bias ? randomData(Cout, r.seed + 3) : undefined, paddingValue: r.mode === 'constant' ? -0.5 : undefined,
        };
        const xd = randomData(prod(xShape), r.seed), wd = randomData(prod(wShape), r.seed + 1);
        const ref = refConv({ data: xd, shape: xShape }, { data: wd, shape: wShape }, opts as Record<string, unknown>);
        const x = ck.tensor(xd, xShape), w = ck.tensor(wd, wShape);
        const label = () => `conv${rank}d ${r.layoutLast ? CL[rank] : CF[rank]} x=${show(xShape)} w=${show(wShape)} ${show(opts)}`;
        const f = convFn[rank];
        const y = r.layoutLast ? f(x.to(CL[rank]), w, opts).to(CF[rank]) : f(x, w, opts);
        expectClose(y, ref, label);
        const layer = new layers[rank]({ weight: w, ...opts });
        const yl = r.layoutLast ? layer.forward(x.to(CL[rank])).to(CF[rank]) : layer.forward(x);
        expect(Buffer.from(yl.data.buffer, yl.data.byteOffset, yl.data.byteLength).equals(Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength)), `${label()}: layer differs from the functional form`).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('conv1d/conv2d with pads far wider than the input, huge dilation and stride', () => {
  it('matches the reference (numpy.pad repetition) in every mode', () => {
    fc.assert(
      fc.property(extremeArb, (r) => {
        const rank = r.rank;
        const spatial = r.spatial.slice(0, rank), k = r.k.slice(0, rank);
        const padding = [0, 1].slice(0, rank).map((t) => [r.pads[2 * t], r.pads[2 * t + 1]] as [number, number]);
        const dilation: number[] = [], stride: number[] = [];
        for (let t = 0; t < rank; t++) {
          // at least one window: a kernel wider than the padded input gets the rest as padding
          if (spatial[t] + padding[t][0] + padding[t][1] < k[t]) padding[t][1] = k[t] - spatial[t] - padding[t][0];
          const padded = spatial[t] + padding[t][0] + padding[t][1];
          const d = k[t] > 1 ? Math.max(1, Math.min(r.dilation[t], Math.floor((padded - 1) / (k[t] - 1)))) : r.dilation[t];
          dilation.push(d);
          const span = d * (k[t] - 1) + 1;
          stride.push(Math.max(1, Math.ceil((padded - span + 1) / r.outTarget[t])));
        }
        const xShape = [1, r.C, ...spatial], wShape = [r.Cout, r.C, ...k];
        const opts = { padding, dilation, stride, paddingMode: r.mode, paddingValue: r.mode === 'constant' ? -1.5 : undefined };
        const xd = randomData(prod(xShape), r.seed), wd = randomData(prod(wShape), r.seed + 1);
        const ref = refConv({ data: xd, shape: xShape }, { data: wd, shape: wShape }, opts);
        const x = ck.tensor(xd, xShape), w = ck.tensor(wd, wShape);
        const L = r.layoutLast ? CL[rank] : CF[rank];
        const y = convFn[rank](x.to(L), w, opts as ck.ConvOptions).to(CF[rank]);
        expectClose(y, ref, () => `conv${rank}d ${L} x=${show(xShape)} w=${show(wShape)} ${show(opts)}`);
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Partial convolution (SPEC §3.3) against the reference
// ---------------------------------------------------------------------------------------

const partialArb = fc.record({
  rank: fc.constantFrom<2 | 3>(2, 3),
  N: fc.integer({ min: 1, max: 2 }),
  G: fc.integer({ min: 1, max: 3 }),
  a: fc.integer({ min: 1, max: 3 }),
  b: fc.integer({ min: 1, max: 3 }),
  spatial: dims3(1, 7),
  k: dims3(1, 4),
  stride: dims3(1, 3),
  dilation: dims3(1, 2),
  padForm: fc.constantFrom('number', 'pairs', 'same', 'valid', 'full'),
  pads: padInts,
  mask: fc.constantFrom('none', 'binary', 'quarters'),
  multiChannel: fc.boolean(),
  bias: fc.boolean(),
  layoutLast: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

describe('partialConv2d/3d vs. reference (NVIDIA formula)', () => {
  it('random masks (binary and fractional), multiChannel, bias, padding, stride, dilation, groups', () => {
    fc.assert(
      fc.property(partialArb, (r) => {
        const rank = r.rank;
        // multiChannel with groups: NVIDIA's mask updater ignores groups; keep that out of the way
        const G = r.multiChannel ? 1 : r.G;
        const C = G * r.a, Cout = G * r.b;
        const spatial = r.spatial.slice(0, rank), k = r.k.slice(0, rank);
        const stride = r.stride.slice(0, rank), dilation = r.dilation.slice(0, rank);
        const padding: RefPadding = r.padForm === 'number' ? r.pads[0][0] % 4
          : r.padForm === 'pairs' ? r.pads.slice(0, rank).map(([p, q]) => [p % 4, q % 4] as [number, number]) : (r.padForm as RefPadding);
        if (padding !== 'same' && padding !== 'full') {
          const pads = convPads(padding, spatial, k, stride, dilation);
          for (let t = 0; t < rank; t++)
            while (k[t] > 1 && dilation[t] * (k[t] - 1) + 1 > spatial[t] + pads.before[t] + pads.after[t]) k[t]--;
        }
        const xShape = [r.N, C, ...spatial], wShape = [Cout, r.a, ...k];
        const mShape = [r.N, r.multiChannel ? C : 1, ...spatial];
        const xd = randomData(prod(xShape), r.seed), wd = randomData(prod(wShape), r.seed + 1);
        let maskT: ck.Tensor | undefined;
        if (r.mask !== 'none') {
          const md = randomData(prod(mShape), r.seed + 2).map((v) =>
            r.mask === 'binary' ? (v > -0.2 ? 1 : 0) : Math.floor((v + 1) * 2.5) / 4);
          maskT = ck.tensor(md, mShape);
        }
        const opts = { stride, dilation, padding, groups: G, bias: r.bias ? randomData(Cout, r.seed + 3) : undefined, multiChannel: r.multiChannel };
        const ref = refPartialConv({ data: xd, shape: xShape }, { data: wd, shape: wShape }, { ...opts, mask: maskT });
        const L = r.layoutLast ? CL[rank] : CF[rank];
        const x = ck.tensor(xd, xShape).to(L);
        const f = rank === 2 ? ck.partialConv2d : ck.partialConv3d;
        const res = f(x, ck.tensor(wd, wShape), { ...opts, padding: padding as ck.Padding, mask: maskT?.to(L) });
        const label = () => `partialConv${rank}d ${L} x=${show(xShape)} w=${show(wShape)} mask=${r.mask} ${show(opts)}`;
        expectClose(res.output.to(CF[rank]), ref.output, label);
        expectClose(res.mask.to(CF[rank]), ref.mask, () => `${label()} (mask)`, 0, 1e-6);
      }),
      { numRuns: 150 },
    );
  });

  it("partialConv2d without a mask equals conv2d with paddingMode 'partial' (within rounding)", () => {
    fc.assert(
      fc.property(convCaseArb, (raw) => {
        if (raw.rank !== 2) return;
        const c = buildConvCase({ ...raw, mode: 'partial', padForm: raw.padForm === 'omitted' ? 'number' : raw.padForm });
        const xd = randomData(prod(c.xShape), c.seed), wd = randomData(prod(c.wShape), c.seed + 1);
        const x = ck.tensor(xd, c.xShape), w = ck.tensor(wd, c.wShape);
        const { paddingMode: _m, paddingValue: _v, ...popts } = c.opts;
        const p = ck.partialConv2d(x, w, popts as ck.PartialConvOptions).output;
        const ref = refConv({ data: xd, shape: c.xShape }, { data: wd, shape: c.wShape }, c.refOpts);
        expectClose(p, ref, () => `partialConv2d x=${show(c.xShape)} w=${show(c.wShape)} ${show(popts)}`);
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Transposed convolution against the reference (scatter form) for every mode
// ---------------------------------------------------------------------------------------

const convTCaseArb = fc.record({
  rank: rankArb,
  N: fc.integer({ min: 0, max: 2 }),
  G: fc.integer({ min: 1, max: 6 }),
  a: fc.integer({ min: 1, max: 6 }),
  b: fc.integer({ min: 1, max: 6 }),
  spatial: dims3(1, 5),
  k: dims3(1, 4),
  stride: dims3(1, 3),
  dilation: dims3(1, 2),
  pads: padInts,
  outPad: dims3(0, 2),
  mode: fc.constantFrom(...T_MODES),
  bias: fc.boolean(),
  layoutLast: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

describe('convTranspose1d/2d/3d vs. float64 reference', () => {
  it('random geometry, asymmetric padding, outputPadding, every mode', () => {
    fc.assert(
      fc.property(convTCaseArb, (r) => {
        const rank = r.rank;
        const G = r.G, a = Math.min(r.a, Math.floor(6 / G)), b = Math.min(r.b, Math.floor(6 / G));
        const C = G * a;
        const spatial = r.spatial.slice(0, rank), k = r.k.slice(0, rank);
        const stride = r.stride.slice(0, rank), dilation = r.dilation.slice(0, rank);
        const outputPadding = r.outPad.slice(0, rank).map((p, t) => Math.min(p, Math.max(stride[t], dilation[t]) - 1));
        const pads = r.pads.slice(0, rank).map(([pb, pa], t) => {
          // keep the output at least 1 wide
          const full = (spatial[t] - 1) * stride[t] + dilation[t] * (k[t] - 1) + outputPadding[t] + 1;
          const over = pb + pa - (full - 1);
          if (over > 0) return [Math.max(0, pb - over), pa - Math.max(0, over - pb)] as [number, number];
          return [pb, pa] as [number, number];
        });
        const opts = { stride, dilation, groups: G, padding: pads, outputPadding, paddingMode: r.mode,
          bias: r.bias ? randomData(b * G, r.seed + 7) : undefined };
        const xShape = [r.N, C, ...spatial], wShape = [C, b, ...k];
        const xd = randomData(prod(xShape), r.seed), wd = randomData(prod(wShape), r.seed + 1);
        const ref = refConvTranspose({ data: xd, shape: xShape }, { data: wd, shape: wShape }, opts);
        const x = ck.tensor(xd, xShape);
        const label = () => `convTranspose${rank}d ${r.layoutLast ? 'channels-last' : ''} x=${show(xShape)} w=${show(wShape)} ${show(opts)}`;
        const y = r.layoutLast
          ? convTFn[rank](x.to(CL[rank]), ck.tensor(wd, wShape), opts).to(CF[rank])
          : convTFn[rank](x, ck.tensor(wd, wShape), opts);
        expectClose(y, ref, label);
      }),
      { numRuns: 150 },
    );
  });
});

// One convTranspose case of the two property tests below against the float64 reference, at
// r.threads threads, channels-first or (r.layoutLast) channels-last.
// The input extents of a transposed-conv case: r.spatial, its last dim r.long.
function longSpatial(r: { rank: Rank; spatial: number[]; long: number }): number[] {
  const spatial = r.spatial.slice(0, r.rank);
  spatial[r.rank - 1] = r.long;
  return spatial;
}

function checkConvT(r: { seed: number; threads: number; layoutLast: boolean }, rank: Rank, xShape: number[], wShape: number[],
                    opts: RefConvTransposeOptions & ck.ConvTransposeOptions): void {
  const xd = randomData(prod(xShape), r.seed), wd = randomData(prod(wShape), r.seed + 1);
  const ref = refConvTranspose({ data: xd, shape: xShape }, { data: wd, shape: wShape }, opts);
  ck.setNumThreads(r.threads);
  const x = ck.tensor(xd, xShape);
  const label = () => `convTranspose${rank}d ${r.layoutLast ? 'channels-last' : ''} t=${r.threads} x=${show(xShape)} w=${show(wShape)} ${show(opts)}`;
  const y = r.layoutLast
    ? convTFn[rank](x.to(CL[rank]), ck.tensor(wd, wShape), opts).to(CF[rank])
    : convTFn[rank](x, ck.tensor(wd, wShape), opts);
  expectClose(y, ref, label);
}

// Kernels a whole multiple of the stride (unit dilation, zeros, no outputPadding): every
// stride phase has the same sub-kernel, and the phases run as one merged convolution whose
// epilogue interleaves them into the output. Long rows and many channels reach the banded
// and channel-split forms of that epilogue at 1 and 2 threads.
const mergedArb = fc.record({
  rank: rankArb,
  N: fc.integer({ min: 1, max: 2 }),
  G: fc.integer({ min: 1, max: 3 }),
  a: fc.integer({ min: 1, max: 5 }),
  // whole and partial channel blocks of the kernels (6 or 8 rows; 16+: the 24- or 32-channel panels of small maps)
  b: fc.constantFrom(1, 2, 3, 5, 6, 8, 12, 13, 16, 24, 33, 40),
  long: fc.integer({ min: 1, max: 90 }),
  spatial: dims3(1, 7),
  mult: dims3(1, 3),
  stride: dims3(1, 3),
  pads: padInts,
  bias: fc.boolean(),
  layoutLast: fc.boolean(),
  threads: fc.constantFrom(1, 2),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

describe('convTranspose with k a multiple of the stride (merged phases) vs. float64 reference', () => {
  it('every rank, any crop, groups, depthwise, both layouts and thread counts', () => {
    assertRestoringThreads(mergedArb, (r) => {
      const rank = r.rank, G = r.G, C = G * r.a, Cout = G * r.b, spatial = longSpatial(r);
      const stride = r.stride.slice(0, rank), k = stride.map((s, t) => s * r.mult[t]);
      const padding = r.pads.slice(0, rank).map(([pb, pa], t) => {
        const full = (spatial[t] - 1) * stride[t] + k[t];
        return [Math.min(pb, Math.floor((full - 1) / 2)), Math.min(pa, Math.floor((full - 1) / 2))] as [number, number];
      });
      const opts = { stride, groups: G, padding, bias: r.bias ? randomData(Cout, r.seed + 7) : undefined };
      checkConvT(r, rank, [r.N, C, ...spatial], [C, r.b, ...k], opts);
    }, 120);
  });
});


// Kernels that are not a multiple of the stride (k3 s2, k5 s2, k4 s3 ...: phases of several
// sub-kernel shapes), zeros padding, outputPadding that adds no unreached row: with output
// channels per group in whole blocks of the igemm (6 or 8 rows: 24, 48), the phases merge
// over the union of their taps; 20 channels take them one by one. Both against float64.
const raggedArb = fc.record({
  rank: rankArb,
  N: fc.integer({ min: 1, max: 2 }),
  G: fc.integer({ min: 1, max: 2 }),
  a: fc.integer({ min: 1, max: 6 }),
  b: fc.constantFrom(24, 48, 20),
  long: fc.integer({ min: 1, max: 60 }),
  spatial: dims3(1, 6),
  k: dims3(1, 5),
  stride: dims3(1, 3),
  pad: dims3(0, 2),
  outPad: dims3(0, 2),
  bias: fc.boolean(),
  layoutLast: fc.boolean(),
  threads: fc.constantFrom(1, 2),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

describe('convTranspose with phases of several shapes (k3 s2 ...) vs. float64 reference', () => {
  it('every rank, outputPadding, groups, both layouts and thread counts', () => {
    assertRestoringThreads(raggedArb, (r) => {
      const rank = r.rank, G = r.G, C = G * r.a, Cout = G * r.b, spatial = longSpatial(r);
      const stride = r.stride.slice(0, rank), k = r.k.slice(0, rank);
      const padding = r.pad.slice(0, rank).map((p, t) => Math.min(p, Math.floor(((spatial[t] - 1) * stride[t] + k[t] - 1) / 2)));
      const outputPadding = r.outPad.slice(0, rank).map((p, t) => Math.min(p, stride[t] - 1));
      const opts = { stride, groups: G, padding, outputPadding, bias: r.bias ? randomData(Cout, r.seed + 7) : undefined };
      checkConvT(r, rank, [r.N, C, ...spatial], [C, r.b, ...k], opts);
    }, 120);
  });
});

// ---------------------------------------------------------------------------------------
// Adjoint identity: <conv(x, W), y> = <x, convTranspose(y, W)> for every mode
// ---------------------------------------------------------------------------------------

const adjointArb = fc.record({
  rank: rankArb,
  N: fc.integer({ min: 1, max: 2 }),
  G: fc.integer({ min: 1, max: 4 }),
  a: fc.integer({ min: 1, max: 4 }),
  b: fc.integer({ min: 1, max: 4 }),
  spatial: dims3(1, 7),
  k: dims3(1, 4),
  stride: dims3(1, 3),
  dilation: dims3(1, 2),
  pads: fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 })), { minLength: 3, maxLength: 3 }),
  mode: fc.constantFrom(...T_MODES),
  layoutLast: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

describe('transposed convolution is the adjoint of convolution (SPEC §3.2)', () => {
  it('<conv(x, W, opts), y> = <x, convTranspose(y, W, opts, outputSize = x)> for zeros/reflect/replicate/circular/symmetric', () => {
    fc.assert(
      fc.property(adjointArb, (r) => {
        const rank = r.rank;
        const G = r.G, a = Math.min(r.a, Math.floor(6 / G)), b = Math.min(r.b, Math.floor(6 / G));
        const Cin = G * a, Cout = G * b;
        const spatial = r.spatial.slice(0, rank), k = r.k.slice(0, rank);
        const stride = r.stride.slice(0, rank), dilation = r.dilation.slice(0, rank);
        const pads = r.pads.slice(0, rank).map(([pb, pa]) => [pb, pa] as [number, number]);
        for (let t = 0; t < rank; t++)
          while (k[t] > 1 && dilation[t] * (k[t] - 1) + 1 > spatial[t] + pads[t][0] + pads[t][1]) k[t]--;
        const outS = spatial.map((i, t) => convOutExtent(i, k[t], stride[t], dilation[t], pads[t][0], pads[t][1]));
        const xShape = [r.N, Cin, ...spatial], wShape = [Cout, a, ...k], yShape = [r.N, Cout, ...outS];
        const xd = randomData(prod(xShape), r.seed), wd = randomData(prod(wShape), r.seed + 1), yd = randomData(prod(yShape), r.seed + 2);
        const geom = { stride, dilation, padding: pads, groups: G, paddingMode: r.mode };
        const label = `rank ${rank} x=${show(xShape)} w=${show(wShape)} y=${show(yShape)} ${show(geom)}`;
        const L = r.layoutLast ? CL[rank] : CF[rank];
        const x = ck.tensor(xd, xShape).to(L), w = ck.tensor(wd, wShape), y = ck.tensor(yd, yShape).to(L);
        const cx = convFn[rank](x, w, geom).to(CF[rank]);
        expect(cx.shape, label).toEqual(yShape);
        const ty = convTFn[rank](y, w, { ...geom, outputSize: spatial }).to(CF[rank]);
        expect(ty.shape, label).toEqual(xShape);
        let lhs = 0, rhs = 0;
        for (let i = 0; i < yd.length; i++) lhs += cx.data[i] * yd[i];
        for (let i = 0; i < xd.length; i++) rhs += xd[i] * ty.data[i];
        // bound on the sum of |products| of both sides, from the reference's term magnitudes
        const ref = refConv({ data: xd, shape: xShape }, { data: wd, shape: wShape }, geom);
        let mag = 0;
        for (let i = 0; i < yd.length; i++) mag += ref.mag[i] * Math.abs(yd[i]);
        let exact = 0;
        for (let i = 0; i < yd.length; i++) exact += ref.data[i] * yd[i];
        const tol = 1e-4 * mag + 1e-6;
        if (!(Math.abs(lhs - exact) <= tol)) expect.fail(`${label}: <conv(x), y> = ${lhs}, reference ${exact} (tol ${tol})`);
        if (!(Math.abs(rhs - exact) <= tol)) expect.fail(`${label}: <x, convT(y)> = ${rhs}, <conv(x), y> reference ${exact} (tol ${tol})`);
      }),
      { numRuns: 250 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// pad against the reference
// ---------------------------------------------------------------------------------------

const padCaseArb = fc.record({
  rank: rankArb,
  N: fc.integer({ min: 0, max: 2 }),
  C: fc.integer({ min: 1, max: 6 }),
  spatial: dims3(1, 7),
  pads: fc.array(fc.tuple(fc.integer({ min: -7, max: 12 }), fc.integer({ min: -7, max: 12 })), { minLength: 3, maxLength: 3 }),
  form: fc.constantFrom('number', 'perdim', 'pairs'),
  mode: fc.constantFrom(...PAD_MODES),
  value: fc.double({ min: -4, max: 4, noNaN: true }).map(Math.fround),
  layoutLast: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

describe('pad vs. reference (PyTorch crops, numpy.pad wide pads)', () => {
  it('every mode, negative and wide pads, channels-first and channels-last', () => {
    fc.assert(
      fc.property(padCaseArb, (r) => {
        const rank = r.rank;
        const spatial = r.spatial.slice(0, rank);
        let pairs = r.pads.slice(0, rank).map(([b, a]) => [b, a] as [number, number]);
        if (r.form === 'number') pairs = pairs.map(() => [pairs[0][0], pairs[0][0]]);
        if (r.form === 'perdim') pairs = pairs.map(([b]) => [b, b]);
        // crops must leave at least one element (and, for circular, at least one to wrap)
        pairs = pairs.map(([b, a], t) => {
          const ok = (bb: number, aa: number) => spatial[t] + bb + aa >= 1 && spatial[t] + Math.min(bb, 0) + Math.min(aa, 0) >= 1;
          if (ok(b, a)) return [b, a];
          if (ok(Math.max(b, 0), a)) return [Math.max(b, 0), a];
          return [Math.max(b, 0), Math.max(a, 0)];
        });
        // the repairs may have made a 'number' or 'perdim' form asymmetric: send pairs then
        const symmetric = pairs.every(([b, a]) => b === a);
        const uniform = symmetric && pairs.every(([b]) => b === pairs[0][0]);
        const padding = r.form === 'number' && uniform ? pairs[0][0] : r.form === 'perdim' && symmetric ? pairs.map(([b]) => b) : pairs;
        const xShape = [r.N, r.C, ...spatial];
        const xd = randomData(prod(xShape), r.seed);
        const opts = r.mode === 'constant' ? { mode: r.mode, value: r.value } : { mode: r.mode };
        const ref = refPad({ data: xd, shape: xShape }, padding, opts);
        const x = ck.tensor(xd, xShape);
        const label = () => `pad ${r.layoutLast ? CL[rank] : CF[rank]} x=${show(xShape)} padding=${show(padding)} ${show(opts)}`;
        const y = r.layoutLast ? ck.pad(x.to(CL[rank]), padding, opts).to(CF[rank]) : ck.pad(x, padding, opts);
        expectClose(y, ref, label, 0, 0);
      }),
      { numRuns: 300 },
    );
  });
  it('results of 4 MiB or more (rows written by non-temporal stores), odd row lengths, 1 and 2 threads', () => {
    const saved = ck.getNumThreads();
    try {
      const cases: [number[], [number, number][], Record<string, unknown>][] = [
        [[1, 3, 331, 1013], [[7, 5], [3, 9]], { mode: 'reflect' }],
        [[2, 2, 257, 1031], [[0, 2], [1, 0]], { mode: 'constant', value: -1.5 }],
        [[1, 4, 200, 1333], [[-3, 4], [5, -2]], { mode: 'circular' }],
      ];
      for (const [xShape, pads, opts] of cases) {
        const xd = randomData(prod(xShape), prod(xShape) % 997);
        const ref = refPad({ data: xd, shape: xShape }, pads, opts as never);
        expect(prod(ref.shape) * 4).toBeGreaterThanOrEqual(4 << 20);
        const x = ck.tensor(xd, xShape);
        for (const t of [1, 2]) {
          ck.setNumThreads(t);
          expectClose(ck.pad(x, pads, opts as never), ref, () => `pad ${show(xShape)} ${show(pads)} ${show(opts)} at ${t} threads`, 0, 0);
        }
      }
    } finally {
      ck.setNumThreads(saved);
    }
  });
});

// ---------------------------------------------------------------------------------------
// Invalid arguments: TypeError for a wrong JavaScript type, RangeError for a wrong value
// ---------------------------------------------------------------------------------------

type Kind = 'type' | 'range';
interface Bad { arg: string; value: unknown; kind: Kind }

const wrongTypeScalar = fc.oneof(
  fc.string({ maxLength: 4 }).filter((s) => !['valid', 'same', 'full'].includes(s)),
  fc.boolean(),
  fc.constant(null),
  fc.constant({}),
  fc.constant(() => 1),
  fc.constant(Symbol('x')),
  fc.constant(2n),
  fc.constant(new Float64Array([1, 1])),
);
const notPositiveInt = fc.oneof(
  fc.integer({ min: -1000, max: 0 }),
  fc.double({ min: -100, max: 100, noNaN: true }).filter((v) => !Number.isInteger(v)),
  fc.constantFrom(NaN, Infinity, -Infinity, -0.5, 1.5),
);
const notNonNegInt = fc.oneof(
  fc.integer({ min: -1000, max: -1 }),
  fc.double({ min: -100, max: 100, noNaN: true }).filter((v) => !Number.isInteger(v)),
  fc.constantFrom(NaN, Infinity, -Infinity),
);
const notFinite = fc.constantFrom(NaN, Infinity, -Infinity);

// Spatial option for rank 2 (stride, dilation: integers >= 1; padding >= 0).
function spatialBad(arg: string, badNum: fc.Arbitrary<number>, typeArb: fc.Arbitrary<unknown> = wrongTypeScalar): fc.Arbitrary<Bad> {
  return fc.oneof(
    typeArb.map((value) => ({ arg, value, kind: 'type' as Kind })),
    fc.constant({ arg, value: [1, '2'], kind: 'type' as Kind }),
    fc.constant({ arg, value: [null, 1], kind: 'type' as Kind }),
    badNum.map((value) => ({ arg, value, kind: 'range' as Kind })),
    badNum.map((value) => ({ arg, value: [1, value], kind: 'range' as Kind })),
    fc.integer({ min: 0, max: 5 }).filter((n) => n !== 2).map((n) => ({ arg, value: new Array(n).fill(1), kind: 'range' as Kind })),
  );
}

const convBadArb: fc.Arbitrary<Bad> = fc.oneof(
  spatialBad('stride', notPositiveInt),
  spatialBad('dilation', notPositiveInt),
  spatialBad('padding', notNonNegInt, wrongTypeScalar.filter((v) => typeof v !== 'string')),
  fc.constant({ arg: 'padding', value: [[1, 2, 3], 1], kind: 'range' as Kind }),
  fc.constantFrom('SAME', 'same ', 'causal', '').map((value) => ({ arg: 'padding', value, kind: 'range' as Kind })),
  wrongTypeScalar.filter((v) => typeof v !== 'string').map((value) => ({ arg: 'groups', value, kind: 'type' as Kind })),
  fc.oneof(notPositiveInt, fc.constantFrom(3, 4, 5, 7)).map((value) => ({ arg: 'groups', value, kind: 'range' as Kind })),
  wrongTypeScalar.filter((v) => typeof v !== 'string').map((value) => ({ arg: 'paddingMode', value, kind: 'type' as Kind })),
  fc.string({ maxLength: 8 }).filter((s) => !CONV_MODES.includes(s as RefMode)).map((value) => ({ arg: 'paddingMode', value, kind: 'range' as Kind })),
  wrongTypeScalar.map((value) => ({ arg: 'paddingValue', value, kind: 'type' as Kind })),
  notFinite.map((value) => ({ arg: 'paddingValue', value, kind: 'range' as Kind })),
  wrongTypeScalar.filter((v) => v !== null).map((value) => ({ arg: 'bias', value, kind: 'type' as Kind })),
  fc.constant({ arg: 'bias', value: [0, 0, 0, 0], kind: 'type' as Kind }),
  fc.integer({ min: 0, max: 9 }).filter((n) => n !== 4).map((n) => ({ arg: 'bias', value: new Float32Array(n), kind: 'range' as Kind })),
  wrongTypeScalar.filter((v) => typeof v !== 'string').map((value) => ({ arg: 'outputLayout', value, kind: 'type' as Kind })),
  fc.constantFrom('NCW', 'NDHWC', 'nchw', 'CHW').map((value) => ({ arg: 'outputLayout', value, kind: 'range' as Kind })),
  fc.constantFrom('stides', 'pad', 'padding_mode', 'Groups').map((key) => ({ arg: `unknown:${key}`, value: 1, kind: 'range' as Kind })),
  fc.oneof(fc.constant(null), fc.string(), fc.integer(), fc.constant([1, 2]), fc.constant(new Float32Array(2))).map((value) => ({ arg: 'options', value, kind: 'type' as Kind })),
  fc.oneof(fc.constant(null), fc.constant(undefined), fc.integer(), fc.string(), fc.constant(new Float32Array(50)), fc.constant([1, 2, 3]))
    .map((value) => ({ arg: 'input', value, kind: 'type' as Kind })),
  fc.constantFrom(
    { data: new Float32Array(49), shape: [1, 2, 5, 5], layout: 'NCHW' },
    { data: new Float32Array(50), shape: [1, 2, 5, 5], layout: 'NCWH' },
    { data: new Float32Array(50), shape: [1, 2, 25], layout: 'NCW' },
    { data: new Float32Array(75), shape: [1, 3, 5, 5], layout: 'NCHW' },
    { data: new Float32Array(50), shape: [1, 2, 5, 5.5], layout: 'NCHW' },
    { data: new Float32Array(2), shape: [1, 2, 1, 1], layout: 'NCHW' },
  ).map((value) => ({ arg: 'input', value, kind: 'range' as Kind })),
  fc.constantFrom(
    { data: new Float64Array(50), shape: [1, 2, 5, 5], layout: 'NCHW' },
    { data: Array.from({ length: 50 }, () => 0), shape: [1, 2, 5, 5], layout: 'NCHW' },
    { data: new Float32Array(50), shape: '1,2,5,5', layout: 'NCHW' },
    { data: new Float32Array(50), shape: [1, 2, 5, 5], layout: 4 },
  ).map((value) => ({ arg: 'input', value, kind: 'type' as Kind })),
  fc.oneof(fc.constant(null), fc.integer(), fc.constant(new Float32Array(72)), fc.constant({ data: new Float64Array(72), shape: [4, 2, 3, 3] }))
    .map((value) => ({ arg: 'weight', value, kind: 'type' as Kind })),
  fc.constantFrom(
    { data: new Float32Array(24), shape: [4, 2, 3] },
    { data: new Float32Array(71), shape: [4, 2, 3, 3] },
    { data: new Float32Array(108), shape: [4, 3, 3, 3] },
    { data: new Float32Array(0), shape: [4, 0, 3, 3] },
    { data: new Float32Array(4 * 2 * 9 * 9), shape: [4, 2, 9, 9] },
  ).map((value) => ({ arg: 'weight', value, kind: 'range' as Kind })),
);

function applyBad(bad: Bad): { input: unknown; weight: unknown; options: unknown } {
  let input: unknown = ck.tensor(randomData(50, 1), [1, 2, 5, 5]);
  let weight: unknown = ck.tensor(randomData(72, 2), [4, 2, 3, 3]);
  let options: unknown = { stride: 1, padding: 0 };
  if (bad.arg === 'input') input = bad.value;
  else if (bad.arg === 'weight') weight = bad.value;
  else if (bad.arg === 'options') options = bad.value;
  else if (bad.arg.startsWith('unknown:')) options = { [bad.arg.slice(8)]: bad.value };
  else if (bad.arg === 'paddingValue') options = { paddingMode: 'constant', paddingValue: bad.value };
  else options = { [bad.arg]: bad.value };
  return { input, weight, options };
}

function errorClassOf(f: () => unknown): string {
  try {
    f();
    return 'no error';
  } catch (e) {
    return e instanceof RangeError ? 'RangeError' : e instanceof TypeError ? 'TypeError' : `other: ${String(e)}`;
  }
}

async function rejectionClassOf(f: () => Promise<unknown>): Promise<string> {
  let p: Promise<unknown>;
  try {
    p = f();
  } catch (e) {
    return `threw synchronously: ${String(e)}`;
  }
  try {
    await p;
    return 'no error';
  } catch (e) {
    return e instanceof RangeError ? 'RangeError' : e instanceof TypeError ? 'TypeError' : `other: ${String(e)}`;
  }
}

const cls = (k: Kind) => (k === 'type' ? 'TypeError' : 'RangeError');

// Nearest upsampling with integer factors: out[h][w] = in[floor(h * (1/sh))][floor(w * (1/sw))],
// the factor's reciprocal and the product in float32 (PyTorch's nearest index arithmetic).
// Whole-row widths divisible by 8 at x2 along W take the SIMD x2 row kernel (each source
// row written straight to its output rows), streamed when the output is >= 1 MiB.
describe('interpolate nearest, integer factors, vs. a naive reference', () => {
  function refNearest(x: Float32Array, shape: number[], sh: number, sw: number): Float32Array {
    const [N, C, H, W] = shape, Ho = H * sh, Wo = W * sw;
    const rh = Math.fround(1 / sh), rw = Math.fround(1 / sw);
    const y = new Float32Array(N * C * Ho * Wo);
    for (let p = 0; p < N * C; p++)
      for (let h = 0; h < Ho; h++) {
        const sy = Math.min(Math.floor(Math.fround(h * rh)), H - 1);
        for (let w = 0; w < Wo; w++) {
          const sx = Math.min(Math.floor(Math.fround(w * rw)), W - 1);
          y[(p * Ho + h) * Wo + w] = x[(p * H + sy) * W + sx];
        }
      }
    return y;
  }
  const cases: [number[], number, number][] = [
    [[1, 3, 5, 8], 2, 2], // 8 columns: one half block (AVX-512)
    [[2, 4, 6, 16], 2, 2],
    [[1, 2, 3, 24], 3, 2], // three output rows per source row
    [[1, 2, 3, 16], 10, 2], // ten: more than one call's rows
    [[1, 2, 7, 16], 1, 2], // W only
    [[1, 3, 4, 12], 2, 2], // 12 columns: the general path
    [[1, 64, 48, 24], 2, 2], // 1.2 MB out: streamed, with a half block
    [[1, 4, 128, 128], 2, 2], // 1 MiB out: streamed (W13's rows)
  ];
  for (const threads of [1, 2])
    it(`${threads} thread(s)`, () => {
      const before = ck.getNumThreads();
      ck.setNumThreads(threads);
      try {
        for (const [shape, sh, sw] of cases) {
          const xd = randomData(prod(shape), shape.length * 1000 + shape[3]);
          const want = refNearest(xd, shape, sh, sw);
          for (const mode of ['nearest', 'nearest-exact'] as const) {
            if (mode === 'nearest-exact' && (sh !== 2 || sw !== 2)) continue; // (exact: floor((j + 0.5) / s), = j >> 1 at x2)
            const y = ck.interpolate(ck.tensor(xd, shape), { scaleFactor: [sh, sw], mode });
            expect(y.shape, `${mode} ${show(shape)} x[${sh}, ${sw}]`).toEqual([shape[0], shape[1], shape[2] * sh, shape[3] * sw]);
            let bad = -1;
            for (let i = 0; i < want.length && bad < 0; i++) if (!Object.is(y.data[i], want[i])) bad = i;
            expect(bad, `${mode} ${show(shape)} x[${sh}, ${sw}]: first differing element`).toBe(-1);
          }
        }
      } finally {
        ck.setNumThreads(before);
      }
    });
});

// Channels-last interpolation runs other passes than channels-first (rows of C floats fused,
// or separable passes over pixels), each rounding as torch does: the same bits either way.
describe('interpolate: channels-last gives the bits of channels-first', () => {
  let skipped = 0, compared = 0;
  it('random shapes, channel counts around the fused limit (16), every mode', () => {
    const modes2 = ['nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area'] as const;
    fc.assert(
      fc.property(
        fc.record({
          rank: fc.constantFrom(1, 2, 3),
          N: fc.integer({ min: 1, max: 2 }),
          C: fc.constantFrom(2, 3, 4, 7, 15, 16, 17, 32, 40),
          sp: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
          scale: fc.array(fc.constantFrom(0.5, 0.75, 1, 1.5, 2, 3), { minLength: 3, maxLength: 3 }),
          mode: fc.constantFrom(...modes2),
          align: fc.boolean(),
          seed: fc.integer({ min: 1, max: 1 << 30 }),
        }),
        (r) => {
          const rank = r.rank as Rank;
          const spatial = r.sp.slice(0, rank);
          const shape = [r.N, r.C, ...spatial];
          const mode = rank === 2 ? r.mode : r.mode === 'bilinear' || r.mode === 'bicubic' ? (rank === 1 ? 'linear' : 'trilinear') : r.mode;
          if (mode === 'bicubic' && rank !== 2) return;
          const scaleFactor = r.scale.slice(0, rank);
          const opts: ck.InterpolateOptions = { scaleFactor, mode } as ck.InterpolateOptions;
          if (r.align && (mode === 'bilinear' || mode === 'bicubic' || mode === 'linear' || mode === 'trilinear'))
            (opts as { alignCorners?: boolean }).alignCorners = true;
          const x = ck.tensor(randomData(prod(shape), r.seed), shape);
          let want: ck.Tensor;
          try {
            want = ck.interpolate(x, opts);
          } catch {
            skipped++;
            return; // (an output extent of 0: refused in either layout)
          }
          compared++;
          const got = ck.interpolate(x.to(CL[rank]), opts).to(CF[rank]);
          expect(got.shape).toEqual(want.shape);
          let bad = -1;
          for (let i = 0; i < want.data.length && bad < 0; i++) if (!Object.is(got.data[i], want.data[i])) bad = i;
          expect(bad, `${show(shape)} ${show(opts)}: first element differing between layouts`).toBe(-1);
        },
      ),
      { numRuns: 300 },
    );
    expect(compared, `cases compared (${skipped} refused)`).toBeGreaterThan(150);
  });
});

// Convolutions read a channels-last input and write a channels-last result themselves on
// their gathering igemm paths (transposes in the gather and in the epilogue), and convert on
// the others: every combination of layouts gives the bits of channels-first.
// The fields every channels-last bits case draws: a bias or none, the input's and the
// result's layouts, the thread count and the data's seed.
const layoutCaseFields = {
  bias: fc.boolean(),
  inLast: fc.boolean(),
  outLast: fc.boolean(),
  threads: fc.constantFrom(1, 2),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
};

describe('conv: channels-last input or output gives the bits of channels-first', () => {
  it('random geometry, groups, every padding mode, 1 and 2 threads', () => {
    assertRestoringThreads(
      fc.record({
        rank: fc.constantFrom(1, 2, 3),
        N: fc.integer({ min: 1, max: 2 }),
        G: fc.integer({ min: 1, max: 3 }),
        cig: fc.integer({ min: 1, max: 5 }),
        cog: fc.integer({ min: 1, max: 9 }),
        sp: fc.array(fc.integer({ min: 3, max: 40 }), { minLength: 3, maxLength: 3 }),
        k: dims3(1, 3),
        stride: dims3(1, 2),
        dilation: dims3(1, 2),
        pad: dims3(0, 2),
        mode: fc.constantFrom('zeros', 'reflect', 'replicate', 'circular', 'constant'),
        ...layoutCaseFields,
      }),
      (r) => {
        const rank = r.rank as Rank;
        const sp = r.sp.slice(0, rank).map((n) => (rank === 3 ? Math.min(n, 9) : n));
        const k = r.k.slice(0, rank), stride = r.stride.slice(0, rank), dilation = r.dilation.slice(0, rank);
        const padding = r.pad.slice(0, rank).map((p, t) => Math.min(p, Math.floor((sp[t] - 1) / 2)));
        if (sp.some((n, t) => n + 2 * padding[t] < dilation[t] * (k[t] - 1) + 1)) return;
        const xShape = [r.N, r.G * r.cig, ...sp], wShape = [r.G * r.cog, r.cig, ...k];
        const opts: ck.ConvOptions = {
          stride, dilation, padding, groups: r.G, paddingMode: r.mode,
          bias: r.bias ? randomData(r.G * r.cog, r.seed + 2) : undefined, paddingValue: r.mode === 'constant' ? 0.5 : undefined,
        };
        ck.setNumThreads(r.threads);
        const x = ck.tensor(randomData(prod(xShape), r.seed), xShape), w = ck.tensor(randomData(prod(wShape), r.seed + 1), wShape);
        const f = convFn[rank] as ConvF;
        expectLayoutBits(rank, f, x, w, opts, f(x, w, opts), r.inLast, r.outLast,
          () => `${show(xShape)} ${show(wShape)} ${show(opts)} in ${r.inLast ? 'last' : 'first'} out ${r.outLast ? 'last' : 'first'}`);
      },
      200,
    );
  });
});

// Depthwise convolution (unit stride along rows) runs plane by plane on maps larger than
// 56x56 and by chunks of channels on smaller ones, and whenever the input or the result is
// channels-last: chunks of 16 channels when the rows are long (20+ channels of ~200 pixels),
// 2-4 channels through the interleave kernels; channels-last in and out with 16, 32, 48
// channels and up to 3x3 taps, the channels in the lanes (on AVX-512). Each against the reference, and every layout
// combination, at 1 or 2 threads, with the bits of channels-first at 1 thread.
type ConvF = (x: ck.Tensor, w: ck.Tensor, o: ck.ConvOptions) => ck.Tensor;
// f with the input and the result in the given layouts (at the current thread count), read
// back channels-first: the bits of `want`.
function expectLayoutBits(rank: Rank, f: ConvF, x: ck.Tensor, w: ck.Tensor, opts: ck.ConvOptions, want: ck.Tensor, inLast: boolean,
                          outLast: boolean, label: () => string): void {
  const got = f(inLast ? x.to(CL[rank]) : x, w, { ...opts, outputLayout: outLast ? CL[rank] : CF[rank] }).to(CF[rank]);
  expect(got.shape).toEqual(want.shape);
  let bad = -1;
  for (let i = 0; i < want.data.length && bad < 0; i++) if (!Object.is(got.data[i], want.data[i])) bad = i;
  expect(bad, label()).toBe(-1);
}

// A conv (or transposed conv) case: at 1 thread, channels-first, against the reference; then
// with the given layouts at `threads` threads, the same bits.
function checkLayoutBits(rank: Rank, xShape: number[], wShape: number[], opts: ck.ConvOptions, seed: number, inLast: boolean,
                        outLast: boolean, threads: number, transposed = false): void {
  const xd = randomData(prod(xShape), seed), wd = randomData(prod(wShape), seed + 1);
  const x = ck.tensor(xd, xShape), w = ck.tensor(wd, wShape);
  const label = () => `conv${transposed ? 'Transpose' : ''}${rank}d x=${show(xShape)} w=${show(wShape)} ${show(opts)} in ${inLast ? 'last' : 'first'} out ${outLast ? 'last' : 'first'} t=${threads}`;
  const f = (transposed ? convTFn[rank] : convFn[rank]) as ConvF;
  const ref = transposed ? refConvTranspose : refConv;
  ck.setNumThreads(1);
  const want = f(x, w, opts);
  expectClose(want, ref({ data: xd, shape: xShape }, { data: wd, shape: wShape }, opts as Record<string, unknown>), label);
  ck.setNumThreads(threads);
  expectLayoutBits(rank, f, x, w, opts, want, inLast, outLast, label);
}

describe('depthwise conv: both paths, every layout, against the reference', () => {
  it('1-40 channels (multiplier 1-2), up to 80 rows of 8-220 pixels, every mode, 1 and 2 threads', () => {
    assertRestoringThreads(
      fc.record({
        rank: fc.constantFrom(1, 2, 2, 2, 3),
        N: fc.integer({ min: 1, max: 2 }),
        C: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 6, max: 40 }), fc.constantFrom(16, 32, 48)),
        mult: fc.constantFrom(1, 1, 2),
        D: fc.integer({ min: 1, max: 4 }),
        H: fc.integer({ min: 1, max: 80 }),
        W: fc.integer({ min: 8, max: 220 }),
        k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
        dil: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
        stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.constantFrom(1, 1, 1, 2)),
        pad: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
        mode: fc.constantFrom(...CONV_MODES),
        ...layoutCaseFields,
      }),
      (r) => {
        const rank = r.rank as Rank;
        // at most ~150K input values (the reference runs in JavaScript)
        const H = Math.max(1, Math.min(r.H, Math.floor(150000 / (r.N * r.C * r.W * (rank === 3 ? r.D : 1)))));
        const sp = rank === 1 ? [r.W] : rank === 2 ? [H, r.W] : [r.D, Math.min(H, 24), r.W];
        const pick = <T>(t: readonly [T, T, T]) => t.slice(3 - rank);
        const k = pick(r.k), dilation = pick(r.dil), stride = pick(r.stride);
        const padding = pick(r.pad).map((p, t) => Math.min(p, Math.floor((sp[t] - 1) / 2)));
        if (sp.some((n, t) => n + 2 * padding[t] < dilation[t] * (k[t] - 1) + 1)) return;
        const xShape = [r.N, r.C, ...sp], wShape = [r.C * r.mult, 1, ...k];
        const opts: ck.ConvOptions = {
          stride, dilation, padding, groups: r.C, paddingMode: r.mode,
          bias: r.bias ? randomData(r.C * r.mult, r.seed + 2) : undefined, paddingValue: r.mode === 'constant' ? 0.5 : undefined,
        };
        checkLayoutBits(rank, xShape, wShape, opts, r.seed, r.inLast, r.outLast, r.threads);
      },
      80,
    );
  });

  // Channels in the lanes on small maps: at 2 threads the rows are also cut into column
  // ranges, each with its own halo; every range must give the bits of 1 thread.
  it('channels-last in and out, 16/32/48 channels, up to 3x3, small maps: 2 threads give the bits of 1', () => {
    assertRestoringThreads(
      fc.record({
        N: fc.integer({ min: 1, max: 2 }),
        C: fc.constantFrom(16, 32, 48),
        H: fc.integer({ min: 1, max: 20 }),
        W: fc.integer({ min: 16, max: 70 }),
        k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
        dil: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
        pad: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
        mode: fc.constantFrom('zeros', 'constant', 'reflect', 'replicate', 'circular', 'symmetric'),
        bias: fc.boolean(),
        seed: fc.integer({ min: 1, max: 1 << 30 }),
      }),
      (r) => {
        const sp = [r.H, r.W], k = [...r.k], dilation = [...r.dil];
        const padding = r.pad.map((p, t) => Math.min(p, Math.floor((sp[t] - 1) / 2)));
        if (sp.some((n, t) => n + 2 * padding[t] < dilation[t] * (k[t] - 1) + 1)) return;
        const xShape = [r.N, r.C, ...sp], wShape = [r.C, 1, ...k];
        const opts: ck.ConvOptions = {
          dilation, padding, groups: r.C, paddingMode: r.mode as ck.ConvOptions['paddingMode'],
          bias: r.bias ? randomData(r.C, r.seed + 2) : undefined, paddingValue: r.mode === 'constant' ? -0.25 : undefined,
        };
        checkLayoutBits(2, xShape, wShape, opts, r.seed, true, true, 2);
      },
      60,
    );
  });
});


// Output rows of whole 16-pixel tiles, gathered with halo columns: the packed igemm's tile
// groups run along each row (2 tiles, or 1 at a row's end) instead of over the flat pixels.
// (Rows of 16 pixels take the pgemm on AVX2, so 32 and more here. Many output channels for few input ones: the packed igemm needs the call's scratch within
// its output's size.) Against the float64 reference, and 1 / 2 threads bit for bit.
describe('convolutions whose output rows are whole tiles, against the reference', () => {
  const cases: [string, number[], number[], ck.ConvOptions][] = [
    ['3x3 dilation 2, 8->48, 40x64', [1, 8, 40, 64], [48, 8, 3, 3], { padding: 2, dilation: 2 }],
    ['7x7 stride 2 reflect, 3->32, 60x96 (rows of 3 tiles)', [2, 3, 60, 96], [32, 3, 7, 7], { padding: 3, stride: 2, paddingMode: 'reflect' }],
    ['3x3, 8->48, 50x32 (one group a row), bias', [1, 8, 50, 32], [48, 8, 3, 3], { padding: 1, bias: randomData(48, 51) }],
  ];
  it.each(cases)('%s', (name, xShape, wShape, opts) => {
    const xd = randomData(prod(xShape), 52), wd = randomData(prod(wShape), 53);
    const ref = refConv({ data: xd, shape: xShape }, { data: wd, shape: wShape }, opts as Record<string, unknown>);
    checkOneAndTwoThreads(name, () => ck.conv2d(ck.tensor(xd, xShape), ck.tensor(wd, wShape), opts), ref);
  });
});

// Small maps (7 pixels wide) through the pixel-major pgemm in a constant padding mode: each
// reduction chunk's input channels gathered into a per-thread buffer whose padding is written
// once per band, then only the input's pixels per chunk. Several chunks (not on channel
// boundaries), images, bands (a tall map; the last band shorter), stride phases, a constant
// fill; the prepared layer too. Against the float64 reference, 1 / 2 threads bit for bit, and
// the layer bit for bit with the functional form.
describe('small maps through the pgemm, gathered chunk by chunk, against the reference', () => {
  const cases: [string, number[], number[], ck.ConvOptions][] = [
    ['3x3 p1, 64->128, 4 images of 7x7, bias', [4, 64, 7, 7], [128, 64, 3, 3], { padding: 1, bias: randomData(128, 61) }],
    ['3x3 p1 constant 0.5, 40->80, 130x7 (3 bands)', [1, 40, 130, 7], [80, 40, 3, 3], { padding: 1, paddingMode: 'constant', paddingValue: 0.5 }],
    ['3x3 s2 p1, 64->128, 3 images of 14x14 -> 7x7', [3, 64, 14, 14], [128, 64, 3, 3], { padding: 1, stride: 2 }],
    ['5x5 p2 constant -1, 30->100, 3 images of 7x7', [3, 30, 7, 7], [100, 30, 5, 5], { padding: 2, paddingMode: 'constant', paddingValue: -1 }],
  ];
  it.each(cases)('%s', (name, xShape, wShape, opts) => checkConvForms(name, xShape, wShape, opts, [62, 63], false));
});

// conv1d / conv2d (by the input's rank) against the float64 reference at 1 thread, bit for bit
// at 2, and the prepared Conv1d / Conv2d bit for bit with it at 1 and 2 threads; with
// `layouts`, channels-last in, out, or both too.
function checkConvForms(name: string, xShape: number[], wShape: number[], opts: ck.ConvOptions, seeds: [number, number], layouts: boolean): void {
  const xd = randomData(prod(xShape), seeds[0]), wd = randomData(prod(wShape), seeds[1]);
  const ref = refConv({ data: xd, shape: xShape }, { data: wd, shape: wShape }, opts as Record<string, unknown>);
  const x = ck.tensor(xd, xShape), w = ck.tensor(wd, wShape);
  const oneD = xShape.length === 3;
  const conv = (t: ck.Tensor, o: ck.ConvOptions) => (oneD ? ck.conv1d(t, w, o) : ck.conv2d(t, w, o));
  const [cf, cl] = (oneD ? ['NCW', 'NWC'] : ['NCHW', 'NHWC']) as [ck.Layout, ck.Layout];
  checkOneAndTwoThreads(name, () => conv(x, opts), ref);
  const { bias, ...rest } = opts;
  const lopts = { weight: w, bias: bias as Float32Array | undefined, ...rest };
  const layer = oneD ? new ck.Conv1d(lopts) : new ck.Conv2d(lopts);
  const saved = ck.getNumThreads();
  const u32 = (y: ck.Tensor) => new Uint32Array(y.data.buffer, y.data.byteOffset, y.data.length);
  try {
    for (const t of [1, 2]) {
      ck.setNumThreads(t);
      const a = u32(conv(x, opts));
      const forms: [string, () => ck.Tensor][] = [[oneD ? 'Conv1d' : 'Conv2d', () => layer.forward(x)]];
      if (layouts) {
        // channels-last in, out, or both (read and written in place): the same bits
        const xl = x.to(cl);
        forms.push(
          [`${cl} in and out`, () => conv(xl, opts).to(cf)],
          [`${cl} in, ${cf} out`, () => conv(xl, { ...opts, outputLayout: cf })],
          [`${cf} in, ${cl} out`, () => conv(x, { ...opts, outputLayout: cl }).to(cf)],
        );
      }
      for (const [what, f] of forms) {
        const c = u32(f());
        expect(a.findIndex((v, i) => v !== c[i]), `${t} thread(s): ${what} against ${cf}, bit for bit: first differing output`).toBe(-1);
      }
    }
  } finally {
    ck.setNumThreads(saved);
  }
}

// 3x3 convolutions of unit stride, 32 channels or more on each side: on AVX2,
// Winograd F(2x2, 3x3) (native/ops/conv_winograd.cc; elsewhere the direct sums, under the same
// checks). Odd output sizes (a last row and column of half tiles), padding that differs per side
// and exceeds the kernel's reach, a constant fill, several images, a last block of fewer than 6
// output channels, dilations of 2 and 3 (per dim). The scratch bound (the output's size) runs
// them in passes of 1-3 blocks of output channels, and some on one worker at 2 threads; items of
// 16-64 tiles. Against the float64 reference, 1 / 2 threads bit for bit, and the prepared
// Conv2d and channels-last in and out bit for bit with conv2d in NCHW.
describe('3x3 unit-stride convolutions (Winograd on AVX2), against the reference', () => {
  const cases: [string, number[], number[], ck.ConvOptions][] = [
    ['32->40 p1 bias, 2 images of 29x31', [2, 32, 29, 31], [40, 32, 3, 3], { padding: 1, bias: randomData(40, 71) }],
    ['36->32 valid, 3 images of 37x30', [3, 36, 37, 30], [32, 36, 3, 3], { padding: 0 }],
    ['32->34 padding [[2, 0], [0, 3]], 3 images of 15x20', [3, 32, 15, 20], [34, 32, 3, 3], { padding: [[2, 0], [0, 3]] }],
    ['40->32 p2 constant 0.5, bias, 2 images of 30x26', [2, 40, 30, 26], [32, 40, 3, 3], { padding: 2, paddingMode: 'constant', paddingValue: 0.5, bias: randomData(32, 72) }],
    ['64->64 p1, 48x48', [1, 64, 48, 48], [64, 64, 3, 3], { padding: 1 }],
    // dilations: D x D sub-grids of the output, each undilated (odd sizes per sub-grid)
    ['dilation 2, 32->36 p2 bias, 2 images of 27x38', [2, 32, 27, 38], [36, 32, 3, 3], { padding: 2, dilation: 2, bias: randomData(36, 75) }],
    ['dilation [2, 3], 34->32 padding [[1, 3], [4, 2]] constant -0.25, 31x40', [1, 34, 31, 40], [32, 34, 3, 3],
      { dilation: [2, 3], padding: [[1, 3], [4, 2]], paddingMode: 'constant', paddingValue: -0.25 }],
  ];
  it.each(cases)('%s', (name, xShape, wShape, opts) => checkConvForms(name, xShape, wShape, opts, [73, 74], true));
});

// F(4x4, 3x3), which the same convolutions take where two threads' buffers fit beside its
// transformed weights (larger outputs): output sizes of each remainder mod 4 (a last row and
// column of partial tiles), rows of 9-25 tiles (whole vectors of 8 and a partial one), an odd
// input channel count, per-side padding, a constant fill, several images, dilations of 2 and
// (2, 3), passes of 3 blocks of output channels (32->64 48x48). Same checks as above.
describe('3x3 unit-stride convolutions with larger outputs (Winograd F(4x4, 3x3) on AVX2), against the reference', () => {
  const cases: [string, number[], number[], ck.ConvOptions][] = [
    ['32->32 p1, 2 images of 45x33', [2, 32, 45, 33], [32, 32, 3, 3], { padding: 1 }],
    // (an odd channel count and items of 48 or 16 tiles: no padding after a position's rows but
    // the slack the last vector writes)
    ['57->32 p1, 3 images of 45x45', [3, 57, 45, 45], [32, 57, 3, 3], { padding: 1 }],
    ['32->40 p1 bias, 2 images of 38x42', [2, 32, 38, 42], [40, 32, 3, 3], { padding: 1, bias: randomData(40, 91) }],
    ['36->32 valid, 3 images of 40x37', [3, 36, 40, 37], [32, 36, 3, 3], { padding: 0 }],
    ['32->34 padding [[2, 0], [0, 3]] constant 0.5, 3 images of 36x30', [3, 32, 36, 30], [34, 32, 3, 3],
      { padding: [[2, 0], [0, 3]], paddingMode: 'constant', paddingValue: 0.5 }],
    ['32->64 p1, 48x48', [1, 32, 48, 48], [64, 32, 3, 3], { padding: 1 }],
    ['32->32 p1, 96x100', [1, 32, 96, 100], [32, 32, 3, 3], { padding: 1 }],
    ['dilation 2, 32->32 p2 bias, 2 images of 66x70', [2, 32, 66, 70], [32, 32, 3, 3], { padding: 2, dilation: 2, bias: randomData(32, 92) }],
    ['dilation [2, 3], 34->32 padding [[1, 3], [4, 2]] constant -0.25, 70x75', [1, 34, 70, 75], [32, 34, 3, 3],
      { dilation: [2, 3], padding: [[1, 3], [4, 2]], paddingMode: 'constant', paddingValue: -0.25 }],
  ];
  it.each(cases)('%s', (name, xShape, wShape, opts) => checkConvForms(name, xShape, wShape, opts, [93, 94], true));
});

// The 1-D forms (AVX2; elsewhere the direct sums, under the same checks): F(4, 3), with lengths
// whose last tile holds 1, 2 or 3 outputs, per-side padding, a constant fill, dilation 2 and 3
// (the output transform's scattered stores), several images, a result streamed to memory;
// and F(2, 3), which takes the lengths too short for F(4, 3)'s scratch (the last two: a half
// tile, a dilation of 2).
// Against the float64 reference, 1 / 2 threads bit for bit, the prepared Conv1d and NWC in and
// out (in only, out only) bit for bit with conv1d in NCW.
describe('k3 unit-stride 1-D convolutions (Winograd F(4, 3) and F(2, 3) on AVX2), against the reference', () => {
  const cases: [string, number[], number[], ck.ConvOptions][] = [
    ['32->40 p1 bias, 3 x 201', [3, 32, 201], [40, 32, 3], { padding: 1, bias: randomData(40, 81) }],
    ['36->32 valid, 3 x 300', [3, 36, 300], [32, 36, 3], { padding: 0 }],
    ['32->32 p1, 3 x 203', [3, 32, 203], [32, 32, 3], { padding: 1 }],
    ['40->34 padding [[2, 3]] constant 0.5, dilation 2, 2 x 515', [2, 40, 515], [34, 40, 3], { padding: [[2, 3]], paddingMode: 'constant', paddingValue: 0.5, dilation: 2 }],
    ['64->64 p3 dilation 3, bias, 1000', [1, 64, 1000], [64, 64, 3], { padding: 3, dilation: 3, bias: randomData(64, 82) }],
    // (a result of 256 KiB or more: non-temporal stores where the vectors are aligned)
    ['32->40 p1 bias, 2 x 1703', [2, 32, 1703], [40, 32, 3], { padding: 1, bias: randomData(40, 86) }],
    ['F(2, 3): 64->64 p1 bias, 401', [1, 64, 401], [64, 64, 3], { padding: 1, bias: randomData(64, 85) }],
    ['F(2, 3): 48->48 p2 dilation 2, 300', [1, 48, 300], [48, 48, 3], { padding: 2, dilation: 2 }],
  ];
  it.each(cases)('%s', (name, xShape, wShape, opts) => checkConvForms(name, xShape, wShape, opts, [83, 84], true));
});

// Depthwise results of 256 KiB or more: whole-line rows written by non-temporal stores where
// the rows are 64-byte aligned (widths a multiple of 16), plain and masked stores elsewhere.
// Against the float64 reference, and 1 / 2 threads bit for bit.
describe('depthwise conv with large results (streamed rows), against the reference', () => {
  const cases: [string, number[], number[], ck.ConvOptions][] = [
    ['3x3 pad 1, 3 x 200 x 224', [1, 3, 200, 224], [3, 1, 3, 3], { padding: 1, groups: 3 }],
    ['5x5 reflect 2, 4 x 170 x 180, bias', [1, 4, 170, 180], [4, 1, 5, 5], { padding: 2, groups: 4, paddingMode: 'reflect', bias: randomData(4, 41) }],
    ['7x7 replicate 3, 2 x 2 x 100 x 336, multiplier 2', [2, 2, 100, 336], [4, 1, 7, 7], { padding: 3, groups: 2, paddingMode: 'replicate' }],
  ];
  it.each(cases)('%s', (name, xShape, wShape, opts) => {
    const xd = randomData(prod(xShape), 42), wd = randomData(prod(wShape), 43);
    const ref = refConv({ data: xd, shape: xShape }, { data: wd, shape: wShape }, opts as Record<string, unknown>);
    expect(prod(ref.shape) * 4).toBeGreaterThanOrEqual(256 << 10);
    checkOneAndTwoThreads(name, () => ck.conv2d(ck.tensor(xd, xShape), ck.tensor(wd, wShape), opts), ref);
  });
});

// The fields the channels-last GEMM tests' cases share: rank, images, groups, thread count, seed.
const gemmCaseFields = {
  rank: fc.constantFrom(1, 2, 2, 3),
  N: fc.integer({ min: 1, max: 2 }),
  G: fc.constantFrom(1, 1, 2),
  threads: fc.constantFrom(1, 2),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
};

// AVX2's igemm runs over weights packed k-major per block of 6 output channels: packed once
// per call where the scratch allows, else by each work item, a chunk of 256 reduction indices
// at a time, else not at all (the unpacked kernel). The first 1-D conv (900 reduction indices:
// three chunks, the last partial) takes the item-by-item packing at 1 thread and the unpacked
// kernel at 2 (their scratch against the output's size), so besides the reference, the two
// threads' bits check the two forms against each other; the second (300 reduction indices, a
// last block of 4 channels) packs once per call at 1 thread. The reference: a float64 sum at
// every output channel of 40 positions (the ends included). On other ISAs: the same checks of
// their paths.
describe('packed-weight igemm, against the reference and across thread counts', () => {
  it.each([
    ['300->64 k3 p1, 3500 long', [1, 300, 3500], [64, 300, 3]],
    ['100->40 k3 p1 bias, 3000 long', [1, 100, 3000], [40, 100, 3]],
  ] as [string, number[], number[]][])('%s', (_n, xShape, wShape) => {
    const [, C, L] = xShape, [Cout, , k] = wShape;
    const xd = randomData(prod(xShape), 21), wd = randomData(prod(wShape), 22);
    const bias = Cout === 40 ? randomData(Cout, 23) : undefined;
    const saved = ck.getNumThreads();
    try {
      const ys = [1, 2].map((t) => {
        ck.setNumThreads(t);
        return ck.conv1d(ck.tensor(xd, xShape), ck.tensor(wd, wShape), { padding: 1, bias });
      });
      for (const p of [0, 1, L - 2, L - 1, ...Array.from({ length: 36 }, (_, i) => 2 + Math.floor(((L - 4) * (i * 7919 % 36)) / 36))])
        for (let oc = 0; oc < Cout; ++oc) {
          let want = bias ? bias[oc] : 0;
          for (let ic = 0; ic < C; ++ic)
            for (let t = 0; t < k; ++t) {
              const q = p + t - 1;
              if (q >= 0 && q < L) want += wd[(oc * C + ic) * k + t] * xd[ic * L + q];
            }
          const got = ys[0].data[oc * L + p];
          expect(Math.abs(got - want), `output channel ${oc} at ${p}: got ${got}, want ${want}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want)));
        }
      const [a, b] = ys.map((y) => new Uint32Array(y.data.buffer, y.data.byteOffset, y.data.length));
      expect(a.findIndex((v, i) => v !== b[i]), '1 and 2 threads, bit for bit: first differing output').toBe(-1);
    } finally {
      ck.setNumThreads(saved);
    }
  });
});

// f at 1 and 2 threads: the 1-thread result against the reference, and the two bit for bit.
function checkOneAndTwoThreads(label: string, f: () => ck.Tensor, ref: RefResult): void {
  const saved = ck.getNumThreads();
  try {
    const ys = [1, 2].map((t) => {
      ck.setNumThreads(t);
      return f();
    });
    expectClose(ys[0], ref, () => `${label} at 1 thread`);
    const [a, b] = ys.map((y) => new Uint32Array(y.data.buffer, y.data.byteOffset, y.data.length));
    expect(a.findIndex((v, i) => v !== b[i]), '1 and 2 threads, bit for bit: first differing output').toBe(-1);
  } finally {
    ck.setNumThreads(saved);
  }
}

// Input planes a multiple of 1 KiB (256 floats) and no padding: gathered rather than read in
// place (their rows would share a few L1 sets), into a buffer whose channels are an odd number
// of cache lines apart where their extent is a multiple of 64 floats. Against the float64
// reference, and 1 / 2 threads bit for bit: unpadded convolutions on 16x16, 32x32 and 64x16
// planes, and transposed ones whose kernel equals the stride (merged phases, read like them).
describe('convolutions over planes a multiple of 1 KiB, against the reference', () => {
  const cases: [string, 'conv' | 'convT', number[], number[], Record<string, unknown>][] = [
    ['conv 1x1 24->20 32x32', 'conv', [1, 24, 32, 32], [20, 24, 1, 1], {}],
    ['conv 3x3 16->14 16x16 valid', 'conv', [2, 16, 16, 16], [14, 16, 3, 3], {}],
    ['conv 3x3 dilation 2 12->7 64x16 valid', 'conv', [1, 12, 64, 16], [7, 12, 3, 3], { dilation: 2 }],
    ['convTranspose k2 s2 32->20 32x32', 'convT', [1, 32, 32, 32], [32, 20, 2, 2], { stride: 2 }],
    ['convTranspose k2 s2 16->8 16x16', 'convT', [2, 16, 16, 16], [16, 8, 2, 2], { stride: 2 }],
  ];
  it.each(cases)('%s', (_n, kind, xShape, wShape, opts) => {
    const xd = randomData(prod(xShape), 31), wd = randomData(prod(wShape), 32);
    const x = ck.tensor(xd, xShape), w = ck.tensor(wd, wShape);
    const ref = kind === 'conv' ? refConv({ data: xd, shape: xShape }, { data: wd, shape: wShape }, opts)
      : refConvTranspose({ data: xd, shape: xShape }, { data: wd, shape: wShape }, opts);
    checkOneAndTwoThreads(_n, () => (kind === 'conv' ? ck.conv2d(x, w, opts) : ck.convTranspose2d(x, w, opts)), ref);
  });
});

// Pointwise convs (1x1, unit stride, no padding) with channels-last input and result run as
// one GEMM over the pixels, read and written in place (output channels in the lanes, where
// each group has a panel of them or more, 32 on AVX-512, 24 on AVX2, and 64 input channels or
// more; fewer take the band path): the bits of channels-first, over one and two chunks of 256
// input channels.
describe('pointwise conv, channels-last in and out, against the reference', () => {
  it('12-70 output channels per group, 1-300 input channels, groups, bias, 1 and 2 threads', () => {
    assertRestoringThreads(
      fc.record({
        ...gemmCaseFields,
        cig: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 64, max: 100 }), fc.integer({ min: 250, max: 300 })),
        cog: fc.integer({ min: 12, max: 70 }),
        sp: fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 3, maxLength: 3 }),
        bias: fc.constantFrom('none', 'random', 'zeros'),
      }),
      (r) => {
        const rank = r.rank as Rank;
        const sp = r.sp.slice(0, rank).map((n) => (rank === 3 ? Math.min(n, 6) : n));
        const xShape = [r.N, r.G * r.cig, ...sp], wShape = [r.G * r.cog, r.cig, ...sp.map(() => 1)];
        const Cout = r.G * r.cog;
        const bias = r.bias === 'none' ? undefined : r.bias === 'zeros' ? new Float32Array(Cout) : randomData(Cout, r.seed + 2);
        checkLayoutBits(rank, xShape, wShape, { groups: r.G, bias }, r.seed, true, true, r.threads);
      },
      40,
    );
  });
});

// A transposed conv whose kernel equals its stride (k2 s2 ...), channels-last in and out, runs
// as one GEMM over the input's pixels, each phase's sums written straight to their output
// pixels (64+ input channels and a panel of output channels per group): the bits of
// channels-first, whose path (and reduction chunks) depends on the map's size.
describe('transposed conv with kernel = stride, channels-last in and out, against the reference', () => {
  it('strides 1-3 per dim, 64-300 input channels, 24-70 output channels per group, groups, 1 and 2 threads', () => {
    assertRestoringThreads(
      fc.record({
        ...gemmCaseFields,
        cig: fc.oneof(fc.integer({ min: 64, max: 100 }), fc.integer({ min: 250, max: 300 })),
        cog: fc.integer({ min: 24, max: 70 }),
        sp: fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 3, maxLength: 3 }),
        s: dims3(1, 3),
        bias: fc.boolean(),
      }),
      (r) => {
        const rank = r.rank as Rank;
        const sp = r.sp.slice(0, rank).map((n) => (rank === 3 ? Math.min(n, 5) : n)), s = r.s.slice(0, rank);
        const xShape = [r.N, r.G * r.cig, ...sp], wShape = [r.G * r.cig, r.cog, ...s];
        const opts = { stride: s, groups: r.G, bias: r.bias ? randomData(r.G * r.cog, r.seed + 2) : undefined };
        checkLayoutBits(rank, xShape, wShape, opts as ck.ConvOptions, r.seed, true, true, r.threads, true);
      },
      30,
    );
  });
});

describe('invalid arguments throw the SPEC §4 class (sync) and reject with it (async)', () => {
  it('conv2d / conv2dAsync', async () => {
    await fc.assert(
      fc.asyncProperty(convBadArb, async (bad) => {
        const { input, weight, options } = applyBad(bad);
        const label = `conv2d ${bad.arg} = ${describeValue(bad.value)}`;
        expect(errorClassOf(() => ck.conv2d(input as ck.Tensor, weight as ck.Tensor, options as ck.ConvOptions)), label).toBe(cls(bad.kind));
        expect(await rejectionClassOf(() => ck.conv2dAsync(input as ck.Tensor, weight as ck.Tensor, options as ck.ConvOptions)), label).toBe(cls(bad.kind));
      }),
      { numRuns: 200 },
    );
  });

  const tBadArb: fc.Arbitrary<Bad> = fc.oneof(
    spatialBad('stride', notPositiveInt),
    spatialBad('outputPadding', notNonNegInt),
    spatialBad('outputSize', notPositiveInt),
    fc.constantFrom([4, 4], [5, 7], [13, 13], 4).map((value) => ({ arg: 'outputSize', value, kind: 'range' as Kind })),
    fc.constantFrom(2, [0, 2], 3).map((value) => ({ arg: 'outputPadding', value, kind: 'range' as Kind })),
    fc.constantFrom('constant', 'partial', 'wrap', 'Zeros').map((value) => ({ arg: 'paddingMode', value, kind: 'range' as Kind })),
    fc.constantFrom('full', 'SAME').map((value) => ({ arg: 'padding', value, kind: 'range' as Kind })),
    fc.constantFrom('paddingValue', 'output_padding').map((key) => ({ arg: `unknown:${key}`, value: 0, kind: 'range' as Kind })),
  );
  it('convTranspose2d / convTranspose2dAsync', async () => {
    await fc.assert(
      fc.asyncProperty(tBadArb, async (bad) => {
        // input [1, 2, 5, 5], weight [2, 3, 3, 3], stride 2: output 11 (12 with outputPadding 1)
        const input = ck.tensor(randomData(50, 1), [1, 2, 5, 5]);
        const weight = ck.tensor(randomData(54, 2), [2, 3, 3, 3]);
        const options = bad.arg.startsWith('unknown:') ? { [bad.arg.slice(8)]: bad.value }
          : bad.arg === 'stride' ? { stride: bad.value } : { stride: 2, [bad.arg]: bad.value };
        const label = `convTranspose2d ${bad.arg} = ${describeValue(bad.value)}`;
        expect(errorClassOf(() => ck.convTranspose2d(input, weight, options as ck.ConvTransposeOptions)), label).toBe(cls(bad.kind));
        expect(await rejectionClassOf(() => ck.convTranspose2dAsync(input, weight, options as ck.ConvTransposeOptions)), label).toBe(cls(bad.kind));
      }),
      { numRuns: 100 },
    );
  });

  const padBadArb: fc.Arbitrary<Bad> = fc.oneof(
    wrongTypeScalar.filter((v) => typeof v !== 'string').map((value) => ({ arg: 'padding', value, kind: 'type' as Kind })),
    fc.constantFrom(NaN, Infinity, 1.5, [1, 0.5], [[1, NaN], 0], [1, 2, 3], [[1, 2, 3], 1], -5, [-3, 0], [[-2, -3], 0])
      .map((value) => ({ arg: 'padding', value, kind: 'range' as Kind })),
    wrongTypeScalar.filter((v) => typeof v !== 'string').map((value) => ({ arg: 'mode', value, kind: 'type' as Kind })),
    fc.constantFrom('zeros', 'partial', 'wrap', 'edge', 'Reflect').map((value) => ({ arg: 'mode', value, kind: 'range' as Kind })),
    wrongTypeScalar.map((value) => ({ arg: 'value', value, kind: 'type' as Kind })),
    notFinite.map((value) => ({ arg: 'value', value, kind: 'range' as Kind })),
  );
  it('pad / padAsync', async () => {
    await fc.assert(
      fc.asyncProperty(padBadArb, async (bad) => {
        const input = ck.tensor(randomData(2 * 5 * 3, 1), [1, 2, 5, 3]);
        const padding = bad.arg === 'padding' ? bad.value : 1;
        const options = bad.arg === 'padding' ? undefined : { [bad.arg]: bad.value };
        const label = `pad ${bad.arg} = ${describeValue(bad.value)}`;
        expect(errorClassOf(() => ck.pad(input, padding as number, options as ck.PadOptions)), label).toBe(cls(bad.kind));
        expect(await rejectionClassOf(() => ck.padAsync(input, padding as number, options as ck.PadOptions)), label).toBe(cls(bad.kind));
      }),
      { numRuns: 100 },
    );
  });

  const interpBadArb: fc.Arbitrary<Bad> = fc.oneof(
    spatialBad('size', notPositiveInt),
    wrongTypeScalar.map((value) => ({ arg: 'scaleFactor', value, kind: 'type' as Kind })),
    fc.constantFrom(0, -1, NaN, Infinity, [2], [2, 0], 0.1).map((value) => ({ arg: 'scaleFactor', value, kind: 'range' as Kind })),
    wrongTypeScalar.filter((v) => typeof v !== 'string').map((value) => ({ arg: 'mode', value, kind: 'type' as Kind })),
    fc.constantFrom('cubic', 'linear', 'trilinear', 'Nearest').map((value) => ({ arg: 'mode', value, kind: 'range' as Kind })),
    fc.constantFrom(1, 'true', null).map((value) => ({ arg: 'alignCorners', value, kind: 'type' as Kind })),
  );
  it('interpolate / interpolateAsync', async () => {
    await fc.assert(
      fc.asyncProperty(interpBadArb, async (bad) => {
        const input = ck.tensor(randomData(2 * 5 * 3, 1), [1, 2, 5, 3]);
        const options: Record<string, unknown> =
          bad.arg === 'size' ? { size: bad.value } : bad.arg === 'scaleFactor' ? { scaleFactor: bad.value } : { size: [4, 4], [bad.arg]: bad.value };
        if (bad.arg === 'alignCorners') options.mode = 'bilinear';
        const label = `interpolate ${bad.arg} = ${describeValue(bad.value)}`;
        expect(errorClassOf(() => ck.interpolate(input, options as ck.InterpolateOptions)), label).toBe(cls(bad.kind));
        expect(await rejectionClassOf(() => ck.interpolateAsync(input, options as ck.InterpolateOptions)), label).toBe(cls(bad.kind));
      }),
      { numRuns: 80 },
    );
  });

  it('the process survives all of the above and still computes correctly', () => {
    const x = ck.tensor(new Float32Array([1, 2, 3, 4]), [1, 1, 2, 2]);
    const w = ck.tensor(new Float32Array([1]), [1, 1, 1, 1]);
    expect(Array.from(ck.conv2d(x, w).data)).toEqual([1, 2, 3, 4]);
  });
});

function describeValue(v: unknown): string {
  if (typeof v === 'symbol') return v.toString();
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'number') return String(v);
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Float32Array).length})`;
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : ArrayBuffer.isView(x) ? `${x.constructor.name}(${(x as Float32Array).length})` : x));
  } catch {
    return String(v);
  }
}
