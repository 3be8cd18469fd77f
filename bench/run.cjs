#!/usr/bin/env node
'use strict';
// `npm run bench`: convkit and its peers on the workloads of bench/workloads.cjs, in one run,
// one after the other, for 1 thread and for all threads; prints one table and writes
// bench/results/latest.json. See bench/README.md for the columns and the method.
//
//   node bench/run.cjs [--filter W1,W9] [--threads 1,2] [--quick] [--json] [--async]
//                      [--peers onnxruntime,tfjs-wasm,sharp,js] [--out file.json]

const fs = require('fs');
const os = require('os');
const { spawnSync } = require('child_process');
const path = require('path');
const { WORKLOADS, makeInputs } = require('./workloads.cjs');
const { monitorEventLoopDelay } = require('perf_hooks');
const { maxAbs, maxAbsDiff, measure: measureRaw, interleaved, errorMessage, nowMs, cpuSnapshot, foreignCores } = require('./util.cjs');

// measure() plus how much CPU other processes took meanwhile (see util.foreignCores).
const BUSY = 0.25; // cores: above this, a cell is marked "~" (measured while the machine was busy)
async function measure(fn, reps, hooks) {
  const a = cpuSnapshot();
  const m = await measureRaw(fn, reps, hooks);
  const f = foreignCores(a, cpuSnapshot());
  m.foreignCores = f === null ? null : +f.toFixed(2);
  return m;
}

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const a = { filter: null, threads: null, quick: false, json: false, peers: null, out: null, budget: null, rounds: 1 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, null];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--filter': a.filter = value().split(',').map((s) => s.trim().toUpperCase()).filter(Boolean); break;
      case '--threads': a.threads = value().split(',').map((s) => Number(s.trim())); break;
      case '--peers': a.peers = value().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--out': a.out = value(); break;
      case '--budget': a.budget = Number(value()); break;
      case '--rounds': a.rounds = Number(value()); break;
      case '--quick': a.quick = true; break;
      case '--json': a.json = true; break;
      case '--async': a.async = true; break;
      case '--peer-child': a.peerChild = value(); break; // internal: one peer's own process
      case '--convkit-child': a.convkitChild = true; break; // internal: convkit's own process
      case '-h': case '--help': a.help = true; break;
      default: throw new Error(`unknown argument ${arg} (try --help)`);
    }
  }
  if (a.threads && a.threads.some((t) => !Number.isInteger(t) || t < 1 || t > 256))
    throw new Error('--threads expects positive integers, e.g. --threads 1,2');
  if (!Number.isInteger(a.rounds) || a.rounds < 1 || a.rounds > 9) throw new Error('--rounds expects an integer from 1 to 9');
  if (a.budget === null) a.budget = 540 * a.rounds;
  return a;
}

const HELP = `usage: node bench/run.cjs [options]
  --filter W1,W9      only these workloads (an id like W13 selects its variants; W13-nearest one)
  --threads 1,2       thread counts to test (default: 1 and all = ${os.availableParallelism()})
  --quick             few repetitions: a smoke test, not a measurement
  --json              print the results as JSON instead of the table
  --async             also time convkit's async form (nameAsync) and the event-loop p99 delay
  --peers a,b         only these peers (onnxruntime, tfjs-wasm, sharp, js)
  --out file          where to write the JSON (default bench/results/latest.json)
  --budget seconds    soft time limit: past it, remaining cells use short repetition caps (default 540 per round)
  --rounds n          measure each workload n times, convkit and the peers taking turns (convkit
                      first in odd rounds, last in even ones); a cell reports the round whose
                      median is the median of the rounds' (default 1)`;

// ---------------------------------------------------------------- small formatting helpers
const fmtMs = (ms) => (!Number.isFinite(ms) ? '—' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
const fmtRate = (v) => (!Number.isFinite(v) ? '—' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const fmtErr = (e) => (e === 0 ? '0' : !Number.isFinite(e) ? String(e) : e.toExponential(1));
function pad(s, n, right = false) {
  s = String(s);
  return right ? s.padEnd(n) : s.padStart(n);
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0] ? cpus[0].model.trim() : 'unknown',
    logicalCpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    node: process.version,
    hostname: os.hostname(),
    loadavg: os.loadavg().map((v) => +v.toFixed(2)), // other load on a shared machine skews timings
  };
}

// Garbage collection between cells, outside every timed region, so one cell's garbage does
// not land in the next cell's timings.
let gc = () => {};
try {
  require('v8').setFlagsFromString('--expose-gc');
  gc = require('vm').runInNewContext('gc');
} catch {
  /* no gc: fine */
}

// Before each measurement: garbage collected, and a pause in which the previous
// implementation's worker threads go idle (ONNX Runtime's spin for a while after a run), so
// that no cell runs beside the last one's spinning threads.
async function settle() {
  gc();
  await new Promise((r) => setTimeout(r, 50));
}

const PEER_MODULES = ['onnxruntime', 'tfjs', 'sharp', 'opencv', 'js'];
const COPY_PROBE_MB = 256;
const FULL_REPS = { minTime: 0.5, capTime: 3, minReps: 5, maxReps: 500, warmTime: 0.4 };
const QUICK_REPS = { minTime: 0.05, capTime: 0.3, minReps: 2, maxReps: 10, warmTime: 0.1 };
const OVER_BUDGET_REPS = { minTime: 0.1, capTime: 0.5, minReps: 2, maxReps: 20, warmTime: 0 };
const log = (...m) => process.stderr.write(m.join(' ') + '\n');

// The thread counts and workloads a run (or a peer's child process) measures.
function selection(args) {
  const all = os.availableParallelism();
  const threadList = [...new Set(args.threads ?? [1, all])];
  const workloads = WORKLOADS.filter((w) => !args.filter || args.filter.includes(w.id.toUpperCase()) || args.filter.includes(w.key.toUpperCase()));
  return { all, threadList, workloads };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(HELP);
    return;
  }
  if (args.peerChild) {
    process.stdout.write(JSON.stringify(await peerChild(args.peerChild, args)) + '\n');
    return;
  }
  if (args.convkitChild) {
    process.stdout.write(JSON.stringify(await convkitChild(args)) + '\n');
    return;
  }
  const started = nowMs();
  const startedAt = new Date().toISOString();
  const loadavgStart = os.loadavg().map((v) => +v.toFixed(2));
  const cpuStart = cpuSnapshot();
  const REPS = args.quick ? QUICK_REPS : FULL_REPS;
  const probeSeconds = args.quick ? 0.05 : 0.3;

  // ---- convkit and the machine probes
  const convkit = require('./convkit.cjs');
  const ck = convkit.ck;
  const native = require('../dist/native').native;
  const { all, threadList, workloads } = selection(args);
  if (workloads.length === 0) throw new Error(`--filter ${args.filter.join(',')} matches no workload (ids: ${WORKLOADS.map((w) => w.key).join(', ')})`);

  const probes = {};
  const runProbes = (phase) => {
    for (const t of threadList) {
      ck.setNumThreads(t);
      const fma = native.probeFma(probeSeconds);
      // 256 MB (split over the threads, source and destination each): well beyond the caches,
      // so this is the DRAM copy rate (64 MB over 2 threads still ran partly from L3 here).
      const copy = native.probeCopy(COPY_PROBE_MB, probeSeconds);
      const p = (probes[t] = probes[t] || { fmaGflops: 0, copyGBs: 0, samples: [] });
      p.samples.push({ phase, fmaGflops: +fma.toFixed(2), copyGBs: +copy.toFixed(2) });
      p.fmaGflops = Math.max(p.fmaGflops, fma); // the peak: best of the samples
      p.copyGBs = Math.max(p.copyGBs, copy);
      log(`probe ${phase} ${t} thread${t > 1 ? 's' : ''}: FMA ${fma.toFixed(1)} GFLOP/s, copy ${copy.toFixed(1)} GB/s`);
    }
  };
  runProbes('start');

  // ---- the cells, workload by workload, thread count by thread count, one at a time.
  // convkit runs each workload in a child process of its own (convkitChild), where no peer
  // is ever loaded: the peers' libraries (their thread pools, libvips', the wasm heap) were
  // seen to slow convkit's 2-thread medians on the large memory-bound cells by up to 2x when
  // merely loaded in the same process. Then each peer runs that workload in a child process
  // of its own (peerChild): on a shared machine whose speed drifts over minutes, convkit and
  // its peers are measured within seconds of each other.
  const cells = [];
  const rows = [];
  const ckDone = new Map(); // key/threads -> { ckCell, overBudget }
  const peerInfo = new Map(); // file -> { name, ok, version, notes, error, threadsUsedNote }
  const peerFiles = PEER_MODULES.filter((file) => {
    const name = require(`./peers/${file}.cjs`).name;
    return !args.peers || args.peers.includes(name) || args.peers.includes(file);
  });
  // One child process (convkit's or a peer's) for workload w: { res } its JSON, or { failure }.
  const runChild = (role, w) => {
    const left = Math.max(0, args.budget - (nowMs() - started) / 1000);
    const childArgs = [__filename, ...role, '--budget', String(left), '--filter', w.key, '--threads', threadList.join(',')];
    if (args.quick) childArgs.push('--quick');
    const r = spawnSync(process.execPath, childArgs, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28, encoding: 'utf8' });
    try {
      return { res: JSON.parse(r.stdout) };
    } catch {
      return { res: null, failure: `its process failed (status ${r.status}${r.signal ? ', ' + r.signal : ''})` };
    }
  };
  // One round of every peer on workload w: their cells (peers that do not run it: n/a).
  const runPeers = (w) => {
    const out = [];
    for (const file of peerFiles) {
      const mod = require(`./peers/${file}.cjs`);
      const info = peerInfo.get(file);
      const why = mod.supports(w) || (info && !info.ok ? info.error : null);
      if (why) { // not this workload, or a peer that failed to load: n/a, no process
        for (const t of threadList) out.push({ key: w.key, id: w.id, threads: t, impl: mod.name, status: 'n/a', reason: why });
        continue;
      }
      const child = runChild(['--peer-child', file], w);
      const res = child.res || { name: mod.name, ok: false, version: null, notes: [], error: child.failure, cells: [] };
      if (!info || (!info.ok && res.ok))
        peerInfo.set(file, { name: res.name, ok: res.ok, version: res.version, notes: res.notes, error: res.error, threadsUsedNote: res.threadsUsedNote });
      for (const c of res.cells) out.push(c);
      if (!res.ok) for (const t of threadList) out.push({ key: w.key, id: w.id, threads: t, impl: res.name, status: 'n/a', reason: res.error });
    }
    return out;
  };
  // One round of convkit on workload w: [{ ckCell, overBudget }] per thread count.
  const runConvkit = (w) => {
    const child = runChild(['--convkit-child', ...(args.async ? ['--async'] : [])], w);
    return child.res || threadList.map((t) => ({
      ckCell: { key: w.key, id: w.id, threads: t, impl: 'convkit', threadsUsed: t, status: 'error', reason: child.failure },
      overBudget: false,
    }));
  };
  // Several rounds of one cell: the round whose median is the median of the rounds' (so its
  // fields stay one measurement's), with the min and max over all rounds and every round's median.
  const combine = (list) => {
    const ok = list.filter((c) => c.status === 'ok');
    if (list.length === 1 || ok.length === 0) return list[0];
    const sorted = [...ok].sort((a, b) => a.median - b.median);
    const c = { ...sorted[(sorted.length - 1) >> 1] };
    c.min = Math.min(...ok.map((x) => x.min));
    c.max = Math.max(...ok.map((x) => x.max));
    c.roundMedians = ok.map((x) => x.median);
    if (ok.some((x) => x.scaling)) c.roundSpeedups = ok.filter((x) => x.scaling).map((x) => x.scaling.speedup);
    return c;
  };
  for (const w of workloads) {
    const ckRounds = [], peerRounds = [];
    for (let r = 0; r < args.rounds; r++) {
      if (r % 2 === 0) ckRounds.push(runConvkit(w));
      peerRounds.push(runPeers(w));
      if (r % 2 === 1) ckRounds.push(runConvkit(w));
    }
    threadList.forEach((t, i) => {
      const mine = ckRounds.map((res) => res.find((x) => x.ckCell.threads === t) || res[i]);
      const ckCell = combine(mine.map((x) => x.ckCell));
      cells.push(ckCell);
      ckDone.set(`${w.key}/${t}`, { ckCell, overBudget: mine.some((x) => x.overBudget) });
    });
    for (const c0 of peerRounds[0])
      cells.push(combine(peerRounds.map((cs) => cs.find((c) => c.impl === c0.impl && c.threads === c0.threads) || c0)));
  }
  // Every selected peer, in table order (one that no workload needed is listed as such).
  const peers = peerFiles.map((file) => {
    const mod = require(`./peers/${file}.cjs`);
    return peerInfo.get(file) || { name: mod.name, ok: false, version: null, notes: [], error: 'not needed by the selected workloads' };
  });

  for (const w of workloads) {
    for (const t of threadList) {
      const { ckCell, overBudget } = ckDone.get(`${w.key}/${t}`);
      const peerCells = peers.map((p) => cells.find((c) => c.impl === p.name && c.key === w.key && c.threads === t));
      // the row: best peer among those that ran and passed the check
      const ok = peerCells.filter((c) => c && c.status === 'ok' && c.checkOk !== false);
      const best = ok.reduce((b, c) => (!b || c.median < b.median ? c : b), null);
      rows.push({
        key: w.key, id: w.id, what: w.what, threads: t, overBudget: overBudget || peerCells.some((c) => c && c.overBudget),
        convkit: ckCell, peers: peerCells,
        best: best ? { impl: best.impl, median: best.median } : null,
        speedVsBest: best && ckCell.status === 'ok' ? best.median / ckCell.median : null,
      });
    }
  }
  runProbes('end');

  // % of peak, once the peaks (best of the start and end probes) are known. A peer is
  // compared with the peak at the thread count it really used, when that was probed.
  for (const c of cells) {
    if (c.status !== 'ok' || !Number.isFinite(c.rate)) continue;
    const w = workloads.find((x) => x.key === c.key);
    const p = probes[c.threadsUsed] || probes[c.threads];
    c.pctPeak = (100 * c.rate) / (w.metric === 'flop' ? p.fmaGflops : p.copyGBs);
  }

  // ---- results
  const peakFor = (t) => probes[t];
  const result = {
    schema: 1,
    date: new Date().toISOString(), // the end of the run
    startedAt,
    machine: { ...machineInfo(), loadavgStart },
    runtimeInfo: ck.runtimeInfo(),
    options: { threads: threadList, quick: args.quick, filter: args.filter, async: !!args.async, reps: REPS, budgetSeconds: args.budget, rounds: args.rounds },
    probes: Object.fromEntries(threadList.map((t) => [t, {
      probeSeconds, copyMegabytes: COPY_PROBE_MB,
      fmaGflops: +peakFor(t).fmaGflops.toFixed(2), copyGBs: +peakFor(t).copyGBs.toFixed(2), samples: peakFor(t).samples,
    }])),
    peers: peers.map((p) => ({ name: p.name, loaded: p.ok, version: p.version, notes: p.notes, error: p.error })),
    workloads: workloads.map((w) => ({
      key: w.key, id: w.id, what: w.what, canonical: w.canonical, metric: w.metric, flops: w.flops, bytes: w.bytes,
      inputShape: w.inputShape, outputShape: w.outputShape, outputLayout: w.outputLayout,
    })),
    cells,
    rows: rows.map((r) => ({
      key: r.key, threads: r.threads, convkitMs: r.convkit.median ?? null, rate: r.convkit.rate ?? null, unit: r.convkit.unit ?? null,
      pctPeak: r.convkit.pctPeak ?? null, bestPeer: r.best ? r.best.impl : null, bestPeerMs: r.best ? r.best.median : null,
      speedVsBest: r.speedVsBest, overBudget: r.overBudget,
    })),
    durationSeconds: +((nowMs() - started) / 1000).toFixed(1),
    foreignCores: (() => { const f = foreignCores(cpuStart, cpuSnapshot()); return f === null ? null : +f.toFixed(2); })(),
    warnings: [],
  };
  // Signs that the machine was not ours: the table says so rather than hide it.
  if (result.foreignCores !== null && result.foreignCores > 0.1)
    result.warnings.push(`other processes used ${result.foreignCores.toFixed(2)} cores on average during the run: timings are noisy ("~" marks the cells where they used > ${BUSY} core)`);
  for (const t of threadList) {
    if (t <= 1 || !probes[1] || t > all) continue;
    const ratio = probes[t].fmaGflops / probes[1].fmaGflops;
    if (ratio < 0.75 * t)
      result.warnings.push(`the ${t}-thread FMA probe is only ${ratio.toFixed(2)}× the 1-thread one: the cores were not all free when probed, so ${t}-thread "% peak" is overstated`);
  }
  const outFile = args.out ? path.resolve(args.out) : path.join(__dirname, 'results', 'latest.json');
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');

  if (args.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else {
    process.stdout.write(renderTable(result, rows, peers, workloads, threadList, outFile));
  }
}

// Issue 3's scaling target: 2 threads >= 1.8x 1 thread on these workloads.
const SCALING_KEYS = ['W1', 'W11', 'W15'];

// ---------------------------------------------------------------- convkit's own process
// `run.cjs --convkit-child --filter <workload>`: convkit's cells of one workload (every
// thread count), printed as JSON. Like each peer, convkit runs each workload in a fresh
// process: the bench's own process spawns the children, and libuv forks to spawn (copy-on-
// write), after which every page the forking process writes takes a fault; measured there,
// W11's 25.7 MB outputs took 6272 faults a call (140 ms instead of 45).
async function convkitChild(args) {
  const convkit = require('./convkit.cjs');
  const ck = convkit.ck;
  const native = require('../dist/native').native;
  const { threadList, workloads } = selection(args);
  const REPS = args.quick ? QUICK_REPS : FULL_REPS;
  const started = nowMs();
  const results = [];
  for (const w of workloads) {
    const inputs = makeInputs(w);
    const impl = convkit.setup(w, inputs);
    let firstRef = null, firstRefThreads = null;
    for (const t of threadList) {
      const overBudget = (nowMs() - started) / 1000 > args.budget;
      const reps = overBudget ? OVER_BUDGET_REPS : REPS;
      ck.setNumThreads(t);
      await settle();
      // convkit
      let ref = null;
      const ckCell = { key: w.key, id: w.id, threads: t, impl: 'convkit', threadsUsed: t, status: 'ok' };
      try {
        const m = await measure(impl.run, reps, {
          onFirst: (out) => {
            ref = impl.output(out);
          },
        });
        Object.assign(ckCell, m);
        // Extra memory of one call: the scratch the native ops took (next to the output).
        native.scratchBytes(true);
        impl.output(await impl.run());
        ckCell.scratchBytes = native.scratchBytes(true);
        ckCell.outputBytes = w.outputShape.reduce((a, b) => a * b, 1) * 4;
        if (firstRef === null) {
          firstRef = ref;
          firstRefThreads = t;
        } else {
          ckCell.vsThreads = firstRefThreads;
          ckCell.maxAbsDiffVsThreads = maxAbsDiff(ref, firstRef); // SPEC §5: bit-identical
        }
        if (args.async && impl.runAsync) {
          // The Promise form: timed alone, then run again with the event loop's delay sampled
          // (it should stay free: the work runs off the JavaScript thread). Separate passes:
          // the sampler's 1 ms timer wakes the JavaScript thread, which on 2 cores takes a
          // core from the job.
          await settle();
          const a = await measure(impl.runAsync, reps);
          await settle();
          const h = monitorEventLoopDelay({ resolution: 1 });
          h.enable();
          await measure(impl.runAsync, reps);
          h.disable();
          // And the two forms taking turns, blocks of calls in one stretch of time: the ratio
          // that compares the forms rather than two moments of the machine.
          await settle();
          const ab = await interleaved(impl.run, impl.runAsync, { blocks: args.quick ? 4 : 12 });
          ckCell.async = {
            median: a.median, min: a.min, max: a.max, reps: a.reps,
            vsSync: a.median / ckCell.median, eventLoopP99Ms: h.percentile(99) / 1e6, eventLoopMaxMs: h.max / 1e6,
            interleaved: ab,
          };
        }
        if (impl.runOut) {
          // The result written into one tensor kept across calls (the out option): the same
          // work without an allocation per call (and so without V8 collecting outputs).
          await settle();
          let same = null;
          const o = await measure(impl.runOut, reps, { onFirst: (out) => { same = maxAbsDiff(impl.output(out), ref) === 0; } });
          ckCell.out = { median: o.median, min: o.min, max: o.max, reps: o.reps, identical: same };
          if (args.async && impl.runAsyncOut) {
            await settle();
            const ao = await measure(impl.runAsyncOut, reps);
            ckCell.out.asyncMedian = ao.median;
            ckCell.out.asyncVsSync = ao.median / o.median;
          }
        }
        if (impl.baseline) {
          await settle();
          const b = await measure(impl.baseline.run, reps);
          await settle();
          const ab = await interleaved(impl.baseline.run, impl.run, { blocks: args.quick ? 4 : 12 });
          ckCell.baseline = { name: impl.baseline.name, median: b.median, min: b.min, max: b.max, reps: b.reps, interleaved: ab };
        }
        if (impl.layer) {
          // The prepared-layer form of the same call (its output is the functional form's, bit for bit)
          await settle();
          let same = null;
          const l = await measure(impl.layer.run, reps, { onFirst: (out) => { same = maxAbsDiff(impl.output(out), ref) === 0; } });
          ckCell.layer = { name: impl.layer.name, median: l.median, min: l.min, max: l.max, reps: l.reps, identical: same };
        }
      } catch (e) {
        ckCell.status = 'error';
        ckCell.reason = errorMessage(e);
      }
      if (ckCell.status === 'ok') {
        ckCell.rate = w.metric === 'flop' ? w.flops / (ckCell.median * 1e6) : w.bytes / (ckCell.median * 1e6);
        ckCell.unit = w.metric === 'flop' ? 'GFLOP/s' : 'GB/s';
      }
      log(`${w.key} t=${t} convkit ${ckCell.status === 'ok' ? `${fmtMs(ckCell.median)} ms (${ckCell.reps} reps)` : 'ERROR ' + ckCell.reason}`);
      results.push({ ckCell, overBudget });
    }
    // Issue 3's scaling target (2 threads >= 1.8x 1 thread): the two thread counts taking
    // turns, blocks of calls in one stretch of time. The two cells above were measured one
    // after the other, and this VM's speed drifts between them (W15's ratio of cells read
    // 1.42-1.97 from run to run).
    const tmax = Math.max(...threadList);
    const cells = results.slice(-threadList.length).map((x) => x.ckCell);
    const one = cells.find((c) => c.threads === 1), many = cells.find((c) => c.threads === tmax);
    if (SCALING_KEYS.includes(w.key) && tmax > 1 && one && many && one.status === 'ok' && many.status === 'ok') {
      await settle();
      const calls = one.median > 20 ? 3 : 8;
      const ab = await interleaved(impl.run, impl.run, { blocks: args.quick ? 4 : 12, calls, enter: (k) => ck.setNumThreads(k ? tmax : 1) });
      many.scaling = { threads: tmax, oneMedian: ab.aMedian, manyMedian: ab.bMedian, speedup: ab.aMedian / ab.bMedian, reps: ab.reps };
      log(`${w.key} t1 vs t${tmax} taking turns: ${(ab.aMedian / ab.bMedian).toFixed(2)}x`);
    }
  }
  return results;
}

// ---------------------------------------------------------------- a peer's own process
// `run.cjs --peer-child <file>`: loads convkit (for the reference outputs only, computed
// untimed) and that one peer, measures the peer's cells as the parent would, and prints
// { name, ok, version, notes, error, cells } as JSON on stdout.
async function peerChild(file, args) {
  const started = nowMs();
  const convkit = require('./convkit.cjs');
  const ck = convkit.ck;
  const mod = require(`./peers/${file}.cjs`);
  const { threadList, workloads } = selection(args);
  const REPS = args.quick ? QUICK_REPS : FULL_REPS;
  const out = { name: mod.name, ok: false, version: null, notes: [], error: null, cells: [] };
  try {
    const info = await mod.load();
    out.ok = true;
    out.version = info.version;
    out.notes = info.notes || [];
  } catch (e) {
    out.error = `failed to load: ${errorMessage(e)}`;
  }
  log(`peer ${mod.name}: ${out.ok ? out.version : out.error}${out.notes.length ? ' — ' + out.notes.join('; ') : ''}`);
  if (out.ok) out.threadsUsedNote = mod.threadsUsed() === 1;
  if (!out.ok) return out;
  for (const w of workloads) {
    const inputs = makeInputs(w);
    const impl = convkit.setup(w, inputs);
    for (const t of threadList) {
      const cell = { key: w.key, id: w.id, threads: t, impl: mod.name, status: 'n/a' };
      out.cells.push(cell);
      const why = mod.supports(w);
      if (why) { cell.reason = why; continue; }
      if (mod.oneThreadOnly && t !== 1) { cell.reason = 'single-threaded: 1-thread rows only'; continue; }
      cell.overBudget = (nowMs() - started) / 1000 > args.budget;
      const reps = cell.overBudget ? OVER_BUDGET_REPS : REPS;
      ck.setNumThreads(t);
      let ref = null;
      try {
        ref = impl.output(await impl.run()); // convkit's output of this cell: the reference
      } catch {
        /* no reference: the check says so */
      }
      const refScale = ref ? Math.max(1, maxAbs(ref)) : 1;
      cell.threadsUsed = mod.threadsUsed(t);
      let prepared = null;
      await settle();
      try {
        prepared = await mod.prepare(w, inputs, t);
        cell.note = prepared.note;
        const check = (o) => {
          if (!ref) { cell.check = 'no convkit output to compare'; return; }
          const got = prepared.output(o);
          if (prepared.check) {
            const c = prepared.check(got, ref);
            cell.maxAbsErr = c.err;
            cell.tol = c.tol;
            cell.errUnit = c.unit;
            cell.check = c.note;
          } else {
            cell.maxAbsErr = maxAbsDiff(got, ref);
            cell.tol = 1e-3 * refScale;
          }
          cell.checkOk = cell.maxAbsErr <= cell.tol;
        };
        let m;
        if (prepared.measure) {
          // A peer timed in a process of its own (OpenCV in Python), by the same rule.
          const r = await prepared.measure(reps);
          m = r.m;
          check(r.out);
        } else {
          m = await measure(prepared.run, reps, { release: prepared.release, onFirst: check });
        }
        Object.assign(cell, m);
        cell.status = 'ok';
        cell.rate = w.metric === 'flop' ? w.flops / (cell.median * 1e6) : w.bytes / (cell.median * 1e6);
        cell.unit = w.metric === 'flop' ? 'GFLOP/s' : 'GB/s';
      } catch (e) {
        cell.status = 'error';
        cell.reason = errorMessage(e);
      } finally {
        try {
          if (prepared && prepared.dispose) prepared.dispose();
        } catch {
          /* ignore */
        }
      }
      log(`${w.key} t=${t} ${mod.name} ${cell.status === 'ok' ? `${fmtMs(cell.median)} ms (${cell.reps} reps), max abs err ${fmtErr(cell.maxAbsErr)}${cell.checkOk === false ? ' MISMATCH' : ''}` : cell.status + ': ' + cell.reason}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------- the table
function fmtBytes(b) {
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${(b / 1024 / 1024).toFixed(2)} MiB`;
}
function renderTable(result, rows, peers, workloads, threadList, outFile) {
  const L = [];
  const m = result.machine, ri = result.runtimeInfo;
  L.push(`convkit bench — ${result.startedAt ? result.startedAt + ' to ' : ''}${result.date}${result.options.quick ? '  (--quick: smoke test, not a measurement)' : ''}`);
  if (result.options.rounds > 1)
    L.push(`rounds: ${result.options.rounds}, convkit and its peers taking turns; each cell is its median round (min–max over all rounds)`);
  L.push(`machine: ${m.cpu}, ${m.logicalCpus} logical CPUs, ${m.memoryGiB} GiB, ${m.platform} ${m.arch}, node ${m.node}`);
  L.push(`load average (1/5/15 min) at start ${m.loadavgStart.join(' ')}, at end ${m.loadavg.join(' ')}`);
  L.push(`convkit ${ri.version}: isa ${ri.isa} (detected ${ri.detectedIsa})`);
  for (const t of threadList) {
    const p = result.probes[t];
    L.push(`peak, ${t} thread${t > 1 ? 's' : ' '}: FMA ${p.fmaGflops.toFixed(1)} GFLOP/s, DRAM copy ${p.copyGBs.toFixed(1)} GB/s (best of start/end probes)`);
  }
  for (const p of peers) L.push(`peer ${p.name}: ${p.ok ? p.version : '— ' + p.error}${p.notes.length ? ' [' + p.notes.join('; ') + ']' : ''}`);
  L.push('');

  const peerNames = peers.map((p) => p.name);
  const cols = [
    ['id', 12, true], ['thr', 3], ['convkit ms', 10], ['min–max', 15], ['n', 4], ['rate', 12], ['% peak', 6],
    ...peerNames.map((n) => [n === 'onnxruntime' ? 'ORT ms' : n === 'tfjs-wasm' ? 'tfjs ms' : n + ' ms', 9]),
    ['best peer', 20, true], ['speed', 7],
  ];
  const line = (vals) => vals.map((v, i) => pad(v, cols[i][1], cols[i][2])).join('  ');
  L.push(line(cols.map((c) => c[0])));
  L.push(cols.map((c) => '-'.repeat(c[1])).join('  '));
  for (const r of rows) {
    const c = r.convkit;
    const ok = c.status === 'ok';
    const unit = ok ? (c.unit === 'GFLOP/s' ? 'GFLOP/s' : 'GB/s') : '';
    const busy = (x) => (x.foreignCores != null && x.foreignCores > BUSY ? '~' : '');
    const peerVals = r.peers.map((pc) => (pc.status === 'ok' ? busy(pc) + fmtMs(pc.median) + (pc.checkOk === false ? '!' : '') : '—'));
    L.push(line([
      r.key, r.threads,
      ok ? busy(c) + fmtMs(c.median) : 'ERROR',
      ok ? `${fmtMs(c.min)}–${fmtMs(c.max)}` : '',
      ok ? c.reps : '',
      ok ? `${fmtRate(c.rate)} ${unit}` : '',
      ok ? c.pctPeak.toFixed(0) + '%' : '',
      ...peerVals,
      r.best ? `${r.best.impl} ${fmtMs(r.best.median)}` : '—',
      r.speedVsBest != null ? r.speedVsBest.toFixed(2) + '×' : '—',
    ]));
  }
  L.push('');
  L.push('speed = best peer ms ÷ convkit ms (> 1: convkit faster). % peak: of the FMA probe (GFLOP/s rows) or the copy probe (GB/s rows)');
  L.push('at the same thread count. "!" = output check failed (excluded from best). n = timed repetitions.');
  L.push(`"~" = other processes used > ${BUSY} core while this cell ran (noisy).`);
  for (const wmsg of result.warnings) L.push(`WARNING: ${wmsg}`);

  // checks
  L.push('');
  L.push('checks (max abs error against convkit on the first run; convkit N threads vs 1):');
  for (const w of workloads) {
    const parts = [];
    for (const t of threadList) {
      const cs = result.cells.filter((c) => c.key === w.key && c.threads === t);
      for (const c of cs) {
        if (c.impl === 'convkit') {
          if (c.status !== 'ok') parts.push(`t${t} convkit ERROR ${c.reason}`);
          else if (c.maxAbsDiffVsThreads !== undefined)
            parts.push(`t${t} convkit vs t${c.vsThreads} ${c.maxAbsDiffVsThreads === 0 ? 'identical' : fmtErr(c.maxAbsDiffVsThreads) + ' (NOT bit-identical)'}`);
          continue;
        }
        if (c.status !== 'ok' || c.maxAbsErr === undefined) continue;
        if (t !== threadList[0] && c.checkOk !== false) continue; // print failures at every t, passes once
        parts.push(`t${t} ${c.impl} ${fmtErr(c.maxAbsErr)}${c.errUnit ? ' ' + c.errUnit : ''}${c.checkOk === false ? ' MISMATCH' : ''}${c.check ? ' (' + c.check + ')' : ''}`);
      }
    }
    L.push(`  ${pad(w.key, 12, true)} ${parts.join('; ') || '—'}`);
  }

  // W10 partial vs plain
  const partialRows = rows.filter((r) => r.convkit.baseline);
  if (partialRows.length) {
    L.push('');
    for (const r of partialRows) {
      const b = r.convkit.baseline;
      const il = b.interleaved;
      L.push(`${r.key} t${r.threads}: partial conv ${fmtMs(r.convkit.median)} ms vs ${b.name} ${fmtMs(b.median)} ms = ${(r.convkit.median / b.median).toFixed(2)}× as separate cells; ` +
        (il ? `taking turns (${il.reps} calls each): ${fmtMs(il.bMedian)} vs ${fmtMs(il.aMedian)} ms = ${il.ratio.toFixed(3)}×` : 'not interleaved') + ' (target ≤ 1.15×)');
    }
  }

  // Scaling, the thread counts taking turns
  const scalingRows = rows.filter((r) => r.convkit.status === 'ok' && r.convkit.scaling);
  if (scalingRows.length) {
    L.push('', 'scaling (1 thread and N threads taking turns, blocks of calls in one stretch of time; target ≥ 1.8×):');
    for (const r of scalingRows) {
      const sc = r.convkit.scaling;
      L.push(`  ${pad(r.key, 12, true)} t${sc.threads} ÷ t1: ${sc.speedup.toFixed(2)}× (${fmtMs(sc.manyMedian)} vs ${fmtMs(sc.oneMedian)} ms, ${sc.reps} calls each)` +
        (r.convkit.roundSpeedups ? `; rounds ${r.convkit.roundSpeedups.map((x) => x.toFixed(2)).join(', ')}` : ''));
    }
  }

  // Per-row sections of convkit's extra figures: a title, then one line per row that has them.
  const section = (title, has, line) => {
    const list = rows.filter((r) => r.convkit.status === 'ok' && has(r.convkit));
    if (!list.length) return;
    L.push('', title);
    for (const r of list) L.push(`  ${pad(r.key, 12, true)} t${r.threads}: ${line(r)}`);
  };
  const differs = (x) => (x.identical === false ? ' (OUTPUT DIFFERS)' : '');
  section('prepared layers (convkit\'s Conv*/ConvTranspose* forward(): weights packed once, as a peer\'s session prepares its model):',
    (c) => c.layer, (r) => {
      const l = r.convkit.layer;
      const vs = r.best ? `; best peer ${r.best.impl} ${fmtMs(r.best.median)} ms: ${(r.best.median / l.median).toFixed(2)}×` : '';
      return `${l.name} ${fmtMs(l.median)} ms vs functional ${fmtMs(r.convkit.median)} ms${vs}${differs(l)}`;
    });
  section('reused output (the out option: one result tensor written call after call, nothing allocated per call):',
    (c) => c.out, (r) => {
      const o = r.convkit.out;
      const asy = o.asyncMedian !== undefined ? `; async ${fmtMs(o.asyncMedian)} ms = ${o.asyncVsSync.toFixed(3)}× sync` : '';
      return `${fmtMs(o.median)} ms vs a fresh output ${fmtMs(r.convkit.median)} ms = ${(o.median / r.convkit.median).toFixed(2)}×${asy}${differs(o)}`;
    });

  // extra memory per call
  const mem = rows.filter((r) => r.convkit.status === 'ok' && r.convkit.scratchBytes !== undefined);
  if (mem.length) {
    L.push('');
    L.push('extra memory per call (native scratch taken by one call, ÷ the output size; target ≤ 1×):');
    const byKey = new Map();
    for (const r of mem) {
      const c = r.convkit;
      if (!byKey.has(r.key)) byKey.set(r.key, []);
      byKey.get(r.key).push(`t${r.threads} ${fmtBytes(c.scratchBytes)} = ${(c.scratchBytes / c.outputBytes).toFixed(2)}×`);
    }
    const parts = [...byKey].map(([k, v]) => `${k} ${v.join(', ')}`);
    for (let i = 0; i < parts.length; i += 3) L.push('  ' + parts.slice(i, i + 3).join('; '));
  }

  // page faults: a fresh output buffer is first touched inside the call
  const faulty = rows.filter((r) => r.convkit.status === 'ok' && r.convkit.pageFaultsPerCall >= 256);
  if (faulty.length) {
    L.push('');
    L.push('minor page faults per convkit call (median; first touches of the freshly allocated output):');
    L.push('  ' + faulty.map((r) => `${r.key}/t${r.threads} ${r.convkit.pageFaultsPerCall}`).join(', '));
  }

  // async form
  const asyncRows = rows.filter((r) => r.convkit.async);
  if (asyncRows.length) {
    L.push('');
    L.push('async form (convkit nameAsync; event loop sampled every 1 ms meanwhile):');
    for (const r of asyncRows) {
      const a = r.convkit.async;
      const il = a.interleaved;
      const turns = il ? `; taking turns with sync (${il.reps} calls each): ${fmtMs(il.bMedian)} vs ${fmtMs(il.aMedian)} ms = ${il.ratio.toFixed(3)}×` : '';
      L.push(`  ${pad(r.key, 12, true)} t${r.threads}: ${fmtMs(a.median)} ms = ${a.vsSync.toFixed(3)}× sync as separate cells${turns}; event-loop delay p99 ${a.eventLoopP99Ms.toFixed(2)} ms, max ${a.eventLoopMaxMs.toFixed(2)} ms`);
    }
  }

  // why a peer is missing
  // Grouped by (peer, reason); a workload is listed once when every thread count shares the
  // reason, with /tN otherwise; "all but ..." when that is shorter.
  const reasons = new Map();
  for (const c of result.cells) {
    if (c.impl === 'convkit' || c.status === 'ok') continue;
    const k = `${c.impl} — ${c.status === 'error' ? 'error: ' : ''}${c.reason}`;
    if (!reasons.has(k)) reasons.set(k, new Map());
    const m = reasons.get(k);
    if (!m.has(c.key)) m.set(c.key, []);
    m.get(c.key).push(c.threads);
  }
  if (reasons.size) {
    L.push('');
    L.push('"—" in a peer column:');
    const allKeys = workloads.map((w) => w.key);
    for (const [k, m] of reasons) {
      const full = [...m].filter(([, ts]) => ts.length === threadList.length).map(([key]) => key);
      const part = [...m].filter(([, ts]) => ts.length !== threadList.length).map(([key, ts]) => ts.map((t) => `${key}/t${t}`).join(' '));
      let list = [...full, ...part].join(' ');
      const missing = allKeys.filter((key) => !full.includes(key));
      if (part.length === 0 && full.length > 3 && missing.length < full.length) list = missing.length ? `all but ${missing.join(' ')}` : 'every workload of this run';
      L.push(`  ${k}: ${list}`);
    }
  }
  const tf = peers.find((p) => p.name === 'tfjs-wasm' && p.ok);
  if (tf && tf.threadsUsedNote && threadList.some((t) => t > 1))
    L.push('  note: tfjs-wasm runs on 1 thread in Node (no WebAssembly threads); its multi-thread rows are single-threaded.');
  const overs = rows.filter((r) => r.overBudget);
  if (overs.length) L.push(`  note: past the ${result.options.budgetSeconds} s budget, ${overs.length} rows used short repetition caps.`);

  L.push('');
  L.push('workloads:');
  for (const w of workloads) L.push(`  ${pad(w.key, 12, true)} ${pad(w.what, 26, true)} ${w.canonical}`);
  L.push('');
  L.push(`${result.durationSeconds} s; JSON: ${path.relative(process.cwd(), outFile)}`);
  return L.join('\n') + '\n';
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench: ${process.env.BENCH_DEBUG && e && e.stack ? e.stack : errorMessage(e)}\n`);
    process.exit(1);
  },
);
