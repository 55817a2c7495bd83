/**
 * The Chaos Mesh objects of the chaos-mesh fault executor (server/external/fault-executors.ts), and
 * what both Kubernetes executors share: the naming rules they check before kubectl sees a value, and
 * the kubectl command lines. Pure: data in, a manifest or an argv out. Field names, enum values and duration formats follow the chaos-mesh.org/v1alpha1
 * CRDs (PodChaos, NetworkChaos, IOChaos); test/unit/fault-executors.test.ts checks every manifest
 * against the CRDs' required fields and enums.
 */
import { createHash } from 'node:crypto';

export const CHAOS_MESH_API_VERSION = 'chaos-mesh.org/v1alpha1';
/** On every object Zeroloss creates, so `kubectl delete <kind> -l app.kubernetes.io/managed-by=zeroloss` finds leftovers. */
export const MANAGED_BY_LABEL = { 'app.kubernetes.io/managed-by': 'zeroloss' } as const;

export type ChaosKind = 'PodChaos' | 'NetworkChaos' | 'IOChaos';

export interface ChaosManifest {
  apiVersion: typeof CHAOS_MESH_API_VERSION;
  kind: ChaosKind;
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: Record<string, unknown>;
}

/** The pods of one broker: the namespace they run in and the labels that all must match. */
export interface PodSelection {
  namespace: string;
  labels: Record<string, string>;
}

/** What one object does to the selected broker's pods (`peer`: the pods a partition cuts it from). */
export type ChaosFault =
  | { action: 'pod-kill' }
  | { action: 'partition'; peer: PodSelection }
  | { action: 'delay'; latencyMs: number; jitterMs: number }
  | { action: 'loss'; lossPercent: number }
  | { action: 'io-latency'; delayMs: number; volumePath: string };

/** Where an object goes and what it records about the fault (the annotations say which broker, for `kubectl get -o yaml`). */
export interface ChaosObject {
  name: string;
  namespace: string;
  faultId: string;
  broker: string;
}

/** A DNS-1123 label: what Kubernetes takes as a name here (63 characters at most). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Why `value` is not a Kubernetes label value (63 characters at most, alphanumeric at both ends, `-_.` inside), or null. */
export function labelValueProblem(value: string): string | null {
  if (value.length > 63) return 'a label value has at most 63 characters';
  if (value !== '' && !LABEL_NAME.test(value)) return 'a label value is letters, digits, "-", "_" and "." and starts and ends with a letter or digit';
  return null;
}

/** Why `key` is not a Kubernetes label key (an optional DNS-subdomain prefix and "/", then a name of at most 63 characters), or null. */
export function labelKeyProblem(key: string): string | null {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return 'a label key\'s prefix (before "/") is a DNS subdomain such as example.com';
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) return 'a label key\'s name is 1 to 63 letters, digits, "-", "_" and "." and starts and ends with a letter or digit';
  return null;
}

/**
 * `zeroloss-<kind>-<id>[-<suffix>]`, lower-cased, every run of other characters a "-", as a DNS-1123
 * label. A longer name keeps its first 54 characters and ends with 8 hex digits of a hash of the
 * whole, so two long ids that share a beginning still get two objects.
 */
export function chaosObjectName(kind: string, id: string, suffix?: string): string {
  const clean = (part: string) => part.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const name = ['zeroloss', clean(kind), clean(id), clean(suffix ?? '')].filter(Boolean).join('-');
  if (name.length <= 63) return name;
  const hash = createHash('sha256').update(`${kind}\0${id}\0${suffix ?? ''}`).digest('hex').slice(0, 8);
  return `${name.slice(0, 54).replace(/-+$/, '')}-${hash}`;
}

/**
 * A selector for Chaos Mesh: every label must match, in the named namespace. The namespace is always
 * written: left out, Chaos Mesh's webhook fills in the chaos object's own namespace, which is
 * usually not where the brokers run.
 */
function selector(pods: PodSelection): Record<string, unknown> {
  return { namespaces: [pods.namespace], labelSelectors: { ...pods.labels } };
}

/** A duration as the CRDs' pattern has it (`^[0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h)$`): whole milliseconds. */
const millis = (ms: number) => `${ms}ms`;

/** The kind and spec of one fault. `mode: all` acts on every pod the selector finds: one broker's pod, or none. */
function kindAndSpec(pods: PodSelection, fault: ChaosFault): { kind: ChaosKind; spec: Record<string, unknown> } {
  const target = { mode: 'all', selector: selector(pods) };
  switch (fault.action) {
    case 'pod-kill':
      // gracePeriod 0: the pod is deleted at once, the broker gets no SIGTERM window (a crash, not a shutdown).
      return { kind: 'PodChaos', spec: { action: 'pod-kill', ...target, gracePeriod: 0 } };
    case 'partition':
      // direction both needs a target: the peer's pods, all of them.
      return { kind: 'NetworkChaos', spec: { action: 'partition', ...target, direction: 'both', target: { mode: 'all', selector: selector(fault.peer) } } };
    case 'delay':
      return { kind: 'NetworkChaos', spec: { action: 'delay', ...target, delay: { latency: millis(fault.latencyMs), jitter: millis(fault.jitterMs) } } };
    case 'loss':
      // The CRD takes the percentage as a string (its webhook parses it as a float).
      return { kind: 'NetworkChaos', spec: { action: 'loss', ...target, loss: { loss: String(fault.lossPercent) } } };
    case 'io-latency':
      return { kind: 'IOChaos', spec: { action: 'latency', ...target, volumePath: fault.volumePath, delay: millis(fault.delayMs), percent: 100 } };
  }
}

/**
 * One Chaos Mesh object. None has a `duration`: the fault lasts until its heal step deletes the
 * object (a PodChaos pod-kill acts once; deleting it afterwards only tidies up).
 */
export function chaosManifest(object: ChaosObject, pods: PodSelection, fault: ChaosFault): ChaosManifest {
  const { kind, spec } = kindAndSpec(pods, fault);
  return {
    apiVersion: CHAOS_MESH_API_VERSION,
    kind,
    metadata: {
      name: object.name,
      namespace: object.namespace,
      labels: { ...MANAGED_BY_LABEL },
      annotations: { 'zeroloss/fault-id': object.faultId, 'zeroloss/broker': object.broker },
    },
    spec,
  };
}

/** kubectl [--context C] [-n NS]: the configured program and context; nodes take no namespace. */
export function kubectlArgv(config: { kubectl: string; context?: string }, namespace?: string): string[] {
  return [config.kubectl, ...(config.context ? ['--context', config.context] : []), ...(namespace ? ['-n', namespace] : [])];
}

/** A label selector's text: k=v,k=v. */
export const selectorText = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');

/**
 * Waits until the selected pods are Ready: after a kill the StatefulSet (or whatever owns the pod)
 * brings it back, not Zeroloss. kubectl's own --timeout is 2 s short of the step's, so on a pod that
 * never gets Ready the step fails with kubectl's message rather than being killed without one.
 */
export function kubectlWaitReady(config: { kubectl: string; context?: string; timeoutMs: number }, namespace: string, selector: string): string[] {
  const seconds = Math.max(1, Math.floor((config.timeoutMs - 2000) / 1000));
  return [...kubectlArgv(config, namespace), 'wait', '--for=condition=Ready', 'pod', '-l', selector, `--timeout=${seconds}s`];
}
