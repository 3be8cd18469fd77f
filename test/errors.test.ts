// A table of bad inputs (SPEC §4): each must throw the right class (TypeError for a wrong
// JavaScript type or a detached buffer, RangeError for a right type with a wrong value),
// with a message that names the function and the argument ("<fn>: <arg> expects ..., got
// ..."), and the asynchronous form of the same call must reject (never throw
// synchronously) with the same class.

import { describe, it, expect, afterEach } from 'vitest';
import * as ck from '../lib/index';
import { native } from '../lib/native';

type Cls = typeof TypeError | typeof RangeError;

interface Case {
  name: string;
  cls: Cls;
  fn: string; // the function the message must name
  arg: RegExp | string; // the argument the message must name
  sync: () => unknown;
  async?: () => Promise<unknown>;
}

const f32 = (n: number, v = 0.5) => new Float32Array(n).fill(v);
const x4 = () => ck.tensor(f32(1 * 3 * 8 * 8), [1, 3, 8, 8]); // NCHW, 3 channels, 8x8
const w4 = () => ck.tensor(f32(4 * 3 * 3 * 3), [4, 3, 3, 3]); // [Cout 4, Cin 3, 3, 3]
const x3 = () => ck.tensor(f32(1 * 2 * 6), [1, 2, 6]); // NCW
const detached = (n: number) => {
  const a = new Float32Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
};

function conv2dCase(name: string, cls: Cls, arg: RegExp | string, input: () => unknown, weight: () => unknown, options?: () => unknown): Case {
  return {
    name, cls, fn: 'conv2d', arg,
    sync: () => ck.conv2d(input() as ck.Tensor, weight() as ck.Tensor, options?.() as ck.ConvOptions),
    async: () => ck.conv2dAsync(input() as ck.Tensor, weight() as ck.Tensor, options?.() as ck.ConvOptions),
  };
}
const convOpt = (name: string, cls: Cls, arg: RegExp | string, options: unknown) => conv2dCase(name, cls, arg, x4, w4, () => options);

function convT2dCase(name: string, cls: Cls, arg: RegExp | string, options: unknown): Case {
  // input [1, 3, 4, 4], weight [3, 2, 3, 3]: Cout 2
  const x = () => ck.tensor(f32(48), [1, 3, 4, 4]);
  const w = () => ck.tensor(f32(54), [3, 2, 3, 3]);
  return {
    name, cls, fn: 'convTranspose2d', arg,
    sync: () => ck.convTranspose2d(x(), w(), options as ck.ConvTransposeOptions),
    async: () => ck.convTranspose2dAsync(x(), w(), options as ck.ConvTransposeOptions),
  };
}

function padCase(name: string, cls: Cls, arg: RegExp | string, input: () => ck.Tensor, padding: unknown, options?: unknown): Case {
  return {
    name, cls, fn: 'pad', arg,
    sync: () => ck.pad(input(), padding as number, options as ck.PadOptions),
    async: () => ck.padAsync(input(), padding as number, options as ck.PadOptions),
  };
}

function interpCase(name: string, cls: Cls, arg: RegExp | string, input: () => ck.Tensor, options: unknown): Case {
  return {
    name, cls, fn: 'interpolate', arg,
    sync: () => ck.interpolate(input(), options as ck.InterpolateOptions),
    async: () => ck.interpolateAsync(input(), options as ck.InterpolateOptions),
  };
}

function partialCase(name: string, cls: Cls, arg: RegExp | string, options: unknown): Case {
  const x = () => ck.tensor(f32(2 * 3 * 5 * 5), [2, 3, 5, 5]);
  return {
    name, cls, fn: 'partialConv2d', arg,
    sync: () => ck.partialConv2d(x(), w4(), options as ck.PartialConvOptions),
    async: () => ck.partialConv2dAsync(x(), w4(), options as ck.PartialConvOptions),
  };
}

const TE = TypeError, RE = RangeError;

const cases: Case[] = [
  // --- tensors ------------------------------------------------------------------------
  conv2dCase('null as input', TE, 'input', () => null, w4),
  conv2dCase('undefined as input', TE, 'input', () => undefined, w4),
  conv2dCase('raw Float32Array as input', TE, 'input', () => f32(192), w4),
  conv2dCase('plain array as input', TE, 'input', () => Array.from(f32(192)), w4),
  conv2dCase('null as weight', TE, 'weight', x4, () => null),
  conv2dCase('raw Float32Array as weight', TE, 'weight', x4, () => f32(108)),
  conv2dCase('plain array as weight', TE, 'weight', x4, () => Array.from(f32(108))),
  conv2dCase('Float64Array input data', TE, 'input', () => ({ data: new Float64Array(192), shape: [1, 3, 8, 8], layout: 'NCHW' }), w4),
  conv2dCase('Float64Array weight data', TE, 'weight', x4, () => ({ data: new Float64Array(108), shape: [4, 3, 3, 3], layout: 'NCHW' })),
  conv2dCase('plain array input data', TE, 'input', () => ({ data: new Array(192).fill(0), shape: [1, 3, 8, 8], layout: 'NCHW' }), w4),
  conv2dCase('input data length mismatch', RE, 'input', () => ({ data: f32(191), shape: [1, 3, 8, 8], layout: 'NCHW' }), w4),
  conv2dCase('weight data length mismatch', RE, 'weight', x4, () => ({ data: f32(107), shape: [4, 3, 3, 3], layout: 'NCHW' })),
  conv2dCase('unknown input layout', RE, 'input', () => ({ data: f32(192), shape: [1, 3, 8, 8], layout: 'NHCW' }), w4),
  conv2dCase('input layout of another rank', RE, 'input', () => ck.tensor(f32(24), [1, 3, 8]), w4),
  conv2dCase('input layout not a string', TE, 'input', () => ({ data: f32(192), shape: [1, 3, 8, 8], layout: 2 }), w4),
  conv2dCase('input shape not an array', TE, 'input', () => ({ data: f32(192), shape: '1,3,8,8', layout: 'NCHW' }), w4),
  conv2dCase('input shape with a non-integer', RE, 'input', () => ({ data: f32(192), shape: [1, 3, 8, 8.5], layout: 'NCHW' }), w4),
  conv2dCase('input with 0 channels', RE, 'input', () => ({ data: f32(0), shape: [1, 0, 8, 8], layout: 'NCHW' }), w4),
  conv2dCase('detached input buffer', TE, 'input', () => ({ data: detached(192), shape: [1, 3, 8, 8], layout: 'NCHW' }), w4),
  conv2dCase('input detached after tensor()', TE, 'input', () => {
    const t = x4();
    structuredClone(t.data.buffer, { transfer: [t.data.buffer as ArrayBuffer] });
    return t;
  }, w4),
  conv2dCase('detached weight buffer', TE, 'weight', x4, () => ({ data: detached(108), shape: [4, 3, 3, 3], layout: 'NCHW' })),
  convOpt('detached bias buffer', TE, 'bias', { bias: detached(4) }),
  {
    name: 'tensor(): Float64Array data', cls: TE, fn: 'tensor', arg: 'data',
    sync: () => ck.tensor(new Float64Array(4) as unknown as Float32Array, [1, 1, 4]),
  },
  {
    name: 'tensor(): plain array data', cls: TE, fn: 'tensor', arg: 'data',
    sync: () => ck.tensor([1, 2, 3, 4] as unknown as Float32Array, [1, 1, 4]),
  },
  {
    name: 'tensor(): data length mismatch', cls: RE, fn: 'tensor', arg: 'data',
    sync: () => ck.tensor(f32(5), [1, 1, 4]),
  },
  {
    name: 'tensor(): unknown layout', cls: RE, fn: 'tensor', arg: 'layout',
    sync: () => ck.tensor(f32(4), [1, 1, 4], 'NCX' as ck.Layout),
  },
  {
    name: 'tensor(): detached buffer', cls: TE, fn: 'tensor', arg: 'data',
    sync: () => ck.tensor(detached(4), [1, 1, 4]),
  },
  {
    name: 't.to(): unknown layout', cls: RE, fn: 'to', arg: 'layout',
    sync: () => x4().to('NHCW' as ck.Layout),
  },
  {
    name: 't.to(): layout of another rank', cls: RE, fn: 'to', arg: 'layout',
    sync: () => x4().to('NWC'),
  },
  // --- weights, channels, groups ----------------------------------------------------------
  conv2dCase('weight of rank 3 for conv2d', RE, 'weight', x4, () => ck.tensor(f32(4 * 3 * 3), [4, 3, 3])),
  conv2dCase('channel mismatch (weight Cin 2, input 3)', RE, /weight|input/, x4, () => ck.tensor(f32(4 * 2 * 9), [4, 2, 3, 3])),
  conv2dCase('groups not dividing the input channels', RE, 'groups', x4, () => ck.tensor(f32(4 * 9), [4, 1, 3, 3]), () => ({ groups: 2 })),
  conv2dCase('groups not dividing the output channels', RE, 'groups', () => ck.tensor(f32(4 * 64), [1, 4, 8, 8]), () => ck.tensor(f32(6 * 2 * 9), [6, 2, 3, 3]), () => ({ groups: 4 })),
  convOpt('groups 0', RE, 'groups', { groups: 0 }),
  convOpt('groups "1"', TE, 'groups', { groups: '1' }),
  // --- stride, dilation -------------------------------------------------------------------
  convOpt('stride 0', RE, 'stride', { stride: 0 }),
  convOpt('stride -1', RE, 'stride', { stride: -1 }),
  convOpt('stride 1.5', RE, 'stride', { stride: 1.5 }),
  convOpt('stride NaN', RE, 'stride', { stride: NaN }),
  convOpt("stride '2'", TE, 'stride', { stride: '2' }),
  convOpt('stride Infinity', RE, 'stride', { stride: Infinity }),
  convOpt('stride [1, 0]', RE, 'stride', { stride: [1, 0] }),
  convOpt('stride of wrong length', RE, 'stride', { stride: [1, 1, 1] }),
  convOpt("stride [1, '1']", TE, 'stride', { stride: [1, '1'] }),
  convOpt('dilation 0', RE, 'dilation', { dilation: 0 }),
  convOpt('dilation null', TE, 'dilation', { dilation: null }),
  // --- padding ----------------------------------------------------------------------------
  convOpt('padding -1', RE, 'padding', { padding: -1 }),
  convOpt('padding [[0, -1], 0]', RE, 'padding', { padding: [[0, -1], 0] }),
  convOpt('padding of wrong length', RE, 'padding', { padding: [1, 1, 1] }),
  convOpt('padding pair of length 3', RE, 'padding', { padding: [[1, 1, 1], 1] }),
  convOpt('padding 1.5', RE, 'padding', { padding: 1.5 }),
  convOpt("padding 'middle'", RE, 'padding', { padding: 'middle' }),
  convOpt("padding 'SAME'", RE, 'padding', { padding: 'SAME' }),
  convOpt('padding true', TE, 'padding', { padding: true }),
  convOpt("padding ['1', 1]", TE, 'padding', { padding: ['1', 1] }),
  convOpt("paddingMode 'mirror'", RE, 'paddingMode', { paddingMode: 'mirror' }),
  convOpt("paddingMode 'Reflect'", RE, 'paddingMode', { paddingMode: 'Reflect' }),
  convOpt('paddingMode 3', TE, 'paddingMode', { paddingMode: 3 }),
  convOpt('paddingValue NaN', RE, 'paddingValue', { paddingMode: 'constant', paddingValue: NaN }),
  convOpt('paddingValue Infinity', RE, 'paddingValue', { paddingMode: 'constant', paddingValue: Infinity }),
  convOpt("paddingValue '1'", TE, 'paddingValue', { paddingMode: 'constant', paddingValue: '1' }),
  // --- bias -------------------------------------------------------------------------------
  convOpt('bias of the wrong length', RE, 'bias', { bias: f32(3) }),
  convOpt('bias Float64Array', TE, 'bias', { bias: new Float64Array(4) }),
  convOpt('bias plain array', TE, 'bias', { bias: [0, 0, 0, 0] }),
  convOpt('bias number', TE, 'bias', { bias: 1 }),
  // --- outputs of zero extent, limits ----------------------------------------------------
  conv2dCase('output of zero extent (kernel larger than the input)', RE, /input|weight|padding/, () => ck.tensor(f32(3 * 4), [1, 3, 2, 2]), w4),
  convOpt('output of zero extent (dilated kernel)', RE, /input|weight|padding|dilation/, { dilation: 4 }),
  convOpt('result over 2^31-1 elements (full padding, huge dilation)', RE, /output/, { padding: 'full', dilation: [1 << 15, 1 << 15] }),
  convT2dCase('convTranspose result over 2^31-1 elements', RE, /output/, { stride: [1 << 15, 1 << 15] }),
  padCase('pad result over 2^31-1 elements', RE, /output/, x4, [[0, 1 << 15], [0, 1 << 15]]),
  interpCase('interpolate result over 2^31-1 elements', RE, /output/, x4, { size: [1 << 15, 1 << 15] }),
  // --- interpolate -------------------------------------------------------------------------
  interpCase('both size and scaleFactor', RE, /size|scaleFactor|options/, x4, { size: [4, 4], scaleFactor: 2 }),
  interpCase('neither size nor scaleFactor', RE, /size|scaleFactor|options/, x4, { mode: 'nearest' }),
  interpCase('bilinear on a 3-D tensor', RE, /input|mode/, x3, { size: 4, mode: 'bilinear' }),
  interpCase('trilinear on a 4-D tensor', RE, /input|mode/, x4, { size: 4, mode: 'trilinear' }),
  interpCase('alignCorners with nearest', RE, 'alignCorners', x4, { size: 4, mode: 'nearest', alignCorners: true }),
  interpCase("unknown mode 'cubic'", RE, 'mode', x4, { size: 4, mode: 'cubic' }),
  interpCase("size '4'", TE, 'size', x4, { size: '4' }),
  interpCase('scaleFactor 0', RE, 'scaleFactor', x4, { scaleFactor: 0 }),
  interpCase('scaleFactor giving an empty output', RE, 'scaleFactor', x4, { scaleFactor: 0.1 }),
  // --- pad ---------------------------------------------------------------------------------
  padCase('crop to nothing', RE, 'padding', x4, [[-4, -4], 0]),
  padCase('crop past nothing', RE, 'padding', x4, [[-5, -6], 0]),
  padCase('circular crop leaving nothing to wrap', RE, 'padding', x4, [[-8, 2], 0], { mode: 'circular' }),
  padCase("unknown mode 'edge'", RE, 'mode', x4, 1, { mode: 'edge' }),
  padCase('value NaN', RE, 'value', x4, 1, { value: NaN }),
  padCase('padding 1.5', RE, 'padding', x4, 1.5),
  padCase('padding of wrong length', RE, 'padding', x4, [1, 1, 1]),
  // --- transposed convolution ----------------------------------------------------------------
  convT2dCase('outputSize impossible (too large)', RE, 'outputSize', { stride: 2, outputSize: [11, 11] }),
  convT2dCase('outputSize impossible (too small)', RE, 'outputSize', { stride: 2, outputSize: [8, 8] }),
  convT2dCase('outputSize of wrong length', RE, 'outputSize', { stride: 2, outputSize: [9] }),
  convT2dCase('outputPadding == stride', RE, 'outputPadding', { stride: 2, outputPadding: 2 }),
  convT2dCase('outputPadding > stride', RE, 'outputPadding', { stride: 2, outputPadding: [0, 3] }),
  convT2dCase('outputPadding without stride', RE, 'outputPadding', { outputPadding: 1 }),
  convT2dCase("paddingMode 'constant'", RE, 'paddingMode', { paddingMode: 'constant' }),
  convT2dCase("paddingMode 'partial'", RE, 'paddingMode', { paddingMode: 'partial' }),
  {
    name: 'convTranspose2d channel mismatch', cls: RE, fn: 'convTranspose2d', arg: /weight|input/,
    sync: () => ck.convTranspose2d(ck.tensor(f32(32), [1, 2, 4, 4]), ck.tensor(f32(54), [3, 2, 3, 3])),
    async: () => ck.convTranspose2dAsync(ck.tensor(f32(32), [1, 2, 4, 4]), ck.tensor(f32(54), [3, 2, 3, 3])),
  },
  convT2dCase('padding larger than the output', RE, /padding|output/, { padding: 4 }),
  // --- partial convolution ---------------------------------------------------------------
  partialCase('mask of the wrong shape', RE, 'mask', { mask: ck.tensor(f32(2 * 4 * 4, 1), [2, 1, 4, 4]) }),
  partialCase('mask with the wrong batch', RE, 'mask', { mask: ck.tensor(f32(25, 1), [1, 1, 5, 5]) }),
  partialCase('mask with C channels without multiChannel', RE, 'mask', { mask: ck.tensor(f32(2 * 3 * 25, 1), [2, 3, 5, 5]) }),
  partialCase('mask value 1.5', RE, 'mask', { mask: ck.tensor(f32(50, 1.5), [2, 1, 5, 5]) }),
  partialCase('mask value -0.25', RE, 'mask', { mask: ck.tensor(f32(50, -0.25), [2, 1, 5, 5]) }),
  partialCase('raw Float32Array as mask', TE, 'mask', { mask: f32(50, 1) }),
  partialCase('paddingMode is not a partialConv option', RE, /paddingMode|options/, { paddingMode: 'reflect' }),
  partialCase("multiChannel 'yes'", TE, 'multiChannel', { multiChannel: 'yes' }),
  // --- options objects ---------------------------------------------------------------------
  convOpt('unknown option key', RE, 'strides', { strides: 2 }),
  convOpt('snake_case option key', RE, 'padding_mode', { padding_mode: 'reflect' }),
  convOpt('options null', TE, 'options', null),
  convOpt('options a string', TE, 'options', 'same'),
  convOpt('outputLayout of another rank', RE, 'outputLayout', { outputLayout: 'NWC' }),
  convOpt("weightLayout 'IOHW'", RE, 'weightLayout', { weightLayout: 'IOHW' }),
  padCase('pad: unknown option key', RE, 'mod', x4, 1, { mod: 'reflect' }),
  interpCase('interpolate: unknown option key', RE, 'align_corners', x4, { size: 4, align_corners: true }),
  // --- runtime ------------------------------------------------------------------------------
  { name: 'setNumThreads(0)', cls: RE, fn: 'setNumThreads', arg: 'n', sync: () => ck.setNumThreads(0) },
  { name: 'setNumThreads(-1)', cls: RE, fn: 'setNumThreads', arg: 'n', sync: () => ck.setNumThreads(-1) },
  { name: 'setNumThreads(1.5)', cls: RE, fn: 'setNumThreads', arg: 'n', sync: () => ck.setNumThreads(1.5) },
  { name: "setNumThreads('2')", cls: TE, fn: 'setNumThreads', arg: 'n', sync: () => ck.setNumThreads('2' as unknown as number) },
  { name: 'setMaxBytes(0)', cls: RE, fn: 'setMaxBytes', arg: 'bytes', sync: () => ck.setMaxBytes(0) },
  { name: 'setMaxBytes(NaN)', cls: RE, fn: 'setMaxBytes', arg: 'bytes', sync: () => ck.setMaxBytes(NaN) },
  // --- pixels -------------------------------------------------------------------------------
  {
    name: 'fromPixels: byte count mismatch', cls: RE, fn: 'fromPixels', arg: 'bytes',
    sync: () => ck.fromPixels(new Uint8Array(11), { width: 2, height: 2, channels: 3 }),
  },
  {
    name: 'fromPixels: Float32Array bytes', cls: TE, fn: 'fromPixels', arg: 'bytes',
    sync: () => ck.fromPixels(new Float32Array(12) as unknown as Uint8Array, { width: 2, height: 2, channels: 3 }),
  },
  {
    name: 'fromPixels: std 0', cls: RE, fn: 'fromPixels', arg: 'std',
    sync: () => ck.fromPixels(new Uint8Array(12), { width: 2, height: 2, channels: 3 }, { std: 0 }),
  },
  {
    name: 'toPixels: 5 channels', cls: RE, fn: 'toPixels', arg: 'tensor',
    sync: () => ck.toPixels(ck.tensor(f32(5 * 4), [1, 5, 2, 2])),
  },
  // --- shape arithmetic -------------------------------------------------------------------
  {
    name: 'convOutputShape: stride 0', cls: RE, fn: 'convOutputShape', arg: 'stride',
    sync: () => ck.convOutputShape([1, 3, 8, 8], [4, 3, 3, 3], { stride: 0 }),
  },
  {
    name: 'convTransposeOutputShape: impossible outputSize', cls: RE, fn: 'convTransposeOutputShape', arg: 'outputSize',
    sync: () => ck.convTransposeOutputShape([1, 3, 4, 4], [3, 2, 3, 3], { stride: 2, outputSize: [3, 3] }),
  },
  // --- out (the caller's result tensor) ------------------------------------------------------
  // conv2d of x4 with w4, padding 1: [1, 4, 8, 8]
  convOpt('out: a raw Float32Array', TE, 'out', { padding: 1, out: f32(256) }),
  convOpt('out: null', TE, 'out', { padding: 1, out: null }),
  convOpt('out: Float64Array data', TE, 'out', { padding: 1, out: { data: new Float64Array(256), shape: [1, 4, 8, 8], layout: 'NCHW' } }),
  convOpt('out: detached', TE, 'out', { padding: 1, out: { data: detached(256), shape: [1, 4, 8, 8], layout: 'NCHW' } }),
  convOpt('out: the wrong shape', RE, 'out.shape', { padding: 1, out: ck.tensor(f32(256), [1, 4, 16, 4]) }),
  convOpt('out: the shape without padding', RE, 'out.shape', { out: ck.tensor(f32(256), [1, 4, 8, 8]) }),
  convOpt('out: the other layout', RE, 'out.layout', { padding: 1, out: ck.tensor(f32(256), [1, 8, 8, 4], 'NHWC') }),
  convOpt('out: channels-first where outputLayout asks for NHWC', RE, 'out.layout', { padding: 1, outputLayout: 'NHWC', out: ck.tensor(f32(256), [1, 4, 8, 8]) }),
  convOpt('out: data of the wrong length', RE, 'out.data', { padding: 1, out: { data: f32(255), shape: [1, 4, 8, 8], layout: 'NCHW' } }),
  {
    name: 'out: overlapping the input (one float)', cls: RE, fn: 'conv2d', arg: 'out.data',
    sync: () => {
      const buf = f32(192 + 255);
      return ck.conv2d(ck.tensor(buf.subarray(0, 192), [1, 3, 8, 8]), w4(), { padding: 1, out: ck.tensor(buf.subarray(191), [1, 4, 8, 8]) });
    },
    async: () => {
      const buf = f32(192 + 255);
      return ck.conv2dAsync(ck.tensor(buf.subarray(0, 192), [1, 3, 8, 8]), w4(), { padding: 1, out: ck.tensor(buf.subarray(191), [1, 4, 8, 8]) });
    },
  },
  {
    name: 'out: overlapping the weight', cls: RE, fn: 'conv2d', arg: 'out.data',
    sync: () => {
      const buf = f32(255 + 108);
      return ck.conv2d(x4(), ck.tensor(buf.subarray(255), [4, 3, 3, 3]), { padding: 1, out: ck.tensor(buf.subarray(0, 256), [1, 4, 8, 8]) });
    },
  },
  {
    name: 'out: the bias inside it', cls: RE, fn: 'conv2d', arg: 'out.data',
    sync: () => {
      const buf = f32(256);
      return ck.conv2d(x4(), w4(), { padding: 1, bias: buf.subarray(100, 104), out: ck.tensor(buf, [1, 4, 8, 8]) });
    },
  },
  convT2dCase('convTranspose2d out: the wrong shape', RE, 'out.shape', { out: ck.tensor(f32(72), [1, 2, 4, 9]) }),
  {
    name: 'convTranspose2d out: its own input', cls: RE, fn: 'convTranspose2d', arg: 'out.data',
    sync: () => {
      const x = ck.tensor(f32(2 * 36), [1, 2, 6, 6]);
      return ck.convTranspose2d(x, ck.tensor(f32(2 * 2 * 9), [2, 2, 3, 3]), { padding: 1, out: x });
    },
  },
  padCase('pad out: the wrong shape', RE, 'out.shape', x4, 1, { out: ck.tensor(f32(192), [1, 3, 8, 8]) }),
  {
    name: 'pad out: its own input (a crop of 0)', cls: RE, fn: 'pad', arg: 'out.data',
    sync: () => {
      const x = x4();
      return ck.pad(x, 0, { out: x });
    },
    async: () => {
      const x = x4();
      return ck.padAsync(x, 0, { out: x });
    },
  },
  interpCase('interpolate out: the wrong layout', RE, 'out.layout', x4, { scaleFactor: 2, out: ck.tensor(f32(768), [1, 16, 16, 3], 'NHWC') }),
  interpCase('interpolate out: not a tensor', TE, 'out', x4, { scaleFactor: 2, out: 'y' }),
  {
    name: 'interpolate out: its own input', cls: RE, fn: 'interpolate', arg: 'out.data',
    sync: () => {
      const x = x4();
      return ck.interpolate(x, { size: [8, 8], out: x });
    },
  },
  {
    name: 'a layer takes no out in its config', cls: RE, fn: 'Conv2d', arg: 'options',
    sync: () => new ck.Conv2d({ weight: w4(), padding: 1, out: ck.tensor(f32(256), [1, 4, 8, 8]) } as ck.ConvOptions & { weight: ck.Tensor }),
  },
  // partialConv2d of [2, 3, 5, 5] with w4, no padding: output [2, 4, 3, 3], mask [2, 1, 3, 3]
  partialCase('partial out: the wrong shape', RE, 'out.shape', { out: ck.tensor(f32(72), [2, 4, 9, 1]) }),
  partialCase('partial maskOut: the output\'s shape', RE, 'maskOut.shape', { maskOut: ck.tensor(f32(72), [2, 4, 3, 3]) }),
  partialCase('partial maskOut: [N, 1, ...] where multiChannel wants Cout channels', RE, 'maskOut.shape',
    { multiChannel: true, maskOut: ck.tensor(f32(18), [2, 1, 3, 3]) }),
  partialCase('partial maskOut: not a tensor', TE, 'maskOut', { maskOut: f32(18) }),
  {
    name: 'partial maskOut: inside out', cls: RE, fn: 'partialConv2d', arg: 'maskOut.data',
    sync: () => {
      const buf = f32(72);
      return ck.partialConv2d(ck.tensor(f32(150), [2, 3, 5, 5]), w4(), { out: ck.tensor(buf, [2, 4, 3, 3]), maskOut: ck.tensor(buf.subarray(0, 18), [2, 1, 3, 3]) });
    },
    async: () => {
      const buf = f32(72);
      return ck.partialConv2dAsync(ck.tensor(f32(150), [2, 3, 5, 5]), w4(), { out: ck.tensor(buf, [2, 4, 3, 3]), maskOut: ck.tensor(buf.subarray(0, 18), [2, 1, 3, 3]) });
    },
  },
  {
    name: 'partial out: overlapping the mask', cls: RE, fn: 'partialConv2d', arg: 'out.data',
    sync: () => {
      const buf = f32(50 + 72);
      return ck.partialConv2d(ck.tensor(f32(150), [2, 3, 5, 5]), w4(), { mask: ck.tensor(buf.subarray(0, 50), [2, 1, 5, 5]), out: ck.tensor(buf.subarray(49, 121), [2, 4, 3, 3]) });
    },
  },
  {
    name: 'to: out of the source layout', cls: RE, fn: 'to', arg: 'out.layout',
    sync: () => x4().to('NHWC', { out: ck.tensor(f32(192), [1, 3, 8, 8]) }),
  },
  {
    name: 'to: out the tensor itself (same layout)', cls: RE, fn: 'to', arg: 'out.data',
    sync: () => { const x = x4(); return x.to('NCHW', { out: x }); },
  },
  {
    name: 'to: unknown option', cls: RE, fn: 'to', arg: 'options',
    sync: () => x4().to('NHWC', { output: 1 } as unknown as { out?: ck.Tensor }),
  },
  {
    name: 'a PartialConv2d layer takes no out in its config', cls: RE, fn: 'PartialConv2d', arg: 'options',
    sync: () => new ck.PartialConv2d({ weight: w4(), out: ck.tensor(f32(72), [2, 4, 3, 3]) } as ck.PartialConvOptions & { weight: ck.Tensor }),
  },
];

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function checkError(c: Case, e: unknown, isAsync: boolean): void {
  expect(e, `${c.name}: class`).toBeInstanceOf(c.cls);
  // a RangeError is not a TypeError and vice versa; make the class exact
  expect((e as Error).constructor, `${c.name}: exact class`).toBe(c.cls);
  const msg = (e as Error).message;
  const fnRe = isAsync ? `${escape(c.fn)}(Async)?` : escape(c.fn);
  expect(msg, `${c.name}: message names the function`).toMatch(new RegExp(`^${fnRe}\\b`));
  const argRe = typeof c.arg === 'string' ? new RegExp(`\\b${escape(c.arg)}\\b`) : c.arg;
  expect(msg.replace(/^[^:]*:/, ''), `${c.name}: message names the argument`).toMatch(argRe);
  expect(msg, `${c.name}: message says what was expected and what was received`).toMatch(/expects[\s\S]*got|needs|must/);
}

describe('bad inputs: error class and message (sync)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let thrown: unknown = undefined;
    let threw = false;
    try {
      c.sync();
    } catch (e) {
      threw = true;
      thrown = e;
    }
    expect(threw, `${c.name}: should throw`).toBe(true);
    checkError(c, thrown, false);
  });
});

describe('bad inputs: async forms reject (never throw synchronously) with the same class', () => {
  const asyncCases = cases.filter((c) => c.async);
  it.each(asyncCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    let p: Promise<unknown>;
    try {
      p = c.async!();
    } catch (e) {
      expect.fail(`${c.name}: threw synchronously (${String(e)}) instead of returning a rejected promise`);
    }
    expect(p!).toBeInstanceOf(Promise);
    let err: unknown = undefined;
    let rejected = false;
    try {
      await p!;
    } catch (e) {
      rejected = true;
      err = e;
    }
    expect(rejected, `${c.name}: should reject`).toBe(true);
    checkError(c, err, true);
  });
});

describe('messages', () => {
  it('reproduces the SPEC §4 example exactly', () => {
    const x = ck.tensor(f32(3 * 32 * 32), [1, 3, 32, 32]);
    const w = ck.tensor(f32(64 * 3 * 3), [64, 3, 3], 'NCW');
    expect(() => ck.conv2d(x, w)).toThrowError(new RangeError('conv2d: weight expects 4 dims [Cout, Cin/groups, kH, kW], got [64, 3, 3]'));
  });

  it('an unknown option names the key', () => {
    expect(() => ck.conv2d(x4(), w4(), { strides: 2 } as ck.ConvOptions)).toThrowError(/"strides"|'strides'|strides/);
  });

  it('a partial-conv mask value outside [0, 1]: the first one in the mask as given, its value and index', async () => {
    // NHWC, one image of 5x5 pixels, 2 channels (multiChannel): element (pixel p, channel c)
    // is at index 2p + c. Bad values at pixel 3 channel 1 (index 7) and pixel 6 channel 0
    // (index 12). Channels first, pixel 6 channel 0 would come first (6 < 25 + 3): the
    // message names index 7 of the mask the caller passed.
    const x = ck.tensor(f32(5 * 5 * 2, 0.5), [1, 5, 5, 2], 'NHWC');
    const w = ck.tensor(f32(3 * 2 * 3 * 3, 0.1), [3, 2, 3, 3]);
    const m = new Float32Array(50).fill(1);
    m[7] = 1.5;
    m[12] = -2;
    const opts = { multiChannel: true, padding: 1, mask: ck.tensor(m, [1, 5, 5, 2], 'NHWC') };
    expect(() => ck.partialConv2d(x, w, opts)).toThrowError(new RangeError('partialConv2d: mask expects values in [0, 1], got 1.500000 at index 7'));
    await expect(ck.partialConv2dAsync(x, w, opts)).rejects.toThrowError(/got 1\.500000 at index 7$/);
    // NCHW, two images: the first bad value is in the second image.
    const m2 = new Float32Array(50).fill(0);
    m2[30] = 2;
    m2[49] = -1;
    const x2 = ck.tensor(f32(2 * 2 * 5 * 5, 0.5), [2, 2, 5, 5]);
    expect(() => ck.partialConv2d(x2, w, { padding: 1, mask: ck.tensor(m2, [2, 1, 5, 5]) })).toThrowError(/got 2\.000000 at index 30$/);
  });
});

describe('maxBytes', () => {
  const saved = ck.getMaxBytes();
  afterEach(() => ck.setMaxBytes(saved));

  it('an output over setMaxBytes is refused with a RangeError naming the limit (sync and async)', async () => {
    const big = () => ck.tensor(f32(3 * 64 * 64), [1, 3, 64, 64]);
    ck.setMaxBytes(65536);
    // padding 1: output [1, 4, 64, 64] = 65536 bytes, allowed; 'full': [1, 4, 66, 66] = 69696 bytes
    expect(ck.conv2d(big(), w4(), { padding: 1 }).shape).toEqual([1, 4, 64, 64]);
    let err: unknown;
    try {
      ck.conv2d(big(), w4(), { padding: 'full' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(/^conv2d\b/);
    expect((err as Error).message).toMatch(/maxBytes/);
    await expect(ck.conv2dAsync(big(), w4(), { padding: 'full' })).rejects.toBeInstanceOf(RangeError);
    await expect(ck.padAsync(big(), 6)).rejects.toBeInstanceOf(RangeError);
    expect(() => ck.interpolate(big(), { scaleFactor: 1.2 })).toThrow(RangeError);
    expect(() => ck.convTranspose2d(big(), ck.tensor(f32(108), [3, 4, 3, 3]))).toThrow(RangeError);
    expect(() => big().to('NHWC')).not.toThrow(); // 49152 bytes
    ck.setMaxBytes(40000);
    expect(() => big().to('NHWC')).toThrow(RangeError);
  });

  it('the default limit (4 GiB) refuses a 4 GiB + 4 byte result before allocating it', () => {
    ck.setMaxBytes(4 * 2 ** 30);
    const before = process.memoryUsage().arrayBuffers;
    // pad [1, 1, 1, 1] to 2^30 + 1 elements: (2^30 + 1) * 4 bytes
    const x = ck.tensor(f32(1), [1, 1, 1, 1]);
    let err: unknown;
    try {
      ck.pad(x, [[0, 0], [0, 2 ** 30]]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(/^pad\b.*maxBytes/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 ** 20);
  });

  it('at any limit, sync and async forms agree: both succeed or both refuse with a RangeError naming the function', async () => {
    const x = ck.tensor(f32(3 * 64), [1, 3, 8, 8]);
    const w = ck.tensor(f32(4 * 27), [4, 3, 3, 3]);
    const wt = ck.tensor(f32(27), [3, 1, 3, 3]);
    const ops: [string, () => unknown, () => Promise<unknown>][] = [
      ['conv2d', () => ck.conv2d(x, w, { padding: 1, paddingMode: 'reflect' }), () => ck.conv2dAsync(x, w, { padding: 1, paddingMode: 'reflect' })],
      ['convTranspose2d', () => ck.convTranspose2d(x, wt), () => ck.convTranspose2dAsync(x, wt)],
      ['partialConv2d', () => ck.partialConv2d(x, w, { padding: 1 }), () => ck.partialConv2dAsync(x, w, { padding: 1 })],
      ['interpolate', () => ck.interpolate(x, { size: [9, 9], mode: 'bicubic' }), () => ck.interpolateAsync(x, { size: [9, 9], mode: 'bicubic' })],
      ['pad', () => ck.pad(x, 2, { mode: 'symmetric' }), () => ck.padAsync(x, 2, { mode: 'symmetric' })],
    ];
    for (const limit of [64, 256, 1024, 4096, 1 << 16]) {
      ck.setMaxBytes(limit);
      for (const [name, s, a] of ops) {
        let se: unknown = null, ae: unknown = null;
        try {
          s();
        } catch (e) {
          se = e;
        }
        try {
          await a();
        } catch (e) {
          ae = e;
        }
        const label = `${name} at maxBytes ${limit}: sync ${String(se)}, async ${String(ae)}`;
        expect(se === null, label).toBe(ae === null);
        if (se !== null) {
          expect(se, label).toBeInstanceOf(RangeError);
          expect(ae, label).toBeInstanceOf(RangeError);
          expect((se as Error).message, label).toMatch(new RegExp(`^${name}\\b`));
          expect((ae as Error).message, label).toMatch(new RegExp(`^${name}(Async)?\\b`));
        }
      }
    }
  });

  it('setMaxBytes is reflected in runtimeInfo and getMaxBytes', () => {
    ck.setMaxBytes(123456);
    expect(ck.getMaxBytes()).toBe(123456);
    expect(ck.runtimeInfo().maxBytes).toBe(123456);
  });
});

describe('layers', () => {
  it('dispose then forward throws, naming the layer; forwardAsync rejects', async () => {
    const layer = new ck.Conv2d({ weight: w4() });
    expect(layer.forward(x4()).shape).toEqual([1, 4, 6, 6]);
    layer.dispose();
    expect(() => layer.forward(x4())).toThrow(/^Conv2d\b.*dispos/);
    let p: Promise<unknown> | undefined;
    let syncErr: unknown;
    try {
      p = layer.forwardAsync(x4());
    } catch (e) {
      syncErr = e;
    }
    expect(syncErr, 'forwardAsync threw synchronously instead of rejecting').toBeUndefined();
    await expect(p).rejects.toThrow(/^Conv2d\b.*dispos/);
  });

  const layerMakers: [string, () => { forwardAsync(x: ck.Tensor): Promise<unknown> }][] = [
    ['Conv2d', () => new ck.Conv2d({ weight: w4() })],
    ['ConvTranspose2d', () => new ck.ConvTranspose2d({ weight: ck.tensor(f32(54), [3, 2, 3, 3]) })],
    ['PartialConv2d', () => new ck.PartialConv2d({ weight: w4() })],
    ['Conv1d', () => new ck.Conv1d({ weight: ck.tensor(f32(6), [1, 2, 3]) })],
    ['Conv3d', () => new ck.Conv3d({ weight: ck.tensor(f32(2), [1, 2, 1, 1, 1]) })],
  ];
  it.each(layerMakers)('%s.forwardAsync(null) rejects with a TypeError, not throws', async (_name, make) => {
    const l = make();
    let p: Promise<unknown> | undefined;
    let syncErr: unknown;
    try {
      p = l.forwardAsync(null as unknown as ck.Tensor);
    } catch (e) {
      syncErr = e;
    }
    expect(syncErr, `forwardAsync threw synchronously: ${String(syncErr)}`).toBeUndefined();
    await expect(p).rejects.toBeInstanceOf(TypeError);
  });

  it('constructor validation: bad weight and options, right classes', () => {
    expect(() => new ck.Conv2d({ weight: f32(108) as unknown as ck.Tensor })).toThrow(TypeError);
    expect(() => new ck.Conv2d({ weight: ck.tensor(f32(36), [4, 3, 3]) as ck.Tensor })).toThrow(RangeError);
    expect(() => new ck.Conv2d({ weight: w4(), stride: 0 })).toThrow(RangeError);
    expect(() => new ck.Conv2d({ weight: w4(), paddingMode: 'wrap' as ck.PaddingMode })).toThrow(RangeError);
    expect(() => new ck.ConvTranspose2d({ weight: ck.tensor(f32(54), [3, 2, 3, 3]), stride: 2, outputPadding: 2 })).toThrow(RangeError);
    expect(() => new ck.Conv2d({ weight: w4(), bias: new Float64Array(4) as unknown as Float32Array })).toThrow(TypeError);
  });

  it('the constructor rejects a bias of the wrong length (not only forward)', () => {
    expect(() => new ck.Conv2d({ weight: w4(), bias: f32(3) })).toThrow(RangeError);
    expect(() => new ck.ConvTranspose2d({ weight: ck.tensor(f32(54), [3, 2, 3, 3]), bias: f32(3) })).toThrow(RangeError);
  });

  it('constructor errors name the layer (Conv2d), not an internal function', () => {
    expect(() => new ck.Conv2d({ weight: w4(), stride: 0 })).toThrow(/^Conv2d\b.*stride/);
    expect(() => new ck.Conv2d({ weight: ck.tensor(f32(36), [4, 3, 3]) as ck.Tensor })).toThrow(/^Conv2d\b.*weight/);
    expect(() => new ck.ConvTranspose2d({ weight: ck.tensor(f32(54), [3, 2, 3, 3]), stride: 2, outputPadding: 2 })).toThrow(/^ConvTranspose2d\b.*outputPadding/);
  });
});

// ---------------------------------------------------------------------------------------
// The native layer checks again what the facade checked: descriptors built by hand (as a
// caller reaching past the facade would) get a TypeError or RangeError, never a crash.
// ---------------------------------------------------------------------------------------
describe('the native layer re-checks conv descriptors', () => {
  const good = () => {
    const g = new Float64Array(36);
    // rank, N, Cin, Cout, groups, in, k, stride, dil, padBefore, padAfter, out
    g.set([2, 1, 2, 3, 1, 1, 4, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 4, 4]);
    return {
      fn: 'conv2d', g, x: new Float32Array(2 * 16), w: new Float32Array(3 * 2 * 9),
      bias: undefined as Float32Array | undefined, y: new Float32Array(3 * 16),
    };
  };
  const nativeError = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return e instanceof RangeError ? 'RangeError' : e instanceof TypeError ? 'TypeError' : 'other';
    }
    return 'none';
  };
  it('a well-formed descriptor runs', () => {
    expect(nativeError(() => native.conv(good()))).toBe('none');
  });
  it.each([
    ['g not a Float64Array', (d: ReturnType<typeof good>) => { (d as { g: unknown }).g = [1, 2]; }, 'TypeError'],
    ['g of the wrong length', (d: ReturnType<typeof good>) => { d.g = new Float64Array(35); }, 'RangeError'],
    ['a NaN extent', (d: ReturnType<typeof good>) => { d.g[5] = NaN; }, 'RangeError'],
    ['a fractional channel count', (d: ReturnType<typeof good>) => { d.g[2] = 1.5; }, 'RangeError'],
    ['an output extent that does not follow', (d: ReturnType<typeof good>) => { d.g[24] = 9; }, 'RangeError'],
    ['an unknown padding mode', (d: ReturnType<typeof good>) => { d.g[28] = 9; }, 'RangeError'],
    ['x one element short', (d: ReturnType<typeof good>) => { d.x = new Float32Array(31); }, 'RangeError'],
    ['y not a Float32Array', (d: ReturnType<typeof good>) => { (d as { y: unknown }).y = new Float64Array(48); }, 'TypeError'],
  ] as const)('%s', (_name, spoil, cls) => {
    const d = good();
    spoil(d);
    expect(nativeError(() => native.conv(d))).toBe(cls);
  });
  it('convTranspose refuses a packed weight that is not its own handle, or was made for another geometry', () => {
    const g = new Float64Array(36);
    // Cin 4, Cout 2, k 4x4, stride 2, padding 1: 3x3 -> 6x6
    g.set([2, 1, 4, 2, 1, 1, 3, 3, 1, 4, 4, 1, 2, 2, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 6, 6]);
    const d = { fn: 'convTranspose2d', g, x: new Float32Array(36), w: new Float32Array(4 * 2 * 16), y: new Float32Array(72), packed: {} as unknown };
    expect(nativeError(() => native.convTranspose(d))).toBe('TypeError');
    const other = new Float64Array(g);
    other[3] = 4; // Cout 4
    const wrong = native.prepareConvTranspose({ fn: 'prepare', g: other, w: new Float32Array(4 * 4 * 16) });
    expect(wrong).toBeDefined();
    d.packed = wrong;
    expect(nativeError(() => native.convTranspose(d))).toBe('RangeError');
    d.packed = native.prepareConvTranspose({ fn: 'prepare', g, w: d.w });
    expect(nativeError(() => native.convTranspose(d))).toBe('none');
  });
  it('conv refuses a packed weight that is not its own handle, or was made for another geometry', () => {
    const g = new Float64Array(36);
    // Cin 16, Cout 32, 4x4, k 3x3, padding 1 -> 4x4: a small map, packed on AVX-512
    g.set([2, 1, 16, 32, 1, 1, 4, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 4, 4]);
    const d = { fn: 'conv2d', g, x: new Float32Array(16 * 16), w: new Float32Array(32 * 16 * 9), y: new Float32Array(32 * 16), packed: {} as unknown };
    expect(nativeError(() => native.conv(d))).toBe('TypeError');
    const gt = new Float64Array(36);
    gt.set([2, 1, 4, 2, 1, 1, 3, 3, 1, 4, 4, 1, 2, 2, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 6, 6]);
    d.packed = native.prepareConvTranspose({ fn: 'prepare', g: gt, w: new Float32Array(4 * 2 * 16) });
    expect(nativeError(() => native.conv(d))).toBe('TypeError'); // a transposed conv's handle
    const own = native.prepareConv({ fn: 'prepare', g, w: d.w });
    if (ck.runtimeInfo().isa === 'avx512f') expect(own).toBeDefined(); // (no packed form on other ISAs)
    const other = new Float64Array(g);
    other[3] = 64; // Cout 64
    const wrong = native.prepareConv({ fn: 'prepare', g: other, w: new Float32Array(64 * 16 * 9) });
    if (wrong !== undefined) {
      d.packed = wrong;
      expect(nativeError(() => native.conv(d))).toBe('RangeError');
    }
    d.packed = own;
    expect(nativeError(() => native.conv(d))).toBe('none');
    expect(() => native.prepareConv({ fn: 'prepare', g, w: new Float32Array(5) })).toThrow(RangeError);
  });
  it('a result sharing memory with an input is refused, by name, for every op (the `out` check, again)', () => {
    const d = good();
    const buf = new Float32Array(2 * 16 + 3 * 16);
    d.x = buf.subarray(0, 32);
    d.y = buf.subarray(31, 31 + 48);
    expect(() => native.conv(d)).toThrow(/^conv2d: y expects memory that no input shares, got a Float32Array overlapping x$/);
    d.y = buf.subarray(32);
    expect(nativeError(() => native.conv(d))).toBe('none'); // adjacent, not overlapping
    const w = new Float32Array(3 * 2 * 9 + 3 * 16);
    const dw = { ...good(), w: w.subarray(0, 54), y: w.subarray(50, 98) };
    expect(() => native.conv(dw)).toThrow(/overlapping w$/);
    const db = { ...good(), bias: new Float32Array(3) };
    db.y = new Float32Array(48);
    db.bias = db.y.subarray(45);
    expect(() => native.conv(db)).toThrow(/overlapping bias$/);
    // transposed: Cin 4, Cout 2, k 4x4, stride 2, padding 1: 3x3 -> 6x6
    const g = new Float64Array(36);
    g.set([2, 1, 4, 2, 1, 1, 3, 3, 1, 4, 4, 1, 2, 2, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 6, 6]);
    const t = new Float32Array(36 + 72);
    expect(() => native.convTranspose({ fn: 'convTranspose2d', g, x: t.subarray(0, 36), w: new Float32Array(128), y: t.subarray(30, 102) }))
      .toThrow(/^convTranspose2d: y expects memory that no input shares.*overlapping x$/);
    // partial: the mask result inside the result
    const gp = new Float64Array(good().g);
    gp[35] = 1; // a mask of 1 channel
    const r = new Float32Array(48);
    expect(() => native.partialConv({ fn: 'partialConv2d', g: gp, x: new Float32Array(32), w: new Float32Array(54), y: r,
      mask: new Float32Array(16), maskOut: r.subarray(32) })).toThrow(/^partialConv2d: maskOut expects.*overlapping y$/);
    const p = new Float32Array(32);
    const pd = { fn: 'pad', rank: 2, N: 1, C: 2, in: [1, 4, 4], before: [0, 0, 0], after: [0, 0, 0], out: [1, 4, 4],
      inChannelsLast: false, outChannelsLast: false, mode: 1, value: 0, x: p, y: p };
    expect(() => native.pad(pd)).toThrow(/^pad: y expects.*overlapping x$/);
    const id = { fn: 'interpolate', rank: 2, N: 1, C: 2, in: [1, 4, 4], out: [1, 4, 4], scale: [0, 0, 0], alignCorners: false,
      inChannelsLast: false, outChannelsLast: false, mode: 0, x: p, y: p };
    expect(() => native.interpolate(id)).toThrow(/^interpolate: y expects.*overlapping x$/);
    expect(() => native.layout({ fn: 'to', N: 1, C: 2, S: 16, toChannelsLast: true, x: p, y: p })).toThrow(/^to: y expects.*overlapping x$/);
  });
  it('output allocation: a count of floats, whole, within maxBytes', () => {
    const a = native.allocFloat32(5);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(5);
    expect(native.allocFloat32(0).length).toBe(0);
    expect(nativeError(() => native.allocFloat32('5' as unknown as number))).toBe('TypeError');
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 31]) expect(nativeError(() => native.allocFloat32(bad))).toBe('RangeError');
    const saved = ck.runtimeInfo().maxBytes;
    ck.setMaxBytes(64);
    try {
      expect(nativeError(() => native.allocFloat32(17))).toBe('RangeError');
      expect(native.allocFloat32(16).length).toBe(16);
    } finally {
      ck.setMaxBytes(saved);
    }
  });
});
