/**
 * How a consumer acknowledges, the one definition the consumer, the IPC contract, the control
 * plane's inputs and the dashboard share. This file imports nothing, so the browser may import it.
 *
 * 'after-processing' acks once the work is done (a crash redelivers: duplicates, never losses);
 * 'before-processing' acks on arrival with the work detached, the anti-pattern the drills show.
 */
export const ACK_MODES = ['after-processing', 'before-processing'] as const;
export type AckMode = (typeof ACK_MODES)[number];
