/**
 * `zeroloss drill --scenario <name> [options]` (also `npm run drill -- <name> [options]`): runs one
 * drill headless on a cluster of its own (free ports, a temp data directory and database), prints the
 * verdict and the ledger (or one JSON object with --json), writes a JUnit XML or Markdown report when
 * asked (--junit FILE, --markdown FILE; server/drills/reports.ts), and exits 0 when no SEND_OK message
 * was lost, 1 when some were, 2 on a usage error or a run that failed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DRILLS, drillSpec } from './catalog';
import { DRILL_TRAFFIC_LIMITS } from './limits';
import { DEFAULT_TOPOLOGY } from '../cluster/topology';
import { ensureSetup } from '../setup';
import { BrokerSettingsPatchSchema, describeSettingsError, type BrokerSettingsPatch } from '../../broker/config/broker-config';
import { DRILL_IDS, DrillRunInputSchema, LEDGER_STAGES, LEDGER_STATUSES, type DrillRunDetail, type DrillRunInput, type LedgerSummary } from './types';
import { DRILL_OPTIONS, DRILL_USAGE_LINE } from './cli-usage';
import { LAB_BUGS, type LabBug } from '../../broker/lab-bugs';
import { readServerEnvironment } from '../environment';
import { EnvironmentError, forgetVariable } from '../../broker/config/environment';
import { UsageError, flagValue, wholeNumber } from '../cli-args';
import { drillResult, junitError, junitReport, markdownReport, type DrillResult } from './reports';
import { NamesrvAddrSchema } from '../external/external-cluster';
import { EXTERNAL_SCENARIOS, runExternalDrill, type ExternalScenario } from '../external/external-drill';
import { parseExecutorConfig, type FaultExecutorConfig } from '../external/fault-executors';
import { SessionCredentialsSchema, type SessionCredentials } from '../../broker/acl/acl-signature';

const USAGE = `usage: ${DRILL_USAGE_LINE}

Runs one crash drill headless on a cluster of its own (free ports, a temp data directory and database).

options:
${DRILL_OPTIONS}`;


/** `--target external`: the cluster named by --namesrv, faults through the executor file. */
interface ExternalOptions {
  namesrvAddrs: string[];
  /** --executors: required by process-crash; producer-network-flap faults a proxy of its own */
  executorFile?: string;
  executor?: FaultExecutorConfig;
  brokerName?: string;
  topic?: string;
  queueNums: number;
  producers: number;
  dryRun: boolean;
  /** --access-key with ZEROLOSS_SECRET_KEY */
  credentials?: SessionCredentials;
}

interface CliOptions {
  input: DrillRunInput;
  external?: ExternalOptions;
  patch: BrokerSettingsPatch;
  json: boolean;
  slave: boolean;
  keepData: boolean;
  /** where to write the JUnit XML and the Markdown reports, absolute */
  junit?: string;
  markdown?: string;
}

/** A report's path, absolute; refused before the run when its directory does not exist or cannot be written. */
function reportPath(file: string, flag: string): string {
  const absolute = path.resolve(file);
  const dir = path.dirname(absolute);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${file}: the directory ${dir} does not exist or cannot be written`);
  }
  if (fs.existsSync(absolute) && fs.statSync(absolute).isDirectory()) throw new UsageError(`${flag} ${file}: is a directory; give a file name`);
  return absolute;
}

export function parseArgs(argv: string[]): CliOptions {
  const raw: Record<string, unknown> = {};
  const patch: Record<string, unknown> = {};
  let json = false;
  let slave = true;
  let messages: number | undefined;
  let keepData = false;
  let junit: string | undefined;
  let markdown: string | undefined;
  let target = 'embedded';
  const external: Record<string, string | number | boolean | undefined> = {};
  /** flags that would change the cluster's settings or shape: refused against a cluster Zeroloss does not own */
  const embeddedOnly: string[] = [];
  const value = (i: number, flag: string) => flagValue(argv, i, flag);
  const int = (v: string, flag: string) => wholeNumber(v, flag);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--rate': raw.rate = int(value(i, arg), arg); i++; break;
      case '--duration': raw.durationSec = int(value(i, arg), arg); i++; break;
      case '--messages': messages = int(value(i, arg), arg); i++; break;
      case '--consumers': raw.consumers = int(value(i, arg), arg); i++; break;
      case '--send-mode': raw.sendMode = value(i, arg); i++; break;
      case '--ack-mode': case '--consumer-ack': raw.ackMode = value(i, arg); i++; break;
      case '--idempotent': raw.idempotent = true; break;
      case '--scenario':
        if (raw.drillId !== undefined) throw new UsageError(`one drill at a time (got ${String(raw.drillId)} and ${argv[i + 1]})`);
        raw.drillId = value(i, arg); i++; break;
      case '--seed': raw.seed = int(value(i, arg), arg); i++; break;
      case '--lab-bug':
        embeddedOnly.push(arg);
        if (raw.labBug !== undefined) throw new UsageError(`--lab-bug: one deliberate bug per run (got ${String(raw.labBug)} and ${argv[i + 1]})`);
        raw.labBug = value(i, arg); i++; break;
      case '--flush-disk-type': embeddedOnly.push(arg); patch.flushDiskType = value(i, arg); i++; break;
      case '--broker-role': embeddedOnly.push(arg); patch.brokerRole = value(i, arg); i++; break;
      case '--set': {
        embeddedOnly.push(arg);
        const kv = value(i, arg);
        i++;
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new UsageError(`--set takes key=value, got "${kv}"`);
        const v = kv.slice(eq + 1);
        patch[kv.slice(0, eq)] = /^-?\d+$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v;
        break;
      }
      case '--target': target = value(i, arg); i++; break;
      case '--namesrv': external.namesrv = value(i, arg); i++; break;
      case '--executors': external.executors = value(i, arg); i++; break;
      case '--group': external.group = value(i, arg); i++; break;
      case '--topic': external.topic = value(i, arg); i++; break;
      case '--queues': external.queues = int(value(i, arg), arg); i++; break;
      case '--producers': external.producers = int(value(i, arg), arg); i++; break;
      case '--access-key': external['access-key'] = value(i, arg); i++; break;
      case '--dry-run': external.dryRun = true; break;
      case '--no-slave': slave = false; break;
      case '--keep-data': keepData = true; break;
      case '--json': json = true; break;
      case '--junit': junit = reportPath(value(i, arg), arg); i++; break;
      case '--markdown': markdown = reportPath(value(i, arg), arg); i++; break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
        if (raw.drillId !== undefined) throw new UsageError(`one drill at a time (got ${String(raw.drillId)} and ${arg})`);
        raw.drillId = arg;
    }
  }
  if (raw.drillId === undefined) throw new UsageError('name a drill with --scenario');
  if (target !== 'embedded' && target !== 'external') throw new UsageError(`--target ${target}: embedded (a cluster of the drill's own, the default) or external (--namesrv)`);
  const externalFlags = Object.keys(external).map((k) => `--${k === 'dryRun' ? 'dry-run' : k}`);
  if (target === 'embedded' && externalFlags.length > 0) throw new UsageError(`${externalFlags.join(', ')}: only with --target external`);
  if (target === 'external') {
    if (embeddedOnly.length > 0 || !slave) throw new UsageError(`${[...new Set(embeddedOnly), ...(slave ? [] : ['--no-slave'])].join(', ')}: not with --target external, whose own settings are what the drill judges (change them on the cluster)`);
    if (!(EXTERNAL_SCENARIOS as readonly string[]).includes(String(raw.drillId))) throw new UsageError(`--target external runs ${EXTERNAL_SCENARIOS.join(', ')} so far, not ${String(raw.drillId)}`);
    if (external.namesrv === undefined) throw new UsageError('--target external needs --namesrv host:port[;host:port]');
    if (external.executors === undefined && raw.drillId === 'process-crash') throw new UsageError('--target external process-crash needs --executors FILE (the fault executor configuration, docs/fault-executors.md)');
  }
  if (!(DRILL_IDS as readonly string[]).includes(String(raw.drillId))) throw new UsageError(`unknown scenario "${String(raw.drillId)}": one of ${DRILL_IDS.join(', ')}`);
  if (messages !== undefined) {
    if (raw.durationSec !== undefined) throw new UsageError('--messages and --duration are mutually exclusive');
    const spec = DRILLS.find((d) => d.id === raw.drillId);
    if (!spec) throw new UsageError(`unknown drill ${String(raw.drillId)}: one of ${DRILL_IDS.join(', ')}`);
    const rate = typeof raw.rate === 'number' ? raw.rate : spec.timing.rate;
    raw.durationSec = Math.max(1, Math.ceil(messages / rate));
  }
  const settings = BrokerSettingsPatchSchema.safeParse(patch);
  if (!settings.success) throw new UsageError(describeSettingsError(settings.error));
  if (settings.data.brokerRole === 'SLAVE') throw new UsageError('--broker-role SLAVE: the master cannot be a SLAVE');
  // The broker settings ride in the run's input: the run applies them, records them and restores them.
  if (Object.keys(settings.data).length > 0) raw.broker = settings.data;
  const input = DrillRunInputSchema.safeParse(raw);
  if (!input.success) throw new UsageError(describeSettingsError(input.error));
  return {
    input: input.data, patch: settings.data, json, slave, keepData, ...(junit ? { junit } : {}), ...(markdown ? { markdown } : {}),
    ...(target === 'external' ? { external: externalOptions(external) } : {}),
  };
}

function externalOptions(flags: Record<string, string | number | boolean | undefined>): ExternalOptions {
  const namesrv = NamesrvAddrSchema.safeParse(flags.namesrv);
  if (!namesrv.success) throw new UsageError(`--namesrv ${String(flags.namesrv)}: ${namesrv.error.issues[0]?.message ?? 'invalid'}`);
  const executorFile = flags.executors === undefined ? undefined : path.resolve(String(flags.executors));
  let executor: FaultExecutorConfig | undefined;
  if (executorFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(executorFile, 'utf8');
    } catch (error) {
      throw new UsageError(`--executors ${String(flags.executors)}: ${(error as Error).message}`);
    }
    try {
      executor = parseExecutorConfig(text, executorFile);
    } catch (error) {
      throw new UsageError(`--executors: ${(error as Error).message}`);
    }
  }
  const queueNums = flags.queues === undefined ? 4 : Number(flags.queues);
  if (!Number.isInteger(queueNums) || queueNums < 1 || queueNums > 64) throw new UsageError(`--queues ${String(flags.queues)}: from 1 to 64`);
  const producers = flags.producers === undefined ? 1 : Number(flags.producers);
  const { min, max } = DRILL_TRAFFIC_LIMITS.producers;
  if (!Number.isInteger(producers) || producers < min || producers > max) throw new UsageError(`--producers ${String(flags.producers)}: from ${min} to ${max} traffic runner processes`);
  return {
    namesrvAddrs: namesrv.data, ...(executorFile && executor ? { executorFile, executor } : {}), queueNums, producers, dryRun: flags.dryRun === true, ...accountFromEnvironment(flags['access-key']),
    ...(typeof flags.group === 'string' ? { brokerName: flags.group } : {}), ...(typeof flags.topic === 'string' ? { topic: flags.topic } : {}),
  };
}

/** --access-key AK: the account's secret comes from ZEROLOSS_SECRET_KEY, which must then be set. */
function accountFromEnvironment(accessKey: string | number | boolean | undefined): { credentials?: SessionCredentials } {
  if (accessKey === undefined) return {};
  const secretKey = readServerEnvironment('ZEROLOSS_SECRET_KEY').ZEROLOSS_SECRET_KEY;
  // Read once and gone: the traffic runners get the account in ZL_SESSION_CREDENTIALS, and the
  // executor's commands (ssh, kubectl) must not inherit the secret.
  forgetVariable('ZEROLOSS_SECRET_KEY');
  if (secretKey === undefined) throw new UsageError(`--access-key ${String(accessKey)}: set ZEROLOSS_SECRET_KEY to the account's secret key (a secret is never a flag)`);
  const parsed = SessionCredentialsSchema.safeParse({ accessKey: String(accessKey), secretKey });
  if (!parsed.success) throw new UsageError(`--access-key: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return { credentials: parsed.data };
}

/** ZL_LAB_BUGS=a,b: deliberate bugs for the whole headless cluster; an unknown name is a usage error. */
function labBugsFromEnvironment(): LabBug[] {
  try {
    return readServerEnvironment('ZL_LAB_BUGS').ZL_LAB_BUGS;
  } catch (error) {
    if (!(error instanceof EnvironmentError)) throw error;
    throw new UsageError(error.message);
  }
}

function report(run: DrillRunDetail): string {
  const lines = [
    `drill      ${run.drillId} (${run.title}), run ${run.runId}, seed ${run.input.seed ?? '-'}`,
    `settings   ${run.settings.broker.flushDiskType}, ${run.settings.broker.brokerRole}, ${run.settings.traffic.sendMode} sends, ${run.settings.traffic.ackMode}${run.settings.traffic.idempotent ? ', idempotent' : ''}, ${run.settings.traffic.rate} msg/s for ${run.settings.traffic.durationSec} s`,
    `predicted  ${run.prediction?.text ?? '-'}`,
    ...(run.input.labBug ? [`lab bug    ${run.input.labBug}: ${LAB_BUGS[run.input.labBug].breaks} (deliberate, for this run only)`] : []),
  ];
  if (run.summary) lines.push(...ledgerLines(run.summary));
  lines.push('', run.status === 'done' ? `verdict    ${run.verdict}: ${run.verdictReason}` : `run ${run.status}: ${run.error}`);
  return lines.join('\n');
}

/** The ledger as the report shows it: each status acknowledged and lost, then the totals and the recovery. */
function ledgerLines(s: LedgerSummary): string[] {
  const pad = (x: string | number, n = 22) => String(x).padEnd(n);
  const lines = ['', `${pad('status')}${pad('acknowledged', 14)}lost`];
  for (const status of LEDGER_STATUSES) {
    if (s.acknowledged[status] === 0 && s.lost[status] === 0) continue;
    lines.push(`${pad(status)}${pad(s.acknowledged[status], 14)}${s.lost[status]}`);
  }
  lines.push(
    '',
    `attempted ${s.attempted}  stored ${s.stored}  delivered ${s.delivered}  consumed ${s.consumed}`,
    `lost ${s.lostTotal} (SEND_OK: ${s.lostAcked})  by last stage: ${LEDGER_STAGES.filter((st) => s.lostByStage[st] > 0).map((st) => `${st} ${s.lostByStage[st]}`).join(', ') || '-'}`,
    `duplicated ${s.duplicated}  redeliveries ${s.redeliveries}  suppressed ${s.duplicatesSuppressed}  unexpected ${s.unexpected}  open sequence gaps ${s.gaps}`,
    ...s.errors.slice(0, 5).map((e) => `error      ${e.count} × ${e.status}: ${e.error}`),
    `recovery   ${s.recovery.firstFailureT === null ? 'no send failed after the fault' : s.recovery.rtoMs === null ? 'no SEND_OK after the first failed send: not recovered within the run' : `${s.recovery.rtoMs} ms from the first failed send to the next SEND_OK`} (${s.recovery.failedSends} failed send(s) after the fault)`,
  );
  return lines;
}

/** An external run's report: what was read and done on the cluster, then the ledger and the verdict. */
function externalReport(result: DrillResult, notes: string[]): string {
  const c = result.config;
  const lines = [
    `drill      ${result.scenario} (${result.title}), run ${result.runId}, seed ${result.seed ?? '-'}`,
    `settings   read from the cluster: ${c.flushDiskType}, ${c.brokerRole}; ${c.sendMode} sends, ${c.ackMode}${c.idempotent ? ', idempotent' : ''}, ${c.rate} msg/s for ${c.durationSec} s`,
    ...notes.map((n) => `           ${n}`),
  ];
  if (result.summary) lines.push(...ledgerLines(result.summary));
  lines.push('', result.status === 'done' ? `verdict    ${result.verdict}: ${result.verdictReason}` : `run ${result.status}: ${result.error}`);
  return lines.join('\n');
}

/**
 * `--target external`: no cluster, database or setup of its own; the consumers' local files go to a
 * temp directory. Exit codes as for an embedded run.
 */
async function externalMain(options: CliOptions, external: ExternalOptions): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-external-'));
  const log = (line: string) => { if (!options.json) console.log(line); };
  const t = options.input;
  try {
    const outcome = await runExternalDrill({
      namesrvAddrs: external.namesrvAddrs, ...(external.executor ? { executor: external.executor } : {}), scenario: t.drillId as ExternalScenario, queueNums: external.queueNums, producers: external.producers,
      traffic: { sendMode: t.sendMode ?? 'sync', ackMode: t.ackMode ?? 'after-processing', idempotent: t.idempotent ?? false, consumers: t.consumers ?? drillSpec(t.drillId).workload.consumers, ...(t.rate ? { rate: t.rate } : {}), ...(t.durationSec ? { durationSec: t.durationSec } : {}) },
      dataDir, dryRun: external.dryRun, log, ...(t.seed !== undefined ? { seed: t.seed } : {}), ...(external.credentials ? { credentials: external.credentials } : {}),
      ...(external.brokerName ? { brokerName: external.brokerName } : {}), ...(external.topic ? { topic: external.topic } : {}),
    });
    if (outcome.dryRun !== undefined) {
      console.log(outcome.dryRun);
      return 0;
    }
    const text = externalReport(outcome.result, outcome.notes);
    if (options.json) console.log(JSON.stringify({ ...outcome.result, target: { namesrv: external.namesrvAddrs, executor: external.executor?.type ?? 'none' }, notes: outcome.notes }, null, 2));
    else console.log(`\n${text}`);
    if (options.junit) writeReport(options.junit, junitReport(outcome.result, text), log);
    if (options.markdown) writeReport(options.markdown, markdownReport(outcome.result), log);
    return outcome.result.status !== 'done' ? 2 : (outcome.result.lostAcked ?? 0) > 0 ? 1 : 0;
  } catch (error) {
    console.error(`[drill] ${(error as Error).message}`);
    if (options.junit) writeReport(options.junit, junitError(t.drillId, (error as Error).message), log);
    return 2;
  } finally {
    if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function writeReport(file: string, content: string, log: (line: string) => void): void {
  try {
    fs.writeFileSync(file, content);
    log(`[drill] wrote ${file}`);
  } catch (error) {
    console.error(`[drill] could not write ${file}: ${(error as Error).message}`);
  }
}

async function main(): Promise<number> {
  let options: CliOptions;
  let labBugs: LabBug[];
  try {
    const argv = process.argv.slice(2);
    if (argv.includes('-h') || argv.includes('--help')) {
      console.log(USAGE);
      return 0;
    }
    options = parseArgs(argv);
    labBugs = labBugsFromEnvironment();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.external) return externalMain(options, options.external);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-drill-'));
  const databaseUrl = `file:${path.join(dataDir, 'zeroloss.db')}`;
  const log = (line: string) => { if (!options.json) console.log(line); };
  // With --json stdout carries the one JSON object only: setup's progress goes to stderr.
  const stdoutWrite = process.stdout.write;
  if (options.json) process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    ensureSetup({ databaseUrl, skipBuild: true });
  } finally {
    process.stdout.write = stdoutWrite;
  }
  const [{ createPrisma }, { createLab }] = await Promise.all([import('../db/prisma'), import('../lab')]);
  const prisma = createPrisma(databaseUrl);
  // The drill's own shape: one group of master + slave, or the groups it names (group-loss).
  const lab = createLab({ prisma, dataDir, brokerPort: 0, namesrvPort: 0, startSlave: options.slave, labBugs, topology: drillSpec(options.input.drillId).topology ?? DEFAULT_TOPOLOGY });
  const { controlPlane, drillRunner: runner } = lab;
  let code = 1;
  try {
    log(`[drill] starting a cluster in ${dataDir} ...`);
    await controlPlane.start();
    const { runId } = await runner.run(options.input);
    log(`[drill] ${options.input.drillId} running (run ${runId}) ...`);
    let lastPhase = '';
    const progress = setInterval(() => {
      const st = runner.status();
      if (st && st.phase !== lastPhase) {
        lastPhase = st.phase;
        log(`[drill] ${st.phase}: ${st.message}`);
      }
    }, 200);
    const outcome = await runner.wait(runId)!;
    clearInterval(progress);
    const run = (await runner.get({ runId, anomalyLimit: 20 }))!;
    const result = drillResult(run);
    const text = report(run);
    if (options.json) console.log(JSON.stringify(result, null, 2));
    else console.log(`\n${text}`);
    if (options.junit) writeReport(options.junit, junitReport(result, text), log);
    if (options.markdown) writeReport(options.markdown, markdownReport(result), log);
    // The issue's contract for scripts and CI: 0 when no SEND_OK message was lost, 1 when some were, 2 when the run failed.
    code = outcome.status !== 'done' ? 2 : (run.summary?.lostAcked ?? 0) > 0 ? 1 : 0;
  } catch (error) {
    console.error(`[drill] ${(error as Error).message}`);
    if (options.junit) writeReport(options.junit, junitError(options.input.drillId, (error as Error).message), log);
    code = 2;
  } finally {
    await lab.stop().catch(() => {});
    await prisma.$disconnect();
    if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return code;
}

main().then((code) => process.exit(code), (error: Error) => {
  console.error(`[drill] ${error.stack ?? error.message}`);
  process.exit(1);
});
