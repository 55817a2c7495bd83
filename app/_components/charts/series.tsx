/**
 * The series every sample chart draws, defined once for the live charts (overview) and the replay
 * charts (drills): which fields of a LiveSample, in which colour and style, on which y axis, how a
 * value reads in the tooltip and how the newest row reads in the card's summary. Each chart adds its
 * own x axis (wall clock live, time since the run's start in a replay) and its markers.
 *
 * The `draw` functions return arrays of keyed recharts elements, spread straight into a LineChart or
 * AreaChart: recharts finds its axes and series among the chart's direct children.
 */
import type { ReactElement } from 'react';
import { Area, CartesianGrid, Legend, Line, Tooltip, YAxis } from 'recharts';
import type { LiveSample, OutcomeStatus } from '@/server/live/types';
import { bytes, ms, rate } from '../../_lib/format';
import { OUTCOME_STATUSES, STATUS_COLOR } from '../../_lib/status';
import { axisStyle, legendStyle, tooltipStyle, type ChartPalette } from './chart-kit';

/** The grid every chart draws: horizontal lines only. */
export function gridLines(palette: ChartPalette): ReactElement {
  return <CartesianGrid key="grid" stroke={palette.grid} strokeDasharray="3 3" vertical={false} />;
}

export function chartLegend(): ReactElement {
  return <Legend key="legend" {...legendStyle} />;
}

/** A tooltip that labels the row by its time (`label`) and reads every value with `format`. */
export function valueTooltip(palette: ChartPalette, label: (t: number) => string, format: (value: number) => string): ReactElement {
  return (
    <Tooltip
      key="tip"
      {...tooltipStyle(palette)}
      labelFormatter={(t) => label(Number(t))}
      formatter={(value) => (typeof value === 'number' ? format(value) : String(value ?? '–'))}
    />
  );
}

/** Throughput per stage: sent, stored, delivered and consumed per second. */
export const THROUGHPUT = {
  format: (value: number) => `${rate(value)} msg/s`,
  /** `consumed` is left out while no consumer ran (the live chart before any consumer starts) */
  summary(row: Pick<LiveSample, 'sentPerSec' | 'storedPerSec' | 'consumedPerSec'> | undefined, withConsumed = true): string {
    if (!row) return '–';
    return `sent ${rate(row.sentPerSec)}/s · stored ${rate(row.storedPerSec)}/s${withConsumed ? ` · consumed ${rate(row.consumedPerSec)}/s` : ''}`;
  },
  draw: (palette: ChartPalette): ReactElement[] => [
    <YAxis key="y" width={48} {...axisStyle(palette)} allowDecimals={false} />,
    <Line key="sent" name="sent/s" dataKey="sentPerSec" stroke={palette.sent} strokeWidth={2} dot={false} isAnimationActive={false} />,
    <Line key="stored" name="stored/s" dataKey="storedPerSec" stroke={palette.stored} strokeWidth={2} dot={false} isAnimationActive={false} strokeDasharray="5 3" />,
    <Line key="delivered" name="delivered/s" dataKey="deliveredPerSec" stroke={palette.delivered} strokeWidth={1.5} dot={false} isAnimationActive={false} strokeDasharray="2 2" />,
    <Line key="consumed" name="consumed/s" dataKey="consumedPerSec" stroke={palette.consumed} strokeWidth={2} dot={false} isAnimationActive={false} />,
  ],
};

/** Send latency: p50 and p99 of the sends in each sample; a gap where there were none. */
export const LATENCY = {
  format: (value: number) => ms(value),
  summary(row: Pick<LiveSample, 'latencyP50Ms' | 'latencyP99Ms'> | undefined): string {
    return row ? `p50 ${ms(row.latencyP50Ms)} · p99 ${ms(row.latencyP99Ms)}` : '–';
  },
  draw: (palette: ChartPalette): ReactElement[] => [
    <YAxis key="y" width={52} {...axisStyle(palette)} unit=" ms" />,
    <Line key="p50" name="p50" dataKey="latencyP50Ms" stroke={palette.p50} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />,
    <Line key="p99" name="p99" dataKey="latencyP99Ms" stroke={palette.p99} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />,
  ],
};

/** One row of the SendStatus chart: the statuses of a sample spread out as fields. */
export type StatusRow = Record<OutcomeStatus, number>;

/** SendStatus per second, stacked, one colour per status (the counters' colours). */
export const STATUSES = {
  format: (value: number) => `${rate(value)}/s`,
  summary(row: StatusRow | undefined): string {
    if (!row) return '–';
    const notOk = OUTCOME_STATUSES.filter((s) => s !== 'SEND_OK').reduce((n, s) => n + (row[s] ?? 0), 0);
    return `SEND_OK ${rate(row.SEND_OK)}/s · other ${rate(notOk)}/s`;
  },
  draw: (palette: ChartPalette): ReactElement[] => [
    <YAxis key="y" width={48} {...axisStyle(palette)} allowDecimals={false} />,
    ...OUTCOME_STATUSES.map((status) => (
      <Area
        key={status}
        name={status}
        dataKey={status}
        stackId="status"
        type="linear"
        stroke={STATUS_COLOR[status]}
        fill={STATUS_COLOR[status]}
        fillOpacity={0.55}
        strokeWidth={1}
        dot={false}
        isAnimationActive={false}
      />
    )),
  ],
};

/** Unflushed bytes: written to the commit log, not yet covered by fdatasync (lost on a power cut). */
export const UNFLUSHED = {
  format: (value: number) => bytes(value),
  draw: (palette: ChartPalette): ReactElement[] => [
    <YAxis key="y" width={64} {...axisStyle(palette)} tickFormatter={(v: number) => bytes(v)} />,
    <Area
      key="unflushed"
      name="unflushed"
      dataKey="unflushedBytes"
      type="stepAfter"
      stroke={palette.unflushed}
      fill={palette.unflushed}
      fillOpacity={0.3}
      strokeWidth={1.5}
      dot={false}
      isAnimationActive={false}
    />,
  ],
};
