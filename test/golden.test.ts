// Golden tests: convkit against fixtures generated from PyTorch 1.13 / numpy
// (test/golden/generate.py, see test/golden/README.md).
//
// Every case runs twice: channels-first exactly as stored, and channels-last (input and
// mask converted with t.to('NWC' | 'NHWC' | 'NDHWC'), the result converted back with
// .to(channels-first) before comparing; weights stay as they are).
//
// Tolerance
// ---------
// Let u = 2^-24 (float32 unit roundoff), n = `reduction` (number of terms summed per
// output element) and S = `scale` (a bound, computed by the generator, on |term| of that
// sum after any rescaling: max|x|·max|w| for convolution, times the largest
// window/count ratio for partial convolution and 'partial' padding, max|bias| if larger;
// max|x| times the sum of |weights| for interpolation).
//
//   * The conv-like references are evaluated in float64 and rounded once, so all the
//     error is convkit's float32 accumulation. A float32 sum of n terms of size <= S
//     whose signs are random accumulates a rounding error of about u·|partial sum| per
//     addition; the partial sums grow like √n·S, so the error is a random walk of n steps
//     of size u·√n·S, i.e. ~ n·u·S — and no more than that for blocked / SIMD-lane /
//     pairwise orders, which only shorten the chains. We allow 16x that plus a floor:
//         atol = 16·u·(n + 4)·S
//         rtol = 64·u   (≈ 3.8e-6: the final rescaling by the partial ratio, bias add)
//     |got - exp| <= atol + rtol·|exp| per element.
//   * Interpolation references are torch's own float32 results. Both sides compute the
//     source coordinate and the weights in float32, whose rounding (~u·coordinate) moves
//     each weight by up to u·L (L = largest spatial extent) and bicubic's derivative is
//     <= 1.5; so we add 64·u·rank·L·S to atol.
//   * pad, nearest and nearest-exact interpolation copy values: exact equality (atol 0).
//   * The partial-convolution mask: masks hold multiples of 1/64, their window sums are
//     exact in float32 and so is clamp(count, 0, 1): exact equality.
// Failures report the case name, layout, max abs error, the worst element and the
// tolerance there.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as convkit from '../lib/index';

type Api = Record<string, any>;
const api = convkit as unknown as Api;

interface Arr { shape: number[]; data: string }
interface GoldenCase {
  name: string;
  op: string;
  input: Arr;
  weight: Arr | null;
  mask: Arr | null;
  bias: string | null;
  args: Record<string, any>;
  expected: Arr;
  expectedMask: Arr | null;
  reduction: number;
  scale?: number;
  reference: 'torch' | 'independent';
}

const FAMILIES = ['conv', 'conv_transpose', 'partial_conv', 'pad', 'interpolate', 'examples'] as const;
const CF: Record<number, string> = { 3: 'NCW', 4: 'NCHW', 5: 'NCDHW' };
const CL: Record<number, string> = { 3: 'NWC', 4: 'NHWC', 5: 'NDHWC' };
const U = 2 ** -24;

function loadFamily(family: string): GoldenCase[] {
  const path = fileURLToPath(new URL(`./golden/${family}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')).cases as GoldenCase[];
}

/** base64 of little-endian float32 -> Float32Array (endianness-independent decode). */
function f32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Float32Array(buf.length / 4);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(4 * i, true);
  return out;
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function fn(name: string): (...a: any[]) => any {
  const f = api[name];
  if (typeof f !== 'function') throw new Error(`convkit does not export a function '${name}'`);
  return f;
}

/** Drop keys whose value is undefined (so that option defaults apply). */
function defined(o: Record<string, any>): Record<string, any> {
  const r: Record<string, any> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) r[k] = v;
  return r;
}

interface RunResult { output: any; mask?: any }

function run(c: GoldenCase, channelsLast: boolean): RunResult {
  const rank = c.input.shape.length;
  let x = api.tensor(f32(c.input.data), c.input.shape, CF[rank]);
  let mask = c.mask ? api.tensor(f32(c.mask.data), c.mask.shape, CF[rank]) : undefined;
  if (channelsLast) {
    x = x.to(CL[rank]);
    if (mask) mask = mask.to(CL[rank]);
  }
  const weight = c.weight ? api.tensor(f32(c.weight.data), c.weight.shape) : undefined;
  const bias = c.bias ? f32(c.bias) : undefined;
  const back = (t: any) => (channelsLast ? t.to(CF[rank]) : t);
  const op = c.op;
  if (/^conv[123]d$/.test(op) || /^convTranspose[123]d$/.test(op)) {
    return { output: back(fn(op)(x, weight, defined({ ...c.args, bias }))) };
  }
  if (/^partialConv[23]d$/.test(op)) {
    const r = fn(op)(x, weight, defined({ ...c.args, mask, bias }));
    return { output: back(r.output), mask: back(r.mask) };
  }
  if (op === 'pad') {
    const { padding, mode, value } = c.args;
    return { output: back(fn('pad')(x, padding, defined({ mode, value }))) };
  }
  if (op === 'interpolate') {
    return { output: back(fn('interpolate')(x, { ...c.args })) };
  }
  throw new Error(`unknown op ${op}`);
}

interface Tol { atol: number; rtol: number }

function tolerance(c: GoldenCase): Tol {
  const exact = c.op === 'pad' || (c.op === 'interpolate' && (c.args.mode === 'nearest' || c.args.mode === 'nearest-exact'));
  if (exact) return { atol: 0, rtol: 0 };
  let S = c.scale;
  if (S === undefined) {
    S = maxAbs(f32(c.input.data)) * (c.weight ? maxAbs(f32(c.weight.data)) : 1);
    if (c.bias) S = Math.max(S, maxAbs(f32(c.bias)));
  }
  const n = Math.max(1, c.reduction);
  let atol = 16 * U * (n + 4) * S;
  if (c.op === 'interpolate') {
    const sp = c.input.shape.slice(2);
    atol += 64 * U * sp.length * Math.max(...sp, ...c.expected.shape.slice(2)) * S;
  }
  return { atol, rtol: 64 * U };
}

function compare(what: string, got: any, exp: Arr, tol: Tol): string | null {
  if (!got || !(got.data instanceof Float32Array)) return `${what}: result is not a tensor (${typeof got})`;
  const gotShape = Array.from(got.shape as number[]);
  if (JSON.stringify(gotShape) !== JSON.stringify(exp.shape)) {
    return `${what}: shape ${JSON.stringify(gotShape)}, expected ${JSON.stringify(exp.shape)}`;
  }
  const e = f32(exp.data);
  const g = got.data as Float32Array;
  if (g.length !== e.length) return `${what}: ${g.length} elements, expected ${e.length}`;
  let maxErr = 0;
  let worst = -1;
  let worstRatio = 0;
  let bad = 0;
  let nan = 0;
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(g[i] - e[i]);
    const lim = tol.atol + tol.rtol * Math.abs(e[i]);
    if (!(err <= lim)) {
      bad++;
      const ratio = Number.isNaN(err) ? Infinity : err / (lim || Number.MIN_VALUE);
      if (worst < 0 || ratio > worstRatio) { worst = i; worstRatio = ratio; }
    }
    if (Number.isNaN(err)) nan++;
    else if (err > maxErr) maxErr = err;
  }
  if (bad === 0) return null;
  const idx = unravel(worst, exp.shape);
  return `${what}: ${bad}/${e.length} elements out of tolerance, max abs err ${maxErr.toExponential(3)}` +
    (nan ? ` (+${nan} NaN)` : '') + `; ` +
    `worst at ${JSON.stringify(idx)}: got ${g[worst]}, expected ${e[worst]}, ` +
    `tolerance ${(tol.atol + tol.rtol * Math.abs(e[worst])).toExponential(3)} (atol ${tol.atol.toExponential(3)}, rtol ${tol.rtol.toExponential(3)})`;
}

function unravel(i: number, shape: number[]): number[] {
  const idx: number[] = new Array(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

for (const family of FAMILIES) {
  const cases = loadFamily(family);
  describe(`golden ${family} (${cases.length} cases)`, () => {
    for (const c of cases) {
      for (const channelsLast of [false, true]) {
        const rank = c.input.shape.length;
        const layout = channelsLast ? CL[rank] : CF[rank];
        it(`${c.name} [${layout}] (${c.reference})`, () => {
          const r = run(c, channelsLast);
          const label = `[${family}] ${c.name} [${layout}] ${c.op} ${JSON.stringify(c.args)}`;
          const problems: string[] = [];
          const p = compare(`${label} output`, r.output, c.expected, tolerance(c));
          if (p) problems.push(p);
          if (c.expectedMask) {
            const pm = compare(`${label} mask`, r.mask, c.expectedMask, { atol: 0, rtol: 0 });
            if (pm) problems.push(pm);
          }
          expect(problems, problems.join('\n')).toEqual([]);
        });
      }
    }
  });
}

// ---------------------------------------------------------------------------------------
// Worked examples: numbers written by hand (not read from the fixtures), exact equality.

function t(data: number[], shape: number[]) {
  return api.tensor(Float32Array.from(data), shape);
}

function flat(v: any): number[] {
  return Array.from(v.data as Float32Array);
}

describe('worked examples (hand-known numbers)', () => {
  const R = [8, 7, 6, 7, 8, 7, 6];
  const M = [5, 4, 3, 4, 5, 4, 3];
  const L = [2, 1, 0, 1, 2, 1, 0];
  const reflect7x7 = [R, M, L, M, R, M, L];
  const nearest4x4 = [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]];

  it('ReflectionPad2d(2) of arange(9) as 3x3', () => {
    for (const layout of ['NCHW', 'NHWC']) {
      const x = t([0, 1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 3, 3]).to(layout);
      const y = fn('pad')(x, 2, { mode: 'reflect' }).to('NCHW');
      expect(Array.from(y.shape)).toEqual([1, 1, 7, 7]);
      expect(flat(y).slice(0, 7)).toEqual([8, 7, 6, 7, 8, 7, 6]);
      expect(flat(y)).toEqual(reflect7x7.flat());
    }
  });

  it('nearest Upsample(scale_factor=2) of [[1,2],[3,4]]', () => {
    for (const layout of ['NCHW', 'NHWC']) {
      const x = t([1, 2, 3, 4], [1, 1, 2, 2]).to(layout);
      const y = fn('interpolate')(x, { scaleFactor: 2, mode: 'nearest' }).to('NCHW');
      expect(Array.from(y.shape)).toEqual([1, 1, 4, 4]);
      expect(flat(y)).toEqual(nearest4x4.flat());
    }
  });

  it('conv2d of arange(16) 4x4 with a 3x3 box of ones', () => {
    const y = fn('conv2d')(t([...Array(16).keys()], [1, 1, 4, 4]), t(Array(9).fill(1), [1, 1, 3, 3]));
    expect(Array.from(y.shape)).toEqual([1, 1, 2, 2]);
    expect(flat(y)).toEqual([45, 54, 81, 90]);
  });

  it('conv1d [1..5] with [1,0,-1], padding 1', () => {
    const y = fn('conv1d')(t([1, 2, 3, 4, 5], [1, 1, 5]), t([1, 0, -1], [1, 1, 3]), { padding: 1 });
    expect(flat(y)).toEqual([-2, -2, -2, -2, 4]);
  });

  it('convTranspose1d [1,2,3] with [1,1], stride 2', () => {
    const y = fn('convTranspose1d')(t([1, 2, 3], [1, 1, 3]), t([1, 1], [1, 1, 2]), { stride: 2 });
    expect(flat(y)).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it("conv1d padding 'same' stride 2 (TF SAME_UPPER) of ones(5) with ones(3)", () => {
    const y = fn('conv1d')(t([1, 1, 1, 1, 1], [1, 1, 5]), t([1, 1, 1], [1, 1, 3]), { padding: 'same', stride: 2 });
    expect(flat(y)).toEqual([2, 3, 2]);
  });

  it("conv1d paddingMode 'partial' of ones(5) with ones(3), padding 1", () => {
    const y = fn('conv1d')(t([1, 1, 1, 1, 1], [1, 1, 5]), t([1, 1, 1], [1, 1, 3]), { padding: 1, paddingMode: 'partial' });
    expect(flat(y)).toEqual([3, 3, 3, 3, 3]);
  });

  it('pad modes of [1,2,3]', () => {
    const x = t([1, 2, 3], [1, 1, 3]);
    expect(flat(fn('pad')(x, 2, { mode: 'circular' }))).toEqual([2, 3, 1, 2, 3, 1, 2]);
    expect(flat(fn('pad')(x, 2, { mode: 'symmetric' }))).toEqual([2, 1, 1, 2, 3, 3, 2]);
    expect(flat(fn('pad')(x, 2, { mode: 'replicate' }))).toEqual([1, 1, 1, 2, 3, 3, 3]);
    expect(flat(fn('pad')(x, 2, { mode: 'constant', value: 9 }))).toEqual([9, 9, 1, 2, 3, 9, 9]);
    // wider than the input: the reflection repeats (numpy.pad), period 2(n-1) = 4
    expect(flat(fn('pad')(x, 5, { mode: 'reflect' }))).toEqual([2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2]);
    // negative padding crops; circular crops first, then wraps what is left ([2,3])
    expect(flat(fn('pad')(x, [[-1, 2]], { mode: 'circular' }))).toEqual([2, 3, 2, 3]);
  });

  it('bilinear alignCorners of [[0,1],[2,3]] to 3x3', () => {
    const y = fn('interpolate')(t([0, 1, 2, 3], [1, 1, 2, 2]), { size: [3, 3], mode: 'bilinear', alignCorners: true });
    expect(flat(y)).toEqual([0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3]);
  });

  it('partialConv2d of ones 3x3 with a hole in the centre, 3x3 ones kernel, padding 1', () => {
    const mask = t([1, 1, 1, 1, 0, 1, 1, 1, 1], [1, 1, 3, 3]);
    const r = fn('partialConv2d')(t(Array(9).fill(1), [1, 1, 3, 3]), t(Array(9).fill(1), [1, 1, 3, 3]), { padding: 1, mask });
    // every window sees 3, 5 or 8 valid pixels of value 1: sum·9/count = 9
    for (const v of flat(r.output)) expect(v).toBeCloseTo(9, 5);
    expect(flat(r.mask)).toEqual(Array(9).fill(1));
  });
});
