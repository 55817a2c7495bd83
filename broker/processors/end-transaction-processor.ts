/**
 * END_TRANSACTION (37): B/processor/EndTransactionProcessor.java in outline. A SLAVE answers
 * SLAVE_NOT_AVAILABLE; otherwise the header is read and handed to the TransactionalMessageService
 * (commit, rollback, or UNKNOW ignored). A request naming no known half message is refused with
 * SYSTEM_ERROR and a remark saying what did not match. Producers send it oneway, so the answer is
 * only seen by callers that wait for it (tests, admin tools).
 */
import type { BrokerSettings } from '../config/broker-config.js';
import { ResponseCode } from '../protocol/codes.js';
import { createResponse, extBoolean, extNumber, extString, type RemotingCommand } from '../protocol/remoting-command.js';
import type { EndTransactionHeader, TransactionalMessageService } from '../transaction/transactional-message-service.js';

export interface EndTransactionTarget {
  service: TransactionalMessageService;
  settings: () => BrokerSettings;
}

/** Reads EndTransactionRequestHeader; a string names the first missing or malformed field. */
export function readEndTransactionHeader(request: RemotingCommand): EndTransactionHeader | string {
  const producerGroup = extString(request, 'producerGroup');
  if (!producerGroup) return 'END_TRANSACTION header field producerGroup is missing';
  const numbers: Record<'tranStateTableOffset' | 'commitLogOffset' | 'commitOrRollback', number> = { tranStateTableOffset: 0, commitLogOffset: 0, commitOrRollback: 0 };
  for (const name of Object.keys(numbers) as (keyof typeof numbers)[]) {
    const value = extNumber(request, name);
    if (value === undefined || !Number.isInteger(value) || value < 0) return `END_TRANSACTION header field ${name} is missing or not a non-negative integer`;
    numbers[name] = value;
  }
  return {
    producerGroup,
    ...numbers,
    fromTransactionCheck: extBoolean(request, 'fromTransactionCheck') ?? false,
    msgId: extString(request, 'msgId'),
    transactionId: extString(request, 'transactionId'),
  };
}

export function createEndTransactionProcessor(target: EndTransactionTarget) {
  return async (request: RemotingCommand): Promise<RemotingCommand> => {
    if (target.settings().brokerRole === 'SLAVE') {
      return createResponse(request, ResponseCode.SLAVE_NOT_AVAILABLE, { remark: 'this broker is a SLAVE: END_TRANSACTION goes to the master' });
    }
    const header = readEndTransactionHeader(request);
    if (typeof header === 'string') return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: header });
    const result = await target.service.endTransaction(header);
    if (result.code !== ResponseCode.SUCCESS) {
      console.warn(`[EndTransactionProcessor] refused${header.fromTransactionCheck ? ' (check-back answer)' : ''}: ${result.remark}`);
    }
    return createResponse(request, result.code, { remark: result.remark });
  };
}
