/** A uPlot time series chart with the panel's unit on its axis and its thresholds as lines. */
import type { VNode } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { html } from './html.js';
import type { Series } from './promql-client.js';
import { formatValue } from './units.js';

const PALETTE = [
  '#4a7fd6',
  '#e8743b',
  '#19a979',
  '#ed4a7b',
  '#945ecf',
  '#13a4b4',
  '#525df4',
  '#bf399e',
  '#6c8893',
  '#ee6868',
];

export interface ChartProps {
  readonly times: readonly number[];
  readonly series: readonly Series[];
  readonly unit: string;
  readonly thresholds: readonly { value: number; color: string }[];
  readonly stacked?: boolean;
  readonly label: string;
}

/** Running totals, series by series, for a stacked chart. */
function stack(series: readonly Series[]): Series[] {
  const totals: (number | null)[] = [];
  return series.map((entry) => ({
    name: entry.name,
    values: entry.values.map((value, index) => {
      const total = (totals[index] ?? 0) + (value ?? 0);
      totals[index] = total;
      return value === null ? null : total;
    }),
  }));
}

export function Chart(props: ChartProps): VNode {
  const target = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = target.current;
    if (element === null) return;
    const drawn = props.stacked === true ? stack(props.series) : props.series;
    const threshold = (chart: uPlot): void => {
      const context = chart.ctx;
      for (const level of props.thresholds) {
        const y = chart.valToPos(level.value, 'y', true);
        if (!Number.isFinite(y) || y < chart.bbox.top || y > chart.bbox.top + chart.bbox.height) continue;
        context.save();
        context.strokeStyle = level.color === 'red' ? '#d92d20' : '#f79009';
        context.setLineDash([6, 4]);
        context.beginPath();
        context.moveTo(chart.bbox.left, y);
        context.lineTo(chart.bbox.left + chart.bbox.width, y);
        context.stroke();
        context.restore();
      }
    };
    const chart = new uPlot(
      {
        width: Math.max(240, element.clientWidth),
        height: 200,
        series: [
          {},
          ...drawn.map((entry, index) => ({
            label: entry.name,
            stroke: PALETTE[index % PALETTE.length] ?? '#4a7fd6',
            width: 1.5,
            spanGaps: true,
            points: { show: true, size: 3 },
            value: (_chart: uPlot, value: number | null) => formatValue(props.unit, value),
          })),
        ],
        axes: [
          {},
          {
            values: (_chart: uPlot, ticks: number[]) => ticks.map((tick) => formatValue(props.unit, tick)),
            size: 84,
          },
        ],
        scales: {
          y: {
            range: (_chart, min, max) => [
              Math.min(0, min),
              Math.max(max, ...props.thresholds.map((level) => level.value * 1.1)),
            ],
          },
        },
        legend: { show: drawn.length <= 12 },
        hooks: { draw: [threshold] },
      },
      [[...props.times], ...drawn.map((entry) => entry.values)] as uPlot.AlignedData,
      element,
    );
    const resize = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(240, element.clientWidth), height: 200 });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [props.times, props.series, props.unit, props.thresholds, props.stacked]);
  const drawnSeries = props.series.filter((entry) => entry.values.some((value) => value !== null)).length;
  return html`<div
    class="chart"
    ref=${target}
    role="img"
    aria-label=${props.label}
    data-series=${drawnSeries}
  ></div>` as VNode;
}
