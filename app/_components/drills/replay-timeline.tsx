'use client';
/**
 * The replay's timeline: the scrubber bar (play / pause, previous and next event, speed, the
 * position, the fault windows above the range input) and, beside the charts as they were at the
 * scrubber's position, the events up to it. Clicking an event moves the scrubber to it.
 */
import { useEffect, useId, useMemo, useRef } from 'react';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { runClock, type DrillRunDetail } from './common';
import { ReplayCharts, type ReplayRow } from './replay-charts';
import { SPEEDS, usePlayback, type Playback } from './use-playback';

type DrillTimelineEvent = DrillRunDetail['events'][number];

export function Timeline({
  run,
  rows,
  events,
  duration,
  hasLag,
}: {
  run: DrillRunDetail;
  rows: ReplayRow[];
  /** sorted by time */
  events: DrillTimelineEvent[];
  duration: number;
  hasLag: boolean;
}) {
  const playback = usePlayback(duration);
  const shown = useMemo(() => events.filter((e) => e.t <= playback.cursor), [events, playback.cursor]);
  return (
    <div className="grid gap-4">
      <Scrubber run={run} events={events} shown={shown} duration={duration} playback={playback} />
      <div className="grid gap-4 xl:grid-cols-[minmax(0,1fr)_22rem]">
        <ReplayCharts rows={rows} duration={duration} cursor={playback.cursor} faults={run.faultWindows} hasLag={hasLag} />
        <EventList events={events} shown={shown} onSeek={playback.seek} />
      </div>
    </div>
  );
}

function Scrubber({
  run,
  events,
  shown,
  duration,
  playback,
}: {
  run: DrillRunDetail;
  events: DrillTimelineEvent[];
  /** the events up to the cursor */
  shown: DrillTimelineEvent[];
  duration: number;
  playback: Playback;
}) {
  const uid = useId();
  const nextEvent = events.find((e) => e.t > playback.cursor + 1);
  const prevEvent = [...shown].reverse().find((e) => e.t < playback.cursor - 1);
  return (
    <section
      aria-labelledby={`${uid}-title`}
      className="z-20 grid sm:sticky sm:top-[3.25rem] gap-2 rounded-xl border border-slate-200 bg-white/95 p-3 shadow-sm backdrop-blur dark:border-slate-800 dark:bg-slate-900/95"
    >
      <h2 id={`${uid}-title`} className="sr-only">
        Timeline scrubber
      </h2>
      <div className="flex flex-wrap items-center gap-2">
        <Button
          variant="primary"
          onClick={playback.togglePlaying}
          aria-pressed={playback.playing}
          data-testid="replay-play"
          className="min-w-[5.5rem]"
        >
          {playback.playing ? 'Pause' : 'Play'}
        </Button>
        <Button onClick={() => playback.seek(prevEvent?.t ?? 0)} aria-label="Previous event" title="Previous event" data-testid="replay-prev">
          <StepIcon dir="back" />
        </Button>
        <Button onClick={() => playback.seek(nextEvent?.t ?? duration)} aria-label="Next event" title="Next event" data-testid="replay-next">
          <StepIcon dir="forward" />
        </Button>
        <label htmlFor={`${uid}-speed`} className="flex items-center gap-1 text-xs text-slate-600 dark:text-slate-400">
          speed
          <select
            id={`${uid}-speed`}
            value={playback.speed}
            onChange={(e) => playback.setSpeed(Number(e.target.value))}
            className="rounded-md border border-slate-300 bg-white px-1.5 py-1 text-sm dark:border-slate-700 dark:bg-slate-950"
          >
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
        </label>
        <p className="ml-auto font-mono text-sm tabular-nums" aria-live="off">
          <span className="sr-only">Position </span>+{runClock(playback.cursor)} <span className="text-slate-400">/ {runClock(duration)}</span>
        </p>
      </div>
      <div className="relative">
        <label htmlFor={`${uid}-scrub`} className="sr-only">
          Replay position
        </label>
        <FaultStrip run={run} duration={duration} />
        <input
          id={`${uid}-scrub`}
          data-testid="replay-scrubber"
          type="range"
          min={0}
          max={Math.round(duration)}
          step={100}
          value={Math.round(playback.cursor)}
          onChange={(e) => playback.seek(Number(e.target.value))}
          aria-valuetext={`${runClock(playback.cursor)} of ${runClock(duration)}${shown.length ? `, last event: ${shown[shown.length - 1].message}` : ''}`}
          className="relative w-full accent-sky-600"
        />
      </div>
      {shown.length > 0 ? (
        <p className="truncate text-xs text-slate-600 dark:text-slate-400">
          <span className="font-mono">+{runClock(shown[shown.length - 1].t)}</span> {shown[shown.length - 1].message}
        </p>
      ) : null}
    </section>
  );
}

/** The events up to the scrubber, the current one highlighted and kept in view inside the list (not the page). */
function EventList({ events, shown, onSeek }: { events: DrillTimelineEvent[]; shown: DrillTimelineEvent[]; onSeek(t: number): void }) {
  const uid = useId();
  const currentIndex = shown.length - 1;
  const listRef = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const list = listRef.current;
    const el = list?.querySelector<HTMLElement>('[aria-current="true"]');
    if (!list || !el) return;
    const top = el.offsetTop - list.offsetTop;
    if (top < list.scrollTop || top + el.offsetHeight > list.scrollTop + list.clientHeight) list.scrollTop = top - list.clientHeight / 2;
  }, [currentIndex]);
  return (
  <Card title="Events" titleId={`${uid}-events`} testId="replay-events" actions={<span className="text-xs text-slate-500 dark:text-slate-400">{shown.length} / {events.length}</span>}>
    {events.length === 0 ? (
      <p className="text-sm text-slate-600 dark:text-slate-400">No events were recorded.</p>
    ) : shown.length === 0 ? (
      <p className="text-sm text-slate-600 dark:text-slate-400">Nothing happened yet at this position.</p>
    ) : null}
    <ol ref={listRef} className="-mx-1 max-h-[32rem] overflow-y-auto px-1 text-sm" aria-label="Events up to the scrubber position">
      {shown.map((e, i) => {
        const current = i === currentIndex;
        const tone =
          e.kind === 'fault.start' || e.kind === 'error'
            ? 'border-red-500'
            : e.kind === 'fault.end' || e.kind === 'recovery'
              ? 'border-emerald-500'
              : e.kind === 'verdict'
                ? 'border-violet-500'
                : 'border-slate-300 dark:border-slate-700';
        return (
          <li key={`${e.t}-${i}`} data-testid="replay-event" aria-current={current ? 'true' : undefined}>
            <button
              type="button"
              onClick={() => onSeek(e.t)}
              className={`my-0.5 w-full rounded-r-md border-l-2 py-1 pl-2 pr-1 text-left focus-visible:outline-2 focus-visible:outline-emerald-500 ${tone} ${
                current ? 'bg-sky-100 font-medium dark:bg-sky-950' : 'hover:bg-slate-100 dark:hover:bg-slate-800'
              }`}
            >
              <span className="mr-1.5 font-mono text-xs tabular-nums text-slate-500 dark:text-slate-400">+{runClock(e.t)}</span>
              <span className="mr-1 rounded bg-slate-100 px-1 font-mono text-[10px] text-slate-600 dark:bg-slate-800 dark:text-slate-300">{e.kind}</span>
              <span className="break-words">{e.message}</span>
            </button>
          </li>
        );
      })}
    </ol>
  </Card>
  );
}

function StepIcon({ dir }: { dir: 'back' | 'forward' }) {
  return (
    <svg aria-hidden="true" viewBox="0 0 16 16" className={`h-4 w-4 ${dir === 'back' ? '' : 'rotate-180'}`} fill="currentColor">
      <rect x="2" y="3" width="2" height="10" rx="0.5" />
      <path d="M14 3.5v9a.5.5 0 0 1-.8.4L6.6 8.4a.5.5 0 0 1 0-.8l6.6-4.5a.5.5 0 0 1 .8.4z" />
    </svg>
  );
}

/** The fault windows as red bands above the scrubber. */
function FaultStrip({ run, duration }: { run: DrillRunDetail; duration: number }) {
  if (run.faultWindows.length === 0) return null;
  return (
    <div aria-hidden="true" className="pointer-events-none absolute inset-x-0 top-1/2 h-3 -translate-y-1/2">
      {run.faultWindows.map((f, i) => {
        const left = (f.fromT / duration) * 100;
        const width = Math.max(0.6, (((f.toT ?? duration) - f.fromT) / duration) * 100);
        return <span key={i} title={f.label} className="absolute h-full rounded-sm bg-red-500/30" style={{ left: `${left}%`, width: `${width}%` }} />;
      })}
    </div>
  );
}
