// Convolution, partial convolution and transposed convolution (SPEC §3.1-3.3): validate
// and plan in TypeScript, compute natively. Each op has one plan; the sync, async and
// prepared-layer forms all run that plan, so they give bit-identical results.
import { rangeErrorText, typeError } from './errors';
import {
  ConvGeometry, ConvPlan, PAD_MODE_CODE, Padding, PaddingMode, planConv, planConvTranspose, WeightLayout,
} from './geometry';
import { isChannelsLast, Layout } from './layout';
import { native } from './native';
import { Tensor, TensorLike, convertLayout, outputTensor } from './tensor';
import { checkBias, checkBoolean, checkFloat32Array, checkTensor, CheckedTensor, isPlainObject, product } from './validate';

export interface ConvOptions {
  bias?: Float32Array;
  stride?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
  padding?: Padding;
  paddingMode?: PaddingMode;
  paddingValue?: number;
  weightLayout?: WeightLayout;
  outputLayout?: Layout;
}

// The functional forms' options: a layer's, plus `out`, a tensor of exactly the result's
// shape and layout to write the result into (memory shared with no input), which the call
// then returns instead of a new tensor. With it, a loop over many inputs allocates nothing.
export interface ConvCallOptions extends ConvOptions {
  out?: TensorLike;
}

export interface PartialConvOptions extends Omit<ConvOptions, 'paddingMode' | 'paddingValue'> {
  mask?: TensorLike;
  multiChannel?: boolean;
}

// The functional forms' options: a layer's, plus `out` (the output) and `maskOut` (the new
// mask), each the caller's tensor of exactly that result's shape and layout, as ConvCallOptions'.
export interface PartialConvCallOptions extends PartialConvOptions {
  out?: TensorLike;
  maskOut?: TensorLike;
}

export interface PartialConvResult {
  output: Tensor;
  mask: Tensor;
}

export interface ConvTransposeOptions {
  bias?: Float32Array;
  stride?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
  padding?: number | readonly (number | readonly [number, number])[] | 'valid' | 'same';
  outputPadding?: number | readonly number[];
  outputSize?: number | readonly number[];
  paddingMode?: 'zeros' | 'reflect' | 'replicate' | 'circular' | 'symmetric';
  outputLayout?: Layout;
}

export interface ConvTransposeCallOptions extends ConvTransposeOptions {
  out?: TensorLike;
}

const pad3 = (v: readonly number[], fill: number): number[] => [...new Array(3 - v.length).fill(fill), ...v];

function weightShapeOf(fn: string, w: unknown): { data: Float32Array; shape: number[] } {
  if (ArrayBuffer.isView(w)) throw typeError(fn, 'weight', 'a Tensor {data, shape} (use tensor(data, shape))', w);
  if (typeof w !== 'object' || w === null) throw typeError(fn, 'weight', 'a Tensor {data, shape}', w);
  const o = w as Record<string, unknown>;
  const data = checkFloat32Array(fn, 'weight.data', o.data);
  if (!Array.isArray(o.shape)) throw typeError(fn, 'weight.shape', 'an array of integers', o.shape);
  for (const e of o.shape) {
    if (typeof e !== 'number') throw typeError(fn, 'weight.shape', 'an array of integers', o.shape);
    if (!Number.isInteger(e) || e < 1) throw rangeErrorText(fn, 'weight.shape', 'positive integer extents', `[${o.shape.join(', ')}]`);
  }
  const shape = o.shape.slice() as number[];
  if (data.length !== product(shape))
    throw rangeErrorText(fn, 'weight.data', `${product(shape)} elements for shape [${shape.join(', ')}]`, `${data.length}`);
  return { data, shape };
}

function optionsObject(fn: string, options: unknown): Record<string, unknown> | undefined {
  if (options === undefined) return undefined;
  if (!isPlainObject(options)) throw typeError(fn, 'options', 'an options object', options);
  return options;
}

export interface Job {
  call: 'conv' | 'partialConv' | 'convTranspose';
  desc: Record<string, unknown>;
  finish: () => Tensor | PartialConvResult;
  outputShape: number[];
  outputLayout: Layout;
}

// The same plan for another input of the same shape and layout (prepared layers): a fresh
// output, nothing re-derived. The template keeps no input or output alive.
export function jobTemplate(job: Job): Job {
  return { ...job, desc: { ...job.desc, x: undefined, y: undefined }, finish: () => { throw new Error('template'); } };
}
export function rebindJob(fn: string, template: Job, x: Float32Array, out?: unknown): Job {
  const d = template.desc as { w: Float32Array; bias?: Float32Array };
  const { y, result } = outputTensor(fn, out, template.outputShape, template.outputLayout, [['input', x], ['weight', d.w], ['bias', d.bias]]);
  return { ...template, desc: { ...template.desc, fn, x, y }, finish: result };
}

// The native descriptor: the geometry as one Float64Array (read natively by index, see
// GEOM in native/binding/addon.cc), the buffers by name.
interface GeomExtra { padValue?: number; weightLayout?: number; outputPadding?: readonly number[]; multiChannel?: boolean; maskChannels?: number }
function convGeom(p: ConvGeometry, channelsLast: boolean, e: GeomExtra): Float64Array {
  const g = new Float64Array(GEOM_LENGTH);
  g[0] = p.rank; g[1] = p.N; g[2] = p.Cin; g[3] = p.Cout; g[4] = p.groups;
  g.set(pad3(p.in, 1), 5); g.set(pad3(p.k, 1), 8); g.set(pad3(p.stride, 1), 11); g.set(pad3(p.dilation, 1), 14);
  g.set(pad3(p.padBefore, 0), 17); g.set(pad3(p.padAfter, 0), 20); g.set(pad3(p.out, 1), 23);
  g[26] = channelsLast ? 1 : 0; g[27] = isChannelsLast(p.outputLayout) ? 1 : 0; g[28] = PAD_MODE_CODE[p.mode];
  g[29] = e.padValue ?? 0; g[30] = e.weightLayout ?? 0;
  g.set(pad3(e.outputPadding ?? [], 0), 31);
  g[34] = e.multiChannel ? 1 : 0; g[35] = e.maskChannels ?? 0;
  return g;
}
const GEOM_LENGTH = 36;

// The last plan of each convolution function (by its name: conv2d, conv2dAsync,
// convTranspose2d, partialConv2d, ...), as oneDNN caches primitives: a call whose input
// layout and shape, weight shape and geometry options equal that plan's reuses its geometry
// (a loop over inputs of one shape re-derives nothing), and only the buffers (input, weight,
// bias, mask, out) are checked and bound. The key holds copies of the option values the plan
// was made from, never the caller's arrays (which may change between calls), and no buffer.
// In-process A/B on Zen 3 (conv2d against the plan re-derived every call, 2 / 1 threads): W2
// 0.976x / 0.97x the time, W5 0.91-0.95x / 0.965-0.976x, W3 0.987x / 0.989x, W1 1.0x, W4
// 1.0x / 0.97x; a 1x8x16x16 3x3 conv 0.72-0.82x (6-13 us less), 1x16x32x32 0.85-1.01x (noise);
// same bits.
interface PlanMemo {
  rank: number | undefined;
  layout: Layout;
  xShape: number[];
  wShape: number[];
  key: unknown[];  // the geometry options' values, copied
  plan: unknown;
  g: Float64Array | undefined;  // (reusePlan's geom)
}
const planMemo = new Map<string, PlanMemo>();

// A copy of an option value the key can compare later (numbers, strings, booleans, undefined,
// null, and arrays of them, nested), else the value itself with ok = false (no plan is kept).
function keyCopy(v: unknown, depth = 0): { ok: boolean; v: unknown } {
  if (v === null || typeof v !== 'object') return { ok: typeof v !== 'function' && typeof v !== 'symbol' && typeof v !== 'bigint', v };
  if (!Array.isArray(v) || depth > 2) return { ok: false, v };
  const c: unknown[] = [];
  for (let i = 0; i < v.length; i++) {
    const e = keyCopy(v[i], depth + 1);
    if (!e.ok) return { ok: false, v };
    c.push(e.v);
  }
  return { ok: true, v: c };
}
function sameKey(v: unknown, k: unknown): boolean {
  if (Object.is(v, k)) return true;
  if (!Array.isArray(v) || !Array.isArray(k) || v.length !== k.length) return false;
  for (let i = 0; i < k.length; i++) if (!sameKey(v[i], k[i])) return false;
  return true;
}
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Whether the options hold only keys the op knows (else the full plan refuses them) and the
// same geometry values as the key.
function sameOptions(o: Record<string, unknown> | undefined, keys: PlanKeys, key: readonly unknown[]): boolean {
  if (o !== undefined)
    for (const k of Object.keys(o)) if (!keys.known.has(k) && o[k] !== undefined) return false;
  for (let i = 0; i < key.length; i++) if (!sameKey(o === undefined ? undefined : o[keys.geometry[i]], key[i])) return false;
  return true;
}

// An op's geometry options (the key) and the rest it accepts (buffers, flags read per call).
interface PlanKeys {
  geometry: readonly string[];
  known: ReadonlySet<string>;
}
const planKeys = (geometry: readonly string[], others: readonly string[]): PlanKeys => ({ geometry, known: new Set([...geometry, ...others]) });
const CONV_KEYS = planKeys(['stride', 'dilation', 'groups', 'padding', 'paddingMode', 'paddingValue', 'weightLayout', 'outputLayout'], ['bias', 'out']);
const CONV_TRANSPOSE_KEYS = planKeys(['stride', 'dilation', 'groups', 'padding', 'outputPadding', 'outputSize', 'paddingMode', 'outputLayout'], ['bias', 'out']);
const PARTIAL_CONV_KEYS = planKeys(['stride', 'dilation', 'groups', 'padding', 'weightLayout', 'outputLayout'], ['bias', 'mask', 'multiChannel', 'out', 'maskOut']);

// The call's plan and its geometry array: the last ones of fn where everything they were made
// from is the same, else new ones (kept as the last), made from one read of each option. geom:
// the geometry array when it depends on the plan alone (partial convolution's also depends on
// the mask, and is made per call). opts: the options the rest of the call reads (the buffers).
function reusePlan<P>(fn: string, rank: number | undefined, x: CheckedTensor, wShape: readonly number[], o: Record<string, unknown> | undefined,
                      keys: PlanKeys, plan: (opts: Record<string, unknown> | undefined) => P,
                      geom?: (p: P) => Float64Array): { p: P; g: Float64Array | undefined; opts: Record<string, unknown> | undefined } {
  const m = planMemo.get(fn);
  if (m && m.rank === rank && m.layout === x.layout && sameShape(m.xShape, x.shape) && sameShape(m.wShape, wShape) && sameOptions(o, keys, m.key))
    return { p: m.plan as P, g: m.g, opts: o };
  const copies = keys.geometry.map((k) => keyCopy(o?.[k]));
  let opts = o;
  if (o !== undefined) {
    const read: Record<string, unknown> = { ...o };
    keys.geometry.forEach((k, i) => { read[k] = copies[i].v; });
    opts = read;
  }
  const p = plan(opts);
  const g = geom?.(p);
  if (copies.every((c) => c.ok))
    planMemo.set(fn, { rank, layout: x.layout, xShape: x.shape.slice(), wShape: wShape.slice(), key: copies.map((c) => c.v), plan: p, g });
  return { p, g, opts };
}

// The call's options may hold `out` (a layer's config never does: its constructor checks the
// config as convOutputShape does, without `out`).
export function planConvJob(fn: string, rank: number | undefined, input: unknown, weight: unknown, options: unknown): Job {
  const x = checkTensor(fn, 'input', input, rank);
  const w = weightShapeOf(fn, weight);
  const { p, g, opts } = reusePlan(fn, rank, x, w.shape, optionsObject(fn, options), CONV_KEYS, (o) => planConv(fn, x, w.shape, o, false, true),
    (q) => convGeom(q, x.channelsLast, { padValue: q.padValue, weightLayout: q.weightFamily }));
  const bias = checkBias(fn, opts?.bias, p.Cout);
  const { y, result } = outputTensor(fn, opts?.out, p.outputShape, p.outputLayout, [['input', x.data], ['weight', w.data], ['bias', bias]]);
  const desc = { fn: p.fn, g, x: x.data, w: w.data, bias, y };
  return { call: 'conv', desc, finish: result, outputShape: p.outputShape, outputLayout: p.outputLayout };
}

export function planPartialConvJob(fn: string, rank: number, input: unknown, weight: unknown, options: unknown): Job {
  const x = checkTensor(fn, 'input', input, rank);
  const w = weightShapeOf(fn, weight);
  const { p, opts: o } = reusePlan(fn, rank, x, w.shape, optionsObject(fn, options), PARTIAL_CONV_KEYS, (oo) => planConv(fn, x, w.shape, oo, true, true));
  const bias = checkBias(fn, o?.bias, p.Cout);
  const multi = checkBoolean(fn, 'multiChannel', o?.multiChannel, false);
  let mask: CheckedTensor | undefined;
  if (o?.mask !== undefined && o.mask !== null) {
    mask = checkTensor(fn, 'mask', o.mask, rank);
    if (mask.layout !== x.layout) mask = checkTensor(fn, 'mask', convertLayout(fn, o.mask as TensorLike, x.layout), rank);
    const mc = multi ? x.C : 1;
    if (mask.N !== x.N || mask.C !== mc || mask.spatial.some((s, i) => s !== x.spatial[i]))
      throw rangeErrorText(fn, 'mask', `shape [${x.N}, ${mc}, ${x.spatial.join(', ')}] (channels-first order${multi ? ', multiChannel' : ''})`,
        `[${mask.N}, ${mask.C}, ${mask.spatial.join(', ')}]`);
    // Values in [0, 1] are checked natively (in parallel, before any computing).
  }
  const inputs = [['input', x.data], ['weight', w.data], ['bias', bias], ['mask', mask?.data]] as const;
  const { y, result } = outputTensor(fn, o?.out, p.outputShape, p.outputLayout, inputs);
  const maskShape = [...p.outputShape];
  maskShape[isChannelsLast(p.outputLayout) ? maskShape.length - 1 : 1] = multi ? p.Cout : 1;
  const m = outputTensor(fn, o?.maskOut, maskShape, p.outputLayout, [...inputs, ['out', y]], 'maskOut', 'mask');
  const g = convGeom(p, x.channelsLast, { weightLayout: p.weightFamily, multiChannel: multi, maskChannels: mask ? mask.C : 0 });
  const desc = { fn: p.fn, g, x: x.data, w: w.data, bias, y, mask: mask?.data, maskOut: m.y };
  return {
    call: 'partialConv', desc,
    finish: () => ({ output: result(), mask: m.result() }),
    outputShape: p.outputShape, outputLayout: p.outputLayout,
  };
}

export function planConvTransposeJob(fn: string, rank: number, input: unknown, weight: unknown, options: unknown): Job {
  const x = checkTensor(fn, 'input', input, rank);
  const w = weightShapeOf(fn, weight);
  const { p, g, opts: o } = reusePlan(fn, rank, x, w.shape, optionsObject(fn, options), CONV_TRANSPOSE_KEYS, (oo) => planConvTranspose(fn, x, w.shape, oo, true),
    (q) => convGeom(q, x.channelsLast, { outputPadding: q.outputPadding }));
  const bias = checkBias(fn, o?.bias, p.Cout);
  const { y, result } = outputTensor(fn, o?.out, p.outputShape, p.outputLayout, [['input', x.data], ['weight', w.data], ['bias', bias]]);
  const desc = { fn: p.fn, g, x: x.data, w: w.data, bias, y };
  return { call: 'convTranspose', desc, finish: result, outputShape: p.outputShape, outputLayout: p.outputLayout };
}

export function runSync<T>(job: Job): T {
  native[job.call](job.desc);
  return job.finish() as T;
}

export async function runAsync<T>(job: Job): Promise<T> {
  await native[job.call](job.desc, true);
  return job.finish() as T;
}

// conv(): the rank from the input's layout (left to checkTensor to refuse when unknown).
function inputRank(input: unknown): number | undefined {
  const l = (input as { layout?: unknown } | null)?.layout;
  return typeof l === 'string' && l.length >= 3 && l.length <= 5 ? l.length - 2 : undefined;
}

export function conv1d(input: TensorLike, weight: TensorLike, options?: ConvCallOptions): Tensor {
  return runSync(planConvJob('conv1d', 1, input, weight, options));
}
export function conv2d(input: TensorLike, weight: TensorLike, options?: ConvCallOptions): Tensor {
  return runSync(planConvJob('conv2d', 2, input, weight, options));
}
export function conv3d(input: TensorLike, weight: TensorLike, options?: ConvCallOptions): Tensor {
  return runSync(planConvJob('conv3d', 3, input, weight, options));
}
// The rank comes from the input's layout.
export function conv(input: TensorLike, weight: TensorLike, options?: ConvCallOptions): Tensor {
  return runSync(planConvJob('conv', inputRank(input), input, weight, options));
}
export async function conv1dAsync(input: TensorLike, weight: TensorLike, options?: ConvCallOptions): Promise<Tensor> {
  return runAsync(planConvJob('conv1dAsync', 1, input, weight, options));
}
export async function conv2dAsync(input: TensorLike, weight: TensorLike, options?: ConvCallOptions): Promise<Tensor> {
  return runAsync(planConvJob('conv2dAsync', 2, input, weight, options));
}
export async function conv3dAsync(input: TensorLike, weight: TensorLike, options?: ConvCallOptions): Promise<Tensor> {
  return runAsync(planConvJob('conv3dAsync', 3, input, weight, options));
}
export async function convAsync(input: TensorLike, weight: TensorLike, options?: ConvCallOptions): Promise<Tensor> {
  return runAsync(planConvJob('convAsync', inputRank(input), input, weight, options));
}

export function partialConv2d(input: TensorLike, weight: TensorLike, options?: PartialConvCallOptions): PartialConvResult {
  return runSync(planPartialConvJob('partialConv2d', 2, input, weight, options));
}
export function partialConv3d(input: TensorLike, weight: TensorLike, options?: PartialConvCallOptions): PartialConvResult {
  return runSync(planPartialConvJob('partialConv3d', 3, input, weight, options));
}
export async function partialConv2dAsync(input: TensorLike, weight: TensorLike, options?: PartialConvCallOptions): Promise<PartialConvResult> {
  return runAsync(planPartialConvJob('partialConv2dAsync', 2, input, weight, options));
}
export async function partialConv3dAsync(input: TensorLike, weight: TensorLike, options?: PartialConvCallOptions): Promise<PartialConvResult> {
  return runAsync(planPartialConvJob('partialConv3dAsync', 3, input, weight, options));
}

export function convTranspose1d(input: TensorLike, weight: TensorLike, options?: ConvTransposeCallOptions): Tensor {
  return runSync(planConvTransposeJob('convTranspose1d', 1, input, weight, options));
}
export function convTranspose2d(input: TensorLike, weight: TensorLike, options?: ConvTransposeCallOptions): Tensor {
  return runSync(planConvTransposeJob('convTranspose2d', 2, input, weight, options));
}
export function convTranspose3d(input: TensorLike, weight: TensorLike, options?: ConvTransposeCallOptions): Tensor {
  return runSync(planConvTransposeJob('convTranspose3d', 3, input, weight, options));
}
export async function convTranspose1dAsync(input: TensorLike, weight: TensorLike, options?: ConvTransposeCallOptions): Promise<Tensor> {
  return runAsync(planConvTransposeJob('convTranspose1dAsync', 1, input, weight, options));
}
export async function convTranspose2dAsync(input: TensorLike, weight: TensorLike, options?: ConvTransposeCallOptions): Promise<Tensor> {
  return runAsync(planConvTransposeJob('convTranspose2dAsync', 2, input, weight, options));
}
export async function convTranspose3dAsync(input: TensorLike, weight: TensorLike, options?: ConvTransposeCallOptions): Promise<Tensor> {
  return runAsync(planConvTransposeJob('convTranspose3dAsync', 3, input, weight, options));
}
