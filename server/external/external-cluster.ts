/**
 * A RocketMQ cluster Zeroloss did not start (issue 18's `external` target): reached through its name
 * servers with RocketMQ's own admin requests, as `mqadmin clusterList`, `getBrokerConfig`,
 * `topicRoute` and `updateTopic` reach it. Nothing here starts, stops or configures a broker: what
 * the cluster runs is read, and a drill's prediction is computed from what was read.
 */
import { z } from 'zod';
import { MQAdminClient, type ClusterInfo } from '../cluster/admin-client';
import { MASTER_ID, PermName } from '../../broker/protocol/codes';
import { defaultSettings, type BrokerSettings } from '../../broker/config/broker-config';
import { readBrokerConfLeniently } from '../../broker/config/properties';
import type { TopicRouteData } from '../../broker/namesrv/route-info-manager';
import type { BrokerTarget } from './fault-executors';
import type { SessionCredentials } from '../../broker/acl/acl-signature';

const HOST_PORT = /^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/;

/** Where the cluster is: RocketMQ's namesrvAddr form, `host:port;host:port`. */
export const NamesrvAddrSchema = z.string().trim().min(1, 'namesrvAddr: give at least one name server as host:port')
  .transform((s) => s.split(';').map((a) => a.trim()).filter((a) => a.length > 0))
  .refine((list) => list.length > 0 && list.every((a) => HOST_PORT.test(a) && Number(a.slice(a.lastIndexOf(':') + 1)) <= 65535),
    'namesrvAddr: each name server is host:port (1-65535), several separated by ";"');

/** One replica of the external cluster as its name server and its GET_BROKER_CONFIG describe it. */
export interface ExternalBroker extends BrokerTarget {
  /** the settings Zeroloss models, as this broker runs them (RocketMQ's default where it sent none) */
  settings: BrokerSettings;
  /** keys whose value Zeroloss could not read (outside its ranges): the prediction cannot account for them */
  unreadable: { key: string; value: string; reason: string }[];
}

export interface ExternalClusterView {
  namesrvAddrs: string[];
  /** the name server that answered */
  answeredBy: string;
  brokers: ExternalBroker[];
  /** brokers the name server lists that did not answer GET_BROKER_CONFIG, with why */
  unreachable: { brokerName: string; brokerId: number; addr: string; error: string }[];
}

export class ExternalCluster {
  readonly admin: MQAdminClient;

  /** `credentials`: the ACL account every admin request is signed with, for a cluster with ACL */
  constructor(readonly namesrvAddrs: string[], credentials?: SessionCredentials) {
    this.admin = new MQAdminClient(undefined, credentials);
  }

  /** GET_BROKER_CLUSTER_INFO from the first name server that answers; throws naming each one's failure. */
  async clusterInfo(): Promise<{ info: ClusterInfo; answeredBy: string }> {
    return this.firstAnswer('GET_BROKER_CLUSTER_INFO', async (addr) => ({ info: await this.admin.clusterInfo(addr), answeredBy: addr }));
  }

  /** `ask` of each name server in turn until one answers; throws naming each one's failure. */
  private async firstAnswer<T>(what: string, ask: (namesrvAddr: string) => Promise<T>): Promise<T> {
    const failures: string[] = [];
    for (const addr of this.namesrvAddrs) {
      try {
        return await ask(addr);
      } catch (error) {
        failures.push(`${addr}: ${(error as Error).message}`);
      }
    }
    throw new Error(`no name server answered ${what} (${failures.join('; ')})`);
  }

  /** Every replica the name servers list, with the settings it runs (read from it, not assumed). */
  async describe(): Promise<ExternalClusterView> {
    const { info, answeredBy } = await this.clusterInfo();
    const brokers: ExternalBroker[] = [];
    const unreachable: ExternalClusterView['unreachable'] = [];
    for (const data of Object.values(info.brokerAddrTable).sort((a, b) => a.brokerName.localeCompare(b.brokerName))) {
      for (const [id, addr] of Object.entries(data.brokerAddrs).sort(([a], [b]) => Number(a) - Number(b))) {
        const brokerId = Number(id);
        try {
          const config = await this.admin.getBrokerConfigProperties(addr);
          const read = readBrokerConfLeniently(config);
          const host = addr.slice(0, addr.lastIndexOf(':'));
          brokers.push({
            cluster: data.cluster, brokerName: data.brokerName, brokerId, addr, host, port: Number(addr.slice(addr.lastIndexOf(':') + 1)),
            config, settings: { ...defaultSettings(), ...read.patch }, unreadable: read.unreadable,
          });
        } catch (error) {
          unreachable.push({ brokerName: data.brokerName, brokerId, addr, error: (error as Error).message });
        }
      }
    }
    if (brokers.length === 0 && unreachable.length === 0) throw new Error(`the name server ${answeredBy} lists no broker`);
    return { namesrvAddrs: this.namesrvAddrs, answeredBy, brokers, unreachable };
  }

  /** The master (brokerId 0) of `brokerName` the name servers route to now, or undefined. */
  async masterAddr(brokerName: string): Promise<string | undefined> {
    const { info } = await this.clusterInfo();
    return info.brokerAddrTable[brokerName]?.brokerAddrs[String(MASTER_ID)];
  }

  async route(topic: string): Promise<TopicRouteData | undefined> {
    return this.firstAnswer(`GET_ROUTEINFO_BY_TOPIC for ${topic}`, (addr) => this.admin.topicRoute(addr, topic));
  }

  /** UPDATE_AND_CREATE_TOPIC to every group's master, as `mqadmin updateTopic -c` sends it; a refusal names the broker. */
  async createTopic(topic: string, queueNums: number, masters: ExternalBroker[]): Promise<void> {
    for (const master of masters) {
      try {
        await this.admin.createAndUpdateTopicConfig(master.addr, { topic, readQueueNums: queueNums, writeQueueNums: queueNums, perm: PermName.PERM_READ | PermName.PERM_WRITE });
      } catch (error) {
        throw new Error(`${master.brokerName} (${master.addr}) refused to create topic ${topic}: ${(error as Error).message}`);
      }
    }
  }

  close(): void {
    this.admin.close();
  }
}
