// Layers with prepared weights (SPEC §3.6): the weights are validated and copied once, at
// construction; forward() runs the same plan as the functional form, so results are
// identical to it.
import { rangeErrorText, typeError } from './errors';
import {
  ConvOptions, ConvTransposeOptions, Job, jobTemplate, PartialConvOptions, PartialConvResult, planConvJob, planConvTransposeJob,
  planPartialConvJob, rebindJob, runAsync, runSync,
} from './conv';
import { convOutputShape, convTransposeOutputShape, splitWeightShape, weightFamily, WeightFamily } from './geometry';
import { channelsFirst, Layout } from './layout';
import { Tensor, TensorLike } from './tensor';
import { native } from './native';
import { checkOptions, checkTensor, isPlainObject } from './validate';

type Kind = 'conv' | 'convTranspose' | 'partialConv';

// A weight in any layout family -> [Cout, Cin/g, k...], the order the kernels read.
function toOIS(w: Tensor, family: WeightFamily, rank: number): Tensor {
  const { cout, cig, k } = splitWeightShape(w.shape, family, rank);
  const K = k.reduce((a, b) => a * b, 1);
  const out = new Float32Array(w.data.length);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < cig; i++)
      for (let t = 0; t < K; t++)
        out[(o * cig + i) * K + t] = w.data[family === 1 ? (t * cig + i) * cout + o : (o * K + t) * cig + i];
  return new Tensor(out, [cout, cig, ...k], w.layout);
}

abstract class Layer<O extends object> {
  protected weight: Tensor | null;
  protected readonly options: O;
  private readonly name: string;
  private readonly rank: number;
  private readonly kind: Kind;
  // The plan for the last input shape and layout: a call with the same ones reuses it.
  private last: { shape: number[]; layout: string; template: Job } | null = null;
  // The natively packed weight (convTranspose: null when the geometry has none; conv: null
  // until an input geometry that uses one; undefined: not asked yet).
  private packed: object | null | undefined = undefined;

  protected constructor(name: string, kind: Kind, rank: number, config: unknown) {
    this.name = name;
    this.kind = kind;
    this.rank = rank;
    if (!isPlainObject(config)) throw typeError(name, 'config', 'an object { weight, bias?, ...options }', config);
    const { weight, bias, ...options } = config as { weight?: unknown; bias?: unknown };
    if (weight === null || typeof weight !== 'object' || ArrayBuffer.isView(weight))
      throw typeError(name, 'weight', 'a Tensor {data, shape}', weight);
    const w = weight as TensorLike;
    if (!(w.data instanceof Float32Array)) throw typeError(name, 'weight.data', 'a Float32Array', w.data);
    if (!Array.isArray(w.shape)) throw typeError(name, 'weight.shape', 'an array of integers', w.shape);
    // Own copies: later changes to the caller's arrays do not change the layer.
    const shape = w.shape.slice();
    this.weight = new Tensor(new Float32Array(w.data), shape, channelsFirst(Math.min(3, Math.max(1, shape.length - 2))));
    this.options = { ...(options as O) };
    if (bias !== undefined && bias !== null) {
      if (!(bias instanceof Float32Array)) throw typeError(name, 'bias', 'a Float32Array', bias);
      (this.options as { bias?: Float32Array }).bias = new Float32Array(bias);
    }
    // Validate the weight, bias and options once, against a probe input the kernel fits.
    // (outputSize names sizes for actual inputs: it is checked at each call, not against the probe.)
    const probe = this.probeShape(shape);
    const out = this.shapeOf(name, probe, undefined, true);
    const b = (this.options as { bias?: Float32Array }).bias;
    if (b !== undefined && b.length !== out[1])
      throw rangeErrorText(name, 'bias', `${out[1]} elements (Cout)`, `Float32Array(${b.length})`);
    // Prepare once: weights in [Cout, Cin/groups, k...], the order the kernels read, so no
    // call reorders them again.
    if (kind !== 'convTranspose') {
      const family = weightFamily(name, (this.options as { weightLayout?: unknown }).weightLayout, rank);
      if (family !== 0) this.weight = toOIS(this.weight, family, rank);
      delete (this.options as { weightLayout?: string }).weightLayout;
    }
  }

  private probeShape(wshape: readonly number[]): number[] {
    const o = this.options as { groups?: number; weightLayout?: unknown };
    const g = typeof o.groups === 'number' ? o.groups : 1;
    const cin = this.kind === 'convTranspose'
      ? wshape[0]
      : splitWeightShape(wshape, weightFamily(this.name, o.weightLayout, this.rank), this.rank).cig * g;
    const big = 1 << 16; // any extent the kernel fits in
    return [1, cin, ...new Array(this.rank).fill(big)];
  }

  protected w(): Tensor {
    if (!this.weight) throw rangeErrorText(this.name, 'this', 'a layer that has not been disposed', 'a disposed layer');
    return this.weight;
  }

  // The output shape for an input shape (in the layout given in options.layout, default channels-first).
  outputShape(inputShape: readonly number[], layout?: Layout): number[] {
    return this.shapeOf(`${this.name}.outputShape`, inputShape, layout);
  }

  private shapeOf(fn: string, inputShape: readonly number[], layout?: Layout, probe = false): number[] {
    const { mask: _m, multiChannel: _mc, bias: _b, outputSize, ...opts } = this.options as Record<string, unknown>;
    const args = probe ? { ...opts, layout } : { ...opts, outputSize, layout };
    return this.kind === 'convTranspose'
      ? convTransposeOutputShape(inputShape, this.w().shape, args, fn)
      : convOutputShape(inputShape, this.w().shape, args, fn);
  }

  dispose(): void {
    this.weight = null;
    this.last = null;
    this.packed = undefined;
  }

  // options: forward's ({ out }), for conv and transposed conv layers.
  protected job(x: TensorLike, extra?: object, async = false, options?: unknown): Job {
    const fn = `${this.name}.${async ? 'forwardAsync' : 'forward'}`;
    const w = this.w();
    if (this.kind === 'partialConv') return planPartialConvJob(fn, this.rank, x, w, { ...this.options, ...extra });
    const out = checkOptions(fn, options, ['out']).out;
    // Everything but the input was checked at construction: an input of the shape and
    // layout seen last runs the plan made for it.
    const xc = checkTensor(fn, 'input', x, this.rank);
    const last = this.last;
    if (last && last.layout === xc.layout && last.shape.length === xc.shape.length && last.shape.every((e, i) => e === xc.shape[i]))
      return rebindJob(fn, last.template, xc.data, out);
    const opts = out === undefined ? this.options : { ...this.options, out };
    const job = this.kind === 'conv'
      ? planConvJob(fn, this.rank, x, w, opts)
      : planConvTransposeJob(fn, this.rank, x, w, opts);
    if (this.kind === 'convTranspose') {
      // Its weight packed once (the stride phases' sub-kernels), for every later call too.
      if (this.packed === undefined) this.packed = native.prepareConvTranspose(job.desc) ?? null;
      if (this.packed) job.desc.packed = this.packed;
    } else {
      // Packed once, by the first input whose geometry the kernels take it packed for (small
      // maps: the channels-in-lanes kernel); a call of another geometry ignores it.
      if (!this.packed) this.packed = native.prepareConv(job.desc) ?? null;
      if (this.packed) job.desc.packed = this.packed;
    }
    this.last = { shape: xc.shape.slice(), layout: xc.layout, template: jobTemplate(job) };
    return job;
  }
}

// forward's options: `out`, as the functional forms' (the result written there and returned).
export interface ForwardOptions {
  out?: TensorLike;
}

class ConvLayer extends Layer<ConvOptions> {
  forward(x: TensorLike, options?: ForwardOptions): Tensor {
    return runSync(this.job(x, undefined, false, options));
  }
  async forwardAsync(x: TensorLike, options?: ForwardOptions): Promise<Tensor> {
    return runAsync(this.job(x, undefined, true, options));
  }
}

export interface ConvLayerConfig extends ConvOptions {
  weight: TensorLike;
}
export interface ConvTransposeLayerConfig extends ConvTransposeOptions {
  weight: TensorLike;
}
export interface PartialConvLayerConfig extends Omit<PartialConvOptions, 'mask'> {
  weight: TensorLike;
}

export class Conv1d extends ConvLayer {
  constructor(config: ConvLayerConfig) { super('Conv1d', 'conv', 1, config); }
}
export class Conv2d extends ConvLayer {
  constructor(config: ConvLayerConfig) { super('Conv2d', 'conv', 2, config); }
}
export class Conv3d extends ConvLayer {
  constructor(config: ConvLayerConfig) { super('Conv3d', 'conv', 3, config); }
}

class ConvTransposeLayer extends Layer<ConvTransposeOptions> {
  forward(x: TensorLike, options?: ForwardOptions): Tensor {
    return runSync(this.job(x, undefined, false, options));
  }
  async forwardAsync(x: TensorLike, options?: ForwardOptions): Promise<Tensor> {
    return runAsync(this.job(x, undefined, true, options));
  }
}
export class ConvTranspose1d extends ConvTransposeLayer {
  constructor(config: ConvTransposeLayerConfig) { super('ConvTranspose1d', 'convTranspose', 1, config); }
}
export class ConvTranspose2d extends ConvTransposeLayer {
  constructor(config: ConvTransposeLayerConfig) { super('ConvTranspose2d', 'convTranspose', 2, config); }
}
export class ConvTranspose3d extends ConvTransposeLayer {
  constructor(config: ConvTransposeLayerConfig) { super('ConvTranspose3d', 'convTranspose', 3, config); }
}

class PartialConvLayer extends Layer<PartialConvOptions> {
  // mask: the input's mask (absent = all ones), as in NVIDIA's PartialConv2d.forward(x, mask).
  forward(x: TensorLike, mask?: TensorLike): PartialConvResult {
    return runSync(this.job(x, { mask }));
  }
  async forwardAsync(x: TensorLike, mask?: TensorLike): Promise<PartialConvResult> {
    return runAsync(this.job(x, { mask }, true));
  }
}
export class PartialConv2d extends PartialConvLayer {
  constructor(config: PartialConvLayerConfig) { super('PartialConv2d', 'partialConv', 2, config); }
}
export class PartialConv3d extends PartialConvLayer {
  constructor(config: PartialConvLayerConfig) { super('PartialConv3d', 'partialConv', 3, config); }
}
