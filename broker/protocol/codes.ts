/**
 * The one table of RocketMQ remoting constants used by Zeroloss (docs/rocketmq-semantics.md#send-status, #request-codes).
 * Values are RocketMQ's own; a name that is not used yet is listed when a later stage will need it.
 */

export const RequestCode = {
  SEND_MESSAGE: 10,
  PULL_MESSAGE: 11,
  QUERY_CONSUMER_OFFSET: 14,
  UPDATE_CONSUMER_OFFSET: 15,
  UPDATE_AND_CREATE_TOPIC: 17,
  UPDATE_BROKER_CONFIG: 25,
  GET_BROKER_CONFIG: 26,
  GET_BROKER_RUNTIME_INFO: 28,
  SEARCH_OFFSET_BY_TIMESTAMP: 29,
  GET_MAX_OFFSET: 30,
  GET_MIN_OFFSET: 31,
  VIEW_MESSAGE_BY_ID: 33,
  HEART_BEAT: 34,
  UNREGISTER_CLIENT: 35,
  CONSUMER_SEND_MSG_BACK: 36,
  END_TRANSACTION: 37,
  GET_CONSUMER_LIST_BY_GROUP: 38,
  CHECK_TRANSACTION_STATE: 39,
  NOTIFY_CONSUMER_IDS_CHANGED: 40,
  REGISTER_BROKER: 103,
  UNREGISTER_BROKER: 104,
  GET_ROUTEINFO_BY_TOPIC: 105,
  GET_BROKER_CLUSTER_INFO: 106,
  /** admin codes an ACL account needs `admin: true` for (broker/acl/), besides UPDATE_AND_CREATE_TOPIC and UPDATE_BROKER_CONFIG */
  UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: 200,
  DELETE_SUBSCRIPTIONGROUP: 207,
  DELETE_TOPIC_IN_BROKER: 215,
  SEND_MESSAGE_V2: 310,
  /** 5.x controller mode: a replica's heartbeat to the controller (liveness, max offset, epoch). */
  BROKER_HEARTBEAT: 904,
  /** 5.x `mqadmin haStatus`: the HA figures of a broker (Zeroloss answers JSON of HaStats). */
  GET_BROKER_HA_STATUS: 907,
  /** 5.x controller mode (RIP-44; broker/controller/): the master asks for a new SyncStateSet */
  CONTROLLER_ALTER_SYNC_STATE_SET: 1001,
  CONTROLLER_ELECT_MASTER: 1002,
  CONTROLLER_REGISTER_BROKER: 1003,
  CONTROLLER_GET_REPLICA_INFO: 1004,
  /** every group's record, replicas and liveness (RocketMQ answers BrokerReplicasInfo; Zeroloss JSON of ControllerView) */
  CONTROLLER_GET_SYNC_STATE_DATA: 1006,
  /** a replica's epoch file, asked of a master by a slave before it replicates */
  GET_BROKER_EPOCH_CACHE: 1007,
  /** controller → replica: the group has a new master or SyncStateSet */
  NOTIFY_BROKER_ROLE_CHANGED: 1008,
  /**
   * Zeroloss admin code, not RocketMQ's (classic RocketMQ has no promotion request): makes a SLAVE
   * the master of its group. extFields: brokerRole = SYNC_MASTER | ASYNC_MASTER.
   */
  ZL_PROMOTE_SLAVE: 9101,
} as const;
export type RequestCode = (typeof RequestCode)[keyof typeof RequestCode];

export const ResponseCode = {
  SUCCESS: 0,
  SYSTEM_ERROR: 1,
  SYSTEM_BUSY: 2,
  REQUEST_CODE_NOT_SUPPORTED: 3,
  FLUSH_DISK_TIMEOUT: 10,
  SLAVE_NOT_AVAILABLE: 11,
  FLUSH_SLAVE_TIMEOUT: 12,
  MESSAGE_ILLEGAL: 13,
  SERVICE_NOT_AVAILABLE: 14,
  NO_PERMISSION: 16,
  TOPIC_NOT_EXIST: 17,
  PULL_NOT_FOUND: 19,
  PULL_RETRY_IMMEDIATELY: 20,
  PULL_OFFSET_MOVED: 21,
  QUERY_NOT_FOUND: 22,
  FLOW_CONTROL: 215,
  CONTROLLER_FENCED_MASTER_EPOCH: 2000,
  CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH: 2001,
  CONTROLLER_INVALID_MASTER: 2002,
  CONTROLLER_INVALID_REPLICAS: 2003,
  CONTROLLER_MASTER_NOT_AVAILABLE: 2004,
  CONTROLLER_INVALID_REQUEST: 2005,
  CONTROLLER_BROKER_NEED_TO_BE_REGISTERED: 2010,
  CONTROLLER_MASTER_STILL_EXIST: 2011,
  CONTROLLER_ELECT_MASTER_FAILED: 2012,
} as const;
export type ResponseCode = (typeof ResponseCode)[keyof typeof ResponseCode];

export function responseCodeName(code: number): string {
  for (const [name, value] of Object.entries(ResponseCode)) if (value === code) return name;
  return `CODE_${code}`;
}
export function requestCodeName(code: number): string {
  for (const [name, value] of Object.entries(RequestCode)) if (value === code) return name;
  return `CODE_${code}`;
}

/** What the producer is told (C/producer/SendStatus.java). */
export const SendStatus = {
  SEND_OK: 'SEND_OK',
  FLUSH_DISK_TIMEOUT: 'FLUSH_DISK_TIMEOUT',
  FLUSH_SLAVE_TIMEOUT: 'FLUSH_SLAVE_TIMEOUT',
  SLAVE_NOT_AVAILABLE: 'SLAVE_NOT_AVAILABLE',
} as const;
export type SendStatus = (typeof SendStatus)[keyof typeof SendStatus];

/** The store's answer to a put (S/PutMessageStatus.java). */
export const PutMessageStatus = {
  PUT_OK: 'PUT_OK',
  FLUSH_DISK_TIMEOUT: 'FLUSH_DISK_TIMEOUT',
  FLUSH_SLAVE_TIMEOUT: 'FLUSH_SLAVE_TIMEOUT',
  SLAVE_NOT_AVAILABLE: 'SLAVE_NOT_AVAILABLE',
  SERVICE_NOT_AVAILABLE: 'SERVICE_NOT_AVAILABLE',
  CREATE_MAPPED_FILE_FAILED: 'CREATE_MAPPED_FILE_FAILED',
  MESSAGE_ILLEGAL: 'MESSAGE_ILLEGAL',
  PROPERTIES_SIZE_EXCEEDED: 'PROPERTIES_SIZE_EXCEEDED',
  OS_PAGE_CACHE_BUSY: 'OS_PAGE_CACHE_BUSY',
  /** controller mode: the SyncStateSet holds fewer replicas than minInSyncReplicas; checked before the write */
  IN_SYNC_REPLICAS_NOT_ENOUGH: 'IN_SYNC_REPLICAS_NOT_ENOUGH',
  UNKNOWN_ERROR: 'UNKNOWN_ERROR',
} as const;
export type PutMessageStatus = (typeof PutMessageStatus)[keyof typeof PutMessageStatus];

/** B/processor/SendMessageProcessor.java handlePutMessageResult (docs/rocketmq-semantics.md#send-status). */
export const putStatusToResponseCode: Record<PutMessageStatus, ResponseCode> = {
  PUT_OK: ResponseCode.SUCCESS,
  FLUSH_DISK_TIMEOUT: ResponseCode.FLUSH_DISK_TIMEOUT,
  FLUSH_SLAVE_TIMEOUT: ResponseCode.FLUSH_SLAVE_TIMEOUT,
  SLAVE_NOT_AVAILABLE: ResponseCode.SLAVE_NOT_AVAILABLE,
  SERVICE_NOT_AVAILABLE: ResponseCode.SERVICE_NOT_AVAILABLE,
  CREATE_MAPPED_FILE_FAILED: ResponseCode.SYSTEM_ERROR,
  MESSAGE_ILLEGAL: ResponseCode.MESSAGE_ILLEGAL,
  PROPERTIES_SIZE_EXCEEDED: ResponseCode.MESSAGE_ILLEGAL,
  OS_PAGE_CACHE_BUSY: ResponseCode.SYSTEM_ERROR,
  IN_SYNC_REPLICAS_NOT_ENOUGH: ResponseCode.SYSTEM_ERROR,
  UNKNOWN_ERROR: ResponseCode.SYSTEM_ERROR,
};

/** C/impl/MQClientAPIImpl.java processSendResponse: only these codes become a SendResult. */
export const responseCodeToSendStatus: Partial<Record<number, SendStatus>> = {
  [ResponseCode.SUCCESS]: SendStatus.SEND_OK,
  [ResponseCode.FLUSH_DISK_TIMEOUT]: SendStatus.FLUSH_DISK_TIMEOUT,
  [ResponseCode.FLUSH_SLAVE_TIMEOUT]: SendStatus.FLUSH_SLAVE_TIMEOUT,
  [ResponseCode.SLAVE_NOT_AVAILABLE]: SendStatus.SLAVE_NOT_AVAILABLE,
};

/** Codes on which a sync send retries (retryResponseCodes, docs/rocketmq-semantics.md#producer-retries). */
export const retryableResponseCodes: ReadonlySet<number> = new Set([
  ResponseCode.TOPIC_NOT_EXIST, ResponseCode.SERVICE_NOT_AVAILABLE, ResponseCode.SYSTEM_ERROR,
  ResponseCode.SYSTEM_BUSY, ResponseCode.NO_PERMISSION,
]);

/** Remoting header flag bits (R/protocol/RemotingCommand.java). */
export const RemotingFlag = { RESPONSE: 1, ONEWAY: 2 } as const;

/**
 * Serialization type in the high byte of the header-length word (R/protocol/SerializeType.java).
 * Zeroloss's own clients send JSON; a request in ROCKETMQ binary is answered in ROCKETMQ binary.
 */
export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const;
export type SerializeType = (typeof SerializeType)[keyof typeof SerializeType];

/**
 * The language byte of a ROCKETMQ binary header (R/protocol/LanguageCode.java, 5.x: RUST and NODE_JS
 * added after 4.9). JSON headers spell the name instead.
 */
export const LanguageCode = {
  JAVA: 0, CPP: 1, DOTNET: 2, PYTHON: 3, DELPHI: 4, ERLANG: 5, RUBY: 6, OTHER: 7, HTTP: 8, GO: 9, PHP: 10, OMS: 11, RUST: 12, NODE_JS: 13,
} as const;

/**
 * SEND_MESSAGE_V2's one-letter header keys, by the SendMessageRequestHeader field they stand for
 * (CM/protocol/header/SendMessageRequestHeaderV2.java createSendMessageRequestHeaderV2).
 */
export const SendMessageV2Key = {
  producerGroup: 'a', topic: 'b', defaultTopic: 'c', defaultTopicQueueNums: 'd', queueId: 'e', sysFlag: 'f',
  bornTimestamp: 'g', flag: 'h', properties: 'i', reconsumeTimes: 'j', unitMode: 'k', maxReconsumeTimes: 'l',
  batch: 'm', brokerName: 'n',
} as const;

/** MessageSysFlag (CM/sysflag/MessageSysFlag.java). */
export const MessageSysFlag = {
  COMPRESSED: 0x1,
  MULTI_TAGS: 0x2,
  TRANSACTION_NOT_TYPE: 0x0,
  TRANSACTION_PREPARED_TYPE: 0x4,
  TRANSACTION_COMMIT_TYPE: 0x8,
  TRANSACTION_ROLLBACK_TYPE: 0xc,
  BORNHOST_V6: 0x10,
  STOREHOST_V6: 0x20,
} as const;

/** Message property names (CM/message/MessageConst.java). */
export const MessageProperty = {
  KEYS: 'KEYS',
  TAGS: 'TAGS',
  WAIT: 'WAIT',
  DELAY: 'DELAY',
  UNIQ_KEY: 'UNIQ_KEY',
  RETRY_TOPIC: 'RETRY_TOPIC',
  REAL_TOPIC: 'REAL_TOPIC',
  REAL_QID: 'REAL_QID',
  TRAN_MSG: 'TRAN_MSG',
  PGROUP: 'PGROUP',
  ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  MAX_RECONSUME_TIMES: 'MAX_RECONSUME_TIMES',
  RECONSUME_TIME: 'RECONSUME_TIME',
  /** the half message's transaction id (= UNIQ_KEY) */
  TRANSACTION_ID: '__transactionId__',
  /** how many times the broker has asked the producer about a half message */
  TRANSACTION_CHECK_TIMES: 'TRANSACTION_CHECK_TIMES',
  /** Zeroloss stamps: which producer sent it, and its sequence number within (producer, queue). */
  ZL_PRODUCER: 'ZL_PRODUCER',
  ZL_SEQ: 'ZL_SEQ',
  /** the queue the sequence number belongs to, `brokerName:queueId`, kept when a retry moves the message */
  ZL_QUEUE: 'ZL_QUEUE',
} as const;

/** Topic and group names of RocketMQ's system topics (CM/MixAll.java, CM/topic/TopicValidator.java). */
export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
export const DLQ_GROUP_TOPIC_PREFIX = '%DLQ%';
/** The topic whose route a producer reads to create a topic on first send (TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC). */
export const AUTO_CREATE_TOPIC_KEY_TOPIC = 'TBW102';
export const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';
/** The prefix of the transaction system topics below; no user topic may start with it. */
export const RMQ_SYS_TOPIC_PREFIX = 'RMQ_SYS_';
export const RMQ_SYS_TRANS_HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
/** Topics only the broker itself creates: no UPDATE_AND_CREATE_TOPIC may name one. */
export const isSystemTopic = (topic: string): boolean =>
  [RETRY_GROUP_TOPIC_PREFIX, DLQ_GROUP_TOPIC_PREFIX, RMQ_SYS_TOPIC_PREFIX].some((prefix) => topic.startsWith(prefix)) || topic === SCHEDULE_TOPIC;
export const RMQ_SYS_TRANS_OP_HALF_TOPIC = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';
export const TRANS_CHECK_MAX_TIME_TOPIC = 'TRANS_CHECK_MAX_TIME_TOPIC';
export const CID_SYS_RMQ_TRANS = 'CID_SYS_RMQ_TRANS';
/** Tag of an op message: "the half at this queue offset is resolved" (TransactionalMessageUtil.REMOVETAG). */
export const TRANS_OP_REMOVE_TAG = 'd';
/** Queues of a DLQ topic and of a retry topic (MixAll DLQ_NUMS_PER_GROUP, SubscriptionGroupConfig.retryQueueNums). */
export const DLQ_NUMS_PER_GROUP = 1;
export const RETRY_QUEUE_NUMS = 1;

/** The producer's verdict on its local transaction (C/producer/LocalTransactionState.java). */
export const LocalTransactionState = {
  COMMIT_MESSAGE: 'COMMIT_MESSAGE',
  ROLLBACK_MESSAGE: 'ROLLBACK_MESSAGE',
  UNKNOW: 'UNKNOW',
} as const;
export type LocalTransactionState = (typeof LocalTransactionState)[keyof typeof LocalTransactionState];

/** A topic's permission bits (CM/constant/PermName.java); a normal topic is READ | WRITE = 6. */
export const PermName = { PERM_INHERIT: 0x1, PERM_WRITE: 0x2, PERM_READ: 0x4 } as const;

/** PULL_MESSAGE sysFlag bits (CM/sysflag/PullSysFlag.java). */
export const PullSysFlag = { COMMIT_OFFSET: 0x1, SUSPEND: 0x2, SUBSCRIPTION: 0x4, CLASS_FILTER: 0x8 } as const;

/** Property string separators (MessageDecoder.messageProperties2String). */
export const NAME_VALUE_SEPARATOR = '\u0001';
export const PROPERTY_SEPARATOR = '\u0002';

/** RocketMQ's default name-server port and the route expiry of RouteInfoManager (docs/rocketmq-semantics.md#name-server). */
export const DEFAULT_NAMESRV_PORT = 9876;
export const BROKER_CHANNEL_EXPIRED_MS = 120_000;
/** controller mode: the controller's port when it runs in its own process (RocketMQ's controller startup) */
export const DEFAULT_CONTROLLER_PORT = 9878;
/** How often a broker registers itself with the name servers (BrokerConfig.registerNameServerPeriod). */
export const REGISTER_NAME_SERVER_PERIOD_MS = 30_000;

/** Magic codes of commit-log records (S/CommitLog.java, S/MessageExtEncoder.java). */
export const MESSAGE_MAGIC_CODE = 0xdaa320a7 | 0; // -626843481, V1
export const BLANK_MAGIC_CODE = 0xcbd43194 | 0;   // -875286124
export const END_FILE_MIN_BLANK_LENGTH = 4 + 4;

/** Largest remoting frame accepted before buffering it (RocketMQ's NettyDecoder uses 16 MiB). */
export const MAX_FRAME_LENGTH = 16 * 1024 * 1024;
/** The client version Zeroloss puts in requests: MQVersion V4_9_4 (after that, route JSON is standard). */
export const CLIENT_VERSION = 433;
/** The brokerId of a group's master (MixAll.MASTER_ID); slaves have 1, 2, … */
export const MASTER_ID = 0;
