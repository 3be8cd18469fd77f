// 8-bit interleaved pixels (what sharp's raw() gives and takes) <-> float tensors.
import { rangeError, rangeErrorText, typeError } from './errors';
import { Layout } from './layout';
import { Tensor, TensorLike } from './tensor';
import { checkInteger, checkOptions, checkTensor, isDetached, isPlainObject } from './validate';
import { native } from './native';
import { allocOutput } from './runtime';

export interface PixelInfo {
  width: number;
  height: number;
  channels: number;
}

export interface PixelOptions {
  layout?: 'NCHW' | 'NHWC';
  // value = (byte * scale - mean[c]) / std[c]; defaults keep bytes as 0..255 floats.
  scale?: number;
  mean?: number | readonly number[];
  std?: number | readonly number[];
}

function perChannel(fn: string, arg: string, v: unknown, channels: number, dflt: number, positive: boolean): number[] {
  if (v === undefined) return new Array(channels).fill(dflt);
  const what = `a finite number${positive ? ' > 0' : ''} or ${channels} of them (one per channel)`;
  const one = (e: unknown): number => {
    if (typeof e !== 'number') throw typeError(fn, arg, what, v);
    if (!Number.isFinite(e) || (positive && e <= 0)) throw rangeError(fn, arg, what, v);
    return e;
  };
  if (typeof v === 'number') return new Array(channels).fill(one(v));
  if (!Array.isArray(v)) throw typeError(fn, arg, what, v);
  if (v.length !== channels) throw rangeError(fn, arg, what, v);
  return v.map(one);
}

function readPixelOptions(fn: string, options: unknown, channels: number) {
  const o = checkOptions(fn, options, ['layout', 'scale', 'mean', 'std']);
  const layout = o.layout === undefined ? 'NCHW' : o.layout;
  if (typeof layout !== 'string') throw typeError(fn, 'layout', "'NCHW' or 'NHWC'", layout);
  if (layout !== 'NCHW' && layout !== 'NHWC') throw rangeError(fn, 'layout', "'NCHW' or 'NHWC'", layout);
  const scale = o.scale === undefined ? 1 : o.scale;
  if (typeof scale !== 'number') throw typeError(fn, 'scale', 'a finite number > 0', scale);
  if (!Number.isFinite(scale) || scale <= 0) throw rangeError(fn, 'scale', 'a finite number > 0', scale);
  return {
    layout: layout as Layout,
    scale,
    mean: perChannel(fn, 'mean', o.mean, channels, 0, false),
    std: perChannel(fn, 'std', o.std, channels, 1, true),
  };
}

export function fromPixels(bytes: Uint8Array | Uint8ClampedArray, info: PixelInfo, options?: PixelOptions): Tensor {
  const fn = 'fromPixels';
  if (!(bytes instanceof Uint8Array || bytes instanceof Uint8ClampedArray))
    throw typeError(fn, 'bytes', 'a Uint8Array, Uint8ClampedArray or Buffer of interleaved pixels', bytes);
  if (isDetached(bytes)) throw new TypeError(`${fn}: bytes expects a live buffer, got a detached one`);
  if (!isPlainObject(info)) throw typeError(fn, 'info', 'an object { width, height, channels }', info);
  const width = checkInteger(fn, 'info.width', info.width, 1);
  const height = checkInteger(fn, 'info.height', info.height, 1);
  const channels = checkInteger(fn, 'info.channels', info.channels, 1, 4);
  if (bytes.length !== width * height * channels)
    throw rangeErrorText(fn, 'bytes', `${width * height * channels} bytes (${width}x${height}x${channels})`, `${bytes.length}`);
  const o = readPixelOptions(fn, options, channels);
  const cl = o.layout === 'NHWC';
  const shape = cl ? [1, height, width, channels] : [1, channels, height, width];
  const data = allocOutput(fn, shape);
  // value = byte * (scale / std) + (-mean / std), in double, rounded once to float (natively)
  const mul = o.std.map((s) => o.scale / s), add = o.mean.map((m, c) => -m / o.std[c]);
  native.pixels({ fn, toFloat: true, P: width * height, C: channels, channelsLast: cl, mul, add, bytes, data });
  return new Tensor(data, shape, o.layout);
}

// Rounds half to even and clamps to 0..255 (Uint8ClampedArray's conversion); the inverse
// of fromPixels when given the same scale/mean/std.
export function toPixels(t: TensorLike, options?: Omit<PixelOptions, 'layout'>): { data: Uint8ClampedArray; width: number; height: number; channels: number } {
  const fn = 'toPixels';
  const x = checkTensor(fn, 'tensor', t, 2);
  if (x.N !== 1) throw rangeErrorText(fn, 'tensor', 'a batch of 1 image', `a batch of ${x.N}`);
  if (x.C > 4) throw rangeErrorText(fn, 'tensor', '1 to 4 channels', `${x.C}`);
  const o = readPixelOptions(fn, options, x.C);
  const [height, width] = x.spatial;
  const channels = x.C, hw = height * width;
  const out = new Uint8ClampedArray(hw * channels);
  // byte = clamp(round-half-even(value * (std / scale) + mean / scale)), in double (natively)
  const mul = o.std.map((s) => s / o.scale), add = o.mean.map((m) => m / o.scale);
  native.pixels({ fn, toFloat: false, P: hw, C: channels, channelsLast: x.channelsLast, mul, add, bytes: out, data: x.data });
  return { data: out, width, height, channels };
}
