// The Tensor type of SPEC §2 and its layout conversion.
import { rangeError, rangeErrorText, typeError } from './errors';
import { channelsFirst, isChannelsLast, isLayout, Layout, LAYOUTS, spatialRank, toCanonical, fromCanonical } from './layout';
import { native } from './native';
import { allocOutput } from './runtime';
import { checkFloat32Array, checkOptions, checkShape, checkTensor, product } from './validate';

export interface TensorLike {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  readonly layout: Layout;
}

export class Tensor implements TensorLike {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  readonly layout: Layout;

  constructor(data: Float32Array, shape: readonly number[], layout: Layout) {
    this.data = data;
    this.shape = Object.freeze(shape.slice());
    this.layout = layout;
  }

  // The same values in another layout of the same rank (NCHW <-> NHWC, ...). Converting
  // to the layout it already has returns this tensor (with `out`: a copy in out).
  to(layout: Layout, options?: { out?: TensorLike }): Tensor {
    return convertLayout('to', this, layout, options);
  }
}

export function convertLayout(fn: string, t: TensorLike, layout: Layout, options?: unknown): Tensor {
  const c = checkTensor(fn, 'tensor', t);
  if (typeof layout !== 'string') throw typeError(fn, 'layout', `one of ${LAYOUTS.join(', ')}`, layout);
  if (!isLayout(layout)) throw rangeError(fn, 'layout', `one of ${LAYOUTS.join(', ')}`, layout);
  const rank = spatialRank(c.layout);
  if (spatialRank(layout) !== rank)
    throw rangeErrorText(fn, 'layout', `a layout of rank ${rank} like ${c.layout}`, `${layout}`);
  const out = checkOptions(fn, options, ['out']).out;
  if (layout === c.layout && out === undefined) return t instanceof Tensor ? t : new Tensor(c.data, c.shape, c.layout);
  const shape = fromCanonical(c.N, c.C, c.spatial, layout);
  const { y, result } = outputTensor(fn, out, shape, layout, [['tensor', c.data]]);
  if (layout === c.layout) y.set(c.data);
  else native.layout({ fn, N: c.N, C: c.C, S: product(c.spatial), toChannelsLast: isChannelsLast(layout), x: c.data, y });
  return result();
}

// tensor(data, shape, layout = channels-first of the shape's rank).
export function tensor(data: Float32Array, shape: readonly number[], layout?: Layout): Tensor {
  const fn = 'tensor';
  if (data !== null && typeof data === 'object' && !(data instanceof Float32Array) && (ArrayBuffer.isView(data) || Array.isArray(data)))
    throw typeError(fn, 'data', 'a Float32Array (convert other arrays with toFloat32Array)', data);
  const d = checkFloat32Array(fn, 'data', data);
  const s = checkShape(fn, 'shape', shape);
  let l: Layout;
  if (layout === undefined) {
    if (s.length < 3 || s.length > 5) throw rangeError(fn, 'shape', '3, 4 or 5 dims (N, C, spatial...)', s);
    l = channelsFirst(s.length - 2);
  } else {
    if (typeof layout !== 'string') throw typeError(fn, 'layout', `one of ${LAYOUTS.join(', ')}`, layout);
    if (!isLayout(layout)) throw rangeError(fn, 'layout', `one of ${LAYOUTS.join(', ')}`, layout);
    l = layout;
    if (s.length !== l.length) throw rangeErrorText(fn, 'shape', `${l.length} dims for layout ${l}`, `[${s.join(', ')}]`);
  }
  if (d.length !== product(s)) throw rangeErrorText(fn, 'data', `${product(s)} elements for shape [${s.join(', ')}]`, `${d.length}`);
  if (toCanonical(s, l).C < 1) throw rangeError(fn, 'shape', 'at least 1 channel', s);
  return new Tensor(d, s, l);
}

// The explicit conversion from other numeric arrays (never done silently).
export function toFloat32Array(values: ArrayLike<number> | Iterable<number>): Float32Array {
  if (values instanceof Float32Array) return values;
  if (values === null || typeof values !== 'object')
    throw typeError('toFloat32Array', 'values', 'an array or typed array of numbers', values);
  return Float32Array.from(values as ArrayLike<number>);
}

// An op's inputs by name (absent ones undefined), for the messages of outputTensor.
export type Inputs = readonly (readonly [string, ArrayBufferView | undefined])[];

// Where an op writes its result: a fresh tensor, or the caller's `out` (the `out` option),
// which must have exactly the result's shape and layout and share no memory with any of the
// op's inputs (the result is written while they are read). Returns the data to write and the
// result to hand back: `out` itself when it is a Tensor. arg / fresh: the option's name and
// the result's, for the messages.
export function outputTensor(fn: string, out: unknown, shape: readonly number[], layout: Layout, inputs: Inputs, arg = 'out',
                             fresh = 'output'): { y: Float32Array; result: () => Tensor } {
  if (out === undefined) {
    const y = allocOutput(fn, shape, fresh);
    return { y, result: () => new Tensor(y, shape, layout) };
  }
  const c = checkTensor(fn, arg, out);
  if (c.layout !== layout) throw rangeErrorText(fn, `${arg}.layout`, `${layout} (the result's layout)`, c.layout);
  if (c.shape.length !== shape.length || c.shape.some((e, i) => e !== shape[i]))
    throw rangeErrorText(fn, `${arg}.shape`, `[${shape.join(', ')}] (the result's shape)`, `[${c.shape.join(', ')}]`);
  const y = c.data;
  for (const [name, v] of inputs) {
    if (v && v.buffer === y.buffer && v.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < v.byteOffset + v.byteLength)
      throw rangeErrorText(fn, `${arg}.data`, `memory that no input shares (the result is written while the inputs are read)`,
        `a Float32Array overlapping ${name}`);
  }
  const t = out instanceof Tensor ? out : new Tensor(y, shape, layout);
  return { y, result: () => t };
}
