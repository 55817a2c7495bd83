/**
 * RocketMQ's ACL (broker/acl/): the request signature our clients add, checked against the one a
 * client nobody here wrote adds (ali-ons's Channel.beforeRequest, on its own encoded frame), and the
 * broker's PlainAccessValidator deciding by RocketMQ 4.x's rules: accounts, signatures, admin codes,
 * topic and group perms with their defaults, white addresses. And the plain_acl file reader.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { FrameDecoder, createRequest, encodeCommand, type RemotingCommand } from '../../broker/protocol/remoting-command';
import { RequestCode, ResponseCode } from '../../broker/protocol/codes';
import { AclField, isAclRefusal, signRequest, signedContent } from '../../broker/acl/acl-signature';
import { redact } from '../../server/auth/audit-log';
import { PlainAccessValidator, addressMatcher, checkPermission, Permission, type PlainAclConfig } from '../../broker/acl/plain-access-validator';
import { AclFileError, parsePlainAclText } from '../../broker/acl/plain-acl-file';

const require = createRequire(import.meta.url);
const AliChannel = (require('ali-ons/lib/channel') as { prototype: object }).prototype;
const AliRemotingCommand = require('ali-ons/lib/protocol/command/remoting_command') as new (options: { code: number; customHeader?: object; body?: Buffer }) => { encode(): Buffer };

const ACL: PlainAclConfig = parsePlainAclText(JSON.stringify({
  globalWhiteRemoteAddresses: ['10.10.103.*'],
  accounts: [
    { accessKey: 'zl-admin', secretKey: 'admin-secret', admin: true },
    { accessKey: 'zl-writer', secretKey: 'writer-secret', defaultTopicPerm: 'PUB|SUB', defaultGroupPerm: 'SUB', topicPerms: ['locked=DENY', 'readonly=SUB'], groupPerms: ['banned=DENY'] },
    { accessKey: 'zl-office', secretKey: 'office-secret', whiteRemoteAddress: '192.168.1.{5,6}' },
    { accessKey: 'zl-admin-2', secretKey: 'admin-secret-2', admin: true, topicPerms: ['locked=DENY'] },
  ],
}));
const validator = new PlainAccessValidator(ACL);
const LOCAL = '127.0.0.1';

function signed(request: RemotingCommand, accessKey: string, secretKey: string): RemotingCommand {
  signRequest(request, { accessKey, secretKey });
  return request;
}
const sendV2 = (topic: string, body = Buffer.from('hello')) =>
  createRequest(RequestCode.SEND_MESSAGE_V2, { a: 'zl-producer', b: topic, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: '', j: 0, k: false, m: false }, body);

describe('ACL: the request signature', () => {
  test('acl - ours and ali-ons\'s sign a request alike: a frame ali-ons signed and encoded (raw JSON numbers and booleans) passes the broker\'s check', () => {
    const command = new AliRemotingCommand({
      code: RequestCode.SEND_MESSAGE_V2,
      customHeader: { a: 'ali-group', b: 'TopicB', c: 'TBW102', d: 4, e: 2, f: 0, g: 1733300000000, h: 0, i: 'KEYS\u0001k1\u0002', j: 0, k: false, m: false },
      body: Buffer.from('a body ali-ons signs with its fields'),
    });
    const channel = Object.assign(Object.create(AliChannel) as { beforeRequest(c: object): void }, { options: { accessKey: 'zl-writer', secretKey: 'writer-secret' } });
    channel.beforeRequest(command);
    const [decoded] = new FrameDecoder().push(command.encode());
    assert.ok(decoded);
    assert.equal(typeof decoded.extFields!.d, 'number', 'ali-ons sends numbers as JSON numbers');
    assert.equal(decoded.extFields!.OnsChannel, 'ALIYUN');
    assert.equal(validator.refusal(decoded, LOCAL), undefined);
    // And our signature over the same fields is ali-ons's, byte for byte.
    const ours = { ...decoded, extFields: { ...decoded.extFields } };
    signRequest(ours, { accessKey: 'zl-writer', secretKey: 'writer-secret' });
    assert.equal(ours.extFields.Signature, decoded.extFields!.Signature);
  });

  test('acl - the signed content is every field but Signature, by name, then the body; our frames survive the wire', () => {
    const request = createRequest(RequestCode.PULL_MESSAGE, { topic: 'T', consumerGroup: 'g', queueId: 1 }, Buffer.from('B'));
    signRequest(request, { accessKey: 'ak-0001', secretKey: 'secret-1' });
    // AccessKey, consumerGroup, queueId, topic (Java's TreeMap order: upper case first), then the body.
    assert.equal(signedContent(request).toString(), 'ak-0001g1TB');
    const [decoded] = new FrameDecoder().push(encodeCommand(request));
    assert.equal(new PlainAccessValidator(parsePlainAclText('{"accounts":[{"accessKey":"ak-0001","secretKey":"secret-1","admin":true}]}')).refusal(decoded!, LOCAL), undefined);
  });
});

describe('ACL: the broker\'s PlainAccessValidator, as RocketMQ 4.x decides', () => {
  test('acl - no key, an unknown key, a wrong secret and a changed field are refused with RocketMQ\'s words', () => {
    assert.equal(validator.refusal(sendV2('T'), LOCAL), 'No accessKey is configured');
    assert.equal(validator.refusal(signed(sendV2('T'), 'nobody', 'x'), LOCAL), 'No acl config for nobody');
    assert.equal(validator.refusal(signed(sendV2('T'), 'zl-writer', 'wrong'), LOCAL), 'Check signature failed for accessKey=zl-writer');
    const tampered = signed(sendV2('T'), 'zl-writer', 'writer-secret');
    tampered.extFields!.b = 'OtherTopic';
    assert.equal(validator.refusal(tampered, LOCAL), 'Check signature failed for accessKey=zl-writer');
    const body = signed(sendV2('T'), 'zl-writer', 'writer-secret');
    body.body = Buffer.from('hellO');
    assert.equal(validator.refusal(body, LOCAL), 'Check signature failed for accessKey=zl-writer', 'the body is signed too');
    const answer = validator.gate(signed(sendV2('T'), 'nobody', 'x'), LOCAL)!;
    assert.equal(answer.code, ResponseCode.NO_PERMISSION);
    assert.equal(answer.remark, 'No acl config for nobody');
  });

  test('acl - topic and group perms: listed ones first, then the defaults; DENY wins; retry topics count as their group', () => {
    const as = (request: RemotingCommand) => validator.refusal(signed(request, 'zl-writer', 'writer-secret'), LOCAL);
    assert.equal(as(sendV2('AnyTopic')), undefined, 'defaultTopicPerm PUB|SUB');
    assert.equal(as(sendV2('locked')), 'No default permission for topic:locked');
    assert.equal(as(sendV2('readonly')), 'No default permission for topic:readonly');
    const pull = (topic: string, group: string) => createRequest(RequestCode.PULL_MESSAGE, { topic, consumerGroup: group, queueId: 0, queueOffset: 0 });
    assert.equal(as(pull('readonly', 'g1')), undefined, 'SUB on the topic and the group');
    assert.equal(as(pull('locked', 'g1')), 'No default permission for topic:locked');
    assert.equal(as(pull('AnyTopic', 'banned')), 'No default permission for group:banned');
    // A send to a retry topic needs SUB on its group, not PUB on the topic (a consumer's sendback).
    assert.equal(as(createRequest(RequestCode.SEND_MESSAGE_V2, { a: 'banned', b: '%RETRY%banned' })), 'No default permission for group:banned');
    assert.equal(as(createRequest(RequestCode.SEND_MESSAGE_V2, { a: 'g1', b: '%RETRY%g1' })), undefined);
    // A heartbeat names its groups and subscriptions in its body.
    const heartbeat = (topic: string) => createRequest(RequestCode.HEART_BEAT, {}, Buffer.from(JSON.stringify({ clientID: 'c', producerDataSet: [], consumerDataSet: [{ groupName: 'g1', subscriptionDataSet: [{ topic }] }] })));
    assert.equal(as(heartbeat('AnyTopic')), undefined);
    assert.equal(as(heartbeat('locked')), 'No default permission for topic:locked');
    assert.equal(as(createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'New' })), 'Need admin permission for request code=17, but accessKey=zl-writer is not');
    // An admin account with no perms listed may do anything.
    const admin = (request: RemotingCommand) => validator.refusal(signed(request, 'zl-admin', 'admin-secret'), LOCAL);
    assert.equal(admin(createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'New' })), undefined);
    assert.equal(admin(sendV2('locked')), undefined);
    // An admin account that lists perms is held to them (PlainPermissionManager.checkPerm).
    assert.equal(validator.refusal(signed(sendV2('locked'), 'zl-admin-2', 'admin-secret-2'), LOCAL), 'No default permission for topic:locked');
  });

  test('acl - white addresses: a global one passes unsigned requests; an account\'s passes that account only', () => {
    assert.equal(validator.refusal(sendV2('locked'), '10.10.103.7'), undefined);
    assert.equal(validator.refusal(sendV2('T'), '10.10.104.7'), 'No accessKey is configured');
    const office = createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'X', AccessKey: 'zl-office' });
    assert.equal(validator.refusal(office, '192.168.1.5'), undefined, 'no signature needed from its white address');
    assert.equal(validator.refusal(office, '192.168.1.7'), 'Check signature failed for accessKey=zl-office');
    assert.ok(addressMatcher('192.168.1-9.*')('::ffff:192.168.3.200'));
    assert.ok(!addressMatcher('192.168.1-9.*')('192.168.10.1'));
    assert.ok(addressMatcher('10.0.0.1,10.0.0.2')('10.0.0.2'), 'a comma list is several addresses');
    assert.ok(!addressMatcher('10.0.0.1,10.0.0.2')('10.0.0.3'));
    // The resources are read first: a heartbeat whose body does not parse is refused even from a white address.
    assert.equal(validator.refusal(createRequest(RequestCode.HEART_BEAT, {}, Buffer.from('{not json')), '10.10.103.7'), 'heartbeat body is not valid HeartbeatData JSON');
    // Message trace is published whatever the account's topic perms (PlainPermissionManager.validate).
    assert.equal(validator.refusal(signed(createRequest(RequestCode.SEND_MESSAGE_V2, { a: 'g', b: 'RMQ_SYS_TRACE_TOPIC' }), 'zl-office', 'office-secret'), LOCAL), undefined);
    assert.equal(validator.refusal(signed(sendV2('AnyTopic'), 'zl-office', 'office-secret'), LOCAL), 'No default permission for topic:AnyTopic');
  });

  test('acl - checkPermission is RocketMQ\'s table', () => {
    assert.ok(checkPermission(Permission.PUB, Permission.PUB | Permission.SUB));
    assert.ok(!checkPermission(Permission.PUB, Permission.SUB));
    assert.ok(!checkPermission(Permission.SUB, Permission.DENY | Permission.SUB));
    assert.ok(checkPermission(Permission.ANY, Permission.SUB));
    assert.ok(!checkPermission(Permission.ANY, Permission.DENY));
  });
});

describe('ACL: the plain_acl file', () => {
  test('acl - RocketMQ\'s block YAML form reads as the JSON form does', () => {
    const yaml = [
      '# accounts for the lab',
      'globalWhiteRemoteAddresses:',
      '  - 10.10.103.*',
      '',
      'accounts:',
      '  - accessKey: RocketMQ',
      '    secretKey: 12345678',
      '    whiteRemoteAddress:',
      '    admin: false',
      '    defaultTopicPerm: DENY',
      '    topicPerms:',
      '      - topicA=DENY',
      '      - topicB=PUB|SUB',
      '    groupPerms:',
      '    - groupA=SUB   # a list at the key\'s own indent',
      '  - accessKey: "rocketmq2"',
      '    secretKey: 12345678',
      '    admin: true',
    ].join('\n');
    const config = parsePlainAclText(yaml);
    assert.deepEqual(config.globalWhiteRemoteAddresses, ['10.10.103.*']);
    assert.equal(config.accounts.length, 2);
    assert.deepEqual(config.accounts[0], {
      accessKey: 'RocketMQ', secretKey: '12345678', whiteRemoteAddress: null, admin: false, defaultTopicPerm: 'DENY',
      topicPerms: ['topicA=DENY', 'topicB=PUB|SUB'], groupPerms: ['groupA=SUB'],
    });
    assert.equal(config.accounts[1]!.accessKey, 'rocketmq2');
    assert.equal(parsePlainAclText('accounts:\n  - accessKey: abcdefg\n    secretKey: "abc #def"  # the secret\n    admin: true\n').accounts[0]!.secretKey, 'abc #def', 'a # inside quotes is not a comment');
    assert.equal(config.accounts[1]!.admin, true);
  });

  test('acl - a bad file is refused naming the line or the field and the rule', () => {
    assert.throws(() => parsePlainAclText('accounts:\n  - accessKey: short\n    secretKey: 12345678\n'), (e: Error) => e instanceof AclFileError && /accounts\.0\.accessKey: accessKey must be longer than 6 characters/.test(e.message));
    assert.throws(() => parsePlainAclText('{"accounts":[{"accessKey":"abcdefg","secretKey":"12345678","topicPerms":["t=ALL"]}]}'), /topicPerms: each entry is NAME=PERM/);
    assert.throws(() => parsePlainAclText('accounts:\n  - accessKey: abcdefg\n      secretKey: 12345678\n'), /line 3: expected a key of the list item above/);
    assert.throws(() => parsePlainAclText('accounts: []\n'), /accounts/);
    assert.throws(() => parsePlainAclText('{"accounts":[{"accessKey":"abcdefg","secretKey":"12345678"},{"accessKey":"abcdefg","secretKey":"87654321"}]}'), /each accessKey may appear once/);
  });
});

test('acl - the signature fields are RocketMQ\'s names; a refusal is recognised in 4.x\'s and 5.x\'s answers', () => {
  assert.deepEqual(AclField, { ACCESS_KEY: 'AccessKey', SECURITY_TOKEN: 'SecurityToken', SIGNATURE: 'Signature' });
  assert.ok(isAclRefusal(ResponseCode.NO_PERMISSION, 'No acl config for x'));
  assert.ok(isAclRefusal(ResponseCode.SYSTEM_ERROR, 'broker answered SYSTEM_ERROR (1): org.apache.rocketmq.acl.common.AclException: No acl config for x, org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:667)'));
  assert.ok(!isAclRefusal(ResponseCode.SYSTEM_ERROR, 'broker answered SYSTEM_ERROR (1): store busy'));
});

test('acl - the audit log never writes an account\'s secret key', () => {
  assert.deepEqual(redact({ namesrvAddr: ['10.0.0.5:9876'], accessKey: 'zl-admin', secretKey: 'admin-secret' }), { namesrvAddr: ['10.0.0.5:9876'], accessKey: 'zl-admin', secretKey: '[redacted]' });
});
