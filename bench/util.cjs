'use strict';
// Small helpers shared by the bench: deterministic data, layout conversion, statistics,
// output comparison and the repetition loop. Plain CommonJS, no dependencies.

// mulberry32: a tiny deterministic PRNG, so every run (and every peer) sees the same data.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Uniform values in [-scale, scale).
function randomFloats(n, seed, scale = 1) {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * r() - 1) * scale;
  return a;
}

function product(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

// Channels-first [N, C, ...S] -> channels-last [N, ...S, C] and back.
function toChannelsLast(data, N, C, S) {
  const out = new Float32Array(data.length);
  for (let n = 0; n < N; n++) {
    const base = n * C * S;
    for (let c = 0; c < C; c++) {
      const src = base + c * S;
      for (let s = 0; s < S; s++) out[base + s * C + c] = data[src + s];
    }
  }
  return out;
}

function toChannelsFirst(data, N, C, S) {
  const out = new Float32Array(data.length);
  for (let n = 0; n < N; n++) {
    const base = n * C * S;
    for (let s = 0; s < S; s++) {
      const src = base + s * C;
      for (let c = 0; c < C; c++) out[base + c * S + s] = data[src + c];
    }
  }
  return out;
}

// Weight [O, I, ...k] -> [...k, I, O] (TensorFlow's HWIO / DHWIO).
function oiToSpatialIO(w, O, I, K) {
  const out = new Float32Array(w.length);
  for (let o = 0; o < O; o++)
    for (let i = 0; i < I; i++)
      for (let k = 0; k < K; k++) out[(k * I + i) * O + o] = w[(o * I + i) * K + k];
  return out;
}

function maxAbs(a) {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

// Max |a - b| over all elements (NaN if the lengths differ or a value is NaN).
function maxAbsDiff(a, b) {
  if (!a || !b || a.length !== b.length) return NaN;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // also catches NaN
  }
  return m;
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// Run fn (sync or async) once, returning { ms, out }: out only with `keep` (the first call,
// for the check), else the output is dropped as soon as the clock stops, as a caller's loop
// would. (Returned to the repetition loop, each output stayed referenced until the next
// call had run: it survived that call's scavenges into V8's old space, where only
// mark-compacts free it. W9's 25 MB outputs then took ~one mark-compact every 4 calls in
// the bench, and a plain loop 2 in all; its median was 3.4-3.9 ms against 2.5-3.3.)
// `release(out)`, if given, frees the output after the clock stops (tfjs tensors).
// Also counts the process's minor page faults during the call (read outside the clock):
// first touches of freshly allocated output pages can cost more than the op itself.
const minorFaults = () => process.resourceUsage().minorPageFault;
async function timeOnce(fn, release, keep = false) {
  const f0 = minorFaults();
  const t0 = nowMs();
  let out = fn();
  if (out && typeof out.then === 'function') out = await out;
  const ms = nowMs() - t0;
  const faults = minorFaults() - f0;
  if (release && !keep) {
    release(out);
    out = null;
  }
  return { ms, out: keep ? out : null, faults };
}

// The repetition loop of BENCH.md: the first call (untimed in the statistics, its output
// kept for the correctness check), a short warm-up, then timed repetitions until at least
// `minTime` seconds and `minReps` repetitions, stopping early when the next repetition
// would cross `capTime` seconds (slow cells report fewer repetitions, at least one).
async function measure(fn, opts, { onFirst, release } = {}) {
  const { minTime, capTime, minReps, maxReps, warmTime } = opts;
  const first = await timeOnce(fn, release, true);
  if (onFirst) onFirst(first.out);
  if (release) release(first.out);
  first.out = null;
  // Warm-up: repeat for warmTime seconds (at most 1000 calls), unless one call is too long.
  // By time, not by a count of calls: a process's first calls fault in its fresh heap and
  // code pages, which took W5 ~0.2 s of calls (7 ms a call instead of 0.14 for its first 30)
  // here; five calls were not enough.
  let warm = first.ms, warmCalls = 1;
  while (warm < warmTime * 1000 && warmCalls < 1000 && first.ms * 3 < capTime * 1000) {
    warm += (await timeOnce(fn, release)).ms;
    warmCalls++;
  }
  const times = [], faults = [];
  const t0 = nowMs();
  for (;;) {
    const r = await timeOnce(fn, release);
    times.push(r.ms);
    faults.push(r.faults);
    const elapsed = nowMs() - t0;
    if (times.length >= maxReps) break;
    if (elapsed >= minTime * 1000 && times.length >= minReps) break;
    if (elapsed + median(times) > capTime * 1000) break;
  }
  return {
    median: median(times),
    min: Math.min(...times),
    max: Math.max(...times),
    reps: times.length,
    firstMs: first.ms,
    warmupCalls: warmCalls,
    pageFaultsPerCall: median(faults), // median minor page faults per timed call
  };
}

// Two forms of one call timed in alternating blocks of `calls` (a, b, a, b, ...; `blocks` of
// each), after a warm-up of both: their medians and b's median / a's. On a machine whose
// speed drifts over seconds (issue 3's VM), two cells measured one after the other compare
// two states of the machine; blocks taking turns compare the forms.
// enter(0 | 1), if given, runs before each block of a (0) or b (1), untimed, followed by one
// untimed call: for arms that are a setting rather than a function (the thread count).
async function interleaved(a, b, { blocks = 12, calls = 8, release, enter } = {}) {
  if (enter) {
    for (const k of [0, 1]) {
      enter(k);
      for (let i = 0; i < calls; i++) await timeOnce(k ? b : a, release);
    }
  } else {
    for (let i = 0; i < calls; i++) {
      await timeOnce(a, release);
      await timeOnce(b, release);
    }
  }
  const ta = [], tb = [];
  for (let k = 0; k < 2 * blocks; k++) {
    const fn = k % 2 ? b : a, into = k % 2 ? tb : ta;
    if (enter) {
      enter(k % 2);
      await timeOnce(fn, release);
    }
    for (let i = 0; i < calls; i++) into.push((await timeOnce(fn, release)).ms);
  }
  const ma = median(ta), mb = median(tb);
  return { aMedian: ma, bMedian: mb, ratio: mb / ma, reps: ta.length };
}

// Contention on a shared machine: CPU time used by *other* processes during an interval, in
// cores (0 = the machine was ours; 1 = another process kept one core busy). Linux /proc/stat
// (USER_HZ = 100) minus this process's own CPU time (all its threads); null elsewhere.
function cpuSnapshot() {
  let busy = null;
  try {
    const f = require('fs').readFileSync('/proc/stat', 'utf8');
    const v = f.slice(0, f.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] || 0);
  } catch {
    /* not Linux */
  }
  const u = process.cpuUsage();
  // + the CPU time of waited-for children (each peer runs in a child process of its own):
  // /proc/self/stat cutime and cstime, in clock ticks of 10 ms.
  let children = 0;
  try {
    const st = require('fs').readFileSync('/proc/self/stat', 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    children = (Number(f[13]) + Number(f[14])) * 1e4; // fields 16, 17 -> microseconds
  } catch {
    /* not Linux */
  }
  return { busy, own: u.user + u.system + children, wall: nowMs() };
}
function foreignCores(a, b) {
  if (a.busy === null || b.busy === null || b.wall - a.wall < 50) return null;
  const busySec = (b.busy - a.busy) / 100, ownSec = (b.own - a.own) / 1e6, wallSec = (b.wall - a.wall) / 1000;
  return Math.max(0, (busySec - ownSec) / wallSec);
}

function errorMessage(e) {
  const m = e && e.message ? e.message : String(e);
  return m.split('\n')[0].slice(0, 160);
}

module.exports = {
  rng, randomFloats, product, toChannelsLast, toChannelsFirst, oiToSpatialIO,
  maxAbs, maxAbsDiff, median, nowMs, timeOnce, measure, interleaved, errorMessage, cpuSnapshot, foreignCores,
};
