// The clock port (issue 14, point 5): what the outbox relay and the consumer core read of time
// and how they wait, so their unit tests drive time by hand instead of sleeping. Real code
// takes `systemClock`; nothing else implements it outside tests.

export interface Clock {
  /** Milliseconds since the epoch (Date.now()). */
  now(): number;
  /** Calls `fn` once after `ms`; returns the function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
