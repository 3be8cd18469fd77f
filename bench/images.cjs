#!/usr/bin/env node
'use strict';
// The image path of a server (sharp's raw RGB in, RGB out) in both layouts: fromPixels, the
// layout conversions, a reflect pad, a 5x5 filter, x2 upsampling, toPixels, on one 1080x1920
// RGB image. Median ms of interleaved repetitions (each op in turn), 1 and 2 threads. Not part
// of BENCH.md's table (its workloads are channels-first); a check on the channels-last paths.
//
//   node bench/images.cjs [--reps 15] [--width 1920] [--height 1080]

const ck = require('../dist/index.js');
const { median } = require('./util.cjs');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const reps = arg('reps', 15), W = arg('width', 1920), H = arg('height', 1080), C = 3;

const bytes = Uint8Array.from({ length: H * W * C }, (_, i) => (i * 7919) % 251);
const info = { width: W, height: H, channels: C };
const w5 = ck.tensor(new Float32Array(C * 25).fill(1 / 25), [C, 1, 5, 5]);

const ops = (x) => ({
  fromPixels: () => ck.fromPixels(bytes, info, { layout: x.layout }),
  'to other layout': () => x.to(x.layout === 'NCHW' ? 'NHWC' : 'NCHW'),
  'pad reflect 16': () => ck.pad(x, 16, { mode: 'reflect' }),
  'filter 5x5 reflect': () => ck.conv2d(x, w5, { groups: C, padding: 2, paddingMode: 'reflect' }),
  'upsample x2 nearest': () => ck.interpolate(x, { scaleFactor: 2, mode: 'nearest' }),
  'upsample x2 bilinear': () => ck.interpolate(x, { scaleFactor: 2, mode: 'bilinear' }),
  toPixels: () => ck.toPixels(x),
});

for (const threads of [1, 2]) {
  ck.setNumThreads(threads);
  const xs = ['NCHW', 'NHWC'].map((layout) => ck.fromPixels(bytes, info, { layout }));
  const table = xs.map(ops);
  const names = Object.keys(table[0]);
  const times = names.map(() => [[], []]);
  for (let r = 0; r < reps + 2; r++)
    names.forEach((name, i) =>
      table.forEach((t, l) => {
        const t0 = process.hrtime.bigint();
        t[name]();
        if (r >= 2) times[i][l].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }),
    );
  console.log(`${W}x${H} RGB, ${threads} thread(s), median ms:`);
  names.forEach((name, i) => console.log(`  ${name.padEnd(22)} NCHW ${median(times[i][0]).toFixed(2).padStart(7)}   NHWC ${median(times[i][1]).toFixed(2).padStart(7)}`));
}
