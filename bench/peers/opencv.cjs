'use strict';
// OpenCV (native, through Python's cv2: opencv-python-headless) for the image workloads:
// W9 filter2D (float32, the same 5x5 kernel on every channel, BORDER_REFLECT_101 = PyTorch's
// reflect), W12 copyMakeBorder (BORDER_REFLECT_101), W13 resize (INTER_LINEAR, INTER_NEAREST,
// INTER_CUBIC: half-pixel centres, a = -0.75, edge taps clamped, as PyTorch). The reference
// figures of the issue (filter2D, reflect pad, bicubic) are OpenCV's.
//
// OpenCV runs in a Python process of its own per cell (opencv_cell.py): the image is handed
// over in a file, converted to OpenCV's interleaved HWC layout before timing, and the cell
// is timed there with the same repetition rule as every other cell (perf_counter around
// each call). cv2.setNumThreads(t) sets its threads. Not installed: the column says how.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { W9_KERNEL_INT } = require('../workloads.cjs');

const SCRIPT = path.join(__dirname, 'opencv_cell.py');
let python = null;
let dir = null;

function pythons() {
  return [process.env.CONVKIT_BENCH_PYTHON, 'python3', '/usr/bin/python3', 'python'].filter(Boolean);
}

module.exports = {
  name: 'opencv',
  async load() {
    const tried = [];
    for (const py of pythons()) {
      const r = spawnSync(py, ['-c', 'import cv2, numpy; print(cv2.__version__)'], { encoding: 'utf8' });
      if (r.status === 0) {
        python = py;
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convkit-opencv-'));
        return { version: `${r.stdout.trim()} (native, via ${py} cv2; HWC inside)` };
      }
      tried.push(py);
    }
    throw new Error(`no Python with cv2 among ${tried.join(', ')} (pip install opencv-python-headless numpy; or set CONVKIT_BENCH_PYTHON)`);
  },
  threadsUsed(t) {
    return t;
  },
  supports(w) {
    if (w.id === 'W9' || w.id === 'W12' || w.kind === 'interp') return null;
    return 'image workloads only (W9, W12, W13)';
  },
  // Timed in the Python process: measure(reps) stands in for the parent's loop.
  async prepare(w, inputs, threads) {
    const input = path.join(dir, 'x.f32'), output = path.join(dir, 'y.f32'), specFile = path.join(dir, 'spec.json');
    fs.writeFileSync(input, Buffer.from(inputs.x.buffer, inputs.x.byteOffset, inputs.x.byteLength));
    const spec = { input, output, shape: w.inputShape, threads };
    let note;
    if (w.id === 'W9') {
      Object.assign(spec, { op: 'filter2d', ksize: 5, kernel: W9_KERNEL_INT.map((v) => v / 256) });
      note = 'filter2D float32, HWC';
    } else if (w.id === 'W12') {
      Object.assign(spec, { op: 'pad', pad: w.padBy });
      note = 'copyMakeBorder, HWC';
    } else {
      Object.assign(spec, { op: 'resize', mode: w.mode, out: w.out });
      note = `resize ${w.mode === 'bilinear' ? 'INTER_LINEAR' : w.mode === 'bicubic' ? 'INTER_CUBIC' : 'INTER_NEAREST'}, HWC`;
    }
    return {
      note,
      measure(reps) {
        fs.writeFileSync(specFile, JSON.stringify({ ...spec, reps }));
        const r = spawnSync(python, [SCRIPT, specFile], { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (r.status !== 0) throw new Error(`opencv_cell.py failed: ${(r.stderr || '').trim().split('\n').pop()}`);
        const m = JSON.parse(r.stdout.trim().split('\n').pop());
        const buf = fs.readFileSync(output);
        const out = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
        return { m: { median: m.median, min: m.min, max: m.max, reps: m.reps, firstMs: m.firstMs, warmupCalls: m.warmupCalls }, out };
      },
      output: (out) => out,
      dispose: () => {},
    };
  },
};
