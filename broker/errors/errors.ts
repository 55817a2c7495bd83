/**
 * The one table of Zeroloss error codes. Expected outcomes on the write path are statuses
 * (PutMessageStatus, SendStatus), not errors; these are for broken frames, broken connections,
 * broken disks and refused requests. A separate code exists only where a caller reacts to it differently.
 */

export const ErrorCode = {
  FRAME_TOO_LARGE: { retriable: false, summary: 'a remoting frame declared a length over the limit' },
  FRAME_MALFORMED: { retriable: false, summary: 'a remoting frame could not be decoded' },
  CONNECTION_CLOSED: { retriable: true, summary: 'the connection closed before the response arrived' },
  CONNECT_FAILED: { retriable: true, summary: 'the TCP connection could not be opened' },
  REQUEST_TIMEOUT: { retriable: true, summary: 'no response arrived within the timeout' },
  BROKER_ERROR: { retriable: false, summary: 'the broker answered with an error response code' },
  BROKER_RETRIABLE: { retriable: true, summary: 'the broker answered with a response code the producer retries' },
  SEND_TIMEOUT: { retriable: false, summary: 'sendMsgTimeout ran out over all attempts' },
  STORE_LOCKED: { retriable: false, summary: 'the store directory is held by another broker' },
  STORE_CORRUPT: { retriable: false, summary: 'the store holds data that recovery cannot read' },
  DISK_WRITE_FAILED: { retriable: false, summary: 'a write or fdatasync to disk failed' },
  INVALID_SETTING: { retriable: false, summary: 'a setting failed validation' },
} as const;
export type ErrorCode = keyof typeof ErrorCode;

export class ZerolossError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  /** The RocketMQ response code, when the error came from a broker's answer. */
  readonly responseCode?: number;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; responseCode?: number; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ZerolossError';
    this.code = code;
    this.retriable = options.retriable ?? ErrorCode[code].retriable;
    this.responseCode = options.responseCode;
  }
}

export function isZerolossError(error: unknown, code?: ErrorCode): error is ZerolossError {
  return error instanceof ZerolossError && (code === undefined || error.code === code);
}
