/**
 * The consumers of the test traffic: N consumer processes of one clustering group, each supervised,
 * each killable on its own (a real SIGKILL). Their reports feed the aggregator and the sequence checker.
 */
import path from 'node:path';
import { SupervisedChild, type ProcessStatus } from '../cluster/child-process';
import type { ConsumeEvent, ConsumerConfig, ConsumerToParent, ParentToConsumer } from '../../broker/ipc';
import type { AckMode } from '../../broker/client/ack-mode';
import { labClientId } from './lab-clients';
import type { LabBug } from '../../broker/lab-bugs';
import { sessionCredentialsEnvironment, type SessionCredentials } from '../../broker/acl/acl-signature';

export interface FleetInput {
  count: number;
  ackMode: AckMode;
  idempotent: boolean;
  processingMs: number;
  failRate: number;
  topic: string;
  consumerGroup: string;
  /** where a new group starts (default CONSUME_FROM_LAST_OFFSET); drills read their fresh topic from the first offset */
  consumeFromWhere?: ConsumerConfig['consumeFromWhere'];
  /** a drill's consumers persist offsets and rebalance faster than the defaults (5000 ms) */
  persistConsumerOffsetIntervalMs?: number;
  rebalanceIntervalMs?: number;
  /** deliberate bugs the consumers start with (broker/lab-bugs.ts) */
  labBugs?: LabBug[];
}

export interface ConsumerView extends ProcessStatus {
  clientId: string;
  queues: string[];
}

export interface FleetListener {
  events(events: ConsumeEvent[]): void;
  lifecycle(kind: string, message: string): void;
}

interface Member {
  clientId: string;
  child: SupervisedChild<ParentToConsumer, ConsumerToParent>;
  queues: string[];
  config: ConsumerConfig;
}

export class ConsumerFleet {
  private members: Member[] = [];
  input: FleetInput | undefined;
  private credentials: SessionCredentials | undefined;

  constructor(private readonly dataDir: string, private readonly namesrvAddr: () => string, private readonly listener: FleetListener, private readonly maxReconsumeTimes: () => number) {}

  get running(): boolean {
    return this.members.some((m) => m.child.running);
  }

  /**
   * `credentials`: an ACL account the consumers sign with, handed to them in ZL_SESSION_CREDENTIALS and
   * kept apart from `input` (which the dashboard's state shows).
   */
  async start(input: FleetInput, credentials?: SessionCredentials): Promise<void> {
    await this.stop();
    this.input = input;
    this.credentials = credentials;
    const dedupeFile = path.join(this.dataDir, 'consumers', input.consumerGroup, 'applied.keys');
    this.members = Array.from({ length: input.count }, (_, i) => {
      const clientId = labClientId(`consumer-${i + 1}`);
      const config: ConsumerConfig = {
        namesrvAddr: this.namesrvAddr(),
        consumerGroup: input.consumerGroup,
        topic: input.topic,
        clientId,
        ackMode: input.ackMode,
        idempotent: input.idempotent,
        dedupeFile,
        processingMs: input.processingMs,
        failRate: input.failRate,
        maxReconsumeTimes: this.maxReconsumeTimes(),
        consumeFromWhere: input.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET',
        persistConsumerOffsetIntervalMs: input.persistConsumerOffsetIntervalMs ?? 5000,
        rebalanceIntervalMs: input.rebalanceIntervalMs ?? 5000,
        ...(input.labBugs && input.labBugs.length > 0 ? { labBugs: input.labBugs } : {}),
      };
      const member: Member = { clientId, config, queues: [], child: undefined as never };
      member.child = new SupervisedChild<ParentToConsumer, ConsumerToParent>(`consumer ${i + 1}`, 'server/traffic/consumer-main.ts', {
        message: (message) => {
          switch (message.type) {
            case 'ready':
              member.child.markRunning();
              break;
            case 'events':
              this.listener.events(message.events);
              break;
            case 'rebalanced':
              member.queues = message.queues;
              break;
            case 'error':
            case 'fatal':
              break;
          }
        },
        exit: (info) => {
          member.queues = [];
          this.listener.lifecycle(info.expected || info.code === 0 ? 'consumer.stopped' : 'process.crashed', `consumer ${i + 1} (${clientId}) ${info.reason}`);
        },
      });
      return member;
    });
    for (const member of this.members) this.spawn(member);
    this.listener.lifecycle('consumer.started', `${input.count} consumer(s) of ${input.consumerGroup}, ${input.ackMode}${input.idempotent ? ', idempotent' : ''}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.child.stop({ type: 'stop' }, 8000)));
  }

  /** A real consumer crash: SIGKILL of one consumer process. */
  kill(index: number): boolean {
    const member = this.members[index];
    if (!member?.child.running) return false;
    void member.child.kill();
    return true;
  }

  /**
   * Freezes (SIGSTOP) or thaws (SIGCONT) every running consumer process: a consumer paused through a
   * broker's restart (a long GC, a swapped-out host) keeps its in-memory offsets and pulls with them
   * when it wakes. Returns how many were signalled.
   */
  signalAll(signal: 'SIGSTOP' | 'SIGCONT'): number {
    let signalled = 0;
    for (const member of this.members) {
      const pid = member.child.pid;
      if (!member.child.running || pid === undefined) continue;
      process.kill(pid, signal);
      signalled++;
    }
    return signalled;
  }

  /** Starts a killed or stopped member again with the same client id and settings. */
  restart(index: number): boolean {
    const member = this.members[index];
    if (!member || member.child.running) return false;
    this.spawn(member);
    return true;
  }

  private spawn(member: Member): void {
    member.child.start({ ZL_CONSUMER: JSON.stringify(member.config), ...sessionCredentialsEnvironment(this.credentials) });
  }

  views(): ConsumerView[] {
    return this.members.map((m) => ({ ...m.child.status, clientId: m.clientId, queues: m.queues }));
  }
}
