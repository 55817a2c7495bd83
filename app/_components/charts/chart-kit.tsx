/**
 * What the live charts (overview) and the replay charts (drills) share: one palette per theme for
 * every colour a chart draws, the axis, tooltip and legend styling, the card a chart sits in (a
 * labelled image for screen readers, with an overlay saying why it is empty) and the sized canvas in
 * it. The series themselves are defined once in ./series.tsx.
 */
import type { ReactNode } from 'react';
import { AreaChart, LineChart, ResponsiveContainer } from 'recharts';
import type { ChartMarker } from '@/server/live/types';
import { Card } from '../ui/card';

export interface ChartPalette {
  grid: string;
  axis: string;
  tooltipBg: string;
  tooltipBorder: string;
  text: string;
  fault: string;
  sent: string;
  stored: string;
  delivered: string;
  consumed: string;
  p50: string;
  p99: string;
  unflushed: string;
  /** replication lag in bytes, and its age in ms */
  lagBytes: string;
  lagMs: string;
  /** the live charts' vertical markers, by kind */
  marker: Record<ChartMarker['kind'], string>;
  /** the replay's scrubber line */
  cursor: string;
}

export const CHART_PALETTES: Record<'light' | 'dark', ChartPalette> = {
  light: {
    grid: '#e2e8f0',
    axis: '#64748b',
    tooltipBg: '#ffffff',
    tooltipBorder: '#cbd5e1',
    text: '#0f172a',
    fault: '#dc2626',
    sent: '#2563eb',
    stored: '#16a34a',
    delivered: '#a855f7',
    consumed: '#ea580c',
    p50: '#0891b2',
    p99: '#c026d3',
    unflushed: '#f59e0b',
    lagBytes: '#0d9488',
    lagMs: '#e11d48',
    marker: { setting: '#7c3aed', fault: '#dc2626', process: '#0284c7', traffic: '#64748b' },
    cursor: '#0f172a',
  },
  dark: {
    grid: '#1e293b',
    axis: '#94a3b8',
    tooltipBg: '#0f172a',
    tooltipBorder: '#334155',
    text: '#e2e8f0',
    fault: '#f87171',
    sent: '#60a5fa',
    stored: '#4ade80',
    delivered: '#c084fc',
    consumed: '#fb923c',
    p50: '#22d3ee',
    p99: '#e879f9',
    unflushed: '#fbbf24',
    lagBytes: '#2dd4bf',
    lagMs: '#fb7185',
    marker: { setting: '#a78bfa', fault: '#f87171', process: '#38bdf8', traffic: '#94a3b8' },
    cursor: '#f8fafc',
  },
};

/** Spread into an XAxis or YAxis. */
export function axisStyle(palette: ChartPalette) {
  return { stroke: palette.axis, tick: { fontSize: 11, fill: palette.axis }, tickLine: false } as const;
}

/** Spread into a Tooltip. */
export function tooltipStyle(palette: ChartPalette) {
  return {
    isAnimationActive: false,
    contentStyle: { background: palette.tooltipBg, borderColor: palette.tooltipBorder, borderRadius: 8, fontSize: 12, color: palette.text },
    labelStyle: { color: palette.text, fontWeight: 600 },
  } as const;
}

/** Spread into a Legend. */
export const legendStyle = { wrapperStyle: { fontSize: 12 }, iconSize: 10, itemSorter: null } as const;

export function ChartCard({
  title,
  titleId,
  testId,
  summary,
  empty,
  children,
  className,
  heightClass = 'h-56 sm:h-64',
}: {
  title: string;
  titleId: string;
  testId?: string;
  summary: ReactNode;
  empty: string | null;
  children: ReactNode;
  className?: string;
  heightClass?: string;
}) {
  return (
    <Card title={title} titleId={titleId} testId={testId} className={className} actions={<span className="text-xs tabular-nums text-slate-600 dark:text-slate-300">{summary}</span>}>
      <div className={`relative w-full ${heightClass}`} role="img" aria-labelledby={titleId} aria-describedby={`${titleId}-desc`}>
        <p id={`${titleId}-desc`} className="sr-only">
          {typeof summary === 'string' ? summary : ''} {empty ?? ''}
        </p>
        {children}
        {empty ? (
          <div className="pointer-events-none absolute inset-0 flex items-center justify-center">
            <p className="rounded-md bg-white/85 px-3 py-1.5 text-sm text-slate-600 shadow-sm dark:bg-slate-900/85 dark:text-slate-300">{empty}</p>
          </div>
        ) : null}
      </div>
    </Card>
  );
}

/** The space around a chart's plot, shared so that live and replay charts line up the same way. */
export const CHART_MARGIN = { top: 8, right: 12, bottom: 0, left: 0 };

/**
 * The chart itself, filling its card: a line or (stacked) area chart of `data`. The initial size is
 * what the server renders before the browser measures the card.
 */
export function ChartCanvas({
  type,
  data,
  margin = CHART_MARGIN,
  initialWidth = 600,
  children,
}: {
  type: 'line' | 'area';
  data: readonly object[];
  margin?: typeof CHART_MARGIN;
  initialWidth?: number;
  children: ReactNode;
}) {
  const Chart = type === 'area' ? AreaChart : LineChart;
  return (
    <ResponsiveContainer width="100%" height="100%" minWidth={0} initialDimension={{ width: initialWidth, height: 240 }}>
      <Chart data={data as object[]} margin={margin}>
        {children}
      </Chart>
    </ResponsiveContainer>
  );
}
