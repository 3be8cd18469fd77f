// Loads the compiled addon and explains a failure instead of a bare "Cannot find module".
import * as fs from 'fs';
import * as path from 'path';

export interface NativeAddon {
  conv(desc: object, async?: boolean): Float32Array | Promise<Float32Array>;
  partialConv(desc: object, async?: boolean): Float32Array | Promise<Float32Array>;
  convTranspose(desc: object, async?: boolean): Float32Array | Promise<Float32Array>;
  // A transposed conv's weight packed once (an opaque handle), or undefined when its geometry has no packed form.
  prepareConvTranspose(desc: object): object | undefined;
  // A conv's weight packed for the small-map kernel, or undefined when this input geometry does not take it.
  prepareConv(desc: object): object | undefined;
  pad(desc: object, async?: boolean): Float32Array | Promise<Float32Array>;
  interpolate(desc: object, async?: boolean): Float32Array | Promise<Float32Array>;
  layout(desc: object, async?: boolean): Float32Array | Promise<Float32Array>;
  // fromPixels / toPixels: bytes (P*C interleaved) <-> data (P*C floats, channels-last or planes).
  pixels(desc: object): void;
  // n floats, uninitialised, on a 64-byte boundary (an op's output).
  allocFloat32(n: number): Float32Array;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setMaxBytes(bytes: number): void;
  runtimeInfo(): { isa: string; detectedIsa: string; cappedIsa: string; threads: number; defaultThreads: number; maxBytes: number };
  probeFma(seconds?: number): number;
  probeCopy(mbytes?: number, seconds?: number): number;
  // Scratch bytes the ops took since the last reset (reset: true resets the count).
  scratchBytes(reset?: boolean): number;
}

function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..');
}

function load(): NativeAddon {
  const root = packageRoot();
  const override = process.env.CONVKIT_ADDON;
  const candidates = override
    ? [path.resolve(override)]
    : [
        path.join(root, 'build', 'Release', 'convkit.node'),
        path.join(root, 'build', 'Debug', 'convkit.node'),
        path.join(root, 'build-cmake', 'Release', 'convkit.node'),
        path.join(root, 'build-cmake', 'convkit.node'),
      ];
  for (const file of candidates) {
    if (fs.existsSync(file)) {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      return require(file) as NativeAddon;
    }
  }
  throw new Error(
    `convkit: the native addon was not found (looked for ${candidates.join(', ')}). ` +
      'Build it with `npm run build:native` (node-gyp) or `npm run build:cmake` (cmake-js); ' +
      'it needs a C++17 compiler, make and python3.',
  );
}

export const native: NativeAddon = load();
