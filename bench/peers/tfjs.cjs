'use strict';
// TensorFlow.js with the wasm backend (XNNPACK, SIMD). NHWC: inputs and weights are converted
// outside the timed region, outputs converted back to NCHW for the check, also untimed.
// The timed call is the op itself (the wasm kernels run synchronously); its output tensor
// is disposed after each call, outside the timing.
//
// Threads: the wasm backend only runs multi-threaded where WebAssembly threads are available
// (SharedArrayBuffer + Web Workers); in Node it reports no multithread support and runs on
// one thread whatever the thread count under test — the table says so.

const path = require('path');
const { product, toChannelsLast, toChannelsFirst, oiToSpatialIO } = require('../util.cjs');

let tf = null;
let wasm = null;
let threads = 1;
let multithread = false;
let simd = false;

function explicitPads(w) {
  return [[0, 0], ...w.pad.map((p) => [p, p]), [0, 0]];
}

module.exports = {
  name: 'tfjs-wasm',
  async load() {
    tf = require('@tensorflow/tfjs-core');
    wasm = require('@tensorflow/tfjs-backend-wasm');
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dist);
    simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    if (multithread) {
      // Must precede backend initialization: use every core the run will test.
      wasm.setThreadsCount(require('os').availableParallelism());
    }
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('tf.setBackend("wasm") failed');
    await tf.ready();
    threads = multithread ? wasm.getThreadsCount() : 1;
    const notes = [];
    if (!simd) notes.push('no WASM SIMD');
    if (!multithread) notes.push('no wasm threads in Node: 1 thread in every row');
    return { version: `${tf.version_core} (wasm ${wasm.version_wasm}, simd ${simd ? 'on' : 'off'}, threads ${threads})`, notes };
  },
  threadsUsed() {
    return threads;
  },
  supports(w) {
    if (w.kind === 'convT' && w.rank !== 2) return 'no conv1dTranspose/conv3dTranspose in wasm';
    if (w.kind === 'convT') {
      const same = w.in.every((i, j) => w.out[j] === i * w.stride[j]);
      const valid = w.pad.every((p) => p === 0) && w.outputPadding.every((p) => p === 0);
      if (!same && !valid) return 'conv2dTranspose takes only "same"/"valid" here';
    }
    if (w.kind === 'conv' && w.rank === 3 && !w.pad.every((p, j) => 2 * p === w.dil[j] * (w.k[j] - 1)))
      return 'conv3d takes only "same"/"valid"';
    if (w.kind === 'interp' && w.mode === 'bicubic') return 'no bicubic resize';
    return null;
  },
  async prepare(w, inputs) {
    const N = w.N, C = w.Cin, S = product(w.in);
    const outC = w.Cout, outS = product(w.out);
    const nhwcIn = [N, ...w.in, C];
    let x;
    if (w.kind === 'layout') x = tf.tensor(inputs.x, w.inputShape); // transpose of the NCHW tensor itself
    else x = tf.tensor(toChannelsLast(inputs.x, N, C, S), nhwcIn);
    const held = [x];
    let run;
    let back = (d) => toChannelsFirst(d, N, outC, outS);
    let note = '';
    switch (w.kind) {
      case 'conv': {
        if (w.groups === w.Cin && w.Cout === w.Cin && w.groups > 1) {
          // depthwise: filter [kh, kw, C, 1]
          const f = tf.tensor(oiToSpatialIO(inputs.w, C, 1, product(w.k)), [...w.k, C, 1]);
          held.push(f);
          if (w.paddingMode === 'reflect') {
            const pads = explicitPads(w);
            run = () => tf.tidy(() => tf.depthwiseConv2d(tf.mirrorPad(x, pads, 'reflect'), f, w.stride, 'valid', 'NHWC', w.dil));
            note = 'mirrorPad+depthwiseConv2d';
          } else {
            run = () => tf.depthwiseConv2d(x, f, w.stride, explicitPads(w), 'NHWC', w.dil);
            note = 'depthwiseConv2d';
          }
        } else if (w.groups !== 1) {
          throw new Error('grouped convolution');
        } else if (w.rank === 1) {
          const f = tf.tensor(oiToSpatialIO(inputs.w, outC, C, w.k[0]), [w.k[0], C, outC]);
          held.push(f);
          const pad = 2 * w.pad[0] === w.dil[0] * (w.k[0] - 1) ? 'same' : w.pad[0] === 0 ? 'valid' : null;
          if (!pad || w.stride[0] !== 1) throw new Error('conv1d padding not expressible');
          run = () => tf.conv1d(x, f, w.stride[0], pad, 'NWC', w.dil[0]);
          note = 'conv1d';
        } else if (w.rank === 3) {
          const f = tf.tensor(oiToSpatialIO(inputs.w, outC, C, product(w.k)), [...w.k, C, outC]);
          held.push(f);
          run = () => tf.conv3d(x, f, w.stride, 'same', 'NDHWC', w.dil);
          note = 'conv3d';
        } else {
          const f = tf.tensor(oiToSpatialIO(inputs.w, outC, C, product(w.k)), [...w.k, C, outC]);
          held.push(f);
          run = () => tf.conv2d(x, f, w.stride, explicitPads(w), 'NHWC', w.dil);
          note = 'conv2d';
        }
        break;
      }
      case 'partial': {
        // The NVIDIA formula from tfjs ops (no partial-convolution op): 7 ops.
        const m = tf.tensor(inputs.mask, [N, ...w.in, 1]); // [N,1,H,W] == [N,H,W,1] in memory
        const f = tf.tensor(oiToSpatialIO(inputs.w, outC, C, product(w.k)), [...w.k, C, outC]);
        const ones = tf.ones([...w.k, 1, 1]);
        const win = product(w.k);
        held.push(m, f, ones);
        const pads = explicitPads(w);
        run = () => tf.tidy(() => {
          const raw = tf.conv2d(tf.mul(x, m), f, w.stride, pads, 'NHWC', w.dil);
          const count = tf.conv2d(m, ones, w.stride, pads, 'NHWC', w.dil);
          const ratio = tf.mul(tf.div(tf.scalar(win), tf.add(count, 1e-8)), tf.clipByValue(count, 0, 1));
          return tf.mul(raw, ratio);
        });
        note = '7-op graph';
        break;
      }
      case 'convT': {
        // PyTorch [Cin, Cout, kh, kw] -> tf [kh, kw, Cout, Cin]
        const K = product(w.k);
        const src = inputs.w, fw = new Float32Array(src.length);
        for (let i = 0; i < C; i++)
          for (let o = 0; o < outC; o++)
            for (let k = 0; k < K; k++) fw[(k * outC + o) * C + i] = src[(i * outC + o) * K + k];
        const f = tf.tensor(fw, [...w.k, outC, C]);
        held.push(f);
        const pad = w.pad.every((p) => p === 0) ? 'valid' : 'same';
        run = () => tf.conv2dTranspose(x, f, [N, ...w.out, outC], w.stride, pad);
        note = `conv2dTranspose ${pad}`;
        break;
      }
      case 'pad': {
        const p = [[0, 0], [w.padBy, w.padBy], [w.padBy, w.padBy], [0, 0]];
        run = () => tf.mirrorPad(x, p, w.padMode);
        note = 'mirrorPad, NHWC';
        break;
      }
      case 'interp': {
        run = w.mode === 'bilinear'
          ? () => tf.image.resizeBilinear(x, w.out, false, true)
          : () => tf.image.resizeNearestNeighbor(x, w.out, false, false);
        note = (w.mode === 'bilinear' ? 'resizeBilinear' : 'resizeNearestNeighbor') + ', NHWC';
        break;
      }
      case 'layout': {
        run = () => tf.transpose(x, [0, 2, 3, 1]);
        back = (d) => d; // NHWC, as convkit's output
        note = 'transpose';
        break;
      }
      default:
        throw new Error(`no tfjs op for kind ${w.kind}`);
    }
    return {
      note,
      run,
      output: (y) => back(y.dataSync()),
      release: (y) => y.dispose(),
      dispose: () => held.forEach((t) => t.dispose()),
    };
  },
};
