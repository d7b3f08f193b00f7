// Starts independent parts of a test's set-up side by side (MailDev boots while the app's
// database is made and migrated, Chromium launches meanwhile) without leaking any of them.
// Unlike Promise.all it waits for every start to settle: when one fails, the others that did
// start are closed before the error is thrown, so no child process or server keeps the test
// file alive until the runner's timeout.

interface Closable {
  close(): Promise<unknown>;
}

export async function startTogether<T extends readonly Closable[]>(
  ...starts: { [K in keyof T]: Promise<T[K]> }
): Promise<T> {
  const results = await Promise.allSettled(starts as readonly Promise<Closable>[]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.allSettled(
      results.map((r) => (r.status === 'fulfilled' ? r.value.close() : Promise.resolve())),
    );
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<Closable>).value) as unknown as T;
}
