/** The dashboard's HTML: tables the page script (page.ts) fills. */
export function dashboardHtml(nodeId: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Agent Socket cluster · ${escapeHtml(nodeId)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
  :root { color-scheme: light; --fg: #1b1f24; --muted: #5b6570; --line: #e3e7eb; --ok: #1a7f37; --bad: #cf222e; --busy: #9a6700; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: #f6f8fa; }
  header { display: flex; align-items: baseline; gap: 16px; padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 18px; margin: 0; }
  #conn { color: var(--muted); }
  main { padding: 16px 24px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); }
  .kpis { grid-column: 1 / -1; display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; }
  .kpi, section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
  .kpi b { display: block; font-size: 26px; }
  .kpi span { color: var(--muted); font-size: 12px; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 14px; margin: 0 0 8px; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; }
  .ok { color: var(--ok); } .bad { color: var(--bad); } .busy { color: var(--busy); font-weight: 600; } .idle { color: var(--ok); }
  .note { color: var(--muted); font-size: 12px; margin-top: 6px; white-space: pre-line; }
</style>
</head>
<body data-state="connecting">
<header><h1>Agent Socket cluster</h1><span>served by ${escapeHtml(nodeId)}</span><span id="conn">connecting…</span></header>
<main>
  <div class="kpis">
    <div class="kpi"><span>agents</span><b id="k-agents">0</b><span id="k-busy"></span></div>
    <div class="kpi"><span>nodes alive</span><b id="k-nodes">0</b><span>from their heartbeats</span></div>
    <div class="kpi"><span>calls / s (routed to agents)</span><b id="k-calls">0</b><span id="k-latency"></span></div>
    <div class="kpi"><span>tasks waiting</span><b id="k-queue">0</b><span id="k-queue-sub"></span></div>
    <div class="kpi"><span>tasks finished / s</span><b id="k-tasks">0</b><span>from the queue streams</span></div>
  </div>
  <section><h2>Nodes</h2>
    <table><thead><tr><th>node</th><th>state</th><th>agents</th><th>calls/s</th><th>p50 ms</th><th>p99 ms</th><th>errors</th><th>last beat</th></tr></thead><tbody id="nodes"></tbody></table>
  </section>
  <section><h2>Teams and rooms</h2>
    <table><thead><tr><th>team</th><th>agents</th><th>busy</th><th>rooms (members)</th></tr></thead><tbody id="teams"></tbody></table>
  </section>
  <section><h2>Task queues</h2>
    <table><thead><tr><th>tool</th><th>waiting</th><th>in flight</th><th>finished</th><th>submitted</th></tr></thead><tbody id="queues"></tbody></table>
    <div class="note" id="queues-extra"></div>
  </section>
  <section><h2>Recent failures (node died)</h2><div class="note" id="failures">none</div></section>
  <section class="wide"><h2>Agents</h2>
    <table><thead><tr><th>team</th><th>agent</th><th>node</th><th>tools</th><th>status</th><th>load</th><th>in flight</th><th>rooms</th></tr></thead><tbody id="agents"></tbody></table>
    <div class="note" id="agents-more"></div>
  </section>
</main>
<script type="module" src="/dashboard.js"></script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
