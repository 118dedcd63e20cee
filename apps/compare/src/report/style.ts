/** The report's only stylesheet, inlined so the file opens offline. */
export const STYLE = `
:root { color-scheme: light; --ink: #1d2329; --muted: #5d6873; --line: #dde2e7; --met: #1f7a3d; --missed: #b3261e; --bg-met: #e6f4ea; --bg-missed: #fce8e6; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1220px; padding: 28px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
p { margin: 6px 0; }
.sub, .hint { color: var(--muted); }
.banner { margin: 14px 0; padding: 10px 14px; border-radius: 6px; background: #fff4d6; border: 1px solid #f0d68a; }
.banner.bad { background: var(--bg-missed); border-color: #f1b5af; }
.score { display: inline-block; margin: 10px 0 0; padding: 6px 12px; border-radius: 16px; background: #eef2f7; font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
th { font-weight: 600; background: #f6f8fa; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
tr.ours td:first-child { font-weight: 600; }
tr.reference td:first-child { color: var(--muted); }
td.verdict { text-align: center; font-weight: 700; white-space: nowrap; }
tr[data-verdict="met"] td.verdict { color: var(--met); background: var(--bg-met); }
tr[data-verdict="not met"] td.verdict { color: var(--missed); background: var(--bg-missed); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 18px 28px; }
figure.chart { margin: 0; }
figure.chart figcaption { font-weight: 600; margin-bottom: 4px; }
figure.chart .missing { display: block; font-weight: 400; font-size: 12px; color: var(--muted); }
figure.chart svg { max-width: 100%; height: auto; }
svg text.l { font-size: 12px; fill: var(--ink); }
svg text.v { font-size: 12px; fill: var(--muted); }
.legend { color: var(--muted); }
.legend .key { margin-right: 16px; white-space: nowrap; }
.legend .key svg { vertical-align: -1px; margin-right: 5px; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 6px 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; }
.cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 8px 32px; }
ul { margin: 6px 0; padding-left: 20px; }
code { font: 12px/1.3 ui-monospace, SFMono-Regular, Menlo, monospace; background: #f3f5f7; padding: 1px 4px; border-radius: 3px; }
`;
