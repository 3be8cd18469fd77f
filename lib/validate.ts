// Predicates and option readers shared by every op. Each throws the SPEC §4 error class
// with a message naming the function, the argument, the expectation and what was received.
import { describe, rangeError, rangeErrorText, typeError } from './errors';
import { isLayout, Layout, LAYOUTS, spatialRank, toCanonical } from './layout';

export const MAX_ELEMENTS = 2 ** 31 - 1;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

export function isDetached(a: ArrayBufferView): boolean {
  const buf = a.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buf.detached === 'boolean') return buf.detached;
  if (a.byteLength !== 0) return false;
  try {
    new Uint8Array(buf, 0, 0);
    return false;
  } catch {
    return true;
  }
}

export function checkFloat32Array(fn: string, arg: string, v: unknown): Float32Array {
  if (!(v instanceof Float32Array)) throw typeError(fn, arg, 'a Float32Array', v);
  if (isDetached(v)) throw new TypeError(`${fn}: ${arg} expects a Float32Array with a live buffer, got one whose ArrayBuffer is detached`);
  return v;
}

export interface CheckedTensor {
  data: Float32Array;
  shape: number[];
  layout: Layout;
  N: number;
  C: number;
  spatial: number[];
  channelsLast: boolean;
}

export function checkShape(fn: string, arg: string, v: unknown, allowZeroBatch = true): number[] {
  if (!Array.isArray(v)) throw typeError(fn, arg, 'an array of integers', v);
  for (let i = 0; i < v.length; i++) {
    const e = v[i];
    if (typeof e !== 'number') throw typeError(fn, arg, 'an array of integers', v);
    const zeroOk = i === 0 && allowZeroBatch;
    if (!Number.isInteger(e) || e < (zeroOk ? 0 : 1))
      throw rangeError(fn, arg, zeroOk ? 'a batch >= 0 and extents >= 1' : 'positive integer extents', v);
  }
  return v.slice() as number[];
}

export function product(shape: readonly number[]): number {
  let p = 1;
  for (const s of shape) p *= s;
  return p;
}

// A Tensor-shaped object { data, shape, layout } whose contents agree with each other.
export function checkTensor(fn: string, arg: string, v: unknown, rank?: number): CheckedTensor {
  if (ArrayBuffer.isView(v)) throw typeError(fn, arg, 'a Tensor {data, shape, layout} (use tensor(data, shape))', v);
  if (!isPlainObject(v) && !(typeof v === 'object' && v !== null))
    throw typeError(fn, arg, 'a Tensor {data, shape, layout}', v);
  const o = v as Record<string, unknown>;
  const data = checkFloat32Array(fn, `${arg}.data`, o.data);
  const layoutV = o.layout;
  if (typeof layoutV !== 'string') throw typeError(fn, `${arg}.layout`, `one of ${LAYOUTS.join(', ')}`, layoutV);
  if (!isLayout(layoutV)) throw rangeError(fn, `${arg}.layout`, `one of ${LAYOUTS.join(', ')}`, layoutV);
  const shape = checkShape(fn, `${arg}.shape`, o.shape);
  if (shape.length !== layoutV.length)
    throw rangeErrorText(fn, `${arg}.shape`, `${layoutV.length} dims for layout ${layoutV}`, `${describe(shape)}`);
  if (rank !== undefined && spatialRank(layoutV) !== rank) {
    const names = rank === 1 ? 'NCW or NWC' : rank === 2 ? 'NCHW or NHWC' : 'NCDHW or NDHWC';
    throw rangeErrorText(fn, arg, `a ${rank + 2}-dim tensor (${names})`, `${layoutV} with shape ${describe(shape)}`);
  }
  const n = product(shape);
  if (data.length !== n)
    throw rangeErrorText(fn, `${arg}.data`, `${n} elements for shape ${describe(shape)}`, `${data.length}`);
  const c = toCanonical(shape, layoutV);
  if (c.C < 1) throw rangeError(fn, `${arg}.shape`, 'at least 1 channel', shape);
  return { data, shape, layout: layoutV, N: c.N, C: c.C, spatial: c.spatial, channelsLast: layoutV[1] !== 'C' };
}

// Only the keys an op knows: a misspelt option is an error, never silently ignored.
export function checkOptions(fn: string, v: unknown, allowed: readonly string[], arg = 'options'): Record<string, unknown> {
  if (v === undefined) return {};
  if (!isPlainObject(v)) throw typeError(fn, arg, 'an options object', v);
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k) && (v as Record<string, unknown>)[k] !== undefined)
      throw rangeErrorText(fn, arg, `only the options ${allowed.join(', ')}`, `unknown option ${JSON.stringify(k)}`);
  }
  return v;
}

export function checkInteger(fn: string, arg: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number') throw typeError(fn, arg, `an integer >= ${min}`, v);
  if (!Number.isInteger(v) || v < min || v > max)
    throw rangeError(fn, arg, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`, v);
  return v;
}

export function checkFinite(fn: string, arg: string, v: unknown): number {
  if (typeof v !== 'number') throw typeError(fn, arg, 'a finite number', v);
  if (!Number.isFinite(v)) throw rangeError(fn, arg, 'a finite number', v);
  return v;
}

export function checkBoolean(fn: string, arg: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw typeError(fn, arg, 'a boolean', v);
  return v;
}

export function checkEnum<T extends string>(fn: string, arg: string, v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  const list = allowed.map((a) => `'${a}'`).join(', ');
  if (typeof v !== 'string') throw typeError(fn, arg, `one of ${list}`, v);
  if (!(allowed as readonly string[]).includes(v)) throw rangeError(fn, arg, `one of ${list}`, v);
  return v as T;
}

// A number (every spatial dim) or one integer per spatial dim, each >= min.
export function checkSpatial(fn: string, arg: string, v: unknown, rank: number, min: number, dflt: number): number[] {
  if (v === undefined) return new Array(rank).fill(dflt);
  const what = `an integer >= ${min} or ${rank} of them (one per spatial dim)`;
  if (typeof v === 'number') {
    checkInteger(fn, arg, v, min);
    return new Array(rank).fill(v);
  }
  if (!Array.isArray(v)) throw typeError(fn, arg, what, v);
  if (v.length !== rank) throw rangeError(fn, arg, what, v);
  for (const e of v) {
    if (typeof e !== 'number') throw typeError(fn, arg, what, v);
    if (!Number.isInteger(e) || e < min) throw rangeError(fn, arg, what, v);
  }
  return v.slice() as number[];
}

export function checkBias(fn: string, v: unknown, cout: number): Float32Array | undefined {
  if (v === undefined || v === null) return undefined;
  const b = checkFloat32Array(fn, 'bias', v);
  if (b.length !== cout) throw rangeErrorText(fn, 'bias', `${cout} elements (Cout)`, `Float32Array(${b.length})`);
  return b;
}

export function checkOutputLayout(fn: string, v: unknown, rank: number, dflt: Layout): Layout {
  if (v === undefined) return dflt;
  const allowed = LAYOUTS.filter((l) => spatialRank(l) === rank);
  if (typeof v !== 'string') throw typeError(fn, 'outputLayout', `one of ${allowed.join(', ')}`, v);
  if (!(allowed as string[]).includes(v)) throw rangeError(fn, 'outputLayout', `one of ${allowed.join(', ')}`, v);
  return v as Layout;
}
