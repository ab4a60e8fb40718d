/**
 * In-process mutual exclusion per key. Several keys are taken in sorted order so two callers
 * needing overlapping sets cannot deadlock. (Across processes, Postgres advisory locks do this.)
 */
export class KeyedMutex {
  private tails = new Map<string, Promise<void>>();

  async lock(keys: readonly string[]): Promise<() => void> {
    const releases: (() => void)[] = [];
    for (const key of [...new Set(keys)].sort()) {
      const previous = this.tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => { release = resolve; });
      const tail = previous.then(() => mine);
      this.tails.set(key, tail);
      await previous;
      releases.push(() => {
        release();
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
    }
    return () => releases.reverse().forEach((r) => r());
  }
}
