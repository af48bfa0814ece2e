/** The latency axis the report's line charts share: log scale, a gridline and label per power of ten. */

export interface LatencyAxis {
  /** SVG y of a latency in ms. */
  y: (ms: number) => number;
  /** The gridlines and their labels. */
  grid: string[];
}

/**
 * An axis over the given latencies (ms, all > 0), from the power of ten below the lowest to the
 * one above the highest, between `top` and `height - bottom`, its gridlines from `left` to `right`.
 */
export function logLatencyAxis(
  latencies: number[],
  box: { height: number; top: number; bottom: number; left: number; right: number },
): LatencyAxis {
  const y0 = Math.floor(Math.log10(Math.min(...latencies)));
  const y1 = Math.ceil(Math.log10(Math.max(...latencies)));
  const y = (ms: number) =>
    box.height - box.bottom - ((Math.log10(ms) - y0) / (y1 - y0 || 1)) * (box.height - box.bottom - box.top);
  const grid: string[] = [];
  for (let e = y0; e <= y1; e++) {
    const v = 10 ** e;
    grid.push(
      `<line x1="${box.left}" x2="${box.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${box.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v >= 1 ? v : v.toFixed(-e)} ms</text>`,
    );
  }
  return { y, grid };
}
