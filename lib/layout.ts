// Layouts: channels-first NCW/NCHW/NCDHW and channels-last NWC/NHWC/NDHWC.

export type ChannelsFirstLayout = 'NCW' | 'NCHW' | 'NCDHW';
export type ChannelsLastLayout = 'NWC' | 'NHWC' | 'NDHWC';
export type Layout = ChannelsFirstLayout | ChannelsLastLayout;

export const LAYOUTS: readonly Layout[] = ['NCW', 'NCHW', 'NCDHW', 'NWC', 'NHWC', 'NDHWC'];
const FIRST: Record<number, ChannelsFirstLayout> = { 1: 'NCW', 2: 'NCHW', 3: 'NCDHW' };
const LAST: Record<number, ChannelsLastLayout> = { 1: 'NWC', 2: 'NHWC', 3: 'NDHWC' };

export function isLayout(v: unknown): v is Layout {
  return typeof v === 'string' && (LAYOUTS as readonly string[]).includes(v);
}
export function spatialRank(l: Layout): number {
  return l.length - 2;
}
export function isChannelsLast(l: Layout): boolean {
  return l[1] !== 'C';
}
export function channelsFirst(rank: number): ChannelsFirstLayout {
  return FIRST[rank];
}
export function channelsLast(rank: number): ChannelsLastLayout {
  return LAST[rank];
}

// [N, C, ...spatial] of a shape given in layout l.
export function toCanonical(shape: readonly number[], l: Layout): { N: number; C: number; spatial: number[] } {
  if (isChannelsLast(l)) return { N: shape[0], C: shape[shape.length - 1], spatial: shape.slice(1, -1) };
  return { N: shape[0], C: shape[1], spatial: shape.slice(2) };
}

export function fromCanonical(N: number, C: number, spatial: readonly number[], l: Layout): number[] {
  return isChannelsLast(l) ? [N, ...spatial, C] : [N, C, ...spatial];
}
