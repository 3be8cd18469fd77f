// A naive, independent float64 reference for convkit's convolution, transposed
// convolution and padding, written from the math (SPEC §3.1, §3.2, §3.4; PyTorch and
// numpy.pad semantics), not from lib/ or native/.
//
// Everything here is channels-first ([N, C, ...spatial], 1 to 3 spatial dims). Internally
// every tensor is lifted to 3 spatial dims by prepending extents of 1 (kernel 1, stride 1,
// dilation 1, no padding on the added dims), which changes nothing mathematically.
//
// Each op returns the exact-as-float64 result `data` and, per output element, `mag`: the
// sum of |terms| that went into it (times the partial-padding rescale, plus |bias|), from
// which the float32 rounding tolerance is derived.

export type RefMode = 'zeros' | 'constant' | 'reflect' | 'replicate' | 'circular' | 'symmetric' | 'partial';
export type RefPadMode = 'constant' | 'reflect' | 'replicate' | 'circular' | 'symmetric';
export type RefPadding = number | readonly (number | readonly [number, number])[] | 'valid' | 'same' | 'full';

export interface RefTensor {
  data: ArrayLike<number>;
  shape: readonly number[];
}

export interface RefResult {
  data: Float64Array;
  mag: Float64Array;
  shape: number[];
}

export interface RefConvOptions {
  bias?: ArrayLike<number>;
  stride?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
  padding?: RefPadding;
  paddingMode?: RefMode;
  paddingValue?: number;
}

export interface RefConvTransposeOptions {
  bias?: ArrayLike<number>;
  stride?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
  padding?: number | readonly (number | readonly [number, number])[] | 'valid';
  outputPadding?: number | readonly number[];
  outputSize?: readonly number[];
  paddingMode?: 'zeros' | 'reflect' | 'replicate' | 'circular' | 'symmetric';
}

export function prod(a: readonly number[]): number {
  let p = 1;
  for (const v of a) p *= v;
  return p;
}

function perDim(v: number | readonly number[] | undefined, rank: number, dflt: number): number[] {
  if (v === undefined) return new Array(rank).fill(dflt);
  if (typeof v === 'number') return new Array(rank).fill(v);
  if (v.length !== rank) throw new Error(`reference: expected ${rank} values, got ${v.length}`);
  return [...v];
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

// Where coordinate p (relative to an extent-n axis, any integer) reads from, for a padding
// mode; -1 means "outside" (zeros / constant / partial). Wide pads repeat like numpy.pad:
// reflect has period 2(n-1) without repeating the edge, symmetric period 2n with the edge
// repeated, circular period n, replicate clamps.
export function sourceIndex(p: number, n: number, mode: RefMode): number {
  if (p >= 0 && p < n) return p;
  switch (mode) {
    case 'zeros':
    case 'constant':
    case 'partial':
      return -1;
    case 'replicate':
      return p < 0 ? 0 : n - 1;
    case 'circular':
      return mod(p, n);
    case 'reflect': {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      const m = mod(p, period);
      return m < n ? m : period - m;
    }
    case 'symmetric': {
      const period = 2 * n;
      const m = mod(p, period);
      return m < n ? m : period - 1 - m;
    }
  }
  throw new Error(`reference: unknown mode ${mode as string}`);
}

export interface Pads {
  before: number[];
  after: number[];
}

export function explicitPads(padding: number | readonly (number | readonly [number, number])[], rank: number): Pads {
  if (typeof padding === 'number') return { before: new Array(rank).fill(padding), after: new Array(rank).fill(padding) };
  if (padding.length !== rank) throw new Error('reference: padding length');
  const before: number[] = [];
  const after: number[] = [];
  for (const e of padding) {
    if (typeof e === 'number') {
      before.push(e);
      after.push(e);
    } else {
      before.push(e[0]);
      after.push(e[1]);
    }
  }
  return { before, after };
}

// Convolution padding: 'valid' = 0; 'full' = d(k-1) each side; 'same' = output ceil(i/s),
// total = max((ceil(i/s)-1)s + d(k-1) + 1 - i, 0), floor(total/2) before, the rest after
// (PyTorch at stride 1, TF/ONNX SAME_UPPER above).
export function convPads(padding: RefPadding | undefined, input: readonly number[], k: readonly number[],
  stride: readonly number[], dilation: readonly number[]): Pads {
  const rank = input.length;
  if (padding === undefined || padding === 'valid') return { before: new Array(rank).fill(0), after: new Array(rank).fill(0) };
  if (padding === 'full') {
    const p = k.map((kk, t) => dilation[t] * (kk - 1));
    return { before: p, after: [...p] };
  }
  if (padding === 'same') {
    const before: number[] = [];
    const after: number[] = [];
    for (let t = 0; t < rank; t++) {
      const o = Math.ceil(input[t] / stride[t]);
      const needed = (o - 1) * stride[t] + dilation[t] * (k[t] - 1) + 1;
      const total = Math.max(needed - input[t], 0);
      before.push(Math.floor(total / 2));
      after.push(total - Math.floor(total / 2));
    }
    return { before, after };
  }
  return explicitPads(padding, rank);
}

export function convOutExtent(i: number, k: number, s: number, d: number, pb: number, pa: number): number {
  const span = d * (k - 1) + 1;
  const padded = i + pb + pa;
  if (padded < span) return 0;
  return Math.floor((padded - span) / s) + 1;
}

const lift = (v: readonly number[], fill: number): number[] => [...new Array(3 - v.length).fill(fill), ...v];

export function refConvOutputShape(xShape: readonly number[], wShape: readonly number[], o: RefConvOptions = {}): number[] {
  const rank = xShape.length - 2;
  const inS = xShape.slice(2);
  const k = wShape.slice(2);
  const s = perDim(o.stride, rank, 1);
  const d = perDim(o.dilation, rank, 1);
  const pads = convPads(o.padding, inS, k, s, d);
  return [xShape[0], wShape[0], ...inS.map((i, t) => convOutExtent(i, k[t], s[t], d[t], pads.before[t], pads.after[t]))];
}

// y[n, co, o] = b[co] + sum_{ci in group(co), kk} W[co, ci - g*Cin/G, kk] * xpad[n, ci, o*s + kk*d - pb]
// where xpad reads through sourceIndex; 'partial' multiplies the zero-padded sum by
// prod(k) / (number of in-bounds taps) and gives 0 (bias included) when that count is 0.
export function refConv(x: RefTensor, w: RefTensor, o: RefConvOptions = {}): RefResult {
  const rank = x.shape.length - 2;
  if (rank < 1 || rank > 3 || w.shape.length !== rank + 2) throw new Error('reference: rank');
  const [N, C] = x.shape;
  const [Cout, Cig] = w.shape;
  const G = o.groups ?? 1;
  if (C % G !== 0 || Cout % G !== 0 || Cig * G !== C) throw new Error('reference: channels/groups');
  const inS = x.shape.slice(2);
  const kS = w.shape.slice(2);
  const s = perDim(o.stride, rank, 1);
  const d = perDim(o.dilation, rank, 1);
  const pads = convPads(o.padding, inS, kS, s, d);
  const outS = inS.map((i, t) => convOutExtent(i, kS[t], s[t], d[t], pads.before[t], pads.after[t]));
  if (outS.some((e) => e < 1)) throw new Error('reference: empty output');
  const mode: RefMode = o.paddingMode ?? 'zeros';
  const padValue = mode === 'constant' ? (o.paddingValue ?? 0) : 0;
  const I = lift(inS, 1), K = lift(kS, 1), S = lift(s, 1), D = lift(d, 1), PB = lift(pads.before, 0), O = lift(outS, 1);
  // src[t][oo * K[t] + kk] = input coordinate along axis t (or -1 for outside).
  const src: Int32Array[] = [0, 1, 2].map((t) => {
    const a = new Int32Array(O[t] * K[t]);
    for (let oo = 0; oo < O[t]; oo++)
      for (let kk = 0; kk < K[t]; kk++) a[oo * K[t] + kk] = sourceIndex(oo * S[t] + kk * D[t] - PB[t], I[t], mode);
    return a;
  });
  const inPlane = I[0] * I[1] * I[2];
  const kPlane = K[0] * K[1] * K[2];
  const outPlane = O[0] * O[1] * O[2];
  const coPerG = Cout / G;
  const data = new Float64Array(N * Cout * outPlane);
  const mag = new Float64Array(N * Cout * outPlane);
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < Cout; co++) {
      const g = Math.floor(co / coPerG);
      const b = o.bias ? o.bias[co] : 0;
      for (let o0 = 0; o0 < O[0]; o0++)
        for (let o1 = 0; o1 < O[1]; o1++)
          for (let o2 = 0; o2 < O[2]; o2++) {
            let sum = 0, abs = 0, count = 0;
            for (let k0 = 0; k0 < K[0]; k0++) {
              const i0 = src[0][o0 * K[0] + k0];
              for (let k1 = 0; k1 < K[1]; k1++) {
                const i1 = src[1][o1 * K[1] + k1];
                for (let k2 = 0; k2 < K[2]; k2++) {
                  const i2 = src[2][o2 * K[2] + k2];
                  const inside = i0 >= 0 && i1 >= 0 && i2 >= 0;
                  if (inside) count++;
                  for (let cl = 0; cl < Cig; cl++) {
                    const ci = g * Cig + cl;
                    const wv = w.data[(co * Cig + cl) * kPlane + (k0 * K[1] + k1) * K[2] + k2];
                    const xv = inside ? x.data[(n * C + ci) * inPlane + (i0 * I[1] + i1) * I[2] + i2] : padValue;
                    const term = wv * xv;
                    sum += term;
                    abs += Math.abs(term);
                  }
                }
              }
            }
            const idx = (n * Cout + co) * outPlane + (o0 * O[1] + o1) * O[2] + o2;
            if (mode === 'partial') {
              if (count === 0) {
                data[idx] = 0;
                mag[idx] = 0;
              } else {
                const scale = kPlane / count;
                data[idx] = sum * scale + b;
                mag[idx] = abs * scale + Math.abs(b);
              }
            } else {
              data[idx] = sum + b;
              mag[idx] = abs + Math.abs(b);
            }
          }
    }
  }
  return { data, mag, shape: [N, Cout, ...outS] };
}

// Transposed convolution, scatter form: every x[n, ci, i] * W[ci, co - g*Cout/G, kk] lands on
// output coordinate p = i*s + kk*d - pb (output extent (i-1)s - pb - pa + d(k-1) + op + 1).
// 'zeros' drops p outside [0, out); the other modes add it onto sourceIndex(p, out, mode),
// which makes this the exact adjoint of refConv with the same geometry and mode.
export function refConvTranspose(x: RefTensor, w: RefTensor, o: RefConvTransposeOptions = {}): RefResult {
  const rank = x.shape.length - 2;
  if (rank < 1 || rank > 3 || w.shape.length !== rank + 2) throw new Error('reference: rank');
  const [N, C] = x.shape;
  const [Cin, Cog] = w.shape;
  const G = o.groups ?? 1;
  if (Cin !== C || C % G !== 0) throw new Error('reference: channels/groups');
  const Cout = Cog * G;
  const cinPerG = C / G;
  const inS = x.shape.slice(2);
  const kS = w.shape.slice(2);
  const s = perDim(o.stride, rank, 1);
  const d = perDim(o.dilation, rank, 1);
  const pads = o.padding === undefined || o.padding === 'valid' ? explicitPads(0, rank) : explicitPads(o.padding, rank);
  const base = inS.map((i, t) => (i - 1) * s[t] - pads.before[t] - pads.after[t] + d[t] * (kS[t] - 1) + 1);
  let op = perDim(o.outputPadding, rank, 0);
  if (o.outputSize) op = o.outputSize.map((sz, t) => sz - base[t]);
  const outS = base.map((b, t) => b + op[t]);
  if (outS.some((e) => e < 1)) throw new Error('reference: empty output');
  const mode = o.paddingMode ?? 'zeros';
  const I = lift(inS, 1), K = lift(kS, 1), S = lift(s, 1), D = lift(d, 1), PB = lift(pads.before, 0), O = lift(outS, 1);
  const dst: Int32Array[] = [0, 1, 2].map((t) => {
    const a = new Int32Array(I[t] * K[t]);
    for (let ii = 0; ii < I[t]; ii++)
      for (let kk = 0; kk < K[t]; kk++) a[ii * K[t] + kk] = sourceIndex(ii * S[t] + kk * D[t] - PB[t], O[t], mode);
    return a;
  });
  const inPlane = I[0] * I[1] * I[2];
  const kPlane = K[0] * K[1] * K[2];
  const outPlane = O[0] * O[1] * O[2];
  const data = new Float64Array(N * Cout * outPlane);
  const mag = new Float64Array(N * Cout * outPlane);
  for (let n = 0; n < N; n++)
    for (let ci = 0; ci < C; ci++) {
      const g = Math.floor(ci / cinPerG);
      for (let i0 = 0; i0 < I[0]; i0++)
        for (let i1 = 0; i1 < I[1]; i1++)
          for (let i2 = 0; i2 < I[2]; i2++) {
            const xv = x.data[(n * C + ci) * inPlane + (i0 * I[1] + i1) * I[2] + i2];
            for (let k0 = 0; k0 < K[0]; k0++) {
              const p0 = dst[0][i0 * K[0] + k0];
              if (p0 < 0) continue;
              for (let k1 = 0; k1 < K[1]; k1++) {
                const p1 = dst[1][i1 * K[1] + k1];
                if (p1 < 0) continue;
                for (let k2 = 0; k2 < K[2]; k2++) {
                  const p2 = dst[2][i2 * K[2] + k2];
                  if (p2 < 0) continue;
                  for (let cl = 0; cl < Cog; cl++) {
                    const co = g * Cog + cl;
                    const term = xv * w.data[(ci * Cog + cl) * kPlane + (k0 * K[1] + k1) * K[2] + k2];
                    const idx = (n * Cout + co) * outPlane + (p0 * O[1] + p1) * O[2] + p2;
                    data[idx] += term;
                    mag[idx] += Math.abs(term);
                  }
                }
              }
            }
          }
    }
  if (o.bias) {
    for (let n = 0; n < N; n++)
      for (let co = 0; co < Cout; co++)
        for (let q = 0; q < outPlane; q++) {
          const idx = (n * Cout + co) * outPlane + q;
          data[idx] += o.bias[co];
          mag[idx] += Math.abs(o.bias[co]);
        }
  }
  return { data, mag, shape: [N, Cout, ...outS] };
}

// pad: output coordinate q reads input coordinate p = q - before, taken relative to the
// original input (PyTorch: negative pads crop, and the reflection/replication of the
// remaining pads is still of the original input's edges). circular: crop first, then wrap
// around what is left. Wide pads repeat as numpy.pad.
export function padSourceIndex(q: number, n: number, before: number, after: number, mode: RefPadMode): number {
  const p = q - before;
  if (mode === 'circular') {
    const start = Math.max(0, -before);
    const kept = n - start - Math.max(0, -after);
    if (kept < 1) throw new Error('reference: circular crop leaves nothing');
    return start + mod(p - start, kept);
  }
  return sourceIndex(p, n, mode);
}

export function refPad(x: RefTensor, padding: number | readonly (number | readonly [number, number])[],
  o: { mode?: RefPadMode; value?: number } = {}): RefResult {
  const rank = x.shape.length - 2;
  const [N, C] = x.shape;
  const inS = x.shape.slice(2);
  const pads = explicitPads(padding, rank);
  const outS = inS.map((i, t) => i + pads.before[t] + pads.after[t]);
  if (outS.some((e) => e < 1)) throw new Error('reference: empty output');
  const mode = o.mode ?? 'constant';
  const value = o.value ?? 0;
  const I = lift(inS, 1), O = lift(outS, 1), B = lift(pads.before, 0), A = lift(pads.after, 0);
  const src = [0, 1, 2].map((t) => {
    const a = new Int32Array(O[t]);
    for (let q = 0; q < O[t]; q++) a[q] = padSourceIndex(q, I[t], B[t], A[t], mode);
    return a;
  });
  const inPlane = I[0] * I[1] * I[2];
  const outPlane = O[0] * O[1] * O[2];
  const data = new Float64Array(N * C * outPlane);
  for (let nc = 0; nc < N * C; nc++)
    for (let q0 = 0; q0 < O[0]; q0++)
      for (let q1 = 0; q1 < O[1]; q1++)
        for (let q2 = 0; q2 < O[2]; q2++) {
          const a = src[0][q0], b = src[1][q1], c = src[2][q2];
          data[nc * outPlane + (q0 * O[1] + q1) * O[2] + q2] =
            a >= 0 && b >= 0 && c >= 0 ? x.data[nc * inPlane + (a * I[1] + b) * I[2] + c] : value;
        }
  return { data, mag: new Float64Array(data.length), shape: [N, C, ...outS] };
}

// The worst element of got vs. a reference, with tolerance rtol * mag + atol.
export function compare(got: ArrayLike<number>, ref: RefResult, rtol = 1e-4, atol = 1e-6):
  { ok: boolean; worst: number; index: number; got: number; expected: number; tol: number } {
  let worst = -Infinity, index = -1;
  let ok = got.length === ref.data.length;
  for (let i = 0; i < ref.data.length && ok; i++) {
    const e = ref.data[i], g = got[i], tol = rtol * ref.mag[i] + atol;
    const err = Number.isNaN(e) ? (Number.isNaN(g) ? 0 : Infinity) : Math.abs(g - e);
    const excess = err - tol;
    if (!(excess <= 0)) ok = false;
    if (!(excess <= worst)) {
      worst = excess;
      index = i;
    }
  }
  return index < 0
    ? { ok, worst: 0, index, got: NaN, expected: NaN, tol: 0 }
    : { ok, worst, index, got: got[index], expected: ref.data[index], tol: rtol * ref.mag[index] + atol };
}

// Deterministic test data: float32-representable values in [-1, 1) from a seed (mulberry32).
export function randomData(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

// Partial convolution (SPEC §3.3, NVIDIA PartialConv2d/3d): raw = conv(x ⊙ mask, W) with zero
// padding; count = the window sum of the mask (over the taps, and over all input channels
// when multiChannel); window = prod(k) (times Cin when multiChannel); ratio =
// window / (count + 1e-8); newMask = clamp(count, 0, 1); ratio ⊙= newMask; with a bias
// out = (raw·ratio + b) ⊙ newMask, without out = raw·ratio. mask: [N, 1 or C, ...] or absent.
export function refPartialConv(x: RefTensor, w: RefTensor, o: RefConvOptions & { mask?: RefTensor; multiChannel?: boolean } = {}):
  { output: RefResult; mask: RefResult } {
  const rank = x.shape.length - 2;
  const [N, C] = x.shape;
  const inS = x.shape.slice(2);
  const plane = prod(inS);
  const multi = o.multiChannel ?? false;
  const mC = multi ? C : 1;
  const m = o.mask ? o.mask.data : new Float64Array(N * mC * plane).fill(1);
  const xm = new Float64Array(N * C * plane);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < plane; p++) xm[(n * C + c) * plane + p] = x.data[(n * C + c) * plane + p] * m[(n * mC + (multi ? c : 0)) * plane + p];
  const geometry = { stride: o.stride, dilation: o.dilation, padding: o.padding };
  const raw = refConv({ data: xm, shape: x.shape }, w, { ...geometry, groups: o.groups });
  // count: conv of the mask with a ones kernel of 1 output channel and mC input channels
  const kS = w.shape.slice(2);
  const ones = { data: new Float64Array(mC * prod(kS)).fill(1), shape: [1, mC, ...kS] };
  const count = refConv({ data: m, shape: [N, mC, ...inS] }, ones, geometry);
  const window = mC * prod(kS);
  const Cout = w.shape[0];
  const outS = raw.shape.slice(2);
  const outPlane = prod(outS);
  const data = new Float64Array(N * Cout * outPlane), mag = new Float64Array(data.length);
  const mOutC = multi ? Cout : 1;
  const maskData = new Float64Array(N * mOutC * outPlane);
  for (let n = 0; n < N; n++)
    for (let q = 0; q < outPlane; q++) {
      const cnt = count.data[n * outPlane + q];
      const newMask = Math.min(Math.max(cnt, 0), 1);
      const ratio = (window / (cnt + 1e-8)) * newMask;
      for (let mc = 0; mc < mOutC; mc++) maskData[(n * mOutC + mc) * outPlane + q] = newMask;
      for (let co = 0; co < Cout; co++) {
        const idx = (n * Cout + co) * outPlane + q;
        if (o.bias) {
          data[idx] = (raw.data[idx] * ratio + o.bias[co]) * newMask;
          mag[idx] = (raw.mag[idx] * ratio + Math.abs(o.bias[co])) * newMask;
        } else {
          data[idx] = raw.data[idx] * ratio;
          mag[idx] = raw.mag[idx] * ratio;
        }
      }
    }
  void rank;
  return {
    output: { data, mag, shape: [N, Cout, ...outS] },
    mask: { data: maskData, mag: new Float64Array(maskData.length), shape: [N, mOutC, ...outS] },
  };
}
