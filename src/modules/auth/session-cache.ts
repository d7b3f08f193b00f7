/**
 * What this process knows about logins whose access tokens predate the user's latest
 * single-session revocation (ADR 0017): a login is either known revoked, or known live as of
 * a revision of the user's counter. Revocations in this process write here at once; other
 * processes learn from the revision in the user row they read anyway, and ask the database
 * once per login and revision. Bounded: the oldest entries go first (losing one costs one
 * read, never a wrong answer).
 */
export class SessionStateCache {
  private readonly entries = new Map<string, { revoked: boolean; revision: number }>();

  constructor(private readonly maxEntries = 100_000) {}

  /** true = revoked, false = live as of `revision` or later, undefined = ask the database. */
  revokedAsOf(sessionId: string, revision: number): boolean | undefined {
    const entry = this.entries.get(sessionId);
    if (entry === undefined) {
      return undefined;
    }
    if (entry.revoked) {
      return true;
    }
    return entry.revision >= revision ? false : undefined;
  }

  markRevoked(sessionId: string): void {
    this.set(sessionId, { revoked: true, revision: Number.MAX_SAFE_INTEGER });
  }

  markLive(sessionId: string, revision: number): void {
    const entry = this.entries.get(sessionId);
    if (entry?.revoked !== true) {
      this.set(sessionId, { revoked: false, revision });
    }
  }

  private set(sessionId: string, entry: { revoked: boolean; revision: number }): void {
    this.entries.delete(sessionId);
    this.entries.set(sessionId, entry);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) {
        this.entries.delete(oldest);
      }
    }
  }
}
