/**
 * What intake understood recently, by a key that names the repository, its file list, the
 * normalised text, the grammar and the model: one repository's answers are never served for
 * another's. Entries expire after a while; the oldest go first when it is full.
 */
export class IntakeCache<T> {
  private readonly entries = new Map<string, { value: T; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly size: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): T | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Most recently used last, so eviction takes the least recently used.
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit.value;
  }

  set(key: string, value: T): void {
    if (this.ttlMs <= 0 || this.size <= 0) return;
    this.entries.delete(key);
    while (this.entries.size >= this.size) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expires: this.now() + this.ttlMs });
  }

  get length(): number {
    return this.entries.size;
  }
}
