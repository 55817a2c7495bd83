'use client';
/**
 * The time frame every live chart shares: the last two minutes of samples (at least MIN_SPAN_MS),
 * wall-clock ticks (mm:ss), and the cluster's events (setting flips, faults, process and traffic
 * changes) as vertical markers whose labels are stacked so they do not overlap.
 */
import type { ReactElement, ReactNode } from 'react';
import { ReferenceLine, XAxis } from 'recharts';
import { SAMPLE_INTERVAL_MS, type ChartMarker, type LiveSample } from '@/server/live/types';
import { mmss, truncate } from '../../_lib/format';
import { LIVE_HISTORY_CAP } from '../../_lib/use-live';
import { axisStyle, type ChartPalette } from '../charts/chart-kit';
import { chartLegend, gridLines, valueTooltip } from '../charts/series';

const WINDOW_MS = LIVE_HISTORY_CAP * SAMPLE_INTERVAL_MS;
const TICK_EVERY_MS = 20_000;

interface PlacedMarker extends ChartMarker {
  /** label row (0 = top), or null: too crowded, the line is drawn without a label */
  row: number | null;
  /** the label runs left of the line near the right edge */
  anchor: 'start' | 'end';
  text: string;
}

export interface LiveFrame {
  domain: [number, number];
  ticks: number[];
  markers: PlacedMarker[];
}

const LABEL_ROWS = 4;
/** how much of the time axis one label covers (about 26 characters on a half-width chart) */
const LABEL_SPAN_SHARE = 0.3;
/** the axis never spans less than this, so a fresh start is not stretched across the chart */
const MIN_SPAN_MS = 30_000;

/** Places each marker's label in the first row where it overlaps no other label. */
function placeMarkers(markers: ChartMarker[], start: number, end: number): PlacedMarker[] {
  const labelSpanMs = (end - start) * LABEL_SPAN_SHARE;
  const rows: [number, number][][] = Array.from({ length: LABEL_ROWS }, () => []);
  const inWindow = markers.filter((m) => m.t >= start && m.t <= end).sort((a, b) => a.t - b.t);
  // the newest markers matter most: place them first
  const placed = [...inWindow].reverse().map((m): PlacedMarker => {
    const anchor = m.t > end - labelSpanMs ? 'end' : 'start';
    const span: [number, number] = anchor === 'start' ? [m.t, m.t + labelSpanMs] : [m.t - labelSpanMs, m.t];
    const row = rows.findIndex((taken) => taken.every(([a, b]) => span[1] < a || span[0] > b));
    if (row >= 0) rows[row].push(span);
    return { ...m, row: row >= 0 ? row : null, anchor, text: truncate(m.label, isStrong(m) ? 28 : 24) };
  });
  return placed.reverse();
}

/** Setting flips and faults are what a reader looks for: drawn solid, with longer labels. */
function isStrong(marker: ChartMarker): boolean {
  return marker.kind === 'setting' || marker.kind === 'fault';
}

/** The shared time window: up to two minutes of the history, at least MIN_SPAN_MS, ending at the newest sample. */
export function frameOf(history: LiveSample[], markers: ChartMarker[], now: number): LiveFrame {
  const end = history.length > 0 ? history[history.length - 1].t : now;
  const oldest = history.length > 0 ? history[0].t : end;
  const start = Math.max(end - WINDOW_MS, Math.min(oldest, end - MIN_SPAN_MS));
  const span = end - start;
  const tickEvery = span <= 40_000 ? 5_000 : span <= 90_000 ? 10_000 : TICK_EVERY_MS;
  const ticks: number[] = [];
  for (let t = Math.ceil(start / tickEvery) * tickEvery; t <= end; t += tickEvery) ticks.push(t);
  return { domain: [start, end], ticks, markers: placeMarkers(markers, start, end) };
}

function MarkerLabel({
  viewBox,
  marker,
  color,
}: {
  viewBox?: { x?: number; y?: number };
  marker: PlacedMarker;
  color: string;
}) {
  if (marker.row === null || !viewBox || viewBox.x === undefined || viewBox.y === undefined) return null;
  const end = marker.anchor === 'end';
  return (
    <text
      x={viewBox.x + (end ? -3 : 3)}
      y={viewBox.y + 10 + marker.row * 11}
      textAnchor={end ? 'end' : 'start'}
      fill={color}
      fontSize={10}
      fontWeight={600}
      className="pointer-events-none"
    >
      <title>{marker.label}</title>
      {marker.text}
    </text>
  );
}

/** The markers as vertical lines; on a chart with several y axes, `yAxisId` names the one they belong to. */
export function markerLines(frame: LiveFrame, palette: ChartPalette, yAxisId?: string): ReactNode[] {
  return frame.markers.map((m, i) => {
    const color = palette.marker[m.kind];
    const strong = isStrong(m);
    return (
      <ReferenceLine
        key={`${m.t}-${i}`}
        x={m.t}
        {...(yAxisId ? { yAxisId } : {})}
        stroke={color}
        strokeWidth={strong ? 1.5 : 1}
        strokeDasharray={strong ? undefined : '3 3'}
        ifOverflow="discard"
        label={(props: { viewBox?: { x?: number; y?: number } }) => <MarkerLabel viewBox={props.viewBox} marker={m} color={color} />}
      />
    );
  });
}

/** The wall-clock x axis over the frame. */
export function timeAxis(palette: ChartPalette, frame: LiveFrame): ReactElement {
  return (
    <XAxis
      key="x"
      dataKey="t"
      type="number"
      scale="time"
      domain={frame.domain}
      ticks={frame.ticks}
      allowDataOverflow
      tickFormatter={mmss}
      {...axisStyle(palette)}
    />
  );
}

/** Grid, time axis and a tooltip reading values with `format` (and the legend, unless `legend` is false). */
export function liveChrome(palette: ChartPalette, frame: LiveFrame, format: (value: number) => string, legend = true): ReactElement[] {
  const chrome = [gridLines(palette), timeAxis(palette, frame), valueTooltip(palette, mmss, format)];
  return legend ? [...chrome, chartLegend()] : chrome;
}
