/** The comparison as Markdown: the table of medians and deltas, then every round in full. */
import { type BenchResult, formatResult } from '../lib/result.js';
import { LOAD_CPU, SERVER_CPU } from '../lib/target.js';
import { seedBars } from './bars.js';
import { fmt, formatDelta, type Row, verdictNote } from './rows.js';

export function renderMarkdown(scenario: string, rows: Row[], bRuns: BenchResult[], aRuns: BenchResult[]): string {
  const first = bRuns[0] as BenchResult;
  const lines = [
    `# ${scenario}: Profile B (node:http + ws) vs Profile A (NestJS)`,
    '',
    `${bRuns.length} rounds each, alternating B, A, B, A ...; ${first.startedAt.slice(0, 10)}; ${first.machine.cpus} CPUs (${first.machine.cpuModel}), ` +
      `${first.machine.memoryGiB} GiB, Node ${first.machine.node}; server ${first.machine.pinned ? `pinned to CPU ${SERVER_CPU}, load generator to CPU ${LOAD_CPU}` : 'not pinned'}.`,
    '',
    `Settings: \`${JSON.stringify(first.settings)}\``,
    '',
    ...(first.provenance
      ? [
          `Commit \`${first.provenance.commit ?? 'unknown'}\`${first.provenance.dirty ? ' (with uncommitted changes)' : ''}; command \`${first.provenance.command}\`.`,
          '',
        ]
      : []),
    ...generatorBound(bRuns, aRuns),
    ...seedBars(scenario, rows),
    '| metric | B median (min..max) | A median (min..max) | A vs B |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.metric} (${r.unit}) | ${fmt(r.b.median)} (${fmt(r.b.min)}..${fmt(r.b.max)}) | ${fmt(r.a.median)} (${fmt(r.a.min)}..${fmt(r.a.max)}) | ${formatDelta(r)}${verdictNote(r)} |`,
    ),
    '',
    '## Every round',
    '',
    ...[...bRuns.map((r, i) => ['B', i, r] as const), ...aRuns.map((r, i) => ['A', i, r] as const)].flatMap(
      ([p, i, r]) => [`### Profile ${p}, round ${i + 1}`, '', '```', formatResult(r), '```', ''],
    ),
  ];
  return lines.join('\n');
}

/** A warning line when the load generator was saturated in any round (its limit, not the server's, may show). */
function generatorBound(bRuns: BenchResult[], aRuns: BenchResult[]): string[] {
  const bound = [...bRuns.map((r, i) => ['B', i, r] as const), ...aRuns.map((r, i) => ['A', i, r] as const)].filter(
    ([, , r]) => r.server?.loadGenerator?.saturated,
  );
  if (bound.length === 0) return [];
  const which = bound.map(([p, i, r]) => `${p} round ${i + 1} (${r.server?.loadGenerator?.cpuPct.toFixed(0)}%)`);
  return [
    `**Load generator saturated** in ${which.join(', ')}: those figures may show the generator's limit, not the server's.`,
    '',
  ];
}
