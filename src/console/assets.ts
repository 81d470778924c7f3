/**
 * The console's stylesheet, served from the Worker at /admin/assets/console.css (the CSP allows
 * styles from our origin only, and the console works offline: no CDN, no web fonts). Mobile first:
 * one column on a phone, a grid of cards from tablet width up.
 */
export const CONSOLE_CSS = `
:root {
  --green: #06c755; --green-dark: #04a745; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --bg: #f6f8fa; --card: #fff; --bad: #cf222e; --warn: #9a6700;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink); line-height: 1.5;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans TC", "PingFang TC", "Microsoft JhengHei", sans-serif;
}
a { color: #0969da; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 10; }

/* Header and navigation: a bar that scrolls sideways on a phone. */
.top { background: var(--ink); color: #fff; }
.top .brand { display: block; padding: 10px 16px 0; font-weight: 600; color: #fff; text-decoration: none; }
.nav { display: flex; align-items: center; gap: 2px; overflow-x: auto; padding: 4px 8px 6px; scrollbar-width: thin; }
.nav a, .nav button {
  flex: none; color: #d1d9e0; text-decoration: none; padding: 8px 10px; border-radius: 6px;
  font: inherit; font-size: 15px; background: none; border: 0; cursor: pointer; white-space: nowrap;
}
.nav a:hover, .nav button:hover { background: #32383f; color: #fff; }
.nav a[aria-current="page"] { background: var(--green); color: #fff; }
.nav form { margin: 0 0 0 auto; }

main { max-width: 1100px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.4rem; margin: 4px 0 16px; }
h2 { font-size: 1.1rem; margin: 24px 0 8px; }

/* Figures. */
.cards { display: grid; grid-template-columns: 1fr; gap: 12px; margin: 0; }
@media (min-width: 560px) { .cards { grid-template-columns: repeat(2, 1fr); } }
@media (min-width: 900px) { .cards { grid-template-columns: repeat(3, 1fr); } }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.card dt { color: var(--muted); font-size: 14px; }
.card dd { margin: 0; }
.card .figure { font-size: 1.8rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .note { color: var(--muted); font-size: 14px; }
.card .bad { color: var(--bad); font-weight: 600; }
.card .warn { color: var(--warn); font-weight: 600; }

/* The chart: inline SVG, scaled to the width. */
.chart { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px; margin: 0; }
.chart svg { display: block; width: 100%; height: auto; overflow: visible; }
.chart .bar { fill: var(--green); }
.chart .bar:hover { fill: var(--green-dark); }
.chart .bar.zero { fill: var(--line); }
.chart .axis { stroke: var(--line); stroke-width: 1; }
.chart text { fill: var(--muted); font-size: 12px; }
/* The SVG scales down on a phone; its labels must not. */
@media (max-width: 560px) { .chart text { font-size: 20px; } }
.chart details { margin-top: 8px; font-size: 14px; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }

/* People and chats. */
.avatar { display: inline-block; width: 32px; height: 32px; border-radius: 50%; background: var(--line); object-fit: cover; vertical-align: middle; }
.name { overflow-wrap: anywhere; }
.name.unnamed { color: var(--muted); font-family: ui-monospace, monospace; font-size: 14px; }

/* Forms. */
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px; }
.login { max-width: 380px; margin: 10vh auto 0; }
label { display: block; font-weight: 600; margin-bottom: 6px; }
input[type="password"], input[type="text"] {
  width: 100%; font: inherit; padding: 10px 12px; border: 1px solid var(--line); border-radius: 6px;
}
.button {
  display: inline-block; font: inherit; font-weight: 600; padding: 10px 16px; margin-top: 12px;
  color: #fff; background: var(--green); border: 0; border-radius: 6px; cursor: pointer; text-decoration: none;
}
.button:hover { background: var(--green-dark); }
.help { color: var(--muted); font-size: 14px; }
.alert { border-left: 4px solid var(--bad); background: #ffebe9; padding: 8px 12px; margin: 12px 0; }
`;
