/**
 * RocketMQ 4.x's ACL 1.0 on the broker (aclEnable=true with conf/plain_acl.yml;
 * R/acl/plain/PlainAccessValidator.java and PlainPermissionManager.java): each request is signed by an
 * account of the file, and an account may publish to, subscribe to or be denied each topic and group.
 *
 * The order of the checks is RocketMQ's: a global white address passes everything; then the
 * AccessKey must be an account's; an account's own white address passes that account; then the
 * signature; then admin-only request codes; then each resource the request touches (a topic, or a
 * group as its retry topic) against the account's perms or its default. A refusal is answered
 * NO_PERMISSION with RocketMQ's message, as 5.x's AuthenticationPipeline answers it (4.x answered
 * SYSTEM_ERROR with the exception's text; both end the request, and the producer retries neither
 * into success).
 *
 * The file is read as JSON (YAML's flow form, so RocketMQ reads the same file) or as the block YAML of
 * RocketMQ's sample (parsePlainAclText).
 */
import { z } from 'zod';
import { RETRY_GROUP_TOPIC_PREFIX, RequestCode, ResponseCode } from '../protocol/codes.js';
import { createResponse, extString, type RemotingCommand } from '../protocol/remoting-command.js';
import { AclField, signatureMatches } from './acl-signature.js';

/** R/acl/common/Permission.java */
export const Permission = { DENY: 1, ANY: 1 << 1, PUB: 1 << 2, SUB: 1 << 3 } as const;

const PERM_WORDS: Record<string, number> = { DENY: Permission.DENY, PUB: Permission.PUB, SUB: Permission.SUB, 'PUB|SUB': Permission.PUB | Permission.SUB, 'SUB|PUB': Permission.PUB | Permission.SUB };

/** TopicValidator.RMQ_SYS_TRACE_TOPIC: the default message-trace topic */
const TRACE_TOPIC = 'RMQ_SYS_TRACE_TOPIC';

/** the request codes only an admin account may send (Permission.ADMIN_CODE) */
const ADMIN_CODES = new Set<number>([RequestCode.UPDATE_AND_CREATE_TOPIC, RequestCode.UPDATE_BROKER_CONFIG, RequestCode.DELETE_TOPIC_IN_BROKER,
  RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, RequestCode.DELETE_SUBSCRIPTIONGROUP]);

const permWord = (where: string) => z.string().trim().refine((s) => s in PERM_WORDS, `${where} must be DENY, PUB, SUB or PUB|SUB`);
const resourcePerms = (kind: 'topicPerms' | 'groupPerms') => z.array(z.string().refine((s) => {
  const [name, perm, extra] = s.split('=');
  return extra === undefined && !!name?.trim() && perm !== undefined && perm.trim() in PERM_WORDS;
}, `${kind}: each entry is NAME=PERM with PERM one of DENY, PUB, SUB, PUB|SUB (RocketMQ's 'topicA=SUB')`)).default([]);

export const PlainAccountSchema = z.object({
  accessKey: z.coerce.string().min(7, 'accessKey must be longer than 6 characters (RocketMQ refuses shorter)'),
  secretKey: z.coerce.string().min(7, 'secretKey must be longer than 6 characters (RocketMQ refuses shorter)'),
  whiteRemoteAddress: z.string().nullish(),
  admin: z.boolean({ error: 'admin must be true or false' }).default(false),
  defaultTopicPerm: permWord('defaultTopicPerm').nullish(),
  defaultGroupPerm: permWord('defaultGroupPerm').nullish(),
  topicPerms: resourcePerms('topicPerms').nullish(),
  groupPerms: resourcePerms('groupPerms').nullish(),
});

export const PlainAclConfigSchema = z.object({
  globalWhiteRemoteAddresses: z.array(z.string()).nullish(),
  accounts: z.array(PlainAccountSchema, { error: 'accounts must be a list of accounts' }).min(1, 'accounts: give at least one account'),
}).refine((c) => new Set(c.accounts.map((a) => a.accessKey)).size === c.accounts.length, { message: 'accounts: each accessKey may appear once', path: ['accounts'] });
export type PlainAclConfig = z.infer<typeof PlainAclConfigSchema>;
export type PlainAccount = z.infer<typeof PlainAccountSchema>;

interface OwnedAccess {
  account: PlainAccount;
  /** resource (a topic, or %RETRY%group for a group) → perm; undefined when the account lists none */
  perms: Map<string, number> | undefined;
  defaultTopicPerm: number;
  defaultGroupPerm: number;
  whiteAddress: AddressMatcher | undefined;
}

export class PlainAccessValidator {
  private readonly accounts = new Map<string, OwnedAccess>();
  private readonly globalWhite: AddressMatcher[];

  constructor(config: PlainAclConfig) {
    this.globalWhite = (config.globalWhiteRemoteAddresses ?? []).map(addressMatcher);
    for (const account of config.accounts) {
      const perms = new Map<string, number>();
      const add = (entry: string, prefix: string) => {
        const [name, perm] = entry.split('=');
        perms.set(prefix + name!.trim(), parsePerm(perm));
      };
      for (const entry of account.topicPerms ?? []) add(entry, '');
      for (const entry of account.groupPerms ?? []) add(entry, RETRY_GROUP_TOPIC_PREFIX);
      this.accounts.set(account.accessKey, {
        account, perms: perms.size > 0 ? perms : undefined,
        defaultTopicPerm: parsePerm(account.defaultTopicPerm), defaultGroupPerm: parsePerm(account.defaultGroupPerm),
        whiteAddress: account.whiteRemoteAddress ? addressMatcher(account.whiteRemoteAddress) : undefined,
      });
    }
  }

  /** undefined when the request may go on; otherwise RocketMQ's reason it may not. */
  refusal(request: RemotingCommand, remoteAddress: string): string | undefined {
    // The request's resources are read first, as PlainAccessValidator.parse does: a body that does not
    // parse is refused even from a white address.
    let needed: Map<string, number>;
    try {
      needed = resourcesOf(request);
    } catch (error) {
      return (error as Error).message;
    }
    if (this.globalWhite.some((match) => match(remoteAddress))) return undefined;
    const accessKey = extString(request, AclField.ACCESS_KEY);
    if (accessKey === undefined) return 'No accessKey is configured';
    const owned = this.accounts.get(accessKey);
    if (!owned) return `No acl config for ${accessKey}`;
    if (owned.whiteAddress?.(remoteAddress)) return undefined;
    if (!signatureMatches(request, owned.account.secretKey, extString(request, AclField.SIGNATURE))) return `Check signature failed for accessKey=${accessKey}`;
    // Message trace (RMQ_SYS_TRACE_TOPIC) is published whatever the account's topic perms.
    if (needed.get(TRACE_TOPIC) === Permission.PUB) return undefined;
    if (ADMIN_CODES.has(request.code) && !owned.account.admin) return `Need admin permission for request code=${request.code}, but accessKey=${accessKey} is not`;
    if (owned.perms === undefined && owned.account.admin) return undefined;
    for (const [resource, perm] of needed) {
      const isGroup = resource.startsWith(RETRY_GROUP_TOPIC_PREFIX);
      const ownedPerm = owned.perms?.get(resource) ?? (isGroup ? owned.defaultGroupPerm : owned.defaultTopicPerm);
      if (!checkPermission(perm, ownedPerm)) {
        return `No default permission for ${isGroup ? `group:${resource.slice(RETRY_GROUP_TOPIC_PREFIX.length)}` : `topic:${resource}`}`;
      }
    }
    return undefined;
  }

  /** The broker's gate: NO_PERMISSION with the reason, or undefined to go on. */
  gate(request: RemotingCommand, remoteAddress: string): RemotingCommand | undefined {
    const reason = this.refusal(request, remoteAddress);
    return reason === undefined ? undefined : createResponse(request, ResponseCode.NO_PERMISSION, { remark: reason });
  }
}

/** The file's first admin account, as the keys a client signs with; undefined when it has none. */
export function adminAccount(config: PlainAclConfig): { accessKey: string; secretKey: string } | undefined {
  const admin = config.accounts.find((a) => a.admin);
  return admin ? { accessKey: admin.accessKey, secretKey: admin.secretKey } : undefined;
}

/** The broker's gate for a remoting server (RemotingServerEvents.gate): the validator of `config`. */
export function aclGate(config: PlainAclConfig): (request: RemotingCommand, connection: { remoteAddress: string }) => RemotingCommand | undefined {
  const validator = new PlainAccessValidator(config);
  return (request, connection) => validator.gate(request, connection.remoteAddress);
}

/** Permission.checkPermission */
export function checkPermission(needed: number, owned: number): boolean {
  if ((owned & Permission.DENY) !== 0) return false;
  if ((needed & Permission.ANY) !== 0) return (owned & (Permission.PUB | Permission.SUB)) !== 0;
  return (needed & owned) !== 0;
}

function parsePerm(word: string | null | undefined): number {
  return word === null || word === undefined ? Permission.DENY : PERM_WORDS[word.trim()] ?? Permission.DENY;
}

/** The topics and groups a request touches, and what it needs of each (PlainAccessValidator.parse). */
function resourcesOf(request: RemotingCommand): Map<string, number> {
  const needed = new Map<string, number>();
  const add = (resource: string | undefined, perm: number) => {
    if (resource !== undefined) needed.set(resource, (needed.get(resource) ?? 0) | perm);
  };
  const retry = (group: string | undefined) => (group === undefined ? undefined : RETRY_GROUP_TOPIC_PREFIX + group);
  const field = (key: string) => extString(request, key);
  switch (request.code) {
    case RequestCode.SEND_MESSAGE:
    case RequestCode.SEND_MESSAGE_V2: {
      const v2 = request.code === RequestCode.SEND_MESSAGE_V2;
      const topic = field(v2 ? 'b' : 'topic');
      if (topic?.startsWith(RETRY_GROUP_TOPIC_PREFIX)) add(retry(field(v2 ? 'a' : 'group')), Permission.SUB);
      else add(topic, Permission.PUB);
      break;
    }
    case RequestCode.CONSUMER_SEND_MSG_BACK:
      add(retry(field('group')), Permission.SUB);
      break;
    case RequestCode.PULL_MESSAGE:
      add(field('topic'), Permission.SUB);
      add(retry(field('consumerGroup')), Permission.SUB);
      break;
    case RequestCode.HEART_BEAT: {
      let data: { consumerDataSet?: { groupName: string; subscriptionDataSet?: { topic: string }[] }[] };
      try {
        data = JSON.parse(request.body?.toString('utf8') ?? '{}') as typeof data;
      } catch {
        throw new Error('heartbeat body is not valid HeartbeatData JSON');
      }
      for (const consumer of data.consumerDataSet ?? []) {
        add(retry(consumer.groupName), Permission.SUB);
        for (const subscription of consumer.subscriptionDataSet ?? []) add(subscription.topic, Permission.SUB);
      }
      break;
    }
    case RequestCode.UNREGISTER_CLIENT:
    case RequestCode.GET_CONSUMER_LIST_BY_GROUP:
      add(retry(field('consumerGroup')), Permission.SUB);
      break;
    case RequestCode.UPDATE_CONSUMER_OFFSET:
      add(retry(field('consumerGroup')), Permission.SUB);
      add(field('topic'), Permission.SUB);
      break;
    default:
      break;
  }
  return needed;
}

type AddressMatcher = (address: string) => boolean;

/**
 * RocketMQ's white-address forms (RemoteAddressStrategyFactory): `*` (everyone), an exact IP, and an
 * IPv4 pattern whose parts may be `*`, a range `1-200` or a set `{1,2,3}`.
 */
export function addressMatcher(pattern: string): AddressMatcher {
  // A comma list outside braces is several addresses (MultipleRemoteAddressStrategy).
  if (/,(?![^{]*\})/.test(pattern)) {
    const each = pattern.split(/,(?![^{]*\})/).map((p) => addressMatcher(p));
    return (address) => each.some((match) => match(address));
  }
  const p = pattern.trim();
  if (p === '*' || p === '*.*.*.*') return () => true;
  const parts = p.split('.');
  if (parts.length !== 4) return (address) => address === p;
  const partMatchers = parts.map((part): ((n: string) => boolean) => {
    if (part === '*') return () => true;
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) return (n) => Number(n) >= Number(range[1]) && Number(n) <= Number(range[2]);
    const set = /^\{([\d,]+)\}$/.exec(part);
    if (set) return (n) => set[1]!.split(',').includes(n);
    return (n) => n === part;
  });
  return (address) => {
    const ip = address.replace(/^::ffff:/, '').split('.');
    return ip.length === 4 && partMatchers.every((match, i) => match(ip[i]!));
  };
}
