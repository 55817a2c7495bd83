/**
 * SEND_MESSAGE (10) and SEND_MESSAGE_V2 (310): B/processor/SendMessageProcessor.java in outline.
 * Header → MessageInner → store.putMessage → PutMessageStatus → response code (codes.ts table).
 * Non-OK durability statuses (FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE) still
 * carry msgId/queueId/queueOffset: the message is stored, only the guarantee is missing.
 */
import { MessageSysFlag, PutMessageStatus, RequestCode, ResponseCode, SendMessageV2Key, putStatusToResponseCode } from '../protocol/codes.js';
import { createResponse, extString, type RemotingCommand } from '../protocol/remoting-command.js';
import { string2MessageProperties } from '../protocol/message-record.js';
import type { Clock } from '../io/clock.js';
import type { Random } from '../io/prng.js';
import type { ConnectionContext } from '../remoting/remoting-server.js';
import type { MessageInner, PutMessageResult } from '../store/types.js';

export interface SendTarget {
  /** write queues of the topic, creating it with defaultTopicQueueNums when absent; null = not writable */
  writeQueueNums(topic: string): number | null;
  putMessage(message: MessageInner): Promise<PutMessageResult>;
  /**
   * Rewrites the message before it is stored (a %RETRY% send past maxReconsumeTimes → %DLQ%, a
   * TRAN_MSG send → half message); a string refuses the send with SYSTEM_ERROR and that remark.
   */
  beforePut?(message: MessageInner, header: (name: string) => string | undefined): string | null;
  /** bornTimestamp of a send whose header has none */
  clock: Clock;
  /** the queue of a send whose header names none */
  random: Random;
}

export function createSendMessageProcessor(target: SendTarget) {
  return async (request: RemotingCommand, connection: ConnectionContext): Promise<RemotingCommand> => {
    const header = readHeader(request);
    const topic = header('topic');
    if (topic === undefined || topic === '') {
      return createResponse(request, ResponseCode.MESSAGE_ILLEGAL, { remark: 'topic is missing from the send header' });
    }
    const writeQueueNums = target.writeQueueNums(topic);
    if (writeQueueNums === null) {
      return createResponse(request, ResponseCode.NO_PERMISSION, { remark: `topic ${topic} is not writable on this broker` });
    }
    let queueId = Number(header('queueId') ?? -1);
    if (!Number.isInteger(queueId) || queueId < 0) queueId = target.random.int(writeQueueNums);
    if (queueId >= writeQueueNums) {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: `request queueId[${queueId}] is illegal: topic ${topic} has ${writeQueueNums} write queues` });
    }
    const sysFlag = Number(header('sysFlag') ?? 0) | 0;
    const message: MessageInner = {
      topic,
      queueId,
      flag: Number(header('flag') ?? 0) | 0,
      sysFlag: sysFlag & ~(MessageSysFlag.BORNHOST_V6 | MessageSysFlag.STOREHOST_V6),
      bornTimestamp: Number(header('bornTimestamp') ?? target.clock.nowMs()),
      bornHost: { ip: ipv4Of(connection.remoteAddress), port: connection.remotePort },
      reconsumeTimes: Number(header('reconsumeTimes') ?? 0) | 0,
      preparedTransactionOffset: 0,
      body: request.body ?? Buffer.alloc(0),
      properties: string2MessageProperties(header('properties') ?? ''),
    };
    const refusal = target.beforePut?.(message, header) ?? null;
    if (refusal) return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: refusal });
    const result = await target.putMessage(message);
    const code = putStatusToResponseCode[result.status];
    if (!result.append) {
      return createResponse(request, code, { remark: result.remark ?? result.status });
    }
    return createResponse(request, code, {
      remark: result.status === PutMessageStatus.PUT_OK ? undefined : result.status,
      extFields: { msgId: result.append.msgId, queueId, queueOffset: result.append.queueOffset },
    });
  };
}

/**
 * The send header's fields by SendMessageRequestHeader name; SEND_MESSAGE_V2 spells them with the
 * one-letter keys of codes.ts SendMessageV2Key (looked up per read, no per-request table). A name
 * outside that table reads as absent in a V2 request, as does a long key a V2 request carries.
 */
function readHeader(request: RemotingCommand): (name: string) => string | undefined {
  if (request.code !== RequestCode.SEND_MESSAGE_V2) return (name) => extString(request, name);
  return (name) => (Object.hasOwn(SendMessageV2Key, name) ? extString(request, SendMessageV2Key[name as keyof typeof SendMessageV2Key]) : undefined);
}

function ipv4Of(address: string): string {
  const m = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  return m ? m[1] : '127.0.0.1';
}

