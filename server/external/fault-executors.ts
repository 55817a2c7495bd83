/**
 * Fault executors for an external RocketMQ cluster: how a drill kills, restarts, partitions, slows
 * or cordons one of the user's brokers, configured per target as data (docs/fault-executors.md).
 * Three types: `command` (the user's own shell command templates), `kubernetes` (kubectl on the
 * broker's pod) and `chaos-mesh` (Chaos Mesh objects applied with kubectl).
 *
 * Planning and running are apart: planFault turns a fault into the exact argv (and stdin) of each
 * step and of the steps that heal it, so a dry-run prints precisely what a real run would execute;
 * runSteps executes them, each in its own process group so a timeout or an abort leaves nothing
 * behind.
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import {
  chaosManifest, chaosObjectName, kubectlArgv, kubectlWaitReady, labelKeyProblem, labelValueProblem, selectorText, DNS_LABEL, type ChaosFault, type PodSelection,
} from './chaos-mesh';

/** One broker of the target as the route and GET_BROKER_CONFIG describe it. */
export interface BrokerTarget { cluster: string; brokerName: string; brokerId: number; addr: string; host: string; port: number; config: Record<string, string> }
export type FaultAction =
  | { kind: 'kill-broker'; broker: BrokerTarget } // SIGKILL-like: no grace
  | { kind: 'start-broker'; broker: BrokerTarget } // bring a killed broker back (or wait until its supervisor did)
  | { kind: 'partition'; broker: BrokerTarget; peers: BrokerTarget[] } // cut broker from peers (both directions)
  | { kind: 'delay'; broker: BrokerTarget; latencyMs: number; jitterMs: number }
  | { kind: 'loss'; broker: BrokerTarget; lossPercent: number }
  | { kind: 'slow-disk'; broker: BrokerTarget; delayMs: number }
  | { kind: 'cordon'; broker: BrokerTarget }; // kubernetes only: cordon the node the broker's pod runs on
export type FaultActionKind = FaultAction['kind'];
/** One program to run: argv[0] is the program (a command template runs as [shell, '-c', line]); stdin, when set, is written to it. */
export interface ExecStep { describe: string; argv: string[]; stdin?: string }
/** What a fault runs, and what undoes it (`heal` is [] when there is nothing to undo, as after a kill). */
export interface PlannedFault { action: FaultActionKind; steps: ExecStep[]; heal: ExecStep[] }
export interface StepOutput { step: ExecStep; code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }

/** A refused configuration, a fault an executor cannot plan, or a step that failed (`output` then says how). */
export class FaultExecutorError extends Error {
  constructor(message: string, readonly output?: StepOutput) {
    super(message);
    this.name = 'FaultExecutorError';
  }
}

// --- Placeholders ---

/** What every template may name: which broker, and where it is. */
const BROKER_PLACEHOLDERS = ['broker', 'group', 'brokerId', 'cluster', 'addr', 'host', 'port'];
/** What only the command of one action may name: that action's parameters. */
const ACTION_PLACEHOLDERS: Record<FaultActionKind, string[]> = {
  'kill-broker': [], 'start-broker': [], partition: ['peers'], delay: ['latencyMs', 'jitterMs'], loss: ['lossPercent'], 'slow-disk': ['delayMs'], cordon: [],
};
/** Every kind of action, in this order (the Record type above has made the list complete). */
export const FAULT_ACTION_KINDS = Object.keys(ACTION_PLACEHOLDERS) as FaultActionKind[];
/** `{name}`; `${name}` is the shell's own expansion and is left alone. */
const PLACEHOLDER = /(?<!\$)\{([A-Za-z][\w.-]*)\}/g;
const EXTRA_NAME = /^[A-Za-z][\w-]*$/;
const BROKER_KEY = /^[^/\s]+\/\d+$/;

/** The key of a broker in `brokers`: "broker-a/0". */
const brokerKey = (b: BrokerTarget) => `${b.brokerName}/${b.brokerId}`;

/** A placeholder a template of `kind` (undefined: a selector or label template) may not use, and why; null when it may. */
function placeholderProblem(name: string, kind: FaultActionKind | undefined, extras: ReadonlySet<string>): string | null {
  if (BROKER_PLACEHOLDERS.includes(name) || extras.has(name) || /^config\.[\w.-]+$/.test(name)) return null;
  if (kind !== undefined && ACTION_PLACEHOLDERS[kind].includes(name)) return null;
  const owners = FAULT_ACTION_KINDS.filter((k) => ACTION_PLACEHOLDERS[k].includes(name));
  if (owners.length > 0) return `{${name}} is a parameter of ${owners.join(', ')} only`;
  return `{${name}} is not a placeholder (known: ${[...new Set([...BROKER_PLACEHOLDERS, ...(kind ? ACTION_PLACEHOLDERS[kind] : []), ...extras])].map((p) => `{${p}}`).join(' ')} {config.<key>})`;
}

/** Always single quotes, `'\''` for a quote inside: whatever the value holds stays one word of data. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quotes only when the shell would read the word differently (or as an assignment, NAME=...); for readable argv. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) && !/^[A-Za-z_]\w*=/.test(value) ? value : shellQuote(value);
}

type PlaceholderValue = string | string[];

/** The values of every placeholder for one action: the broker's, its config's, the action's, then the per-broker extras (which win). */
function placeholderValues(config: FaultExecutorConfig, action: FaultAction): Map<string, PlaceholderValue> {
  const extras = (b: BrokerTarget) => config.brokers?.[brokerKey(b)] ?? {};
  const b = action.broker;
  const values = new Map<string, PlaceholderValue>([['broker', b.brokerName], ['group', b.brokerName], ['brokerId', String(b.brokerId)], ['cluster', b.cluster], ['addr', b.addr], ['host', b.host], ['port', String(b.port)]]);
  for (const [key, value] of Object.entries(b.config)) values.set(`config.${key}`, value);
  if (action.kind === 'partition') values.set('peers', action.peers.map((p) => extras(p).host ?? p.host));
  if (action.kind === 'delay') values.set('latencyMs', String(action.latencyMs)).set('jitterMs', String(action.jitterMs));
  if (action.kind === 'loss') values.set('lossPercent', String(action.lossPercent));
  if (action.kind === 'slow-disk') values.set('delayMs', String(action.delayMs));
  for (const [key, value] of Object.entries(extras(b))) values.set(key, value);
  return values;
}

/** Each placeholder replaced by `encode(value)` (a list: each element, joined by spaces); `where` begins the error. */
function render(template: string, values: Map<string, PlaceholderValue>, encode: (value: string, name: string) => string, where: string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = values.get(name);
    if (value === undefined) {
      const why = name.startsWith('config.') ? `the broker's config has no key ${name.slice('config.'.length)}` : `{${name}} is not a placeholder here`;
      throw new FaultExecutorError(`${where} "${template}": ${why}`);
    }
    return Array.isArray(value) ? value.map((v) => encode(v, name)).join(' ') : encode(value, name);
  });
}

// --- The configuration ---

const text = () => z.string({ error: (issue) => (issue.input === undefined ? 'Required' : 'must be text') }).min(1, 'must not be empty');
const kubernetesName = () => text().regex(DNS_LABEL, 'must be a Kubernetes namespace name (lower-case letters, digits and "-", 63 at most)').max(63, 'must be at most 63 characters');
const unknownFields = (known: string[]) => (issue: { code?: string }) => (issue.code === 'unrecognized_keys' ? `unknown field (known: ${known.join(', ')})` : undefined);
/** z.strictObject whose unknown-field message lists the fields it knows. */
const strict = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape, { error: unknownFields(Object.keys(shape)) });

const common = {
  /** how long one step may run before its process group is killed */
  timeoutMs: z.number({ error: 'must be a number of milliseconds' }).int('must be a whole number of milliseconds')
    .min(100, 'must be at least 100 ms').max(600_000, 'must be at most 600000 ms (10 minutes)').default(30_000),
  /** extra placeholders per broker ("broker-a/0": { "pid": "4242" }); they override the broker's own ({host}) */
  brokers: z.record(
    z.string().regex(BROKER_KEY, 'a key of brokers must be "<brokerName>/<brokerId>", such as "broker-a/0"'),
    z.record(
      z.string().regex(EXTRA_NAME, 'a placeholder name is a letter, then letters, digits, "_" and "-"')
        .refine((name) => !Object.values(ACTION_PLACEHOLDERS).flat().includes(name), 'an action\'s parameter ({peers}, {latencyMs}, ...) cannot be set per broker'),
      z.string({ error: 'must be text' }),
    ),
  ).optional(),
};

const commandShape = Object.fromEntries(FAULT_ACTION_KINDS.flatMap((kind) => [
  [kind, kind === 'kill-broker' ? z.string({ error: (i) => (i.input === undefined ? 'Required (a command executor kills brokers at least)' : 'must be text') }).min(1, 'must not be empty') : text().optional()],
  [`heal-${kind}`, text().optional()],
])) as { 'kill-broker': z.ZodString } & { [K in Exclude<FaultActionKind, 'kill-broker'> | `heal-${FaultActionKind}`]: z.ZodOptional<z.ZodString> };

const CommandExecutorSchema = strict({
  type: z.literal('command'),
  /** the shell each command line runs in, as `shell -c line` */
  shell: text().default('/bin/sh'),
  /** a command line per action it supports ("kill-broker" at least), and "heal-<action>" for what undoes one */
  commands: z.strictObject(commandShape, { error: (issue) => (issue.input === undefined ? 'Required (the command executor needs at least a kill-broker command)' : unknownFields(Object.keys(commandShape))(issue)) }),
  ...common,
});

/** the kubectl program, and a context of its kubeconfig (unset: the current context) */
const kubectlFields = { kubectl: text().default('kubectl'), context: text().optional() };

const KubernetesExecutorSchema = strict({
  type: z.literal('kubernetes'),
  ...kubectlFields,
  /** the namespace of the broker pods */
  namespace: kubernetesName(),
  /** a label selector for one broker's pod, with placeholders: "app=rocketmq,broker={broker},brokerId={brokerId}" */
  podSelector: text(),
  ...common,
});

const ChaosMeshExecutorSchema = strict({
  type: z.literal('chaos-mesh'),
  ...kubectlFields,
  /** where the chaos objects are created */
  namespace: kubernetesName(),
  /** the namespace of the broker pods */
  targetNamespace: kubernetesName(),
  /** the labels of one broker's pod, values with placeholders: { "broker": "{broker}", "brokerId": "{brokerId}" } */
  podLabels: z.record(z.string().refine((key) => labelKeyProblem(key) === null, { error: (issue) => labelKeyProblem(String(issue.input)) ?? 'invalid label key' }), text())
    .refine((labels) => Object.keys(labels).length > 0, 'must name at least one label'),
  /** the mount path of the store's volume in the broker's container, for slow-disk (IOChaos); a template */
  volumePath: text().default('/home/rocketmq/store'),
  ...common,
});

/** Each template uses only placeholders it can have; a heal-<action> needs its <action>. */
function checkTemplates(config: FaultExecutorConfig, ctx: z.RefinementCtx): void {
  const extras = new Set(Object.values(config.brokers ?? {}).flatMap((e) => Object.keys(e)));
  const check = (path: (string | number)[], template: string, kind: FaultActionKind | undefined) => {
    for (const m of template.matchAll(PLACEHOLDER)) {
      const problem = placeholderProblem(m[1], kind, extras);
      if (problem) ctx.addIssue({ code: 'custom', path, message: problem });
    }
  };
  if (config.type === 'command') {
    for (const [key, template] of Object.entries(config.commands) as [string, string | undefined][]) {
      if (template === undefined) continue;
      const kind = key.replace(/^heal-/, '') as FaultActionKind;
      if (key !== kind && config.commands[kind] === undefined) ctx.addIssue({ code: 'custom', path: ['commands', key], message: `there is no ${kind} command to heal` });
      check(['commands', key], template, kind);
    }
  } else if (config.type === 'kubernetes') check(['podSelector'], config.podSelector, undefined);
  else {
    for (const [key, template] of Object.entries(config.podLabels)) check(['podLabels', key], template, undefined);
    check(['volumePath'], config.volumePath, undefined);
  }
}

const EXECUTOR_TYPES = 'must be "command", "kubernetes" or "chaos-mesh"';
export const FaultExecutorConfigSchema = z.discriminatedUnion('type', [CommandExecutorSchema, KubernetesExecutorSchema, ChaosMeshExecutorSchema], {
  error: (issue) => {
    if (issue.code !== 'invalid_union') return undefined;
    return (issue.input as { type?: unknown } | undefined)?.type === undefined ? `Required (${EXECUTOR_TYPES})` : `${EXECUTOR_TYPES}, not ${JSON.stringify((issue.input as { type: unknown }).type)}`;
  },
}).superRefine((config, ctx) => checkTemplates(config as FaultExecutorConfig, ctx));
export type FaultExecutorConfig = z.infer<typeof FaultExecutorConfigSchema>;

/** Each issue as "field.path: rule", joined by "; " (an unknown field and a bad record key are named in the path too). */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${[...path, key].join('.')}: ${issue.message}`).join('; ');
    if (path.length === 0 && issue.code === 'invalid_type') return 'the file must hold one JSON object, such as {"type": "command", ...}';
    return `${path.join('.')}: ${issue.code === 'invalid_key' ? issue.issues.map((i) => i.message).join(', ') : issue.message}`;
  }).join('; ');
}

/** An executor configuration from its JSON text; `source` (a file name) starts every error message. */
export function parseExecutorConfig(text: string, source = 'fault executor config'): FaultExecutorConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FaultExecutorError(`${source}: not JSON: ${(error as Error).message}`);
  }
  const parsed = FaultExecutorConfigSchema.safeParse(json);
  if (!parsed.success) throw new FaultExecutorError(`${source}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

// --- Planning ---

/** The command executor's: the actions it has a command for; the others': what kubectl or Chaos Mesh can do. */
export function supportedActions(config: FaultExecutorConfig): FaultActionKind[] {
  if (config.type === 'command') return FAULT_ACTION_KINDS.filter((kind) => config.commands[kind] !== undefined);
  return config.type === 'kubernetes' ? ['kill-broker', 'start-broker', 'cordon'] : ['kill-broker', 'start-broker', 'partition', 'delay', 'loss', 'slow-disk'];
}

/** Why the executor cannot do `kind`, and what can. */
function unsupported(config: FaultExecutorConfig, kind: FaultActionKind): string {
  const has = supportedActions(config).join(', ');
  if (config.type === 'command') return `the command executor cannot ${kind}: its commands have no "${kind}" (it has ${has})`;
  if (config.type === 'kubernetes') return `the kubernetes executor cannot ${kind}: it deletes, waits for and cordons pods only (${has}); use the chaos-mesh executor for partition, delay, loss and slow-disk`;
  return `the chaos-mesh executor cannot ${kind}: Chaos Mesh has no such fault; use the kubernetes executor to cordon a node`;
}

const wholeMs = (n: number) => Number.isSafeInteger(n) && n >= 0;

/** Why the action's parameters cannot be injected, or null. */
function parameterProblem(action: FaultAction): string | null {
  switch (action.kind) {
    case 'partition':
      if (action.peers.length === 0) return 'partition needs at least one peer to cut the broker from';
      return action.peers.some((p) => brokerKey(p) === brokerKey(action.broker)) ? `partition cannot cut ${brokerKey(action.broker)} from itself` : null;
    case 'delay':
      return wholeMs(action.latencyMs) && wholeMs(action.jitterMs) ? null : `delay latencyMs and jitterMs must be whole milliseconds of at least 0, got ${action.latencyMs} and ${action.jitterMs}`;
    case 'loss':
      return Number.isFinite(action.lossPercent) && action.lossPercent > 0 && action.lossPercent <= 100 ? null : `loss lossPercent must be more than 0 and at most 100, got ${action.lossPercent}`;
    case 'slow-disk':
      return wholeMs(action.delayMs) ? null : `slow-disk delayMs must be whole milliseconds of at least 0, got ${action.delayMs}`;
    default:
      return null;
  }
}

/** One line for a step's `describe`: what the action does to which broker. */
function describeAction(action: FaultAction): string {
  const b = brokerKey(action.broker);
  switch (action.kind) {
    case 'kill-broker': return `kill ${b} (${action.broker.addr}) without grace`;
    case 'start-broker': return `bring ${b} back`;
    case 'partition': return `cut ${b} off from ${action.peers.map(brokerKey).join(', ')}, both directions`;
    case 'delay': return `delay ${b}'s packets by ${action.latencyMs} ms ± ${action.jitterMs} ms`;
    case 'loss': return `drop ${action.lossPercent}% of ${b}'s packets`;
    case 'slow-disk': return `delay ${b}'s store I/O by ${action.delayMs} ms`;
    case 'cordon': return `cordon the node of ${b}'s pod`;
  }
}

/**
 * The steps of one fault and of its heal. `options.id` names what the fault leaves behind (Chaos
 * Mesh objects, a node label): unique per fault within a run, so its heal removes only its own.
 */
export function planFault(config: FaultExecutorConfig, action: FaultAction, options: { id: string }): PlannedFault {
  if (!supportedActions(config).includes(action.kind)) throw new FaultExecutorError(unsupported(config, action.kind));
  const problem = parameterProblem(action);
  if (problem) throw new FaultExecutorError(`the ${config.type} executor cannot ${action.kind}: ${problem}`);
  if (!/[a-z0-9]/i.test(options.id)) throw new FaultExecutorError(`the ${config.type} executor cannot ${action.kind}: the fault id "${options.id}" needs a letter or digit`);
  const values = placeholderValues(config, action);
  const where = (field: string) => `the ${config.type} executor cannot ${action.kind} ${brokerKey(action.broker)}: ${field}`;
  switch (config.type) {
    case 'command': {
      const line = (kind: string) => {
        const template = config.commands[kind as keyof typeof config.commands];
        return template === undefined ? [] : [render(template, values, shellQuote, where(`commands.${kind}`))];
      };
      const step = (describe: string) => (rendered: string): ExecStep => ({ describe, argv: [config.shell, '-c', rendered] });
      return { action: action.kind, steps: line(action.kind).map(step(describeAction(action))), heal: line(`heal-${action.kind}`).map(step(`undo: ${describeAction(action)}`)) };
    }
    case 'kubernetes':
      return planKubernetes(config, action, render(config.podSelector, values, selectorValue, where('podSelector')), options.id);
    case 'chaos-mesh':
      return planChaosMesh(config, action, options.id, values, where);
  }
}

/** A value substituted into a label selector: only characters that cannot change the selector's meaning (no ",", "=", "!", space). */
function selectorValue(value: string, name: string): string {
  if (!/^[\w.-]*$/.test(value)) throw new FaultExecutorError(`{${name}} is "${value}", which a label selector cannot hold (letters, digits, "-", "_" and "." only)`);
  return value;
}

type KubernetesConfig = Extract<FaultExecutorConfig, { type: 'kubernetes' }>;
type ChaosMeshConfig = Extract<FaultExecutorConfig, { type: 'chaos-mesh' }>;

/** The node label that marks the node a cordon fault cordoned, so its heal uncordons that node even if the pod moved since. */
const CORDON_LABEL = 'zeroloss-cordon';

function planKubernetes(config: KubernetesConfig, action: FaultAction, selector: string, id: string): PlannedFault {
  const describe = describeAction(action);
  const k = kubectlArgv(config, config.namespace);
  if (action.kind === 'kill-broker') return { action: action.kind, steps: [{ describe, argv: [...k, 'delete', 'pod', '-l', selector, '--grace-period=0', '--force', '--wait=false'] }], heal: [] };
  if (action.kind === 'start-broker') return { action: action.kind, steps: [{ describe, argv: kubectlWaitReady(config, config.namespace, selector) }], heal: [] };
  // cordon: a step's argv cannot hold an earlier step's output, so one shell step finds the node and
  // cordons it, every word quoted as needed. It labels the node first: the heal finds it by that label.
  const mark = `${CORDON_LABEL}=${chaosObjectName('cordon', id)}`;
  const words = (argv: string[]) => argv.map(shellWord).join(' ');
  const script = [
    `node=$(${words([...k, 'get', 'pod', '-l', selector, '-o', 'jsonpath={.items[0].spec.nodeName}'])}) || exit 1`,
    `if [ -z "$node" ]; then echo ${shellQuote(`no scheduled pod matches -l ${selector} in namespace ${config.namespace}`)} >&2; exit 1; fi`,
    `${words([...kubectlArgv(config), 'label', 'node'])} "$node" ${shellWord(mark)} --overwrite && exec ${words([...kubectlArgv(config), 'cordon'])} "$node"`,
  ].join('; ');
  return {
    action: action.kind,
    steps: [{ describe, argv: ['/bin/sh', '-c', script] }],
    heal: [
      { describe: `undo: uncordon the node labelled ${mark}`, argv: [...kubectlArgv(config), 'uncordon', '-l', mark] },
      { describe: `undo: remove the label ${CORDON_LABEL} from that node`, argv: [...kubectlArgv(config), 'label', 'node', '-l', mark, `${CORDON_LABEL}-`] },
    ],
  };
}

/** The broker's pod labels, each value rendered and checked as a Kubernetes label value. */
function podLabels(config: ChaosMeshConfig, values: Map<string, PlaceholderValue>, where: (field: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(config.podLabels).map(([key, template]) => {
    const value = render(template, values, (v) => v, where(`podLabels.${key}`));
    const problem = labelValueProblem(value);
    if (problem) throw new FaultExecutorError(`${where(`podLabels.${key}`)} "${template}" renders "${value}": ${problem}`);
    return [key, value];
  }));
}

function planChaosMesh(config: ChaosMeshConfig, action: FaultAction, id: string, values: Map<string, PlaceholderValue>, where: (field: string) => string): PlannedFault {
  const describe = describeAction(action);
  // A peer's labels come from its own placeholders (its name, id, extras), the template being the same.
  const labelsOf = (b: BrokerTarget) => podLabels(config, b === action.broker ? values : placeholderValues(config, { kind: 'kill-broker', broker: b }), where);
  const pods: PodSelection = { namespace: config.targetNamespace, labels: labelsOf(action.broker) };
  if (action.kind === 'start-broker') return { action: action.kind, steps: [{ describe, argv: kubectlWaitReady(config, config.targetNamespace, selectorText(pods.labels)) }], heal: [] };
  const k = kubectlArgv(config, config.namespace);
  const objects: { name: string; fault: ChaosFault; note: string }[] = [];
  const name = (suffix?: string) => chaosObjectName(action.kind, id, suffix);
  switch (action.kind) {
    case 'kill-broker': objects.push({ name: name(), fault: { action: 'pod-kill' }, note: 'PodChaos pod-kill' }); break;
    case 'partition':
      // A selector ANDs its terms: one selector cannot pick out several peers whose labels differ in
      // more than one key without catching pods between them. One object per peer is exact.
      for (const peer of action.peers) {
        const peerPods: PodSelection = { namespace: config.targetNamespace, labels: labelsOf(peer) };
        if (selectorText(peerPods.labels) === selectorText(pods.labels)) {
          throw new FaultExecutorError(`the chaos-mesh executor cannot partition ${brokerKey(action.broker)}: podLabels give it and its peer ${brokerKey(peer)} the same labels (${selectorText(pods.labels)}); add a label that tells them apart, such as brokerId`);
        }
        objects.push({ name: name(brokerKey(peer)), fault: { action: 'partition', peer: peerPods }, note: `NetworkChaos partition from ${brokerKey(peer)}` });
      }
      break;
    case 'delay': objects.push({ name: name(), fault: { action: 'delay', latencyMs: action.latencyMs, jitterMs: action.jitterMs }, note: 'NetworkChaos delay' }); break;
    case 'loss': objects.push({ name: name(), fault: { action: 'loss', lossPercent: action.lossPercent }, note: 'NetworkChaos loss' }); break;
    case 'slow-disk': {
      const volumePath = render(config.volumePath, values, (v) => v, where('volumePath'));
      if (!volumePath.startsWith('/')) throw new FaultExecutorError(`${where('volumePath')} "${config.volumePath}" renders "${volumePath}", not an absolute path`);
      objects.push({ name: name(), fault: { action: 'io-latency', delayMs: action.delayMs, volumePath }, note: 'IOChaos latency' });
      break;
    }
    case 'cordon': throw new FaultExecutorError(unsupported(config, action.kind)); // refused by planFault already
  }
  const manifests = objects.map((o) => ({ ...o, manifest: chaosManifest({ name: o.name, namespace: config.namespace, faultId: id, broker: brokerKey(action.broker) }, pods, o.fault) }));
  const resource = `${manifests[0].manifest.kind.toLowerCase()}.chaos-mesh.org`;
  return {
    action: action.kind,
    steps: manifests.map((m) => ({ describe: `${describe}: ${m.note} ${m.name}`, argv: [...k, 'apply', '-f', '-'], stdin: `${JSON.stringify(m.manifest, null, 2)}\n` })),
    heal: [{ describe: `undo: delete ${manifests.map((m) => m.name).join(', ')}`, argv: [...k, 'delete', resource, ...manifests.map((m) => m.name), '--ignore-not-found'] }],
  };
}

// --- Dry-run and running ---

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A step as a shell would run it: its argv on one line, its stdin (a manifest) in full as a here-document. */
function stepText(step: ExecStep, label: string): string[] {
  const command = step.argv.map(shellWord).join(' ');
  if (step.stdin === undefined) return [`# ${label} ${step.describe}`, command];
  const body = step.stdin.endsWith('\n') ? step.stdin.slice(0, -1) : step.stdin;
  let eof = 'EOF';
  while (body.split('\n').includes(eof)) eof += '_';
  return [`# ${label} ${step.describe}`, `${command} <<'${eof}'`, body, eof];
}

/** Exactly what a plan would run, as a shell script: each step, then each heal step. */
export function describeDryRun(plan: PlannedFault): string {
  return [
    `# ${plan.action}: ${plural(plan.steps.length, 'step')}; heal: ${plural(plan.heal.length, 'step')}`,
    ...plan.steps.flatMap((s, i) => stepText(s, `${i + 1}.`)),
    plan.heal.length === 0 ? '# heal: nothing to undo' : '# heal:',
    ...plan.heal.flatMap((s, i) => stepText(s, `heal ${i + 1}.`)),
    '',
  ].join('\n');
}

/** What a failed step's error message quotes of its output: the end, where the reason usually is. */
const OUTPUT_TAIL_CHARS = 4096;
/** What a StepOutput keeps of each stream (the end of it), so a chatty step cannot fill memory. */
const STREAM_KEEP_CHARS = 1024 * 1024;
/** After the program exits, how long its output pipes may stay open (held by a process it left running) before they are closed. */
const PIPE_GRACE_MS = 200;

/**
 * Runs the steps in order, each within `timeoutMs`. A non-zero exit, a signal, a program that could
 * not start, a timeout or an abort rejects with a FaultExecutorError naming the step and quoting the
 * end of its output; the later steps do not run. Each step is spawned in its own process group, and
 * on timeout or abort the whole group is killed, whatever the step started in the background.
 */
export async function runSteps(steps: ExecStep[], options: { timeoutMs: number; signal?: AbortSignal; env?: NodeJS.ProcessEnv }): Promise<StepOutput[]> {
  const outputs: StepOutput[] = [];
  for (const [i, step] of steps.entries()) outputs.push(await runStep(step, `step ${i + 1} of ${steps.length}`, options));
  return outputs;
}

/** SIGKILL to every process of the group; it may be gone already. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // no process of the group is left
  }
}

function runStep(step: ExecStep, label: string, options: { timeoutMs: number; signal?: AbortSignal; env?: NodeJS.ProcessEnv }): Promise<StepOutput> {
  const title = `${label} "${step.describe}" (${step.argv.map(shellWord).join(' ')})`;
  if (options.signal?.aborted) return Promise.reject(new FaultExecutorError(`${title} was aborted before it started`));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(step.argv[0], step.argv.slice(1), {
      detached: true, // its own process group: kill(-pid) reaches everything it starts
      stdio: [step.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
    });
    let [stdout, stderr, tail] = ['', '', ''];
    let stopped: 'timed out' | 'aborted' | undefined;
    let spawnError: Error | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const keep = (kept: string, chunk: string, max: number) => (kept.length + chunk.length > max ? (kept + chunk).slice(-max) : kept + chunk);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => { stdout = keep(stdout, c, STREAM_KEEP_CHARS); tail = keep(tail, c, OUTPUT_TAIL_CHARS); });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr = keep(stderr, c, STREAM_KEEP_CHARS); tail = keep(tail, c, OUTPUT_TAIL_CHARS); });
    // A program that exits without reading its stdin (EPIPE): its exit status says what happened.
    child.stdin?.on('error', () => {}).end(step.stdin);
    const stop = (why: 'timed out' | 'aborted') => {
      stopped ??= why;
      if (child.pid !== undefined) killGroup(child.pid);
    };
    const timer = setTimeout(() => stop('timed out'), options.timeoutMs);
    const onAbort = () => stop('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
      const output: StepOutput = { step, code, signal, stdout, stderr, ms: Math.round(performance.now() - started) };
      const why = spawnError ? `could not start ${step.argv[0]}: ${spawnError.message}`
        : stopped === 'timed out' ? `timed out (timeoutMs ${options.timeoutMs}) and its process group was killed`
          : stopped === 'aborted' ? 'was aborted and its process group was killed'
            : signal ? `was killed by ${signal}`
              : code !== 0 ? `exited with code ${code}` : undefined;
      if (why === undefined) return resolve(output);
      const quoted = tail.trim() === '' ? 'no output' : `last output:\n${tail.trimEnd()}`;
      reject(new FaultExecutorError(`${title} ${why} (ran ${output.ms} ms); ${quoted}`, output));
    };
    child.on('error', (error) => { spawnError = error; finish(null, null); });
    child.on('exit', (code, signal) => {
      // A process it started in the background may hold the pipes open: stop reading soon after.
      graceTimer = setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        finish(code, signal);
      }, PIPE_GRACE_MS);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}
