// pad(input, padding, { mode, value }) — SPEC §3.4. Negative pads crop; pads wider than
// the input repeat the reflection or wrap as numpy.pad does.
import { rangeErrorText } from './errors';
import { explicitPadding, PAD_MODE_CODE } from './geometry';
import { fromCanonical, isChannelsLast, Layout, spatialRank } from './layout';
import { native } from './native';
import { outputTensor, Tensor, TensorLike } from './tensor';
import { checkEnum, checkFinite, checkOptions, checkOutputLayout, checkTensor } from './validate';

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular' | 'symmetric';
export const PAD_MODES: readonly PadMode[] = ['constant', 'reflect', 'replicate', 'circular', 'symmetric'];

export interface PadOptions {
  mode?: PadMode;
  value?: number;
  outputLayout?: Layout;
  out?: TensorLike;  // the result written here (its exact shape and layout; no input's memory)
}

function planPad(fn: string, input: unknown, padding: unknown, options: unknown) {
  const x = checkTensor(fn, 'input', input);
  const rank = spatialRank(x.layout);
  const o = checkOptions(fn, options, ['mode', 'value', 'outputLayout', 'out']);
  const mode = checkEnum(fn, 'mode', o.mode, PAD_MODES, 'constant');
  const value = o.value === undefined ? 0 : checkFinite(fn, 'value', o.value);
  if (value !== 0 && mode !== 'constant') throw rangeErrorText(fn, 'value', "mode 'constant'", `mode '${mode}'`);
  if (padding === undefined) padding = 0;
  const pads = explicitPadding(fn, padding, rank, true);
  const out = x.spatial.map((s, d) => s + pads.before[d] + pads.after[d]);
  x.spatial.forEach((s, d) => {
    if (out[d] < 1) throw rangeErrorText(fn, 'padding', `crops that leave at least 1 element per dim (input ${x.spatial.join('x')})`, `an output of ${out.join('x')}`);
    const kept = s + Math.min(pads.before[d], 0) + Math.min(pads.after[d], 0);
    if (mode === 'circular' && kept < 1)
      throw rangeErrorText(fn, 'padding', `crops that leave at least 1 element to wrap (input ${x.spatial.join('x')})`, `${kept} left in dim ${d}`);
  });
  const outputLayout = checkOutputLayout(fn, o.outputLayout, rank, x.layout);
  const shape = fromCanonical(x.N, x.C, out, outputLayout);
  const { y, result } = outputTensor(fn, o.out, shape, outputLayout, [['input', x.data]]);
  const p3 = (v: number[], f: number) => [...new Array(3 - v.length).fill(f), ...v];
  const desc = {
    fn, rank, N: x.N, C: x.C, in: p3(x.spatial, 1), before: p3(pads.before, 0), after: p3(pads.after, 0), out: p3(out, 1),
    inChannelsLast: x.channelsLast, outChannelsLast: isChannelsLast(outputLayout), mode: PAD_MODE_CODE[mode], value, x: x.data, y,
  };
  return { desc, result };
}

export function pad(input: TensorLike, padding: number | readonly (number | readonly [number, number])[], options?: PadOptions): Tensor {
  const p = planPad('pad', input, padding, options);
  native.pad(p.desc);
  return p.result();
}

export async function padAsync(input: TensorLike, padding: number | readonly (number | readonly [number, number])[], options?: PadOptions): Promise<Tensor> {
  const p = planPad('padAsync', input, padding, options);
  await native.pad(p.desc, true);
  return p.result();
}
