/**
 * Limits on what a request may make the control plane read, checked before tRPC (or anything that
 * authenticates) sees it: a body of at most MAX_BODY_BYTES, refused from its Content-Length before a
 * byte is read, or as soon as a chunked body passes the bound (413); and JSON nested at most
 * MAX_JSON_DEPTH deep (400), since a deeper input is no input of ours and recursive code (zod, the
 * audit log's redaction) would walk it. docs/security.md#request-limits.
 */
import type { IncomingMessage } from 'node:http';

/** Above the largest legitimate input (a broker.conf import of about 200 kB). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Our deepest input is a few levels (settings patch, drill input with broker overrides). */
export const MAX_JSON_DEPTH = 32;

export type BodyRead =
  | { ok: true; text: string }
  | { ok: false; status: 413; message: string; bytes: number }
  | { ok: false; status: 400; message: string; bytes: number };

/**
 * The deepest nesting of arrays and objects in a JSON text, brackets inside strings not counted.
 * Stops counting once past `stopAbove` (the text may be long; its depth past the limit is moot).
 */
export function jsonDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** The refusal of a JSON text nested deeper than MAX_JSON_DEPTH, or null. */
export function depthProblem(text: string, where: string): string | null {
  const depth = jsonDepth(text, MAX_JSON_DEPTH);
  return depth > MAX_JSON_DEPTH ? `${where} nests deeper than ${MAX_JSON_DEPTH} levels: refused unread` : null;
}

/**
 * Reads a request body of at most `max` bytes. A larger one is refused without being kept: from its
 * Content-Length before any byte is read, else once the bytes received pass the bound (the rest is
 * discarded as it arrives, so the connection can still carry the answer).
 */
export function readBoundedBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<BodyRead> {
  const header = req.headers['content-length'];
  const declared = header !== undefined && /^\d+$/.test(header) ? Number(header) : null;
  const tooLarge = (bytes: number): BodyRead => ({ ok: false, status: 413, bytes, message: `the request body is larger than ${max} bytes (${declared === null ? 'at least ' : ''}${bytes} bytes): refused unread` });
  if (declared !== null && declared > max) {
    req.resume();
    return Promise.resolve(tooLarge(declared));
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (refused) return;
      if (bytes > max) {
        refused = true;
        chunks.length = 0;
        resolve(tooLarge(bytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      const text = Buffer.concat(chunks).toString('utf8');
      const problem = depthProblem(text, 'the request body');
      resolve(problem ? { ok: false, status: 400, bytes, message: problem } : { ok: true, text });
    });
    req.on('error', () => {
      if (!refused) resolve({ ok: false, status: 400, bytes, message: 'the request body could not be read' });
      refused = true;
    });
  });
}
