// One uPlot trend chart: a line per term, device replacements as dashed vertical lines, the
// number of points drawn exposed as data-points (on the wrapper and the canvas), and the values
// as a table for screen readers and for reading exact numbers.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatDate, formatNumber } from '../lib/format';
import { countPoints, type DeviceMarker, type TrendChartDef } from '../lib/trends';
import { h } from './dom';

const DAY_S = 86_400;
const SYNC_KEY = 'hb-trends';

function markerPlugin(markers: readonly DeviceMarker[]): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u: uPlot) => {
          if (markers.length === 0) return;
          const ctx = u.ctx;
          const dpr = uPlot.pxRatio;
          const { left, top, width, height } = u.bbox;
          ctx.save();
          ctx.beginPath();
          ctx.rect(left, top, width, height);
          ctx.clip();
          ctx.strokeStyle = '#9a6700';
          ctx.fillStyle = '#7a5200';
          ctx.lineWidth = 1.5 * dpr;
          ctx.setLineDash([6 * dpr, 4 * dpr]);
          ctx.font = `${11 * dpr}px system-ui, sans-serif`;
          ctx.textBaseline = 'top';
          for (const m of markers) {
            const x = Math.round(u.valToPos(m.t, 'x', true));
            if (x < left || x > left + width) continue;
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            const tw = ctx.measureText(m.label).width;
            const fitsRight = x + 4 * dpr + tw <= left + width;
            const fitsLeft = x - 4 * dpr - tw >= left;
            if (fitsRight || fitsLeft) ctx.fillText(m.label, fitsRight ? x + 4 * dpr : x - 4 * dpr - tw, top + 3 * dpr);
          }
          ctx.restore();
        },
      ],
    },
  };
}

export interface TrendChart {
  el: HTMLElement;
  points: number;
  setRange(minS: number | null, maxS: number | null): void;
  destroy(): void;
}

export function trendChart(def: TrendChartDef, data: uPlot.AlignedData, markers: readonly DeviceMarker[]): TrendChart {
  const points = countPoints(data as unknown as (number | null)[][]);
  const xs = data[0] as number[];
  const first = xs.length ? formatDate(xs[0]! * 1e6) : '';
  const last = xs.length ? formatDate(xs[xs.length - 1]! * 1e6) : '';
  const titleId = `chart-${def.key}-title`;
  const plotBox = h('div', { class: 'plot' });
  const el = h(
    'section',
    { class: 'chart', 'aria-labelledby': titleId, 'data-testid': `trend-${def.key}`, 'data-chart': def.key, 'data-points': points, 'data-device-changes': markers.length },
    h('h3', { id: titleId }, def.title),
    plotBox,
  );
  if (points === 0) {
    plotBox.appendChild(h('p', { class: 'empty', 'data-testid': 'trend-empty' }, 'No values recorded.'));
    return { el, points, setRange: () => {}, destroy: () => {} };
  }

  const markerTimes = markers.map((m) => m.t);
  const hasY2 = def.series.some((s) => s.axis === 2);
  const opts: uPlot.Options = {
    width: 600,
    height: 230,
    cursor: { sync: { key: SYNC_KEY }, points: { size: 8 } },
    legend: { live: true },
    scales: {
      x: {
        time: true,
        range: (_u, min, max) => {
          let lo = Math.min(min, ...markerTimes);
          let hi = Math.max(max, ...markerTimes);
          if (hi - lo < DAY_S) {
            lo -= 30 * DAY_S;
            hi += 30 * DAY_S;
          }
          const pad = (hi - lo) * 0.02;
          return [lo - pad, hi + pad];
        },
      },
      y: { auto: true },
      ...(hasY2 ? { y2: { auto: true } } : {}),
    },
    axes: [
      { stroke: '#333', grid: { stroke: '#e6e8eb', width: 1 }, ticks: { stroke: '#ccc', width: 1 } },
      { scale: 'y', label: def.unit, stroke: '#333', grid: { stroke: '#e6e8eb', width: 1 }, ticks: { stroke: '#ccc', width: 1 }, size: 56 },
      ...(hasY2 ? [{ scale: 'y2', side: 1, label: def.unit2 ?? '', stroke: '#555', grid: { show: false }, size: 56 }] : []),
    ],
    series: [
      { label: 'Date', value: (_u: uPlot, v: number) => (v === null || v === undefined ? '—' : formatDate(v * 1e6)) },
      ...def.series.map((s) => ({
        label: s.label,
        scale: s.axis === 2 ? 'y2' : 'y',
        stroke: s.color,
        width: def.counts ? 0 : 1.75,
        spanGaps: true,
        points: { show: true, size: def.counts ? 7 : 5, fill: s.color, stroke: s.color },
        value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : formatNumber(v)),
        ...(def.counts ? { paths: () => null } : {}),
      })),
    ],
    plugins: [markerPlugin(markers)],
  };
  const u = new uPlot(opts, data, plotBox);
  const canvas = u.ctx.canvas;
  canvas.setAttribute('data-testid', 'trend-canvas');
  canvas.setAttribute('data-chart', def.key);
  canvas.setAttribute('data-points', String(points));
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${def.title}: ${points} values from ${first} to ${last}${markers.map((m) => `; new device${m.model ? ` ${m.model}` : ''} on ${formatDate(m.t * 1e6)}`).join('')}.`);

  const resize = () => {
    const w = Math.max(280, Math.floor(plotBox.clientWidth));
    if (w !== u.width) u.setSize({ width: w, height: 230 });
  };
  const ro = new ResizeObserver(resize);
  ro.observe(plotBox);
  requestAnimationFrame(resize);

  // The values as a table, built when opened.
  const details = h('details', { class: 'values' }, h('summary', null, 'Values as a table'));
  details.addEventListener('toggle', () => {
    if (!details.open || details.querySelector('table')) return;
    const rows: HTMLTableRowElement[] = [];
    for (let i = xs.length - 1; i >= 0; i--) {
      rows.push(
        h(
          'tr',
          null,
          h('td', null, formatDate(xs[i]! * 1e6)),
          def.series.map((_, j) => {
            const v = (data[j + 1] as (number | null)[])[i];
            return h('td', { class: 'num' }, v === null || v === undefined ? '' : formatNumber(v));
          }),
        ),
      );
    }
    details.appendChild(
      h(
        'div',
        { class: 'table-scroll' },
        h('table', { class: 'grid compact' }, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Date'), def.series.map((s) => h('th', { scope: 'col' }, s.label)))), h('tbody', null, rows)),
      ),
    );
  });
  el.appendChild(details);

  return {
    el,
    points,
    setRange(minS, maxS) {
      if (minS === null || maxS === null) {
        u.setData(u.data, true);
      } else {
        u.setScale('x', { min: minS, max: maxS });
      }
    },
    destroy() {
      ro.disconnect();
      u.destroy();
    },
  };
}
