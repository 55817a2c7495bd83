/** Small formatting helpers shared by the dashboard's pages. */

/** Whole number, no separators (tests read these as integers). */
export function int(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '0' : String(Math.round(n));
}

/** 12 345 678 style, for large values that are only read by people. */
export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${UNITS[u]}`;
}

export function rate(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n >= 100 ? String(Math.round(n)) : n.toFixed(n < 10 ? 1 : 0);
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(n < 10 ? 2 : 1)} ms`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** mm:ss of a wall-clock time, the x axis of every live chart. */
export function mmss(t: number): string {
  const d = new Date(t);
  return `${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function clock(t: number): string {
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "12 s ago", "3 min ago" */
export function ago(t: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min ago`;
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
