/**
 * The one stage vocabulary of a message: how far it got, in order. The drill's loss ledger reports the
 * last stage a lost message reached (server/drills/loss-ledger.ts, stored with each run), and the
 * Messages page shows when each stage was reached (server/live/message-tracker.ts, the durability ladder).
 *
 *   sent        the producer sent it (an outcome was reported)
 *   stored      the master appended it to its commit log (a broker stage batch named it)
 *   flushed     the commit log was fdatasync'd past its end (offset + size <= the flushed watermark)
 *   replicated  a slave acknowledged bytes past its end (offset + size <= the replicated watermark)
 *   delivered   a consumer was handed it
 *   consumed    a consumer applied it: it answered CONSUME_SUCCESS (the loss ledger also counts a
 *               duplicate the consumer suppressed, as that message was applied before)
 *
 * Constants and types only, so app/ may import this file.
 */
export const LEDGER_STAGES = ['sent', 'stored', 'flushed', 'replicated', 'delivered', 'consumed'] as const;
export type LedgerStage = (typeof LEDGER_STAGES)[number];
