/**
 * The drain, shared by the drill runner and the external drill: wait until the consumers have applied
 * everything the producers were told was stored, or until it is clear nothing more will come.
 *
 * - Everything applied, then 1 s of quiet: done.
 * - Messages still unapplied, 1.5 s of quiet, and the broker says the group has consumed everything it
 *   holds (group-caught-up.ts): done, with a note (those messages are lost, not late).
 * - 8 s with nothing new: done, with a note.
 * - The bound: done, with a note.
 *
 * Quiet only counts while every consumer runs with its queues: one still starting (slow on a busy
 * machine) is no sign that nothing more will come. A half message its producer never ended counts as
 * outstanding until a check-back resolves it.
 */
import type { TopicRouteData } from '../../broker/namesrv/route-info-manager';
import type { MQAdminClient } from '../cluster/admin-client';
import type { LossLedger } from './loss-ledger';
import { groupCaughtUp } from './group-caught-up';
import { sleep } from './drill-steps';

const QUIET_OUTSTANDING_MS = 8000;
/** quiet enough to end a drain with outstanding messages once the group is caught up with the broker */
const QUIET_CAUGHT_UP_MS = 1500;

export interface DrainSource {
  ledger: LossLedger;
  /** the consumers now: each one's state and the queues it holds */
  members(): { state: string; queues: readonly unknown[] }[];
  /** the topic's route now, for the caught-up check */
  route(): TopicRouteData | null | undefined | Promise<TopicRouteData | null | undefined>;
  admin: MQAdminClient;
  topic: string;
  group: string;
}

/** Resolves when the drain is over; `note` says why when messages were still unapplied, `progress` as it goes. */
export async function drainConsumers(source: DrainSource, options: { deadline: number; signal: AbortSignal; note(message: string): void; progress?(message: string): void }): Promise<void> {
  const { ledger } = source;
  let seen = -1;
  let lastChange = Date.now();
  let lastCaughtUpCheck = 0;
  for (;;) {
    const signature = ledger.consumerProgress();
    const now = Date.now();
    if (signature !== seen) {
      seen = signature;
      lastChange = now;
    }
    if (source.members().some((m) => m.state !== 'running' || m.queues.length === 0)) lastChange = now;
    const unresolvedHalves = ledger.unresolvedHalves();
    const outstanding = ledger.outstanding() + unresolvedHalves;
    options.progress?.(`${outstanding} message(s) acknowledged to the producer not applied yet; ${ledger.appliedCount()} applied`);
    if (outstanding === 0 && now - lastChange >= 1000) return;
    if (outstanding > 0 && unresolvedHalves === 0 && now - lastChange >= QUIET_CAUGHT_UP_MS && now - lastCaughtUpCheck >= QUIET_CAUGHT_UP_MS) {
      lastCaughtUpCheck = now;
      const caughtUp = await groupCaughtUp(source.admin, await source.route(), source.topic, source.group);
      // Nothing may have arrived while the broker was asked.
      if (caughtUp && ledger.consumerProgress() === seen) {
        options.note(`drained: the group's consumer offsets reached every queue's max offset and nothing new came for ${((Date.now() - lastChange) / 1000).toFixed(1)} s; ${outstanding} message(s) still unapplied`);
        return;
      }
    }
    if (now - lastChange >= QUIET_OUTSTANDING_MS) {
      options.note(`drained: nothing new for ${Math.round((now - lastChange) / 1000)} s with ${outstanding} message(s) still unapplied`);
      return;
    }
    if (now > options.deadline) {
      options.note(`the drain stopped at its bound with ${outstanding} message(s) still unapplied`);
      return;
    }
    await sleep(250, options.signal);
  }
}
