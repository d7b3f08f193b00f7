// Apart from webhooks.consumer.ts so that the API (delivery log) can name deliveries without
// loading the consumer's HTTP client and signer at start-up (P7).

/** The `webhook-id` header of a delivery: the same on every attempt. */
export const webhookIdHeader = (uuid: string) => `msg_${uuid.replace(/-/g, '')}`;
