// convkit: convolution arithmetic, fast, for Node.js. Public exports only.
export { Tensor, tensor, toFloat32Array } from './tensor';
export type { TensorLike } from './tensor';
export type { Layout, ChannelsFirstLayout, ChannelsLastLayout } from './layout';
export {
  conv, conv1d, conv2d, conv3d, convAsync, conv1dAsync, conv2dAsync, conv3dAsync,
  convTranspose1d, convTranspose2d, convTranspose3d, convTranspose1dAsync, convTranspose2dAsync, convTranspose3dAsync,
  partialConv2d, partialConv3d, partialConv2dAsync, partialConv3dAsync,
} from './conv';
export type { ConvCallOptions, ConvOptions, ConvTransposeCallOptions, ConvTransposeOptions, PartialConvCallOptions, PartialConvOptions, PartialConvResult } from './conv';
export { pad, padAsync } from './pad';
export type { PadMode, PadOptions } from './pad';
export { interpolate, interpolateAsync } from './interpolate';
export type { InterpolateMode, InterpolateOptions } from './interpolate';
export { fromPixels, toPixels } from './pixels';
export type { PixelInfo, PixelOptions } from './pixels';
export { convOutputShape, convTransposeOutputShape } from './geometry';
export type { Padding, PaddingMode, WeightLayout } from './geometry';
export { Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, PartialConv2d, PartialConv3d } from './layers';
export type { ConvLayerConfig, ConvTransposeLayerConfig, ForwardOptions, PartialConvLayerConfig } from './layers';
export { setNumThreads, getNumThreads, setMaxBytes, getMaxBytes, runtimeInfo } from './runtime';
export type { RuntimeInfo } from './runtime';
