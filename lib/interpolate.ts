// interpolate(input, { size | scaleFactor, mode, alignCorners, recomputeScaleFactor }) with
// the semantics of torch.nn.functional.interpolate (SPEC §3.5).
import { rangeError, rangeErrorText, typeError } from './errors';
import { fromCanonical, isChannelsLast, Layout, spatialRank } from './layout';
import { native } from './native';
import { outputTensor, Tensor, TensorLike } from './tensor';
import { checkBoolean, checkEnum, checkOptions, checkOutputLayout, checkSpatial, checkTensor } from './validate';

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';
export const INTERPOLATE_MODES: readonly InterpolateMode[] = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area'];

export interface InterpolateOptions {
  size?: number | readonly number[];
  scaleFactor?: number | readonly number[];
  mode?: InterpolateMode;
  alignCorners?: boolean;
  recomputeScaleFactor?: boolean;
  outputLayout?: Layout;
  out?: TensorLike;  // the result written here (its exact shape and layout; no input's memory)
}

// Native InterpMode codes (ops/ops.h).
const MODE_CODE: Record<InterpolateMode, number> = {
  nearest: 0, 'nearest-exact': 1, linear: 2, bilinear: 2, trilinear: 2, bicubic: 3, area: 4,
};
const MODE_RANK: Partial<Record<InterpolateMode, number>> = { linear: 1, bilinear: 2, bicubic: 2, trilinear: 3 };

function checkScales(fn: string, v: unknown, rank: number): number[] {
  const what = `a positive finite number or ${rank} of them`;
  const one = (e: unknown): number => {
    if (typeof e !== 'number') throw typeError(fn, 'scaleFactor', what, v);
    if (!Number.isFinite(e) || e <= 0) throw rangeError(fn, 'scaleFactor', what, v);
    return e;
  };
  if (typeof v === 'number') return new Array(rank).fill(one(v));
  if (!Array.isArray(v)) throw typeError(fn, 'scaleFactor', what, v);
  if (v.length !== rank) throw rangeError(fn, 'scaleFactor', what, v);
  return v.map(one);
}

function planInterpolate(fn: string, input: unknown, options: unknown) {
  const x = checkTensor(fn, 'input', input);
  const rank = spatialRank(x.layout);
  if (options === undefined) throw typeError(fn, 'options', 'an object with size or scaleFactor', options);
  const o = checkOptions(fn, options, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor', 'outputLayout', 'out']);
  const mode = checkEnum(fn, 'mode', o.mode, INTERPOLATE_MODES, 'nearest');
  const needRank = MODE_RANK[mode];
  if (needRank !== undefined && needRank !== rank)
    throw rangeErrorText(fn, 'input', `a ${needRank + 2}-dim tensor for mode '${mode}'`, `${x.layout} with shape [${x.shape.join(', ')}]`);
  const align = checkBoolean(fn, 'alignCorners', o.alignCorners, false);
  if (align && needRank === undefined)
    throw rangeErrorText(fn, 'alignCorners', "a linear mode ('linear', 'bilinear', 'bicubic', 'trilinear')", `true with mode '${mode}'`);
  const recompute = checkBoolean(fn, 'recomputeScaleFactor', o.recomputeScaleFactor, false);
  const hasSize = o.size !== undefined, hasScale = o.scaleFactor !== undefined;
  if (hasSize === hasScale)
    throw rangeErrorText(fn, 'options', 'exactly one of size and scaleFactor', hasSize ? 'both' : 'neither');
  let out: number[];
  let scale = [0, 0, 0];
  if (hasSize) {
    out = checkSpatial(fn, 'size', o.size, rank, 1, 1);
    if (o.recomputeScaleFactor !== undefined)
      throw rangeErrorText(fn, 'recomputeScaleFactor', 'scaleFactor to be given', 'size');
  } else {
    const sf = checkScales(fn, o.scaleFactor, rank);
    out = x.spatial.map((s, d) => Math.floor(s * sf[d]));
    if (out.some((e) => e < 1))
      throw rangeErrorText(fn, 'scaleFactor', `factors giving at least 1 output element per dim (input ${x.spatial.join('x')})`, `an output of ${out.join('x')}`);
    // torch passes the factor on to the kernel unless it is recomputed (always for 'area').
    if (!recompute && mode !== 'area') scale = [...new Array(3 - rank).fill(0), ...sf];
  }
  const outputLayout = checkOutputLayout(fn, o.outputLayout, rank, x.layout);
  const shape = fromCanonical(x.N, x.C, out, outputLayout);
  const { y, result } = outputTensor(fn, o.out, shape, outputLayout, [['input', x.data]]);
  const p3 = (v: number[]) => [...new Array(3 - v.length).fill(1), ...v];
  const desc = {
    fn, rank, N: x.N, C: x.C, in: p3(x.spatial), out: p3(out), scale, alignCorners: align,
    inChannelsLast: x.channelsLast, outChannelsLast: isChannelsLast(outputLayout), mode: MODE_CODE[mode], x: x.data, y,
  };
  return { desc, result };
}

export function interpolate(input: TensorLike, options: InterpolateOptions): Tensor {
  const p = planInterpolate('interpolate', input, options);
  native.interpolate(p.desc);
  return p.result();
}

export async function interpolateAsync(input: TensorLike, options: InterpolateOptions): Promise<Tensor> {
  const p = planInterpolate('interpolateAsync', input, options);
  await native.interpolate(p.desc, true);
  return p.result();
}
