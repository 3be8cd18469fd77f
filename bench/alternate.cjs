#!/usr/bin/env node
'use strict';
// In-process A/B for deciding a change on a noisy machine: blocks of calls alternate, in one
// process, between VAR=0 and VAR=1 (process.env, which native code sees through getenv), and
// each arm's median is printed. Put a temporary switch in the native code, e.g.
//   const wide = getenv("CK_X") && getenv("CK_X")[0] == '1';
// rebuild, run this, then remove the switch. The arms share the process, its vCPU and the
// machine's state of the moment; separate processes taking turns (the usual A/B) do not: on
// the VM of issue 3's notes a process's vCPU changed its speed by 20-65%.
// With --builds, the arms are two builds of the addon (e.g. a copy of build/Release/
// convkit.node made before the change, and the rebuilt one), both loaded in the process,
// and their first outputs are compared bit for bit. Each build then has its own thread pool,
// and the two arms were not neutral on Zen 3: one build against a copy of itself gave W4
// 1.035x / 1.06x (1 / 2 threads), and W7's A/B 0.91x one way round, 1/1.405 the other. So run
// --builds in both orders (before,after and after,before), and prefer --var where a switch can
// be put in.
//
//   node bench/alternate.cjs --var CK_X [--filter W1,W6] [--threads 2] [--layer]
//                            [--blocks 24] [--calls 60]
//   node bench/alternate.cjs --builds /tmp/before.node,build/Release/convkit.node [...]

const fs = require('node:fs');
const path = require('node:path');
const { WORKLOADS, makeInputs } = require('./workloads.cjs');
const { median } = require('./util.cjs');

function parse(argv) {
  const a = { variable: null, builds: null, filter: null, threads: 1, layer: false, blocks: 24, calls: 60 };
  for (let i = 0; i < argv.length; i++) {
    const next = () => {
      if (argv[i + 1] === undefined) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
      case '--var': a.variable = next(); break;
      case '--builds': a.builds = next().split(','); break;
      case '--filter': a.filter = next().split(',').map((s) => s.trim().toUpperCase()); break;
      case '--threads': a.threads = Number(next()); break;
      case '--blocks': a.blocks = Number(next()); break;
      case '--calls': a.calls = Number(next()); break;
      case '--layer': a.layer = true; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (a.builds) {
    if (a.variable) throw new Error('--var and --builds exclude each other');
    if (a.builds.length !== 2) throw new Error('--builds expects two addon files, before,after');
    for (const f of a.builds) if (!fs.existsSync(f)) throw new Error(`--builds: no file ${f}`);
  } else if (!a.variable || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.variable)) {
    throw new Error('--var expects an environment variable name (or --builds two addon files)');
  }
  for (const k of ['threads', 'blocks', 'calls'])
    if (!Number.isInteger(a[k]) || a[k] < 1) throw new Error(`--${k} expects a positive integer`);
  if (a.blocks % 2) a.blocks += 1; // as many blocks of each arm
  return a;
}

// bench/convkit.cjs bound to the addon `file`: a fresh load of it and of the package, which
// picks its addon from CONVKIT_ADDON when loaded.
function loadWith(file) {
  const pkg = path.resolve(__dirname, '..', 'dist') + path.sep;
  for (const k of Object.keys(require.cache)) if (k.startsWith(pkg) || k === require.resolve('./convkit.cjs')) delete require.cache[k];
  process.env.CONVKIT_ADDON = path.resolve(file);
  const m = require('./convkit.cjs');
  delete process.env.CONVKIT_ADDON;
  return m;
}

function sameBits(p, q) {
  if (!p || !q || p.length !== q.length) return false;
  const x = new Uint32Array(p.buffer, p.byteOffset, p.length), y = new Uint32Array(q.buffer, q.byteOffset, q.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function main() {
  const a = parse(process.argv.slice(2));
  const kits = a.builds ? a.builds.map(loadWith) : [require('./convkit.cjs')];
  for (const k of kits) k.ck.setNumThreads(a.threads);
  const label = (arm) => (a.builds ? (arm ? 'after' : 'before') : `${a.variable}=${arm}`);
  const list = WORKLOADS.filter((w) => !a.filter || a.filter.includes(w.id.toUpperCase()) || a.filter.includes(w.key.toUpperCase()));
  if (list.length === 0) throw new Error('--filter matches no workload');
  for (const w of list) {
    const inputs = makeInputs(w);
    const impls = kits.map((k) => k.setup(w, inputs));
    const runs = impls.map((impl) => (a.layer ? impl.layer && impl.layer.run : impl.run));
    if (!runs[0]) {
      console.log(`${w.key}: no prepared layer`);
      continue;
    }
    const runOf = (arm) => runs[a.builds ? arm : 0];
    const enter = (arm) => {
      if (!a.builds) process.env[a.variable] = String(arm);
    };
    const times = { 0: [], 1: [] };
    // Warm-up in both arms (keeping each arm's first output), then the blocks; each timed
    // output is dropped at once.
    const first = [];
    for (const arm of [0, 1]) {
      enter(arm);
      first[arm] = impls[a.builds ? arm : 0].output(runOf(arm)());
      for (let i = 1; i < Math.min(a.calls, 20); i++) runOf(arm)();
    }
    for (let b = 0; b < a.blocks; b++) {
      const arm = b % 2;
      enter(arm);
      const run = runOf(arm);
      for (let i = 0; i < a.calls; i++) {
        const t0 = process.hrtime.bigint();
        run();
        times[arm].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    if (!a.builds) delete process.env[a.variable];
    const m0 = median(times[0]), m1 = median(times[1]);
    console.log(`${w.key}${a.layer ? ' (layer)' : ''} t${a.threads}: ${label(0)} ${m0.toFixed(3)} ms, ${label(1)} ${m1.toFixed(3)} ms, ` +
      `${a.builds ? 'after / before' : '1 / 0'} = ${(m1 / m0).toFixed(3)}, same bits: ${sameBits(first[0], first[1]) ? 'yes' : 'NO'}`);
  }
}

try {
  main();
} catch (e) {
  console.error(`alternate: ${e.message}`);
  process.exit(2);
}
