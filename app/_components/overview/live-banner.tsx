'use client';
/** Says so when the live stream is down: what is shown may be stale, and when the next retry runs. */
import { useEffect, useState } from 'react';
import type { Live } from '../../_lib/use-live';

export function LiveBanner({ live }: { live: Live }) {
  const [now, setNow] = useState(() => Date.now());
  const down = live.status !== 'connected' && live.attempts > 0;
  useEffect(() => {
    if (!down) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [down]);
  if (!down) return null;
  const wait = live.nextRetryAt ? Math.max(0, Math.ceil((live.nextRetryAt - now) / 1000)) : 0;
  return (
    <div
      role="status"
      data-testid="live-banner"
      className="flex flex-wrap items-center justify-between gap-2 rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/60 dark:text-amber-100"
    >
      <p>
        <strong className="font-semibold">Live stream {live.ready ? 'disconnected' : 'not connected'}.</strong>{' '}
        {live.ready ? 'Charts are paused; state is polled every 2 s. ' : ''}
        {live.nextRetryAt ? `Reconnecting in ${wait} s (attempt ${live.attempts}).` : 'Reconnecting…'}
      </p>
      <button
        type="button"
        onClick={live.reconnect}
        className="rounded-md border border-amber-400 px-2.5 py-1 text-xs font-medium hover:bg-amber-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-amber-600 dark:border-amber-700 dark:hover:bg-amber-900"
      >
        Retry now
      </button>
    </div>
  );
}
