// The API holds no RabbitMQ connection (the relay publishes, not the requests: P3), so its
// readiness learns the broker's state from a short connection of its own: opened at most
// once per `maxAgeMs`, in the background of the readiness request that finds the last answer
// stale. Readiness never waits on the broker except for the very first check.

export type BrokerState = 'up' | 'down' | 'embedded';

export interface BrokerCheck {
  state(): Promise<BrokerState>;
}

export function brokerCheck(url: string, maxAgeMs = 10_000, timeoutMs = 2000): BrokerCheck {
  let last: { state: BrokerState; at: number } | null = null;
  let inFlight: Promise<BrokerState> | null = null;

  const probe = async (): Promise<BrokerState> => {
    // Loaded on the first readiness probe: nothing else in the API uses the AMQP client (P7).
    const { Connection } = await import('rabbitmq-client');
    const c = new Connection({ url, retryLow: 100, retryHigh: 200, connectionTimeout: timeoutMs });
    c.on('error', () => {}); // the outcome is the answer; errors are not news here
    try {
      // No auto-close on timeout: that close() and ours would wait on each other forever.
      await c.onConnect(timeoutMs, true);
      return 'up';
    } catch {
      return 'down';
    } finally {
      await c.close().catch(() => {});
    }
  };
  const refresh = (): Promise<BrokerState> => {
    inFlight ??= probe().then((state) => {
      last = { state, at: Date.now() };
      inFlight = null;
      return state;
    });
    return inFlight;
  };

  return {
    async state() {
      if (last === null) {
        return refresh();
      }
      if (Date.now() - last.at > maxAgeMs) {
        void refresh();
      }
      return last.state;
    },
  };
}

/** The in-process transport (development, ADR 0021) lives in the API's own process. */
export const embeddedBrokerCheck: BrokerCheck = { state: () => Promise.resolve('embedded') };
