import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRocketMQJson, quoteBareKeys } from '../../broker/protocol/rocketmq-json';

test('rocketmq-json - a route as a RocketMQ name server writes it (fastjson, bare integer keys) parses', () => {
  const body = '{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.5:10911",1:"10.0.0.6:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],'
    + '"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}';
  const route = parseRocketMQJson<{ brokerDatas: { brokerAddrs: Record<string, string> }[] }>(body);
  assert.deepEqual(route.brokerDatas[0]!.brokerAddrs, { 0: '10.0.0.5:10911', 1: '10.0.0.6:10911' });
});

test('rocketmq-json - strings are never touched, standard JSON is unchanged, negative keys and spaces are handled', () => {
  const standard = JSON.stringify({ a: '{0:"x"}, 1:2', b: [1, 2, { c: 'd,3:e' }], 'k"q': 'v\\"{5:6}' });
  assert.equal(quoteBareKeys(standard), standard);
  assert.deepEqual(parseRocketMQJson('{ -1 : "x" , 12:{ 3 :[1,2]}}'), { '-1': 'x', 12: { 3: [1, 2] } });
  assert.deepEqual(parseRocketMQJson('[1, 2, 3]'), [1, 2, 3], 'numbers in an array are values, not keys');
  assert.throws(() => parseRocketMQJson('{0:'), SyntaxError);
});
