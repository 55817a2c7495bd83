/**
 * How a producer sends, the one definition the traffic runner, the IPC contract, the control plane's
 * inputs and the dashboard share. This file imports nothing, so the browser may import it.
 *
 * 'sync' waits for the SendStatus; 'async' gets it in a callback that is checked; 'async-unchecked'
 * ignores the callback (the anti-pattern: a failed send is never known); 'oneway' asks for no answer.
 */
export const SEND_MODES = ['sync', 'async', 'async-unchecked', 'oneway'] as const;
export type SendMode = (typeof SEND_MODES)[number];
