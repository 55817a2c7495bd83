/**
 * The names the lab's own RocketMQ clients go by: the traffic runner's producer group, the message
 * console's groups, the consumers' default group, and the client ids they register with. The Topics
 * page tells them apart from a user's own application pointed at Zeroloss by these names.
 */

/** the producer group of the lab's traffic runner */
export const TRAFFIC_PRODUCER_GROUP = 'zeroloss-producer';
/** the producer group of the console's sends (publish one, DLQ resend) */
export const CONSOLE_PRODUCER_GROUP = 'zeroloss-console';
/** the consumer group named on the console's browsing pulls; no offset is ever committed for it */
export const BROWSER_GROUP = 'zeroloss-console-browser';
/** the consumer group the consumers form unless the form names another */
export const DEFAULT_CONSUMER_GROUP = 'zeroloss-consumer';

const LAB_CLIENT_ID_MARK = '@zl-';

/** The client id of one of the lab's own clients: 127.0.0.1@zl-consumer-1, 127.0.0.1@zl-console-<pid>. */
export function labClientId(name: string): string {
  return `127.0.0.1${LAB_CLIENT_ID_MARK}${name}`;
}

export function isLabClientId(clientId: string): boolean {
  return clientId.includes(LAB_CLIENT_ID_MARK);
}
