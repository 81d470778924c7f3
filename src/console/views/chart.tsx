/**
 * A bar chart as server-rendered SVG (no chart library, no script): one bar per day, each with a
 * `<title>` the browser shows as a tooltip and screen readers read, the chart titled and described
 * for assistive technology, and the same figures as a table under a disclosure.
 */
import { formatNumber, t, type Lang } from '../i18n';
import type { DayCount } from '../../domain/overview';

const W = 600;
const H = 200;
const PAD = { top: 12, right: 8, bottom: 24, left: 48 };

/** The axis maximum: the next 1, 2 or 5 times a power of ten at or above the largest value. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * power).find((v) => v >= max)!;
}

export interface Bar {
  day: string;
  value: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where each bar goes, in the chart's coordinates (a pure function, tested alone). */
export function layoutBars(days: DayCount[]): { bars: Bar[]; top: number } {
  const top = niceMax(Math.max(0, ...days.map((d) => d.messages)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = days.length ? plotW / days.length : plotW;
  const bars = days.map((d, i) => {
    // A day without messages still gets a sliver, so its tooltip can be found.
    const height = Math.max(2, (d.messages / top) * plotH);
    return {
      day: d.day,
      value: d.messages,
      x: round(PAD.left + i * slot + slot * 0.15),
      y: round(PAD.top + plotH - height),
      width: round(slot * 0.7),
      height: round(height),
    };
  });
  return { bars, top };
}

const round = (v: number) => Math.round(v * 10) / 10;
/** `2026-07-01` -> `07-01`. */
const shortDay = (day: string) => day.slice(5);

export function BarChart({ lang, days, id }: { lang: Lang; days: DayCount[]; id: string }) {
  const { bars, top } = layoutBars(days);
  const baseline = H - PAD.bottom;
  // Today and each week back from it.
  const labelled = (i: number) => (bars.length - 1 - i) % 7 === 0;
  const first = days[0]?.day ?? '';
  const last = days[days.length - 1]?.day ?? '';
  const most = formatNumber(lang, Math.max(0, ...days.map((d) => d.messages)));
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        xmlns="http://www.w3.org/2000/svg"
      >
        <title id={`${id}-title`}>{t(lang, 'overview.chartTitle')}</title>
        <desc id={`${id}-desc`}>{t(lang, 'overview.chartDesc', { from: first, to: last, max: most })}</desc>
        <line class="axis" x1={PAD.left} y1={baseline} x2={W - PAD.right} y2={baseline} />
        <line class="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={baseline} />
        <text x={PAD.left - 6} y={PAD.top + 4} text-anchor="end">
          {formatNumber(lang, top)}
        </text>
        <text x={PAD.left - 6} y={baseline} text-anchor="end">
          0
        </text>
        <g>
          {bars.map((b) => (
            <rect
              class={b.value === 0 ? 'bar zero' : 'bar'}
              x={b.x}
              y={b.y}
              width={b.width}
              height={b.height}
              data-day={b.day}
              data-value={b.value}
            >
              <title>{t(lang, 'overview.chartBar', { day: b.day, n: formatNumber(lang, b.value) })}</title>
            </rect>
          ))}
        </g>
        {bars.map((b, i) =>
          labelled(i) ? (
            <text x={round(b.x + b.width / 2)} y={H - 6} text-anchor="middle">
              {shortDay(b.day)}
            </text>
          ) : null,
        )}
      </svg>
      <details>
        <summary>{t(lang, 'overview.chartData')}</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{t(lang, 'overview.day')}</th>
              <th scope="col" class="num">
                {t(lang, 'overview.count')}
              </th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr>
                <td>{d.day}</td>
                <td class="num">{formatNumber(lang, d.messages)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
