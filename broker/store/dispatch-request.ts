/**
 * What the dispatcher (ReputMessageService) is told about one commit-log record, and which records
 * it dispatches. The commit log builds a DispatchRequest right after each append and the dispatcher
 * builds one for each record it reads back; both live here so neither file imports the other.
 */
import { MessageSysFlag } from '../protocol/codes.js';
import { transactionType } from '../protocol/message-record.js';

export interface DispatchRequest {
  topic: string;
  queueId: number;
  commitLogOffset: number;
  size: number;
  tagsCode: number;
  storeTimestamp: number;
  queueOffset: number;
  sysFlag: number;
  uniqKey: string | undefined;
  keys: string | undefined;
}

/** Transaction types that get a queue offset and a consume-queue entry (NOT and COMMIT). */
export function isDispatchedType(sysFlag: number): boolean {
  const type = transactionType(sysFlag);
  return type === MessageSysFlag.TRANSACTION_NOT_TYPE || type === MessageSysFlag.TRANSACTION_COMMIT_TYPE;
}
