// `npm run demo`: convkit on built-in data. Prints the seed's worked examples, the output
// shapes of the guide's animation configurations (Dumoulin & Visin, conv_arithmetic), then
// runs every op family once on a generated image-sized input with a timing line each.
const ck = require('..');

const fmt = (a, w = 3) => Array.from(a, (v) => String(Math.round(v * 1000) / 1000).padStart(w)).join(' ');
function printPlane(t, h, w) {
  for (let r = 0; r < h; r++) console.log('   ', fmt(t.data.subarray(r * w, (r + 1) * w)));
}

console.log(`convkit ${ck.runtimeInfo().version} — isa ${ck.runtimeInfo().isa}, ${ck.getNumThreads()} threads\n`);

console.log('Worked example 1: ReflectionPad2d(2) of arange(9) as 3x3');
const a9 = ck.tensor(Float32Array.from({ length: 9 }, (_, i) => i), [1, 1, 3, 3]);
const reflected = ck.pad(a9, 2, { mode: 'reflect' });
printPlane(reflected, 7, 7);

console.log('\nWorked example 2: nearest Upsample(scale_factor=2) of [[1,2],[3,4]]');
const up = ck.interpolate(ck.tensor(new Float32Array([1, 2, 3, 4]), [1, 1, 2, 2]), { scaleFactor: 2, mode: 'nearest' });
printPlane(up, 4, 4);

console.log('\nThe guide\'s animations (input i, kernel k, stride s, padding p, dilation d -> output):');
const cases = [
  ['no padding, unit strides', 4, 3, 1, 0, 1],
  ['arbitrary padding, unit strides', 5, 4, 1, 2, 1],
  ['half padding, unit strides', 5, 3, 1, 1, 1],
  ['full padding, unit strides', 5, 3, 1, 2, 1],
  ['no padding, strides', 5, 3, 2, 0, 1],
  ['padding, strides', 5, 3, 2, 1, 1],
  ['padding, strides (odd)', 6, 3, 2, 1, 1],
  ['dilation', 7, 3, 1, 0, 2],
];
for (const [name, i, k, s, p, d] of cases) {
  const o = ck.convOutputShape([1, 1, i, i], [1, 1, k, k], { stride: s, padding: p, dilation: d });
  console.log(`  conv  ${name.padEnd(34)} i=${i} k=${k} s=${s} p=${p} d=${d} -> ${o[2]}x${o[3]}`);
}
const tcases = [
  ['no padding, unit strides, transposed', 2, 3, 1, 0, 0],
  ['arbitrary padding, unit strides, transposed', 6, 4, 1, 2, 0],
  ['half padding, unit strides, transposed', 5, 3, 1, 1, 0],
  ['full padding, unit strides, transposed', 7, 3, 1, 2, 0],
  ['no padding, strides, transposed', 2, 3, 2, 0, 0],
  ['padding, strides, transposed', 3, 3, 2, 1, 0],
  ['padding, strides, transposed (odd)', 3, 3, 2, 1, 1],
];
for (const [name, i, k, s, p, a] of tcases) {
  const o = ck.convTransposeOutputShape([1, 1, i, i], [1, 1, k, k], { stride: s, padding: p, outputPadding: a });
  console.log(`  convT ${name.padEnd(44)} i'=${i} k=${k} s=${s} p=${p} a=${a} -> ${o[2]}x${o[3]}`);
}

// A generated 512x512 RGB "image": smooth gradients plus a pattern.
const H = 512, W = 512;
const bytes = new Uint8Array(H * W * 3);
for (let y = 0; y < H; y++)
  for (let x = 0; x < W; x++) {
    const i = (y * W + x) * 3;
    bytes[i] = (x * 255) / W;
    bytes[i + 1] = (y * 255) / H;
    bytes[i + 2] = ((x ^ y) & 32) ? 200 : 40;
  }
const img = ck.fromPixels(bytes, { width: W, height: H, channels: 3 }, { scale: 1 / 255 });
const rnd = (n, seed = 1) => {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; a[i] = (s / 2 ** 32 - 0.5) * 0.2; }
  return a;
};
const time = (label, f) => {
  f();
  const t0 = process.hrtime.bigint();
  const r = f();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const shape = r.shape ?? r.output.shape;
  console.log(`  ${label.padEnd(52)} -> [${shape.join(', ')}]  ${ms.toFixed(2)} ms`);
  return r;
};

console.log(`\nEach op family once on a generated ${W}x${H} RGB image (1x3x${H}x${W}):`);
const blur = ck.tensor(new Float32Array(3 * 25).fill(1 / 25), [3, 1, 5, 5]);
time('conv2d depthwise 5x5 blur, reflect padding', () => ck.conv2d(img, blur, { groups: 3, padding: 2, paddingMode: 'reflect' }));
const w16 = ck.tensor(rnd(16 * 3 * 9), [16, 3, 3, 3]);
time('conv2d 3->16, 3x3, stride 2, same, replicate', () => ck.conv2d(img, w16, { stride: 2, padding: 'same', paddingMode: 'replicate' }));
time('conv2d 3->16, 3x3, partial-convolution padding', () => ck.conv2d(img, w16, { padding: 1, paddingMode: 'partial' }));
time('conv1d 3->8, k5 dilation 2 on rows (NCW)', () => ck.conv1d(ck.tensor(img.data, [1, 3, H * W]), ck.tensor(rnd(8 * 3 * 5), [8, 3, 5]), { dilation: 2, padding: 'same' }));
time('conv3d 3->4, 3x3x3 on a 4-frame clip', () => ck.conv3d(ck.tensor(rnd(3 * 4 * 128 * 128), [1, 3, 4, 128, 128]), ck.tensor(rnd(4 * 3 * 27), [4, 3, 3, 3, 3]), { padding: 1 }));
const wT = ck.tensor(rnd(3 * 8 * 4 * 4), [3, 8, 4, 4]);
time('convTranspose2d 3->8, k4 s2 p1 (x2 upsampling)', () => ck.convTranspose2d(img, wT, { stride: 2, padding: 1 }));
const mask = new Float32Array(H * W).fill(1);
for (let y = 200; y < 300; y++) for (let x = 150; x < 350; x++) mask[y * W + x] = 0;
time('partialConv2d 3->16, 3x3, inpainting hole', () => ck.partialConv2d(img, w16, { padding: 1, mask: ck.tensor(mask, [1, 1, H, W]) }));
time('pad reflect 16 each side', () => ck.pad(img, 16, { mode: 'reflect' }));
time('pad symmetric [[8, 0], [0, 8]]', () => ck.pad(img, [[8, 0], [0, 8]], { mode: 'symmetric' }));
time('interpolate bilinear x2', () => ck.interpolate(img, { scaleFactor: 2, mode: 'bilinear' }));
time('interpolate bicubic to 300x400 (align corners)', () => ck.interpolate(img, { size: [300, 400], mode: 'bicubic', alignCorners: true }));
time('interpolate area to 128x128', () => ck.interpolate(img, { size: 128, mode: 'area' }));
time('layout NCHW -> NHWC', () => img.to('NHWC'));
const layer = new ck.Conv2d({ weight: w16, padding: 1 });
time('Conv2d layer (prepared weights) forward', () => layer.forward(img));
const px = ck.toPixels(ck.conv2d(img, blur, { groups: 3, padding: 2, paddingMode: 'reflect' }), { scale: 1 / 255 });
console.log(`\ntoPixels of the blurred image: ${px.width}x${px.height}x${px.channels}, first pixel [${Array.from(px.data.subarray(0, 3)).join(', ')}]`);
