// The messages between src/cluster.ts's primary and a worker (src/server.ts) on the IPC
// channel, beside node:cluster's own (ADR 0027).

/** Worker → primary: my server has stopped listening; answer once you have read this. */
export const LISTENING_CLOSED = 'listening-closed';
/** Primary → worker: every connection handed to you before that has been sent. */
export const HANDOFFS_DONE = 'handoffs-done';
