/**
 * The producer's send modes as the forms offer them (the Traffic panel, the External page), each with
 * its hint; the unchecked one is marked as the anti-pattern it is.
 */
import type { SendMode } from '@/broker/client/send-mode';
import type { HintedOption } from './form';

export const SEND_MODE_OPTIONS: HintedOption<SendMode>[] = [
  { value: 'sync', label: 'sync — wait for each answer', hint: 'Blocks on every SendResult and checks its status: nothing fails silently.' },
  { value: 'async', label: 'async — answers by callback', hint: 'Sends without blocking; the callback reads every SendResult and counts failures.' },
  {
    value: 'async-unchecked',
    label: 'async, callback ignored — failures go unnoticed (anti-pattern)',
    hint: 'The anti-pattern: fire and forget. Every send counts as UNCHECKED; a lost message is never noticed.',
    antiPattern: true,
  },
  { value: 'oneway', label: 'oneway — no answer (UNCHECKED)', hint: 'RocketMQ oneway: the broker sends no answer at all, so nothing is known about the send.' },
];
