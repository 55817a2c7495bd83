/**
 * The pure parts of `npm run compat:ali-ons` (test/compat/): the command line and its refusals, what
 * counts as an ali-ons checkout, which test files run (the Aliyun exclusions held to the files' text),
 * and reading the outcome lines mocha-results-reporter.cjs writes, from a captured sample, into the
 * per-run table and the failing tests. Nothing here starts a process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../server/cli-args';
import { EXCLUSIONS, checkoutProblem, parseSuiteArgs, planTestFiles, testFileName } from '../compat/ali-ons-suite-plan';
import { errorSummary, fileResult, formatRunReport, parseMochaResults } from '../compat/ali-ons-suite-results';

/** What the reporter wrote for a mocha file with a pass, a power-assert failure, a skip, a timeout and a failed before-all hook (egg-bin 4, mocha 6). */
const CAPTURED_RESULTS = [
  '{"state":"passed","titlePath":["test/sample.test.js","API","passes"],"durationMs":0}',
  '{"state":"failed","titlePath":["test/sample.test.js","API","fails with power-assert"],"durationMs":13,"error":"AssertionError:   # test/sample.test.js:6\\n  \\n  assert(sendResult && sendResult.msgId)\\n         |          |  |          |     \\n         |          |  |          undefined\\n         |          |  Object{sendStatus:\\"FLUSH_DISK_TIMEOUT\\"}\\n         |          undefined           \\n         Object{sendStatus:\\"FLUSH_DISK_TIMEOUT\\"}\\n  "}',
  '{"state":"pending","titlePath":["test/sample.test.js","API","is skipped"]}',
  '{"state":"failed","titlePath":["test/sample.test.js","API","times out"],"durationMs":101,"error":"Error: Timeout of 100ms exceeded. For async tests and hooks, ensure \\"done()\\" is called; if returning a Promise, ensure it resolves. (/tmp/zl-sample/test/sample.test.js)"}',
  '{"state":"failed","titlePath":["test/sample.test.js","hooked","\\"before all\\" hook for \\"never runs\\""],"durationMs":0,"error":"Error: connect ECONNREFUSED 127.0.0.1:9876"}',
  '{"state":"end"}',
  '',
].join('\n');

const refusal = (argv: string[]) => {
  try {
    parseSuiteArgs(argv);
  } catch (error) {
    assert.ok(error instanceof UsageError, `a UsageError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`${argv.join(' ')} was accepted`);
};

test('ali-ons suite - the command line: --suite is required, each bad flag is refused with a sentence naming it', () => {
  assert.match(refusal([]), /^--suite DIR is required/);
  assert.equal(refusal(['--suite']), '--suite needs a value');
  assert.equal(refusal(['--suite', '--runs', '2']), '--suite needs a value');
  assert.equal(refusal(['--suite', 'x', '--runs', '0']), '--runs must be a whole number of at least 1, got "0"');
  assert.equal(refusal(['--suite', 'x', '--runs', 'two']), '--runs must be a whole number of at least 1, got "two"');
  assert.equal(refusal(['--suite', 'x', '--files', ' , ']), '--files needs at least one file name');
  assert.equal(refusal(['--suite', 'x', '--verbose']), 'unknown argument "--verbose"');
  assert.deepEqual(parseSuiteArgs(['--suite', 'x']), { suite: 'x', runs: 1 });
  assert.deepEqual(parseSuiteArgs(['--suite', 'x', '--runs', '2', '--files', 'index,store/local_file', '--json', 'out.json']),
    { suite: 'x', runs: 2, files: ['test/index.test.js', 'test/store/local_file.test.js'], json: 'out.json' });
  assert.equal(testFileName('./test/mq_client.test.js'), 'test/mq_client.test.js');
});

test('ali-ons suite - a directory that is not an ali-ons checkout is refused with the reason', () => {
  const checkout = { isDirectory: true, packageJson: '{"name":"ali-ons","version":"3.12.2"}', hasTestDir: true };
  assert.equal(checkoutProblem('d', checkout), undefined);
  assert.equal(checkoutProblem('d', { ...checkout, isDirectory: false }), 'd is not a directory');
  assert.equal(checkoutProblem('d', { isDirectory: true, hasTestDir: true }), 'd has no package.json: it is not an ali-ons checkout');
  assert.equal(checkoutProblem('d', { ...checkout, packageJson: '{"name":"zeroloss"}' }), 'd/package.json names "zeroloss", not ali-ons');
  assert.equal(checkoutProblem('d', { ...checkout, packageJson: 'not json' }), 'd/package.json names no package, not ali-ons');
  assert.equal(checkoutProblem('d', { ...checkout, hasTestDir: false }), 'd has no test/ directory: the suite is not in this checkout');
});

test('ali-ons suite - an Aliyun exclusion holds only while the file\'s text bears it out', () => {
  const [channel, localFile] = EXCLUSIONS;
  const channelText = `urllib.request('http://${channel.holds[0]}/x'); assert(res.remark.includes('${channel.holds[1]}'));`;
  const localFileText = 'const client = new MQClient(new ClientConfig({ instanceName: Date.now() + \'\', httpclient }));';
  const contents = new Map([['test/index.test.js', 'nameSrv'], [channel.file, channelText], [localFile.file, localFileText], ['test/utils/index.test.js', '']]);

  const plan = planTestFiles(contents);
  assert.deepEqual(plan.run, ['test/index.test.js', 'test/utils/index.test.js']);
  assert.deepEqual(plan.excluded, [{ file: channel.file, needs: channel.needs }, { file: localFile.file, needs: localFile.needs }]);
  assert.deepEqual(plan.notes, []);

  const stale = planTestFiles(new Map([...contents, [channel.file, 'nameSrv only'], [localFile.file, localFileText.replace('httpclient', 'httpclient, nameSrv')]]));
  assert.deepEqual(stale.excluded, [], 'files that no longer need Aliyun run');
  assert.deepEqual(stale.notes, [
    'test/channel.test.js runs: it no longer holds "onsaddr-internet.aliyun.com", "__accessKey is blank", so the reason it was excluded no longer shows',
    'test/store/local_file.test.js runs: it now holds "nameSrv", so the reason it was excluded no longer shows',
  ]);

  const named = planTestFiles(contents, [channel.file, 'test/index.test.js']);
  assert.deepEqual(named.run, [channel.file, 'test/index.test.js'], '--files runs what it names, in its order, excluded or not');
  assert.match(named.notes[0], /is excluded by default \(it needs .*\); it runs because --files names it$/);

  const unlisted = planTestFiles(new Map([...contents, ['test/new.test.js', "const onsAddr = 'http://x.aliyuncs.com';"]]));
  assert.ok(unlisted.run.includes('test/new.test.js'));
  assert.match(unlisted.notes[0], /^test\/new\.test\.js mentions x\.aliyuncs\.com but is not excluded/);

  assert.throws(() => planTestFiles(contents, ['test/nope.test.js']), (error: Error) => error instanceof UsageError && /^--files: the checkout has no test\/nope\.test\.js \(its test files: /.test(error.message));
});

test('ali-ons suite - the reporter\'s captured lines give the counts, the failing titles and each error\'s first line', () => {
  const results = parseMochaResults(CAPTURED_RESULTS);
  assert.equal(results.finished, true);
  const result = fileResult('test/sample.test.js', results, 1500, { code: 3, signal: null });
  assert.deepEqual([result.passing, result.failing, result.pending], [1, 3, 1]);
  assert.deepEqual(result.failures, [
    { title: 'test/sample.test.js > API > fails with power-assert', error: 'AssertionError: assert(sendResult && sendResult.msgId) (test/sample.test.js:6)' },
    { title: 'test/sample.test.js > API > times out', error: 'Error: Timeout of 100ms exceeded. For async tests and hooks, ensure "done()" is called; if returning a Promise, ensure it resolves. (/tmp/zl-sample/test/sample.test.js)' },
    { title: 'test/sample.test.js > hooked > "before all" hook for "never runs"', error: 'Error: connect ECONNREFUSED 127.0.0.1:9876' },
  ]);
  assert.equal(errorSummary(''), '(no message)');
});

test('ali-ons suite - a file mocha did not finish counts as failing, torn last line and all', () => {
  const torn = CAPTURED_RESULTS.split('\n').slice(0, 2).join('\n').slice(0, -20);
  const cut = fileResult('test/index.test.js', parseMochaResults(torn), 90_000, { code: null, signal: 'SIGTERM' });
  assert.deepEqual([cut.passing, cut.failing, cut.finished], [1, 1, false]);
  assert.deepEqual(cut.failures, [{ title: 'test/index.test.js (mocha did not finish)', error: 'egg-bin ended with signal SIGTERM before mocha reported its end; see the log' }]);
  const none = fileResult('test/index.test.js', parseMochaResults(''), 900, { code: 1, signal: null });
  assert.equal(none.failures[0].error, 'egg-bin ended with exit code 1 before mocha reported its end; see the log');
});

test('ali-ons suite - a run\'s report is the table with a total row, then the failing tests', () => {
  const sample = fileResult('test/sample.test.js', parseMochaResults(CAPTURED_RESULTS), 1500, { code: 3, signal: null });
  const quick = fileResult('test/utils/index.test.js', parseMochaResults('{"state":"passed","titlePath":["a","b"]}\n{"state":"end"}\n'), 125_000, { code: 0, signal: null });
  const report = formatRunReport(1, 2, [sample, quick]).split('\n');
  assert.deepEqual(report.slice(0, 7), [
    'run 1 of 2',
    '',
    '| file                     | passing | failing | pending |   duration |',
    '|--------------------------|--------:|--------:|--------:|-----------:|',
    '| test/sample.test.js      |       1 |       3 |       1 |      1.5 s |',
    '| test/utils/index.test.js |       1 |       0 |       0 | 2 min 05 s |',
    '| total                    |       2 |       3 |       1 | 2 min 07 s |',
  ]);
  assert.deepEqual(report.slice(7, 10), ['', 'failing:', '  test/sample.test.js > API > fails with power-assert']);
});
