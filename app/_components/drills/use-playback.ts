'use client';
/**
 * The replay's playback position: a cursor in ms since the run's start, played forward at a chosen
 * speed by requestAnimationFrame (painted at most every 80 ms), and moved by seek(). While a running
 * run's recording grows, a cursor at the end stays at the end.
 */
import { useEffect, useRef, useState } from 'react';

export const SPEEDS = [0.5, 1, 2, 4, 8] as const;

export interface Playback {
  cursor: number;
  playing: boolean;
  speed: number;
  togglePlaying(): void;
  setSpeed(speed: number): void;
  /** stops playing and moves the cursor to t (clamped to the recording) */
  seek(t: number): void;
}

export function usePlayback(duration: number): Playback {
  const [cursor, setCursor] = useState(duration);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState<number>(2);
  const cursorRef = useRef(cursor);
  cursorRef.current = cursor;

  // a growing recording (running run): keep the cursor pinned to the end if it was there
  const lastDuration = useRef(duration);
  useEffect(() => {
    if (cursorRef.current >= lastDuration.current) setCursor(duration);
    lastDuration.current = duration;
  }, [duration]);

  useEffect(() => {
    if (!playing) return;
    let raf = 0;
    let last = performance.now();
    let lastPaint = 0;
    // playing from the end starts over
    let pos = cursorRef.current >= duration ? 0 : cursorRef.current;
    setCursor(pos);
    const step = (now: number) => {
      pos = Math.min(duration, pos + (now - last) * speed);
      last = now;
      if (now - lastPaint > 80 || pos >= duration) {
        lastPaint = now;
        setCursor(pos);
      }
      if (pos >= duration) {
        setPlaying(false);
        return;
      }
      raf = requestAnimationFrame(step);
    };
    raf = requestAnimationFrame(step);
    return () => cancelAnimationFrame(raf);
  }, [playing, speed, duration]);

  return {
    cursor,
    playing,
    speed,
    togglePlaying: () => setPlaying((p) => !p),
    setSpeed,
    seek: (t: number) => {
      setPlaying(false);
      setCursor(Math.max(0, Math.min(duration, t)));
    },
  };
}
