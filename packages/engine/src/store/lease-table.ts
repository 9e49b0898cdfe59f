/**
 * Leases kept in process memory: the lease part of the Store port for stores whose process is the
 * only driver of its data (the in-memory store; SQLite, whose file lock already makes this process
 * the only one). A multi-process store keeps leases in its database instead.
 */
export class LeaseTable {
  readonly #leases = new Map<string, { owner: string; until: number }>();

  /** Take or renew each lease that is free, expired (`until <= nowMs`) or already `owner`'s; returns the ids held. */
  acquire(owner: string, instanceIds: readonly string[], nowMs: number, untilMs: number): string[] {
    const held: string[] = [];
    const seen = new Set<string>();
    for (const id of instanceIds) {
      if (seen.has(id)) continue;
      seen.add(id);
      const lease = this.#leases.get(id);
      if (lease === undefined || lease.owner === owner || lease.until <= nowMs) {
        this.#leases.set(id, { owner, until: untilMs });
        held.push(id);
      }
    }
    return held;
  }

  /** Free the leases `owner` holds among `instanceIds`; others' leases stay. */
  release(owner: string, instanceIds: readonly string[]): void {
    for (const id of instanceIds) {
      if (this.#leases.get(id)?.owner === owner) this.#leases.delete(id);
    }
  }
}
