/** Formatting shared by the Messages page's panels. */
import { clock } from '../../_lib/format';
import type { RouterOutputs } from '../../_lib/trpc';
import type { LedgerStage } from '@/server/ledger/message-stages';

export type MessageView = RouterOutputs['messages']['lookup'];

/** hh:mm:ss.mmm */
export function stamp(t: number): string {
  return `${clock(t)}.${String(Math.floor(t % 1000)).padStart(3, '0')}`;
}

/** +18 ms, +2.4 s, +3 min; −40 ms when a stage was reported before the previous one */
export function delta(ms: number): string {
  const sign = ms < 0 ? '−' : '+';
  const a = Math.abs(ms);
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(a < 10_000 ? 2 : 1)} s`;
  return `${sign}${(a / 60_000).toFixed(1)} min`;
}

export const STAGE_LABEL: Record<LedgerStage, string> = {
  sent: 'Sent',
  stored: 'Stored',
  flushed: 'Flushed',
  replicated: 'Replicated',
  delivered: 'Delivered',
  consumed: 'Consumed',
};

export const STAGE_HELP: Record<LedgerStage, string> = {
  sent: 'the producer sent it (the time the send started)',
  stored: 'the master appended it to its commit log (page cache)',
  flushed: 'the commit log was fdatasync\'d past its end: it survives a power cut',
  replicated: 'the slave acknowledged bytes past its end: it survives losing the master',
  delivered: 'a consumer received it (first delivery)',
  consumed: 'a consumer answered CONSUME_SUCCESS',
};

export type SearchKind = 'auto' | 'id' | 'key' | 'offsetMsgId' | 'offset';

export type LookupInput = { id: string } | { offsetMsgId: string } | { offset: number } | { key: string };

const HEX_ID = /^[0-9A-Fa-f]{32}$|^[0-9A-Fa-f]{56}$/;

/**
 * What to look up for a typed value. In auto mode digits are a commit-log offset; 32 hex characters are
 * tried as a UNIQ_KEY first and then as an offsetMsgId (both have that shape); anything else is a key (KEYS).
 */
export function lookupInputs(kind: SearchKind, raw: string): LookupInput[] | string {
  const value = raw.trim();
  if (!value) return 'Type a message id (UNIQ_KEY), a key, an offsetMsgId or a commit-log offset.';
  switch (kind) {
    case 'id':
      return [{ id: value }];
    case 'key':
      return /\s/.test(value) ? 'A key is one word: KEYS separates several keys with spaces, so search for one of them.' : [{ key: value }];
    case 'offsetMsgId':
      return HEX_ID.test(value) ? [{ offsetMsgId: value }] : 'An offsetMsgId is 32 hex characters (store IP + port + commit-log offset).';
    case 'offset':
      return /^\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? [{ offset: Number(value) }] : 'A commit-log offset is a whole number of bytes.';
    case 'auto':
      if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return [{ offset: Number(value) }];
      if (HEX_ID.test(value)) return [{ id: value }, { offsetMsgId: value }];
      if (/\s/.test(value)) return 'A key is one word: KEYS separates several keys with spaces, so search for one of them.';
      return [{ key: value }];
  }
}
