'use strict';
// Plain JavaScript loops for W1, W5 and W9: the floor any native library must clear by far.
// A direct convolution, NCHW, written the way a careful JS programmer would (weights hoisted,
// contiguous inner loop over output columns, padding resolved by index ranges for zeros and
// by an index table for reflect) — no SIMD, one thread. Measured in the 1-thread rows only.

const { product } = require('../util.cjs');

function reflectIndex(i, n) {
  if (n === 1) return 0;
  const p = 2 * (n - 1);
  i = ((i % p) + p) % p;
  return i < n ? i : p - i;
}

function conv2dNCHW(w, x, wt) {
  const [N, C, H, W] = w.inputShape;
  const [, Co, OH, OW] = w.outputShape;
  const [kH, kW] = w.k, [sH, sW] = w.stride, [dH, dW] = w.dil, [pH, pW] = w.pad;
  const G = w.groups, Cg = C / G, Cog = Co / G;
  const reflect = w.paddingMode === 'reflect';
  const y = new Float32Array(N * Co * OH * OW);
  // Column index per (kw, ow) for reflect; for zeros the valid ow range per kw.
  const colIdx = [], owLo = [], owHi = [];
  for (let kw = 0; kw < kW; kw++) {
    const t = new Int32Array(OW);
    let lo = OW, hi = 0;
    for (let ow = 0; ow < OW; ow++) {
      const iw = ow * sW - pW + kw * dW;
      t[ow] = reflect ? reflectIndex(iw, W) : iw;
      if (iw >= 0 && iw < W) { if (ow < lo) lo = ow; hi = ow + 1; }
    }
    colIdx.push(t); owLo.push(lo); owHi.push(hi);
  }
  for (let n = 0; n < N; n++)
    for (let co = 0; co < Co; co++) {
      const g = Math.floor(co / Cog);
      const yo = (n * Co + co) * OH * OW;
      for (let cg = 0; cg < Cg; cg++) {
        const ci = g * Cg + cg;
        const xo = (n * C + ci) * H * W;
        for (let kh = 0; kh < kH; kh++)
          for (let kw = 0; kw < kW; kw++) {
            const wv = wt[((co * Cg + cg) * kH + kh) * kW + kw];
            const ct = colIdx[kw];
            for (let oh = 0; oh < OH; oh++) {
              let ih = oh * sH - pH + kh * dH;
              if (reflect) ih = reflectIndex(ih, H);
              else if (ih < 0 || ih >= H) continue;
              const xr = xo + ih * W, yr = yo + oh * OW;
              if (reflect) {
                for (let ow = 0; ow < OW; ow++) y[yr + ow] += wv * x[xr + ct[ow]];
              } else if (sW === 1) {
                const off = xr - pW + kw * dW;
                for (let ow = owLo[kw], e = owHi[kw]; ow < e; ow++) y[yr + ow] += wv * x[off + ow];
              } else {
                for (let ow = owLo[kw], e = owHi[kw]; ow < e; ow++) y[yr + ow] += wv * x[xr + ct[ow]];
              }
            }
          }
      }
    }
  return y;
}

const SUPPORTED = new Set(['W1', 'W5', 'W9']);

module.exports = {
  name: 'js',
  async load() {
    return { version: `node ${process.versions.node}` };
  },
  threadsUsed() {
    return 1;
  },
  oneThreadOnly: true,
  supports(w) {
    if (!SUPPORTED.has(w.id)) return 'JS loops for W1, W5, W9 only';
    if (w.rank !== 2 || product(w.k) === 0) return 'not a 2d convolution';
    return null;
  },
  async prepare(w, inputs) {
    return {
      note: 'direct loop, 1 thread',
      run: () => conv2dNCHW(w, inputs.x, inputs.w),
      output: (y) => y,
      dispose: () => {},
    };
  },
};
