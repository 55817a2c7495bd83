/**
 * `npm run compat:ali-ons -- --suite DIR [--runs N] [--files a,b] [--json FILE]`: runs ali-ons's own
 * mocha suite, from a checkout the user provides, against a Zeroloss cluster laid out as ali-ons's CI
 * lays out RocketMQ (ali-ons-cluster.ts). Each test file runs in its own process as the suite's
 * `test-local` script runs it (`TEST_TIMEOUT=120000 egg-bin test <file>`), with
 * mocha-results-reporter.cjs as mocha's reporter; its raw output goes to a log file. Prints a table
 * per run and the failing tests; exits 0 only when no test failed in any run, 1 when one did or the
 * cluster could not start, 2 on a usage error. Whatever it started is stopped on every way out:
 * the end, an error, Ctrl-C or SIGTERM (a second one forces).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../server/cli-args';
import { NAMESRV_PORT, SUITE_BROKERS, SUITE_PORTS, SUITE_TOPIC, SuiteCluster, portHolder } from './ali-ons-cluster';
import { USAGE, checkoutProblem, parseSuiteArgs, planTestFiles, type SuiteOptions, type TestPlan } from './ali-ons-suite-plan';
import { fileResult, formatDuration, formatRunReport, parseMochaResults, type FileResult, type ProcessEnd } from './ali-ons-suite-results';

const REPORTER = fileURLToPath(new URL('./mocha-results-reporter.cjs', import.meta.url));
/** the suite's own `test-local` timeout */
const TEST_TIMEOUT_MS = '120000';
/** how long a stopped test process may take before its process group is killed */
const CHILD_STOP_GRACE_MS = 5_000;
const NPM_OUTPUT_TAIL_LINES = 30;

/** What a signal must stop: the cluster and the one child process running now. */
const session: { cluster?: SuiteCluster; child?: ChildProcess; interrupted?: NodeJS.Signals } = {};

async function main(argv: readonly string[]): Promise<number> {
  let options: SuiteOptions;
  let plan: TestPlan;
  try {
    options = parseSuiteArgs(argv);
    const problem = checkoutProblem(options.suite, checkoutFacts(options.suite));
    if (problem) throw new UsageError(problem);
    plan = planTestFiles(readTestFiles(options.suite), options.files);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  const dir = path.resolve(options.suite);
  if (!(await portsAreFree())) return 1;
  const installed = await installSuiteTools(dir);
  if (session.interrupted) return exitCodeFor(session.interrupted);
  if (!installed) return 1;

  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), `zeroloss-ali-ons-${new Date().toISOString().replace(/[:.]/g, '-')}-`));
  printPlan(dir, plan, logDir);
  const cluster = new SuiteCluster(logDir, (line) => console.log(`  ${line}`));
  session.cluster = cluster;
  const runs: FileResult[][] = [];
  try {
    await cluster.start();
    for (let run = 1; run <= options.runs && !session.interrupted; run++) runs.push(await runSuite(dir, plan.run, run, options.runs, logDir));
  } catch (error) {
    console.error(`cannot run the suite: ${(error as Error).message}`);
    return session.interrupted ? exitCodeFor(session.interrupted) : 1;
  } finally {
    console.log('stopping the cluster');
    await cluster.stop();
    session.cluster = undefined;
    if (options.json) writeSummary(options.json, { suite: dir, logDir, plan, runs, interrupted: session.interrupted });
    console.log(`logs: ${logDir}`);
  }
  if (session.interrupted) return exitCodeFor(session.interrupted);
  return runs.flat().some((r) => r.failing > 0) ? 1 : 0;
}

function checkoutFacts(dir: string) {
  const packageFile = path.join(dir, 'package.json');
  return {
    isDirectory: fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false,
    ...(fs.existsSync(packageFile) ? { packageJson: fs.readFileSync(packageFile, 'utf8') } : {}),
    hasTestDir: fs.statSync(path.join(dir, 'test'), { throwIfNoEntry: false })?.isDirectory() ?? false,
  };
}

/** Every test/**\/*.test.js of the checkout (fixtures and node_modules left out, as egg-bin does), by path, with its text. */
function readTestFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory() && entry.name !== 'fixtures' && entry.name !== 'node_modules') walk(child);
      else if (entry.isFile() && entry.name.endsWith('.test.js')) files.set(child, fs.readFileSync(path.join(dir, child), 'utf8'));
    }
  };
  walk('test');
  return files;
}

async function portsAreFree(): Promise<boolean> {
  let free = true;
  for (const port of SUITE_PORTS) {
    const holder = await portHolder(port);
    if (holder === undefined) continue;
    console.error(`port ${port} on 127.0.0.1 is taken, by ${holder}: the cluster needs ${SUITE_PORTS.join(', ')}`);
    free = false;
  }
  return free;
}

/** `npm install` in the checkout when its egg-bin is missing; false (and why) when egg-bin is still missing after it. */
async function installSuiteTools(dir: string): Promise<boolean> {
  const eggBin = path.join(dir, 'node_modules', '.bin', 'egg-bin');
  if (fs.existsSync(eggBin)) return true;
  console.log(`installing the suite's test tools: npm install in ${dir}`);
  const output: Buffer[] = [];
  // npm's own log level, not the one `npm run -s` hands down (silent), so a failure says why
  const env = { ...process.env };
  delete env.npm_config_loglevel;
  const end = await runChild('npm', ['install', '--no-audit', '--no-fund'], dir, env, (chunk) => output.push(chunk));
  if (end.code === 0 && fs.existsSync(eggBin)) return true;
  const why = end.code === 0 ? `npm install succeeded but left no ${eggBin}` : `npm install ended with ${end.signal ?? `exit code ${end.code}`}`;
  const tail = Buffer.concat(output).toString('utf8').trimEnd().split('\n').slice(-NPM_OUTPUT_TAIL_LINES).join('\n');
  console.error(`cannot install the suite in ${dir} (${why}):\n${tail}`);
  return false;
}

function printPlan(dir: string, plan: TestPlan, logDir: string): void {
  console.log(`ali-ons suite: ${dir}`);
  console.log(`cluster: name server 127.0.0.1:${NAMESRV_PORT}, ${SUITE_BROKERS.map((b) => `${b.brokerName} on ${b.port}`).join(', ')}, topic ${SUITE_TOPIC.topic}`);
  for (const { file, needs } of plan.excluded) console.log(`excluded: ${file}: needs ${needs}`);
  for (const note of plan.notes) console.log(`note: ${note}`);
  console.log(`running ${plan.run.length} files: ${plan.run.join(', ')}`);
  console.log(`logs: ${logDir}`);
}

/** One run of the set: each file in its own process, then the run's report. */
async function runSuite(dir: string, files: readonly string[], run: number, runs: number, logDir: string): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for (const file of files) {
    if (session.interrupted) break;
    const base = path.join(logDir, `${run}-${file.replace(/^test\//, '').replaceAll('/', '-')}`);
    console.log(`run ${run}/${runs}: ${file} (log ${base}.log)`);
    const result = await runTestFile(dir, file, `${base}.log`, `${base}.results.ndjson`);
    console.log(`  ${result.passing} passing, ${result.failing} failing, ${result.pending} pending, ${formatDuration(result.durationMs)}`);
    results.push(result);
  }
  console.log(`\n${formatRunReport(run, runs, results)}\n`);
  return results;
}

/** `npx egg-bin test <file>` in the checkout, as its `test-local` script runs the suite, output to logFile. */
async function runTestFile(dir: string, file: string, logFile: string, resultsFile: string): Promise<FileResult> {
  const log = fs.createWriteStream(logFile);
  const env = { ...process.env, TEST_TIMEOUT: TEST_TIMEOUT_MS, TEST_REPORTER: REPORTER, ZL_MOCHA_RESULTS: resultsFile };
  const startedMs = Date.now();
  const end = await runChild('npx', ['egg-bin', 'test', file], dir, env, (chunk) => log.write(chunk));
  const durationMs = Date.now() - startedMs;
  await new Promise((resolve) => log.end(resolve));
  const results = parseMochaResults(fs.existsSync(resultsFile) ? fs.readFileSync(resultsFile, 'utf8') : '');
  return fileResult(file, results, durationMs, end);
}

/** Runs a command in a process group of its own (so a stop reaches egg-bin's mocha too), stdout and stderr to `output`. */
function runChild(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, output: (chunk: Buffer) => void): Promise<ProcessEnd> {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  session.child = child;
  child.stdout!.on('data', output);
  child.stderr!.on('data', output);
  return new Promise((resolve) => {
    child.once('error', (error) => output(Buffer.from(`cannot start ${command}: ${error.message}\n`)));
    child.once('close', (code, signal) => {
      session.child = undefined;
      resolve({ code, signal });
    });
  });
}

function signalGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

function writeSummary(file: string, summary: { suite: string; logDir: string; plan: TestPlan; runs: FileResult[][]; interrupted?: NodeJS.Signals }): void {
  const ok = !summary.interrupted && summary.runs.flat().every((r) => r.failing === 0);
  fs.writeFileSync(file, `${JSON.stringify({
    suite: summary.suite,
    logDir: summary.logDir,
    cluster: { namesrv: `127.0.0.1:${NAMESRV_PORT}`, brokers: SUITE_BROKERS, topic: SUITE_TOPIC },
    excluded: summary.plan.excluded,
    notes: summary.plan.notes,
    runs: summary.runs.map((files, i) => ({ run: i + 1, files })),
    ...(summary.interrupted ? { interrupted: summary.interrupted } : {}),
    ok,
  }, null, 2)}\n`);
}

const exitCodeFor = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? 130 : 143);

/** First signal: stop the running test file, then the cluster, and exit. Second: kill everything now. */
function onSignal(signal: NodeJS.Signals): void {
  if (session.interrupted) {
    signalGroup(session.child, 'SIGKILL');
    session.cluster?.forceStop();
    process.exit(exitCodeFor(signal));
  }
  session.interrupted = signal;
  console.error(`\n${signal}: stopping the running test file and the cluster (${signal} again to force)`);
  session.cluster?.expectStop();
  const child = session.child;
  signalGroup(child, 'SIGTERM');
  setTimeout(() => signalGroup(child, 'SIGKILL'), CHILD_STOP_GRACE_MS).unref();
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
