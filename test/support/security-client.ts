/**
 * HTTP and WebSocket calls with the headers security cares about (cookie, bearer token, Origin),
 * answering with the status and tRPC error code, for the security tests.
 */
import WebSocket from 'ws';

export interface CallResult<T = unknown> {
  status: number;
  ok: boolean;
  data?: T;
  /** the tRPC error code (UNAUTHORIZED, FORBIDDEN, …) */
  code?: string;
  message?: string;
  setCookies: string[];
}

export async function call<T = unknown>(baseUrl: string, procedure: string, options: { input?: unknown; kind?: 'query' | 'mutation'; headers?: Record<string, string> } = {}): Promise<CallResult<T>> {
  const url = `${baseUrl}/api/trpc/${procedure}`;
  const query = options.kind === 'query';
  const res = query
    ? await fetch(options.input === undefined ? url : `${url}?input=${encodeURIComponent(JSON.stringify(options.input))}`, { headers: options.headers })
    : await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...options.headers }, body: JSON.stringify(options.input ?? null) });
  const json = (await res.json()) as { result?: { data: T }; error?: { message: string; data?: { code?: string } } };
  return {
    status: res.status,
    ok: res.ok && json.result !== undefined,
    data: json.result?.data,
    code: json.error?.data?.code,
    message: json.error?.message,
    setCookies: res.headers.getSetCookie(),
  };
}

/** Signs in; returns the Cookie header to send and the Set-Cookie line the server answered. */
export async function login(baseUrl: string, name: string, password: string, headers: Record<string, string> = {}): Promise<{ cookie: string; setCookie: string }> {
  const r = await call(baseUrl, 'auth.login', { input: { name, password }, headers });
  if (!r.ok) throw new Error(`sign-in of ${name} failed: ${r.status} ${r.message}`);
  const setCookie = r.setCookies.find((c) => c.startsWith('zl_session='));
  if (!setCookie) throw new Error('sign-in set no zl_session cookie');
  return { cookie: setCookie.split(';')[0], setCookie };
}

/** Opens /api/live; resolves with the HTTP status of a refused upgrade, or 101 and the first message's type. */
export function openLive(baseUrl: string, headers: Record<string, string> = {}, localAddress?: string): Promise<{ status: number; body?: string; firstMessage?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/live`, { headers, localAddress });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no answer from /api/live within 10 s'));
    }, 10_000);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    ws.on('message', (data) => {
      clearTimeout(timer);
      const type = (JSON.parse(String(data)) as { type: string }).type;
      ws.close();
      resolve({ status: 101, firstMessage: type });
    });
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
