/**
 * The two doors into the control plane that are not tRPC: the live stream's WebSocket upgrade
 * (same origin, viewer or above) and the audit export (GET /api/audit/export, drill or above); and
 * the limits every tRPC request passes before tRPC reads it (server/auth/request-limits.ts).
 * Each refusal answers with its status and one sentence saying why.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AUDIT_EXPORT_MAX, AuditFilterSchema, auditCsv } from './audit-log';
import { depthProblem, readBoundedBody } from './request-limits';
import { remoteAddressOf, type Security } from './security';
import type { Role } from './roles';

export const AUDIT_EXPORT_PATH = '/api/audit/export';
/** reading the audit log needs this role (docs/security.md: it names people and their addresses) */
export const AUDIT_READ_ROLE: Role = 'drill';

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 405: 'Method Not Allowed', 413: 'Content Too Large' };

/** Refuses or lets through a WebSocket upgrade (a refusal is audited); returns whether it may proceed. */
export async function admitUpgrade(req: IncomingMessage, socket: Duplex, security: Security): Promise<boolean> {
  const gate = await security.gate(req, 'viewer', true);
  if ('principal' in gate) return true;
  await recordRefusal(security, req, 'live.refused', 'live stream', null, gate.status, gate.message);
  const body = `${gate.message}\n`;
  socket.end(`HTTP/1.1 ${gate.status} ${STATUS_TEXT[gate.status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  return false;
}

/** The audit row of a request refused at one of these doors: nobody vouched for the caller, so the actor is anonymous. */
function recordRefusal(security: Security, req: IncomingMessage, action: string, target: string, input: unknown, status: number, reason: string): Promise<void> {
  return security.audit.record({ actor: 'anonymous', role: null, action, target, input, result: 'error', error: `${status}: ${reason}`, remoteAddress: remoteAddressOf(req) });
}

function answer(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error: { message } }));
}

/** tRPC's own refusals, made before any procedure (and so the audit middleware) ran. */
const TRANSPORT_REFUSALS: Partial<Record<string, number>> = { METHOD_NOT_SUPPORTED: 405, UNSUPPORTED_MEDIA_TYPE: 415, NOT_FOUND: 404, PARSE_ERROR: 400, PAYLOAD_TOO_LARGE: 413 };

/** Records a refusal tRPC made before any procedure ran; other errors are the audit middleware's. */
export async function auditTransportRefusal(security: Security, req: IncomingMessage, path: string | undefined, error: { code: string; message: string }): Promise<void> {
  const status = TRANSPORT_REFUSALS[error.code];
  // A procedure may answer NOT_FOUND itself (an unknown run): only tRPC's "no such procedure" is a refusal here.
  if (status === undefined || (error.code === 'NOT_FOUND' && !error.message.startsWith('No procedure found'))) return;
  const input = { method: req.method, contentType: req.headers['content-type']?.slice(0, 100) ?? null };
  await recordRefusal(security, req, 'http.refused', `/api/trpc/${path ?? ''}`.slice(0, 200), input, status, error.code);
}

/** how long a connection refused for its body's size stays open, unread, so its sender sees the 413 */
const LINGER_MS = 1000;

/**
 * A client still sending a body it was refused would have its connection reset by a plain close,
 * and a reset throws away the 413 it has not read yet. So the connection stops being read (TCP's
 * flow control holds the sender: nothing more is received or discarded), the answer goes out with
 * `Connection: close`, and where Node would then close the socket at once it only half-closes it
 * (FIN after the answer); the socket is destroyed LINGER_MS later, after the sender read the answer.
 */
function lingerThenClose(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  socket.pause();
  res.setHeader('connection', 'close');
  // Node's http server ends a `Connection: close` exchange with socket.destroySoon(): a close, not a half-close.
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}

/**
 * Reads a tRPC request's body within the limits (size, then JSON depth; a query's input: its depth)
 * and hands it to tRPC as `req.body`. A refusal is answered here, before anyone authenticates the
 * caller, and audited with the size of what was refused, never its content. Returns whether tRPC
 * may handle the request.
 */
export async function admitTrpcRequest(req: IncomingMessage, res: ServerResponse, security: Security): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  let refusal: { status: number; message: string; bytes: number } | null = null;
  if (req.method === 'POST') {
    const body = await readBoundedBody(req);
    if (body.ok) (req as IncomingMessage & { body?: string }).body = body.text;
    else refusal = body;
  } else {
    const input = url.searchParams.get('input');
    const problem = input === null ? null : depthProblem(input, 'the input');
    if (problem) refusal = { status: 400, message: problem, bytes: input!.length };
  }
  if (!refusal) return true;
  if (refusal.status === 413) lingerThenClose(req, res);
  else res.setHeader('connection', 'close');
  answer(res, refusal.status, refusal.message);
  await recordRefusal(security, req, 'http.refused', url.pathname, { method: req.method, bytes: refusal.bytes }, refusal.status, refusal.message);
  return false;
}

/** GET /api/audit/export?format=csv|json&actor=&action=&result=&from=&to= : the filtered log, newest first. */
export async function handleAuditExport(req: IncomingMessage, res: ServerResponse, security: Security): Promise<void> {
  const refuse = async (status: number, message: string) => {
    answer(res, status, message);
    await recordRefusal(security, req, 'audit.export', 'audit log', { method: req.method }, status, message);
  };
  if (req.method !== 'GET') return refuse(405, 'use GET');
  const gate = await security.gate(req, AUDIT_READ_ROLE, true);
  if (!('principal' in gate)) return refuse(gate.status, gate.message);
  const url = new URL(req.url ?? '/', 'http://localhost');
  const q = url.searchParams;
  const format = q.get('format') ?? 'json';
  const num = (name: string) => (q.get(name) ? Number(q.get(name)) : undefined);
  const parsed = AuditFilterSchema.omit({ cursor: true, limit: true }).safeParse({
    actor: q.get('actor') || undefined,
    action: q.get('action') || undefined,
    result: q.get('result') || undefined,
    from: num('from'),
    to: num('to'),
  });
  if (format !== 'csv' && format !== 'json') return answer(res, 400, `format must be csv or json, not ${format}`);
  if (!parsed.success) return answer(res, 400, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const { entries } = await security.audit.list({ ...parsed.data, limit: AUDIT_EXPORT_MAX }, AUDIT_EXPORT_MAX);
  await security.audit.record({
    actor: gate.principal.name, role: gate.principal.role, action: 'audit.export', target: 'audit log',
    input: { format, ...parsed.data }, result: 'ok', remoteAddress: remoteAddressOf(req),
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  res.writeHead(200, {
    'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
    'content-disposition': `attachment; filename="zeroloss-audit-${stamp}.${format}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(format === 'csv' ? auditCsv(entries) : JSON.stringify(entries, null, 2));
}
