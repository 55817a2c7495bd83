/**
 * A mocha reporter for ali-ons's own suite (test/compat/ali-ons-suite.ts passes it to egg-bin as
 * TEST_REPORTER). It writes one JSON line per outcome (passed, failed, pending; a failed hook counts
 * as failed) to the file named by ZL_MOCHA_RESULTS as each test ends, and an "end" line when mocha
 * finishes, so the runner reads results from a file no test writes to, and a run cut short still
 * leaves what it did. It also prints each outcome, with a failure's whole error, among the suite's
 * own output on stdout, for the log. CommonJS, because mocha 6 loads reporters with require().
 */
'use strict';

const fs = require('node:fs');

function ResultsReporter(runner) {
  const resultsFile = process.env.ZL_MOCHA_RESULTS;
  if (!resultsFile) throw new Error('ZL_MOCHA_RESULTS must name the file the results go to');
  fs.writeFileSync(resultsFile, '');
  const write = (line) => fs.appendFileSync(resultsFile, `${JSON.stringify(line)}\n`);

  const record = (state, test, error) => {
    const titlePath = test.titlePath();
    const durationMs = typeof test.duration === 'number' ? test.duration : undefined;
    write({ state, titlePath, durationMs, ...(error === undefined ? {} : { error: describeError(error) }) });
    const mark = { passed: '✓', failed: '✗', pending: '-' }[state];
    console.log(`  ${mark} ${titlePath.join(' > ')}${durationMs === undefined ? '' : ` (${durationMs}ms)`}`);
    if (error !== undefined) console.log(indent(errorText(error)));
  };

  runner.on('pass', (test) => record('passed', test));
  runner.on('fail', (test, error) => record('failed', test, error));
  runner.on('pending', (test) => record('pending', test));
  runner.once('end', () => write({ state: 'end' }));
}

/** The error's name and message as one string (the message may span lines, e.g. power-assert's diagram). */
function describeError(error) {
  if (error instanceof Error) return error.message.startsWith(error.name) ? error.message : `${error.name}: ${error.message}`;
  return String(error);
}

function errorText(error) {
  return error instanceof Error && error.stack ? `${describeError(error)}\n${error.stack.split('\n').filter((l) => /^\s+at /.test(l)).join('\n')}` : describeError(error);
}

const indent = (text) => text.split('\n').map((line) => `      ${line}`).join('\n');

module.exports = ResultsReporter;
