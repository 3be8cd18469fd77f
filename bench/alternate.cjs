#!/usr/bin/env node
'use strict';
// In-process A/B for deciding a change on a noisy machine: blocks of calls alternate, in one
// process, between VAR=0 and VAR=1 (process.env, which native code sees through getenv), and
// each arm's median is printed. Put a temporary switch in the native code, e.g.
//   const wide = getenv("CK_X") && getenv("CK_X")[0] == '1';
// rebuild, run this, then remove the switch. The arms share the process, its vCPU and the
// machine's state of the moment; separate processes taking turns (the usual A/B) do not: on
// the VM of issue 3's notes a process's vCPU changed its speed by 20-65%.
//
//   node bench/alternate.cjs --var CK_X [--filter W1,W6] [--threads 2] [--layer]
//                            [--blocks 24] [--calls 60]

const { WORKLOADS, makeInputs } = require('./workloads.cjs');
const { median } = require('./util.cjs');

function parse(argv) {
  const a = { variable: null, filter: null, threads: 1, layer: false, blocks: 24, calls: 60 };
  for (let i = 0; i < argv.length; i++) {
    const next = () => {
      if (argv[i + 1] === undefined) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
      case '--var': a.variable = next(); break;
      case '--filter': a.filter = next().split(',').map((s) => s.trim().toUpperCase()); break;
      case '--threads': a.threads = Number(next()); break;
      case '--blocks': a.blocks = Number(next()); break;
      case '--calls': a.calls = Number(next()); break;
      case '--layer': a.layer = true; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!a.variable || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.variable)) throw new Error('--var expects an environment variable name');
  for (const k of ['threads', 'blocks', 'calls'])
    if (!Number.isInteger(a[k]) || a[k] < 1) throw new Error(`--${k} expects a positive integer`);
  if (a.blocks % 2) a.blocks += 1; // as many blocks of each arm
  return a;
}

function main() {
  const a = parse(process.argv.slice(2));
  const convkit = require('./convkit.cjs');
  convkit.ck.setNumThreads(a.threads);
  const list = WORKLOADS.filter((w) => !a.filter || a.filter.includes(w.id.toUpperCase()) || a.filter.includes(w.key.toUpperCase()));
  if (list.length === 0) throw new Error('--filter matches no workload');
  for (const w of list) {
    const impl = convkit.setup(w, makeInputs(w));
    const run = a.layer ? impl.layer && impl.layer.run : impl.run;
    if (!run) {
      console.log(`${w.key}: no prepared layer`);
      continue;
    }
    const times = { 0: [], 1: [] };
    // Warm-up in both arms, then the blocks; each timed output is dropped at once.
    for (const arm of [0, 1]) {
      process.env[a.variable] = String(arm);
      for (let i = 0; i < Math.min(a.calls, 20); i++) run();
    }
    for (let b = 0; b < a.blocks; b++) {
      const arm = b % 2;
      process.env[a.variable] = String(arm);
      for (let i = 0; i < a.calls; i++) {
        const t0 = process.hrtime.bigint();
        run();
        times[arm].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    delete process.env[a.variable];
    const m0 = median(times[0]), m1 = median(times[1]);
    console.log(`${w.key}${a.layer ? ' (layer)' : ''} t${a.threads}: ${a.variable}=0 ${m0.toFixed(3)} ms, ${a.variable}=1 ${m1.toFixed(3)} ms, 1 / 0 = ${(m1 / m0).toFixed(3)}`);
  }
}

try {
  main();
} catch (e) {
  console.error(`alternate: ${e.message}`);
  process.exit(2);
}
