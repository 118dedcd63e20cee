import { profileTables, streamTable, verdictRows } from '@agentsocket/bench-kit';
import { FIGURE_IDS } from '../figures.js';
import { barChart, legend } from './charts.js';
import { esc } from './escape.js';
import type { ComparisonReport } from './model.js';
import { figureHeaders, figureRows, TABLES, TARGET_HEADERS, targetRows } from './rows.js';
import { STYLE } from './style.js';

/** The self-contained HTML report: inline CSS and SVG, no scripts, no external assets. */
export function renderHtml(report: ComparisonReport): string {
  const met = report.targets.filter((t) => t.met).length;
  const m = report.machine;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Agent Socket transport comparison — ${esc(report.startedAt)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Agent Socket — the same agent over every transport</h1>
<p class="sub">${esc(report.startedAt)} · ${report.durationSeconds.toFixed(0)} s · ${esc(m.cpuModel)}, ${m.cores} cores, ${m.memoryGiB} GiB, ${esc(m.os)}, Node ${esc(m.node)} · load average ${report.loadAverage.start.toFixed(1)} → ${report.loadAverage.end.toFixed(1)}</p>
${banners(report)}
<p class="score" data-targets-met="${met}" data-targets="${report.targets.length}">${met} of ${report.targets.length} targets met</p>

<h2>Targets (issue 5)</h2>
<p class="hint">Each ratio is the median of per-round ratios; both sides of a ratio were measured back to back in the same round of this run.</p>
${table(TARGET_HEADERS, targetRows(report.targets), (i) => ({ cls: '', attr: `data-verdict="${report.targets[i]?.met ? 'met' : 'not met'}" data-target="${esc(report.targets[i]?.number ?? '')}"` }), [1], TARGET_HEADERS.length - 1)}

<h2>Goals of issue 13, per profile</h2>
<p class="hint">${report.goals.filter((g) => g.met).length} of ${report.goals.length} met. Each ratio is the median of per-round ratios of two variants measured back to back.</p>
${table(['profile', 'goal', 'ours', 'reference', 'measured', 'needed', 'verdict'], verdictRows(report.goals), (i) => ({ cls: '', attr: `data-goal="${esc(report.goals[i]?.id ?? '')}" data-goal-met="${report.goals[i]?.met ? 'met' : 'not met'}"` }), [0, 1], 6)}

<h2>Payload profiles</h2>
${profileTables(report.calls, report.variants, report.settings.concurrency)
  .map((t) => `<p><strong>${esc(t.title)}</strong> <span class="hint">— median of ${report.settings.rounds} rounds</span></p>${table(t.columns.map((c) => c.header), t.rows, () => ({ cls: '', attr: '' }), [0])}`)
  .join('\n')}
${((t) => `<p><strong>${esc(t.title)}</strong></p>${table(t.columns.map((c) => c.header), t.rows, () => ({ cls: '', attr: '' }), [0])}`)(streamTable(report.stream, report.variants))}

<h2>Figures (small echo profile, streamed profile)</h2>
${TABLES.map((t) => `<p><strong>${esc(t.title)}</strong> <span class="hint">— median of ${report.settings.rounds} rounds</span></p>${table(figureHeaders(t.figures), figureRows(report.variants, t.figures), (i) => ({ cls: report.variants[i]?.role ?? '', attr: '' }), [1])}`).join('\n')}

<h2>Charts</h2>
${legend()}
<div class="charts">
${FIGURE_IDS.map((f) => barChart(f, report.variants)).join('\n')}
</div>

<h2>Variants</h2>
${table(
  ['variant', 'server runs in', 'bytes counted at', 'does not apply'],
  report.variants.map((v) => [v.label, v.server, v.bytesAt, Object.entries(v.cannot).map(([k, why]) => `${k}: ${why}`).join('; ') || '—']),
  (i) => ({ cls: report.variants[i]?.role ?? '', attr: '' }),
  [1, 2, 3],
)}

<h2>Method</h2>
<ul>${report.method.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>

<div class="cols">
<section><h2>Machine</h2>${kv({ CPU: m.cpuModel, cores: m.cores, RAM: `${m.memoryGiB} GiB`, OS: m.os, arch: m.arch, Node: m.node, V8: m.v8, 'load average (1 min)': `${report.loadAverage.start.toFixed(2)} at start, ${report.loadAverage.end.toFixed(2)} at end` })}</section>
<section><h2>Versions</h2>${kv(report.versions)}</section>
<section><h2>Time per phase</h2>${kv(Object.fromEntries(report.phases.map((p) => [p.name, `${p.seconds.toFixed(1)} s`])))}</section>
<section><h2>Settings</h2>${kv({ ...Object.fromEntries(Object.entries(report.settings).map(([k, v]) => [k, String(v)])), 'code ran as': report.runtime.compiled ? 'compiled JS (dist)' : 'TS sources through tsx', 'node flags': report.runtime.execArgv.join(' ') || '—' })}</section>
</div>
</body>
</html>
`;
}

function banners(report: ComparisonReport): string {
  const out: string[] = [];
  if (report.settings.quick) out.push('<p class="banner">Quick smoke run: rounds are too short and too few for figures to quote.</p>');
  if (!report.runtime.compiled) {
    out.push('<p class="banner">Ran from TS sources through tsx, which wraps every closure in a naming helper (keepNames): Agent Socket code pays for it, the JS libraries do not. Use <code>pnpm compare</code> for figures to quote.</p>');
  }
  const load = Math.max(report.loadAverage.start, report.loadAverage.end);
  if (load > report.machine.cores) {
    out.push(
      `<p class="banner">The machine was busy: load average up to ${load.toFixed(1)} on ${report.machine.cores} cores. Other processes took turns on our cores, so single rounds are noisy; the ratios, measured back to back, suffer least.</p>`,
    );
  }
  if (report.problems.length > 0) {
    out.push(`<div class="banner bad"><strong>${report.problems.length} problem(s):</strong><ul>${report.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul></div>`);
  }
  return out.join('\n');
}

function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  rowInfo: (i: number) => { cls: string; attr: string },
  textColumns: readonly number[] = [],
  verdictColumn = -1,
): string {
  const cell = (tag: 'th' | 'td', text: string, j: number) => {
    const cls = j === verdictColumn ? 'verdict' : textColumns.includes(j) ? 'text' : '';
    return `<${tag}${cls ? ` class="${cls}"` : ''}>${esc(text)}</${tag}>`;
  };
  const head = `<tr>${headers.map((h, j) => cell('th', h, j)).join('')}</tr>`;
  const body = rows
    .map((r, i) => {
      const info = rowInfo(i);
      return `<tr${info.cls ? ` class="${esc(info.cls)}"` : ''}${info.attr ? ` ${info.attr}` : ''}>${r.map((c, j) => cell('td', c, j)).join('')}</tr>`;
    })
    .join('\n');
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function kv(entries: Record<string, string | number>): string {
  return `<dl class="kv">${Object.entries(entries).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}
