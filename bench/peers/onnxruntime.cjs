'use strict';
// onnxruntime-node (CPU execution provider): each workload as a small ONNX model built in
// memory (opset 17, IR version 8), weights as initializers, NCHW in and out like convkit.
//   conv        -> Conv                  convT -> ConvTranspose
//   W9 (reflect)-> Pad(reflect) + Conv   (ONNX Conv only pads with zeros: 2 nodes)
//   W10 partial -> the NVIDIA formula as a graph: Mul, Conv, Conv(mask, ones), Add, Div,
//                  Clip, Mul, Mul (ONNX has no partial-convolution op: 8 nodes)
//   pad         -> Pad(reflect)          interp -> Resize     layout -> Transpose
// One session per (workload, threads): intraOpNumThreads = threads under test,
// interOpNumThreads = 1, sequential execution, all graph optimizations.

const P = require('./onnx-model.cjs');
const { product } = require('../util.cjs');

let ort = null;

function pads2(p) {
  return [...p, ...p]; // ONNX: all begins, then all ends
}

function buildModel(w) {
  const nodes = [], inits = [];
  const inputs = [P.valueInfo('x', P.FLOAT, w.inputShape)];
  const outputs = [P.valueInfo('y', P.FLOAT, w.outputShape)];
  let nodesNote = '';
  switch (w.kind) {
    case 'conv': {
      inits.push(P.tensor('W', w.weightShape, P.FLOAT, w._weights));
      const attrs = [P.attrInts('kernel_shape', w.k), P.attrInts('strides', w.stride), P.attrInts('dilations', w.dil), P.attrInt('group', w.groups)];
      if (w.paddingMode === 'zeros') {
        nodes.push(P.node('Conv', ['x', 'W'], ['y'], [...attrs, P.attrInts('pads', pads2(w.pad))]));
      } else if (w.paddingMode === 'reflect') {
        inits.push(P.tensor('pads', [2 * (w.rank + 2)], P.INT64, [0, 0, ...w.pad, 0, 0, ...w.pad]));
        nodes.push(P.node('Pad', ['x', 'pads'], ['xp'], [P.attrString('mode', 'reflect')]));
        nodes.push(P.node('Conv', ['xp', 'W'], ['y'], [...attrs, P.attrInts('pads', pads2(w.pad.map(() => 0)))]));
        nodesNote = 'Pad+Conv';
      } else {
        throw new Error(`padding mode ${w.paddingMode} not expressible`);
      }
      break;
    }
    case 'partial': {
      // raw = conv(x ⊙ m, W); count = conv(m, ones); ratio = k/(count + 1e-8) ⊙ clip(count, 0, 1);
      // y = raw ⊙ ratio (no bias).
      const win = product(w.k);
      inputs.push(P.valueInfo('m', P.FLOAT, [w.N, 1, ...w.in]));
      inits.push(P.tensor('W', w.weightShape, P.FLOAT, w._weights));
      inits.push(P.tensor('ones', [1, 1, ...w.k], P.FLOAT, new Float32Array(win).fill(1)));
      inits.push(P.tensor('eps', [], P.FLOAT, [1e-8]));
      inits.push(P.tensor('win', [], P.FLOAT, [win]));
      inits.push(P.tensor('zero', [], P.FLOAT, [0]));
      inits.push(P.tensor('one', [], P.FLOAT, [1]));
      const attrs = [P.attrInts('kernel_shape', w.k), P.attrInts('strides', w.stride), P.attrInts('dilations', w.dil), P.attrInts('pads', pads2(w.pad))];
      nodes.push(P.node('Mul', ['x', 'm'], ['xm'], [], 'mask_in'));
      nodes.push(P.node('Conv', ['xm', 'W'], ['raw'], [...attrs, P.attrInt('group', w.groups)], 'conv'));
      nodes.push(P.node('Conv', ['m', 'ones'], ['count'], attrs, 'count'));
      nodes.push(P.node('Add', ['count', 'eps'], ['count_eps'], [], 'eps'));
      nodes.push(P.node('Div', ['win', 'count_eps'], ['ratio0'], [], 'ratio'));
      nodes.push(P.node('Clip', ['count', 'zero', 'one'], ['newmask'], [], 'newmask'));
      nodes.push(P.node('Mul', ['ratio0', 'newmask'], ['ratio'], [], 'ratio_mask'));
      nodes.push(P.node('Mul', ['raw', 'ratio'], ['y'], [], 'scale'));
      nodesNote = '8-node graph';
      break;
    }
    case 'convT': {
      inits.push(P.tensor('W', w.weightShape, P.FLOAT, w._weights));
      nodes.push(P.node('ConvTranspose', ['x', 'W'], ['y'], [
        P.attrInts('kernel_shape', w.k), P.attrInts('strides', w.stride), P.attrInts('dilations', w.dil),
        P.attrInts('pads', pads2(w.pad)), P.attrInts('output_padding', w.outputPadding), P.attrInt('group', w.groups),
      ]));
      break;
    }
    case 'pad': {
      const p = new Array(w.rank).fill(w.padBy);
      inits.push(P.tensor('pads', [2 * (w.rank + 2)], P.INT64, [0, 0, ...p, 0, 0, ...p]));
      nodes.push(P.node('Pad', ['x', 'pads'], ['y'], [P.attrString('mode', w.padMode)]));
      break;
    }
    case 'interp': {
      inits.push(P.tensor('scales', [w.rank + 2], P.FLOAT, [1, 1, ...new Array(w.rank).fill(w.scale)]));
      // PyTorch's bicubic: a = -0.75, half-pixel centres, taps past the edge clamped (not excluded)
      const attrs = w.mode === 'bilinear'
        ? [P.attrString('mode', 'linear'), P.attrString('coordinate_transformation_mode', 'half_pixel')]
        : w.mode === 'bicubic'
          ? [P.attrString('mode', 'cubic'), P.attrString('coordinate_transformation_mode', 'half_pixel'), P.attrFloat('cubic_coeff_a', -0.75), P.attrInt('exclude_outside', 0)]
          : [P.attrString('mode', 'nearest'), P.attrString('coordinate_transformation_mode', 'asymmetric'), P.attrString('nearest_mode', 'floor')];
      nodes.push(P.node('Resize', ['x', '', 'scales'], ['y'], attrs));
      break;
    }
    case 'layout': {
      nodes.push(P.node('Transpose', ['x'], ['y'], [P.attrInts('perm', [0, 2, 3, 1])]));
      break;
    }
    default:
      throw new Error(`no ONNX model for kind ${w.kind}`);
  }
  return { bytes: P.model(P.graph(w.key, nodes, inits, inputs, outputs)), nodesNote };
}

module.exports = {
  name: 'onnxruntime',
  async load() {
    ort = require('onnxruntime-node');
    const version = (ort.env && ort.env.versions && ort.env.versions.node) || require('onnxruntime-node/package.json').version;
    return { version };
  },
  threadsUsed(t) {
    return t;
  },
  supports() {
    return null;
  },
  async prepare(w, inputs, threads) {
    const { bytes, nodesNote } = buildModel({ ...w, _weights: inputs.w });
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const feeds = { x: new ort.Tensor('float32', inputs.x, w.inputShape) };
    if (w.kind === 'partial') feeds.m = new ort.Tensor('float32', inputs.mask, inputs.maskShape);
    return {
      note: nodesNote,
      run: () => session.run(feeds),
      output: (r) => r.y.data,
      dispose: () => session.release(),
    };
  },
};
