/**
 * Loaded into every test process by test/run.ts: when a test file's process exits with sockets,
 * servers, timers or child processes still open, it names them on stderr, so a file that then fails
 * to exit says what it left behind. (Session 18 saw a test process spin in Node's exit cleanup for
 * 20 minutes after its last test; the only thing it had left open was a server-side socket a test
 * never read: docs/testing.md#intermittent-failures.)
 */
interface OpenHandle {
  constructor?: { name?: string };
  /** stdio streams (0–2) and terminals are the process's own, not left behind */
  fd?: number;
  isTTY?: boolean;
  pid?: number;
  spawnfile?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
  readyState?: string;
  server?: unknown;
}

function describe(h: OpenHandle): string {
  const kind = h.constructor?.name ?? 'handle';
  if (h.pid !== undefined) return `${kind} pid ${h.pid} (${h.spawnfile ?? '?'})`;
  if (h.remotePort !== undefined) return `${kind} ${h.localPort} ↔ ${h.remoteAddress}:${h.remotePort}`;
  if (h.readyState !== undefined) return `${kind} local ${h.localPort ?? '?'}, ${h.readyState}${h.server ? ', accepted by a server of this process' : ''}`;
  return kind;
}

process.on('exit', () => {
  const handles = (process as unknown as { _getActiveHandles(): OpenHandle[] })._getActiveHandles();
  const left = handles.filter((h) => !h.isTTY && !(h.fd !== undefined && h.fd <= 2)).map(describe);
  if (left.length > 0) process.stderr.write(`[exit-report] ${process.argv[1] ?? ''} exits with open: ${left.join('; ')}\n`);
});
