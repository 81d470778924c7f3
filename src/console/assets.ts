/**
 * The console's stylesheet, served from the Worker at /admin/assets/console.css (the CSP allows
 * styles from our origin only, and the console works offline: no CDN, no web fonts). Mobile first:
 * one column on a phone, a grid of cards from tablet width up.
 */
export const CONSOLE_CSS = `
:root {
  --green: #06c755; --green-dark: #04a745; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --bg: #f6f8fa; --card: #fff; --bad: #cf222e; --warn: #9a6700;
  /* LINE's green is too light under white text (2.3:1); buttons and the current menu entry use a
     darker one (5.4:1), and green text this (5.1:1 on white): WCAG AA asks 4.5:1. */
  --green-strong: #067a3c; --green-stronger: #055f2f; --green-text: #1a7f37;
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
.nav a[aria-current="page"] { background: var(--green-strong); color: #fff; }
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
.card dt a { color: inherit; }
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
dl.details { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: 0 8px; font-size: 14px; }
dl.details dt { color: var(--muted); }
dl.details dd { margin: 0; overflow-wrap: anywhere; }
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
  color: #fff; background: var(--green-strong); border: 0; border-radius: 6px; cursor: pointer; text-decoration: none;
}
.button:hover { background: var(--green-stronger); }
.help { color: var(--muted); font-size: 14px; }
.alert { border-left: 4px solid var(--bad); background: #ffebe9; padding: 8px 12px; margin: 12px 0; }

/* Notices, details, small things. */
.notice { border-left: 4px solid var(--green); background: #dafbe1; padding: 8px 12px; margin: 0 0 12px; }
.detail { font-family: ui-monospace, monospace; font-size: 14px; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.mono { font-family: ui-monospace, monospace; font-size: 13px; overflow-wrap: anywhere; }
.help { margin: 4px 0 0; }
.small { font-size: 14px; }
.empty { color: var(--muted); }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 13px; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 8px; margin: 8px 0; max-height: 320px; overflow: auto; }
pre.error { border-color: #ffcecb; background: #ffebe9; color: var(--bad); }
details summary { cursor: pointer; color: #0969da; font-size: 14px; }

/* Filter forms: fields side by side when there is room, stacked on a phone. */
.filters { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; margin: 0 0 16px; }
.filters .field { flex: 1 1 180px; margin: 0; }
.filters .button { margin-top: 0; }
.field { margin: 0 0 12px; }
select, textarea, input[type="date"] {
  width: 100%; font: inherit; padding: 9px 10px; border: 1px solid var(--line); border-radius: 6px; background: #fff;
}
textarea { resize: vertical; min-height: 6em; }
.button.secondary { background: #fff; color: var(--ink); border: 1px solid var(--line); }
.button.secondary:hover { background: var(--bg); }
.button.danger { background: var(--bad); }
.button.danger:hover { background: #a40e26; }
form.inline { display: inline; margin: 0; }
form.inline .button { margin-top: 8px; }

/* Lists of people, chats, events and answers: cards that fit a phone. */
.items { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; }
.item { display: flex; gap: 12px; align-items: flex-start; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.item-main { min-width: 0; flex: 1; }
.item-title { font-weight: 600; text-decoration: none; overflow-wrap: anywhere; }
a.item-title:hover { text-decoration: underline; }
.item-meta { display: flex; flex-wrap: wrap; gap: 4px 12px; color: var(--muted); font-size: 14px; margin: 2px 0; }
.actions { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 6px; font-size: 15px; }
.badges { display: flex; flex-wrap: wrap; gap: 4px; margin: 4px 0; }
.badge { display: inline-block; font-size: 13px; padding: 1px 8px; border-radius: 999px; background: var(--bg); border: 1px solid var(--line); color: var(--ink); overflow-wrap: anywhere; }
.badge.good { background: #dafbe1; border-color: #aceebb; }
.badge.warn { background: #fff8c5; border-color: #f5e0a0; color: var(--warn); }
.badge.bad { background: #ffebe9; border-color: #ffcecb; color: var(--bad); }
.badge.muted { color: var(--muted); }
.question { margin: 4px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.pager { display: flex; justify-content: space-between; gap: 12px; margin: 16px 0; }
.pager a[rel="next"] { margin-left: auto; }
.tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--line); margin: 0 0 16px; }
.tabs a { padding: 8px 12px; text-decoration: none; border-bottom: 2px solid transparent; }
.tabs a[aria-current="page"] { border-color: var(--green); color: var(--ink); font-weight: 600; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; margin: 0 0 12px; }
.table-wrap table { min-width: 560px; }
td.content, td.path { overflow-wrap: anywhere; max-width: 420px; }
table.audit td.chat { min-width: 9em; }
tr.from-bot td { background: #f0fff4; }

/* A group's page. */
.page-head { display: flex; align-items: center; gap: 12px; }
.page-head h1 { margin: 4px 0; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 8px 0 16px; font-size: 15px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; min-width: 0; }
.settings { display: grid; grid-template-columns: 1fr; gap: 12px; }
@media (min-width: 760px) { .settings { grid-template-columns: 1fr 1fr; } .settings .wide { grid-column: 1 / -1; } }
.settings h2 { margin-top: 0; }

/* The chat timeline: the LINE users on the left, the bot on the right, as LINE shows it. */
.timeline { list-style: none; margin: 0; padding: 12px; display: flex; flex-direction: column; gap: 10px; background: #8cabd9; border-radius: 8px; }
.msg { max-width: 85%; align-self: flex-start; }
.msg.bot { align-self: flex-end; text-align: right; }
.msg-head { display: flex; flex-wrap: wrap; gap: 6px; font-size: 13px; color: #1f2328; }
.msg.bot .msg-head { justify-content: flex-end; }
.bubble { display: inline-block; text-align: left; background: #fff; border-radius: 16px; padding: 8px 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.bot .bubble { background: #85e249; }
.file-chip { display: inline-flex; flex-wrap: wrap; align-items: center; gap: 6px; }
.thumb { display: block; width: 120px; height: 120px; object-fit: cover; border-radius: 8px; background: var(--line); flex-basis: 100%; max-width: 120px; }
.file-type { font-size: 12px; font-weight: 600; padding: 1px 6px; border-radius: 4px; background: var(--ink); color: #fff; }
.sync { font-size: 12px; color: var(--muted); }
.sync-failed, .sync-unavailable { color: var(--bad); }
.sync-synced { color: var(--green-text); }

/* Accounts and the binding code. */
.form-panel { margin-top: 24px; max-width: 520px; }
.code-panel { max-width: 520px; margin: 0 auto; text-align: center; }
.code { font: 700 clamp(2.6rem, 14vw, 4.5rem)/1.1 ui-monospace, monospace; letter-spacing: 0.15em; margin: 16px 0; font-variant-numeric: tabular-nums; }
.confirm { max-width: 560px; }
`;
