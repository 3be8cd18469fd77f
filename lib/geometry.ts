// The one shape-arithmetic module (Dumoulin & Visin): padding resolution and output sizes
// for every op. The ops, their validation and the public convOutputShape /
// convTransposeOutputShape all go through the plan functions below.
import { describe, rangeError, rangeErrorText, typeError } from './errors';
import { channelsFirst, fromCanonical, isLayout, Layout, LAYOUTS, spatialRank, toCanonical } from './layout';
import { checkEnum, checkFinite, checkInteger, checkOptions, checkOutputLayout, checkShape, checkSpatial, isPlainObject } from './validate';

export type PaddingPair = readonly [number, number];
export type Padding = number | readonly (number | PaddingPair)[] | 'valid' | 'same' | 'full';
export type PaddingMode = 'zeros' | 'constant' | 'reflect' | 'replicate' | 'circular' | 'symmetric' | 'partial';
export type WeightLayout = 'OIW' | 'OIHW' | 'OIDHW' | 'WIO' | 'HWIO' | 'DHWIO' | 'OWI' | 'OHWI' | 'ODHWI';

export const PADDING_MODES: readonly PaddingMode[] = ['zeros', 'constant', 'reflect', 'replicate', 'circular', 'symmetric', 'partial'];
// Native codes of core/padmap.h PadMode.
export const PAD_MODE_CODE: Record<PaddingMode, number> = {
  zeros: 0, constant: 1, reflect: 2, replicate: 3, circular: 4, symmetric: 5, partial: 6,
};

const DIM_NAMES: Record<number, string[]> = { 1: ['W'], 2: ['H', 'W'], 3: ['D', 'H', 'W'] };

export function dimNames(rank: number): string[] {
  return DIM_NAMES[rank];
}

// o = floor((i + pb + pa - d(k-1) - 1) / s) + 1  (<= 0 when the dilated kernel does not fit)
export function convOutSize(i: number, k: number, s: number, d: number, pb: number, pa: number): number {
  const span = d * (k - 1) + 1;
  const padded = i + pb + pa;
  return padded < span ? 0 : Math.floor((padded - span) / s) + 1;
}

// o' = (i-1)s - pb - pa + d(k-1) + outputPadding + 1
export function convTransposeOutSize(i: number, k: number, s: number, d: number, pb: number, pa: number, op: number): number {
  return (i - 1) * s - pb - pa + d * (k - 1) + op + 1;
}

export interface Pads {
  before: number[];
  after: number[];
}

// number | per-dim numbers | per-dim [before, after] pairs; strings are resolved by the caller.
export function explicitPadding(fn: string, v: unknown, rank: number, allowNegative: boolean): Pads {
  const min = allowNegative ? -Number.MAX_SAFE_INTEGER : 0;
  const what = `${allowNegative ? 'an integer' : 'an integer >= 0'}, ${rank} of them, or ${rank} [before, after] pairs${allowNegative ? '' : ", or 'valid', 'same', 'full'"}`;
  const one = (e: unknown, all: unknown): number => {
    if (typeof e !== 'number') throw typeError(fn, 'padding', what, all);
    if (!Number.isInteger(e) || e < min) throw rangeError(fn, 'padding', what, all);
    return e;
  };
  if (typeof v === 'number') {
    const p = one(v, v);
    return { before: new Array(rank).fill(p), after: new Array(rank).fill(p) };
  }
  if (!Array.isArray(v)) throw typeError(fn, 'padding', what, v);
  if (v.length !== rank) throw rangeError(fn, 'padding', what, v);
  const before: number[] = [], after: number[] = [];
  for (const e of v) {
    if (Array.isArray(e)) {
      if (e.length !== 2) throw rangeError(fn, 'padding', what, v);
      before.push(one(e[0], v));
      after.push(one(e[1], v));
    } else {
      const p = one(e, v);
      before.push(p);
      after.push(p);
    }
  }
  return { before, after };
}

function checkPaddingString(fn: string, v: string, allowed: readonly string[]): void {
  if (!allowed.includes(v))
    throw rangeError(fn, 'padding', `a number, per-dim numbers, [before, after] pairs, or one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
}

// 'same' for a convolution: output = ceil(i / s); at stride 1 PyTorch's rule, above it the
// TensorFlow/ONNX SAME_UPPER rule (the odd pixel at the end).
export function samePadding(i: number, k: number, s: number, d: number): [number, number] {
  const total = Math.max((Math.ceil(i / s) - 1) * s + d * (k - 1) + 1 - i, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

export type WeightFamily = 0 | 1 | 2; // OIS, SIO, OSI (native WeightLayout)

export function weightFamily(fn: string, v: unknown, rank: number): WeightFamily {
  if (v === undefined) return 0;
  const sp = DIM_NAMES[rank].join('');
  const names: Record<string, WeightFamily> = { [`OI${sp}`]: 0, [`${sp}IO`]: 1, [`O${sp}I`]: 2, OIHW: 0, HWIO: 1, OHWI: 2 };
  const allowed = Object.keys(names);
  if (typeof v !== 'string') throw typeError(fn, 'weightLayout', `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
  if (!(v in names)) throw rangeError(fn, 'weightLayout', `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
  return names[v];
}

// Cout, Cin/groups and the kernel extents of a convolution weight in a weight-layout family.
export function splitWeightShape(shape: readonly number[], family: WeightFamily, rank: number): { cout: number; cig: number; k: number[] } {
  if (family === 0) return { cout: shape[0], cig: shape[1], k: shape.slice(2) };
  if (family === 1) return { cout: shape[rank + 1], cig: shape[rank], k: shape.slice(0, rank) };
  return { cout: shape[0], cig: shape[rank + 1], k: shape.slice(1, rank + 1) };
}

function weightDims(rank: number, family: WeightFamily, transposed: boolean): string {
  const k = DIM_NAMES[rank].map((n) => `k${n}`);
  const a = transposed ? 'Cin' : 'Cout', b = transposed ? 'Cout/groups' : 'Cin/groups';
  const parts = family === 0 ? [a, b, ...k] : family === 1 ? [...k, b, a] : [a, ...k, b];
  return `${rank + 2} dims [${parts.join(', ')}]`;
}

export interface InputDesc {
  N: number;
  C: number;
  spatial: number[];
  layout: Layout;
}

// The geometry every convolution plan has (spatial arrays in D, H, W order of the rank).
export interface ConvGeometry {
  fn: string;
  rank: number;
  N: number;
  Cin: number;
  Cout: number;
  groups: number;
  in: number[];
  k: number[];
  stride: number[];
  dilation: number[];
  padBefore: number[];
  padAfter: number[];
  out: number[];
  mode: PaddingMode;
  inputLayout: Layout;
  outputLayout: Layout;
  outputShape: number[];
}

export interface ConvPlan extends ConvGeometry {
  padValue: number;
  weightFamily: WeightFamily;
}

export const CONV_OPTIONS = ['bias', 'stride', 'dilation', 'groups', 'padding', 'paddingMode', 'paddingValue', 'weightLayout', 'outputLayout'] as const;
export const PARTIAL_CONV_OPTIONS = ['bias', 'stride', 'dilation', 'groups', 'padding', 'weightLayout', 'outputLayout', 'mask', 'multiChannel'] as const;

function sizeText(v: readonly number[]): string {
  return v.join('x');
}

// withOut: a call's options, which may hold `out` (the job planners); a layer's config and
// convOutputShape never take it.
export function planConv(fn: string, input: InputDesc, weightShape: readonly number[], options: unknown, partial = false, withOut = false): ConvPlan {
  const rank = spatialRank(input.layout);
  const allowed: readonly string[] = partial ? PARTIAL_CONV_OPTIONS : CONV_OPTIONS;
  const o = checkOptions(fn, options, withOut ? [...allowed, ...(partial ? ['out', 'maskOut'] : ['out'])] : allowed);
  const family = weightFamily(fn, o.weightLayout, rank);
  if (weightShape.length !== rank + 2) throw rangeErrorText(fn, 'weight', `${weightDims(rank, family, false)}`, describe(weightShape));
  const { cout: Cout, cig: Cig, k } = splitWeightShape(weightShape, family, rank);
  const groups = o.groups === undefined ? 1 : checkInteger(fn, 'groups', o.groups, 1);
  if (input.C % groups !== 0)
    throw rangeErrorText(fn, 'groups', `a divisor of the input's ${input.C} channels`, `${groups}`);
  if (Cout % groups !== 0)
    throw rangeErrorText(fn, 'groups', `a divisor of the weight's ${Cout} output channels`, `${groups}`);
  if (Cig * groups !== input.C)
    throw rangeErrorText(fn, 'weight', `Cin/groups = ${input.C / groups} input channels (input has ${input.C}, groups = ${groups})`, `${Cig} in shape ${describe(weightShape)}`);
  const stride = checkSpatial(fn, 'stride', o.stride, rank, 1, 1);
  const dilation = checkSpatial(fn, 'dilation', o.dilation, rank, 1, 1);
  const mode: PaddingMode = partial ? 'zeros' : checkEnum(fn, 'paddingMode', o.paddingMode, PADDING_MODES, 'zeros');
  let padValue = 0;
  if (o.paddingValue !== undefined) {
    padValue = checkFinite(fn, 'paddingValue', o.paddingValue);
    if (mode !== 'constant' && padValue !== 0)
      throw rangeErrorText(fn, 'paddingValue', "paddingMode 'constant'", `paddingMode '${mode}'`);
  }
  const pads = resolveConvPadding(fn, o.padding, rank, input.spatial, k, stride, dilation);
  const out = input.spatial.map((i, d) => convOutSize(i, k[d], stride[d], dilation[d], pads.before[d], pads.after[d]));
  if (out.some((e) => e < 1)) {
    const span = k.map((kk, d) => dilation[d] * (kk - 1) + 1);
    const padded = input.spatial.map((i, d) => i + pads.before[d] + pads.after[d]);
    throw rangeErrorText(fn, 'input', `padded spatial extents of at least the dilated kernel ${sizeText(span)}`, `${sizeText(padded)} (input ${sizeText(input.spatial)})`);
  }
  const outputLayout = checkOutputLayout(fn, o.outputLayout, rank, input.layout);
  return {
    fn, rank, N: input.N, Cin: input.C, Cout, groups, in: input.spatial, k, stride, dilation,
    padBefore: pads.before, padAfter: pads.after, out, mode, padValue, weightFamily: family,
    inputLayout: input.layout, outputLayout, outputShape: fromCanonical(input.N, Cout, out, outputLayout),
  };
}

export function resolveConvPadding(fn: string, v: unknown, rank: number, input: readonly number[], k: readonly number[],
  stride: readonly number[], dilation: readonly number[]): Pads {
  if (v === undefined) v = 0;
  if (typeof v === 'string') {
    checkPaddingString(fn, v, ['valid', 'same', 'full']);
    if (v === 'valid') return { before: new Array(rank).fill(0), after: new Array(rank).fill(0) };
    if (v === 'full') {
      const p = k.map((kk, d) => dilation[d] * (kk - 1));
      return { before: p, after: p.slice() };
    }
    const same = input.map((i, d) => samePadding(i, k[d], stride[d], dilation[d]));
    return { before: same.map((p) => p[0]), after: same.map((p) => p[1]) };
  }
  return explicitPadding(fn, v, rank, false);
}

export interface ConvTransposePlan extends ConvGeometry {
  outputPadding: number[];
}

export const CONV_TRANSPOSE_OPTIONS = ['bias', 'stride', 'dilation', 'groups', 'padding', 'outputPadding', 'outputSize', 'paddingMode', 'outputLayout'] as const;
const TRANSPOSE_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular', 'symmetric'];

export function planConvTranspose(fn: string, input: InputDesc, weightShape: readonly number[], options: unknown, withOut = false): ConvTransposePlan {
  const rank = spatialRank(input.layout);
  const o = checkOptions(fn, options, withOut ? [...CONV_TRANSPOSE_OPTIONS, 'out'] : CONV_TRANSPOSE_OPTIONS);
  if (weightShape.length !== rank + 2) throw rangeErrorText(fn, 'weight', weightDims(rank, 0, true), describe(weightShape));
  const [Cin, Cog] = [weightShape[0], weightShape[1]];
  const k = weightShape.slice(2);
  const groups = o.groups === undefined ? 1 : checkInteger(fn, 'groups', o.groups, 1);
  if (Cin !== input.C)
    throw rangeErrorText(fn, 'weight', `Cin = ${input.C} (the input's channels) in dim 0`, `${Cin} in shape ${describe(weightShape)}`);
  if (input.C % groups !== 0)
    throw rangeErrorText(fn, 'groups', `a divisor of the input's ${input.C} channels`, `${groups}`);
  const Cout = Cog * groups;
  const stride = checkSpatial(fn, 'stride', o.stride, rank, 1, 1);
  const dilation = checkSpatial(fn, 'dilation', o.dilation, rank, 1, 1);
  const mode = checkEnum(fn, 'paddingMode', o.paddingMode, TRANSPOSE_MODES, 'zeros');
  let pads: Pads;
  let outputPadding = new Array(rank).fill(0) as number[];
  const same = o.padding === 'same';
  if (typeof o.padding === 'string') {
    checkPaddingString(fn, o.padding, ['valid', 'same']);
    pads = { before: new Array(rank).fill(0), after: new Array(rank).fill(0) };
    if (same) {
      // output = input * stride (ONNX SAME_UPPER): the odd pixel of padding from the end; when
      // the kernel is shorter than the stride, the output is extended with zeros instead.
      for (let d = 0; d < rank; d++) {
        const total = dilation[d] * (k[d] - 1) + 1 - stride[d];
        if (total >= 0) {
          pads.before[d] = Math.floor(total / 2);
          pads.after[d] = total - pads.before[d];
        } else outputPadding[d] = -total;
      }
    }
  } else {
    pads = explicitPadding(fn, o.padding === undefined ? 0 : o.padding, rank, false);
  }
  if (o.outputPadding !== undefined) {
    const op = checkSpatial(fn, 'outputPadding', o.outputPadding, rank, 0, 0);
    if (same && op.some((e) => e !== 0)) throw rangeErrorText(fn, 'outputPadding', "0 with padding 'same'", describe(o.outputPadding));
    op.forEach((e, d) => {
      if (e >= Math.max(stride[d], dilation[d]))
        throw rangeErrorText(fn, 'outputPadding', `values smaller than stride or dilation (${Math.max(stride[d], dilation[d])} in dim ${dimNames(rank)[d]})`, describe(o.outputPadding));
    });
    if (!same) outputPadding = op;
  }
  if (o.outputSize !== undefined) {
    const size = checkSpatial(fn, 'outputSize', o.outputSize, rank, 1, 1);
    const given = o.outputPadding !== undefined;
    size.forEach((sz, d) => {
      const min = convTransposeOutSize(input.spatial[d], k[d], stride[d], dilation[d], pads.before[d], pads.after[d], same ? outputPadding[d] : 0);
      const max = min + stride[d] - 1;
      if (sz < min || sz > max || (same && sz !== min))
        throw rangeErrorText(fn, 'outputSize', `sizes between ${min} and ${same ? min : max} in dim ${dimNames(rank)[d]}`, describe(o.outputSize));
      const op = sz - min + (same ? outputPadding[d] : 0);
      if (given && op !== outputPadding[d])
        throw rangeErrorText(fn, 'outputSize', `agreement with outputPadding ${describe(o.outputPadding)}`, describe(o.outputSize));
      outputPadding[d] = op;
    });
  }
  const out = input.spatial.map((i, d) => convTransposeOutSize(i, k[d], stride[d], dilation[d], pads.before[d], pads.after[d], outputPadding[d]));
  if (out.some((e) => e < 1))
    throw rangeErrorText(fn, 'padding', `less than the full output ${input.spatial.map((i, d) => convTransposeOutSize(i, k[d], stride[d], dilation[d], 0, 0, outputPadding[d])).join('x')} in total`, `an output of ${sizeText(out)}`);
  const outputLayout = checkOutputLayout(fn, o.outputLayout, rank, input.layout);
  return {
    fn, rank, N: input.N, Cin, Cout, groups, in: input.spatial, k, stride, dilation, padBefore: pads.before,
    padAfter: pads.after, outputPadding, out, mode, inputLayout: input.layout, outputLayout,
    outputShape: fromCanonical(input.N, Cout, out, outputLayout),
  };
}

function shapeInput(fn: string, inputShape: unknown, layoutV: unknown): InputDesc {
  const shape = checkShape(fn, 'inputShape', inputShape);
  let layout: Layout;
  if (layoutV === undefined) {
    if (shape.length < 3 || shape.length > 5) throw rangeError(fn, 'inputShape', '3, 4 or 5 dims (N, C, spatial...)', shape);
    layout = channelsFirst(shape.length - 2);
  } else {
    if (typeof layoutV !== 'string') throw typeError(fn, 'layout', `one of ${LAYOUTS.join(', ')}`, layoutV);
    if (!isLayout(layoutV)) throw rangeError(fn, 'layout', `one of ${LAYOUTS.join(', ')}`, layoutV);
    layout = layoutV;
    if (shape.length !== layout.length) throw rangeErrorText(fn, 'inputShape', `${layout.length} dims for layout ${layout}`, describe(shape));
  }
  const c = toCanonical(shape, layout);
  return { N: c.N, C: c.C, spatial: c.spatial, layout };
}

function splitLayout(fn: string, options: unknown): { layout: unknown; rest: Record<string, unknown> | undefined } {
  if (options === undefined) return { layout: undefined, rest: undefined };
  if (!isPlainObject(options)) throw typeError(fn, 'options', 'an options object', options);
  const { layout, ...rest } = options;
  return { layout, rest };
}

// The output shape conv/conv1d/2d/3d would return, with the same validation, computing nothing.
// options: those of the op, plus `layout` (the input shape's layout; channels-first by default).
export function convOutputShape(inputShape: readonly number[], weightShape: readonly number[], options?: object, fn = 'convOutputShape'): number[] {
  const { layout, rest } = splitLayout(fn, options);
  const input = shapeInput(fn, inputShape, layout);
  const w = checkShape(fn, 'weightShape', weightShape, false);
  const { mask: _mask, multiChannel: _mc, ...convOpts } = rest ?? {};
  return planConv(fn, input, w, convOpts).outputShape;
}

export function convTransposeOutputShape(inputShape: readonly number[], weightShape: readonly number[], options?: object, fn = 'convTransposeOutputShape'): number[] {
  const { layout, rest } = splitLayout(fn, options);
  const input = shapeInput(fn, inputShape, layout);
  const w = checkShape(fn, 'weightShape', weightShape, false);
  return planConvTranspose(fn, input, w, rest).outputShape;
}
