// Threads, the allocation limit and what the runtime chose (SPEC §3.8, §4).
import { rangeError, rangeErrorText, typeError } from './errors';
import { native } from './native';
import { MAX_ELEMENTS, product } from './validate';

let maxBytes = 4 * 2 ** 30;

export function setNumThreads(n: number): void {
  if (typeof n !== 'number') throw typeError('setNumThreads', 'n', 'an integer in [1, 256]', n);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw rangeError('setNumThreads', 'n', 'an integer in [1, 256]', n);
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

export function setMaxBytes(bytes: number): void {
  if (typeof bytes !== 'number') throw typeError('setMaxBytes', 'bytes', 'a positive integer', bytes);
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw rangeError('setMaxBytes', 'bytes', 'a positive integer', bytes);
  maxBytes = bytes;
  native.setMaxBytes(bytes);
}

export function getMaxBytes(): number {
  return maxBytes;
}

export interface RuntimeInfo {
  version: string;
  isa: 'avx512f' | 'avx2' | 'sse4.1' | 'neon' | 'scalar';
  detectedIsa: string;
  threads: number;
  defaultThreads: number;
  maxBytes: number;
  napiVersion: string;
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const pkg = require('../package.json') as { version: string };

export function runtimeInfo(): RuntimeInfo {
  const r = native.runtimeInfo();
  return {
    version: pkg.version,
    isa: r.isa as RuntimeInfo['isa'],
    detectedIsa: r.detectedIsa,
    threads: r.threads,
    defaultThreads: r.defaultThreads,
    maxBytes,
    napiVersion: process.versions.napi ?? '',
  };
}

// The output of an op, refused before allocation when over the limits of SPEC §4.
export function allocOutput(fn: string, shape: readonly number[], arg = 'output'): Float32Array {
  const n = product(shape);
  if (n > MAX_ELEMENTS)
    throw rangeErrorText(fn, arg, `at most 2^31-1 elements`, `shape [${shape.join(', ')}] (${n} elements)`);
  if (n * 4 > maxBytes)
    throw rangeErrorText(fn, arg, `at most maxBytes = ${maxBytes} bytes (see setMaxBytes)`, `${n * 4} bytes for shape [${shape.join(', ')}]`);
  // Uninitialised (its own Buffer, never the shared pool): every op writes all of its output,
  // and zeroing first would cost a whole extra pass. On a 64-byte boundary, so that results
  // streamed around the caches are written in whole cache lines.
  return native.allocFloat32(n);
}
