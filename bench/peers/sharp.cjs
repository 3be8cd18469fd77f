'use strict';
// sharp (libvips) for W9: the same image as 8-bit interleaved RGB 1920x1080, `convolve` with
// the same 5x5 kernel (integer binomial weights, scale 256). A different data type (uint8 in
// and out) — what a server-side user would otherwise pick. The timed call is the whole
// pipeline a user runs: sharp(raw buffer).convolve(...).raw().toBuffer().
// sharp.concurrency(threads) sets libvips' threads; the libvips operation cache is off.
//
// Check: sharp's output (8-bit) against convkit's float output, rounded and clamped, on the
// interior (libvips extends the border by copying edge pixels, W9 mirrors it: the 2-pixel
// frame differs by design and is reported separately).

const { W9_KERNEL_INT } = require('../workloads.cjs');

let sharp = null;

module.exports = {
  name: 'sharp',
  async load() {
    sharp = require('sharp');
    sharp.cache(false);
    return { version: `${sharp.versions.sharp} (libvips ${sharp.versions.vips})` };
  },
  threadsUsed(t) {
    return t;
  },
  supports(w) {
    return w.id === 'W9' ? null : 'image filter only (W9)';
  },
  async prepare(w, inputs, threads) {
    sharp.concurrency(threads);
    const [, C, H, W] = w.inputShape;
    const S = H * W;
    const buf = Buffer.alloc(C * S);
    for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) buf[s * C + c] = inputs.x[c * S + s];
    const opts = { width: 5, height: 5, kernel: W9_KERNEL_INT, scale: 256, offset: 0 };
    const r = w.pad[0];
    return {
      note: 'uint8 RGB, convolve',
      run: () => sharp(buf, { raw: { width: W, height: H, channels: C } }).convolve(opts).raw().toBuffer(),
      output: (out) => out,
      // Max |sharp - round(clamp(convkit))| in 8-bit levels, interior and border frame.
      check(out, ref) {
        if (out.length !== C * S) return { err: NaN, note: `got ${out.length} bytes, expected ${C * S}` };
        let inner = 0, frame = 0;
        for (let c = 0; c < C; c++)
          for (let y = 0; y < H; y++)
            for (let x = 0; x < W; x++) {
              const s = y * W + x;
              const want = Math.min(255, Math.max(0, Math.round(ref[c * S + s])));
              const d = Math.abs(out[s * C + c] - want);
              if (y < r || y >= H - r || x < r || x >= W - r) frame = Math.max(frame, d);
              else inner = Math.max(inner, d);
            }
        return { err: inner, tol: 1, unit: '8-bit levels', note: `interior; border frame ${frame} (libvips copies edges, W9 reflects)` };
      },
      dispose: () => {},
    };
  },
};
