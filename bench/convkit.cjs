'use strict';
// convkit's side of each workload: the public functional API, NCHW in and out (W16: NHWC
// out), exactly what a user calls. Tensors are built outside the timed region.
// `runAsync` is the Promise form (measured with --async).

const ck = require('../dist');

function setup(w, inputs) {
  const x = ck.tensor(inputs.x, w.inputShape);
  const wt = inputs.w ? ck.tensor(inputs.w, w.weightShape) : null;
  switch (w.kind) {
    case 'conv': {
      const opts = { stride: w.stride, dilation: w.dil, padding: w.pad, groups: w.groups };
      if (w.paddingMode !== 'zeros') opts.paddingMode = w.paddingMode;
      const f = w.rank === 1 ? ck.conv1d : w.rank === 3 ? ck.conv3d : ck.conv2d;
      const fa = w.rank === 1 ? ck.conv1dAsync : w.rank === 3 ? ck.conv3dAsync : ck.conv2dAsync;
      const Layer = w.rank === 1 ? ck.Conv1d : w.rank === 3 ? ck.Conv3d : ck.Conv2d;
      const layer = new Layer({ weight: wt, ...opts });
      const oo = { ...opts, out: f(x, wt, opts) };
      return {
        run: () => f(x, wt, opts), runAsync: () => fa(x, wt, opts), output: (t) => t.data,
        // The prepared form: weights packed once, as a peer's session (ORT) prepares its model.
        layer: { name: Layer.name, run: () => layer.forward(x) },
        // The result written into one tensor kept across calls (the out option): no allocation.
        runOut: () => f(x, wt, oo), runAsyncOut: () => fa(x, wt, oo),
      };
    }
    case 'partial': {
      const mask = ck.tensor(inputs.mask, inputs.maskShape);
      const opts = { stride: w.stride, dilation: w.dil, padding: w.pad, groups: w.groups, mask };
      const plain = { stride: w.stride, dilation: w.dil, padding: w.pad, groups: w.groups };
      const first = ck.partialConv2d(x, wt, opts);
      const oo = { ...opts, out: first.output, maskOut: first.mask };
      return {
        run: () => ck.partialConv2d(x, wt, opts),
        runAsync: () => ck.partialConv2dAsync(x, wt, opts),
        output: (r) => r.output.data,
        runOut: () => ck.partialConv2d(x, wt, oo), runAsyncOut: () => ck.partialConv2dAsync(x, wt, oo),
        // The same convolution without a mask: the "partial ≤ 1.15× plain" figure.
        baseline: { name: 'conv2d, no mask', run: () => ck.conv2d(x, wt, plain) },
      };
    }
    case 'convT': {
      const opts = { stride: w.stride, dilation: w.dil, padding: w.pad, groups: w.groups, outputPadding: w.outputPadding };
      const f = w.rank === 1 ? ck.convTranspose1d : w.rank === 3 ? ck.convTranspose3d : ck.convTranspose2d;
      const fa = w.rank === 1 ? ck.convTranspose1dAsync : w.rank === 3 ? ck.convTranspose3dAsync : ck.convTranspose2dAsync;
      const Layer = w.rank === 1 ? ck.ConvTranspose1d : w.rank === 3 ? ck.ConvTranspose3d : ck.ConvTranspose2d;
      const layer = new Layer({ weight: wt, ...opts });
      const oo = { ...opts, out: f(x, wt, opts) };
      return {
        run: () => f(x, wt, opts), runAsync: () => fa(x, wt, opts), output: (t) => t.data,
        layer: { name: Layer.name, run: () => layer.forward(x) },
        runOut: () => f(x, wt, oo), runAsyncOut: () => fa(x, wt, oo),
      };
    }
    case 'pad': {
      const oo = { mode: w.padMode, out: ck.pad(x, w.padBy, { mode: w.padMode }) };
      return {
        run: () => ck.pad(x, w.padBy, { mode: w.padMode }),
        runAsync: () => ck.padAsync(x, w.padBy, { mode: w.padMode }),
        output: (t) => t.data,
        runOut: () => ck.pad(x, w.padBy, oo), runAsyncOut: () => ck.padAsync(x, w.padBy, oo),
      };
    }
    case 'interp': {
      const o = w.mode === 'nearest' ? { scaleFactor: w.scale, mode: 'nearest' } : { scaleFactor: w.scale, mode: w.mode, alignCorners: false };
      const oo = { ...o, out: ck.interpolate(x, o) };
      return {
        run: () => ck.interpolate(x, o), runAsync: () => ck.interpolateAsync(x, o), output: (t) => t.data,
        runOut: () => ck.interpolate(x, oo), runAsyncOut: () => ck.interpolateAsync(x, oo),
      };
    }
    case 'layout': { // no async form of Tensor.to()
      const oo = { out: x.to('NHWC') };
      return { run: () => x.to('NHWC'), output: (t) => t.data, runOut: () => x.to('NHWC', oo) };
    }
    default:
      throw new Error(`unknown workload kind ${w.kind}`);
  }
}

module.exports = { ck, setup };
