/**
 * Where the CPU goes during a target's run: user + system CPU time of this process and every
 * process it started, from /proc (Linux; elsewhere nothing is reported), grouped by what each is.
 * This process holds the local proxies (the Worker's WebSocket proxy and the article's TCP proxy),
 * the LINE emulator and the bench's own queries. Postgres' processes (its backends and background
 * workers) are not ours but share the same cores: they are counted as a group of their own, by
 * name. A backend that starts and exits between two snapshots (the direct path's, one per Worker
 * request) is not counted; the pooled path's backends live as long as PgBouncer's server
 * connections, so they are.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export type CpuGroup =
  | 'workerd'
  | 'article process'
  | 'pgbouncer'
  | 'bench process (proxies, LINE emulator)'
  | 'load generator'
  | 'postgres'
  | 'other';
export type CpuSnapshot = Map<number, { group: CpuGroup; sec: number }>;

let ticks: number | undefined;
const clockTicks = () => (ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);

function stat(pid: number): { ppid: number; comm: string; sec: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may hold spaces: the fields after it are split from its end.
    const close = text.lastIndexOf(')');
    const f = text.slice(close + 2).split(' ');
    return {
      comm: text.slice(text.indexOf('(') + 1, close),
      ppid: Number(f[1]),
      sec: (Number(f[11]) + Number(f[12])) / clockTicks(),
    };
  } catch {
    return undefined; // gone meanwhile
  }
}

function groupOf(pid: number, comm: string): CpuGroup {
  if (pid === process.pid) return 'bench process (proxies, LINE emulator)';
  if (comm.startsWith('workerd')) return 'workerd';
  if (comm === 'pgbouncer') return 'pgbouncer';
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return 'other';
  }
  if (cmd.includes('article-server.ts')) return 'article process';
  if (cmd.includes('load.ts')) return 'load generator';
  return 'other';
}

/** CPU seconds so far of this process and its descendants; undefined where /proc is missing. */
export function cpuSnapshot(): CpuSnapshot | undefined {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return undefined;
  }
  const all = new Map<number, { ppid: number; comm: string; sec: number }>();
  for (const pid of pids) {
    const s = stat(pid);
    if (s) all.set(pid, s);
  }
  const mine = new Set([process.pid]);
  // Parents before children is not guaranteed: repeat until no process joins.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, s] of all)
      if (!mine.has(pid) && mine.has(s.ppid)) {
        mine.add(pid);
        grew = true;
      }
  }
  const out: CpuSnapshot = new Map();
  for (const pid of mine) {
    const s = all.get(pid);
    if (s) out.set(pid, { group: groupOf(pid, s.comm), sec: s.sec });
  }
  // The local PostgreSQL's processes: not started by us (or by us, for embedded PGlite: then inside this process).
  for (const [pid, s] of all)
    if (!mine.has(pid) && s.comm === 'postgres') out.set(pid, { group: 'postgres', sec: s.sec });
  return out;
}

/** CPU ms per acknowledged event by group between two snapshots (processes that exited in between are not counted). */
export function cpuMsPerAck(
  before: CpuSnapshot | undefined,
  after: CpuSnapshot | undefined,
  acked: number,
): Partial<Record<CpuGroup, number>> | undefined {
  if (!before || !after || acked === 0) return undefined;
  const out: Partial<Record<CpuGroup, number>> = {};
  for (const [pid, a] of after) {
    const used = a.sec - (before.get(pid)?.sec ?? 0);
    if (used > 0) out[a.group] = (out[a.group] ?? 0) + (used * 1000) / acked;
  }
  return out;
}
