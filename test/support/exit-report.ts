/**
 * Loaded into every test process by test/run.ts: when a test file's process exits with sockets,
 * servers, timers or child processes still open, it names them on stderr, so a file that then fails
 * to exit says what it left behind. (Session 18 saw a test process spin in Node's exit cleanup for
 * 20 minutes after its last test; the only thing it had left open was a server-side socket a test
 * never read: docs/testing.md#intermittent-failures.)
 */
interface Described {
  constructor?: { name?: string };
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
  pid?: number;
  spawnfile?: string;
  address?(): unknown;
}

process.on('exit', () => {
  const handles = (process as unknown as { _getActiveHandles(): Described[] })._getActiveHandles();
  const left = handles.filter((h) => !(h as { isTTY?: boolean }).isTTY && !((h as { fd?: number }).fd !== undefined && (h as { fd: number }).fd <= 2))
    .map((h) => {
      const kind = h.constructor?.name ?? 'handle';
      if (h.pid !== undefined) return `${kind} pid ${h.pid} (${h.spawnfile ?? '?'})`;
      if (h.remotePort !== undefined) return `${kind} ${h.localPort} ↔ ${h.remoteAddress}:${h.remotePort}`;
      const s = h as { readyState?: string; destroyed?: boolean; server?: unknown; _pendingData?: unknown };
      if (h.localPort !== undefined || s.readyState !== undefined) return `${kind} local ${h.localPort ?? '?'}, ${s.readyState ?? '?'}${s.destroyed ? ', destroyed' : ''}${s.server ? ', accepted by a server of this process' : ''}`;
      return kind;
    })
    .filter((d) => d !== 'Pipe' && d !== 'WriteStream' && d !== 'ReadStream');
  if (left.length > 0) process.stderr.write(`[exit-report] ${process.argv[1] ?? ''} exits with open: ${left.join('; ')}\n`);
});
