/** Helpers shared by the benchmark sections. */

/** One line of the printed table. */
export type Row = Record<
  'benchmark' | 'baseline' | 'validator' | 'ratio' | 'target' | 'ok',
  string
>;

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}
