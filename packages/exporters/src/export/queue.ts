// The bounded queue in front of each exporter: items in arrival order, read and removed from the
// front in batches, put back at the front when a send fails, and the oldest dropped when full.

/** A FIFO of at most `capacity` items; an array read from `head`, cut back as it drains. */
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /**
   * Appends items; returns how many of the oldest were dropped to stay within capacity (when more
   * arrive at once than fit, the oldest of the new ones go too).
   */
  push(items: readonly T[]): number {
    let dropped = 0;
    let from = 0;
    if (items.length > this.capacity) {
      from = items.length - this.capacity;
      dropped += from;
    }
    for (let i = from; i < items.length; i++) this.items.push(items[i] as T);
    const over = this.length - this.capacity;
    if (over > 0) {
      this.advance(over);
      dropped += over;
    }
    return dropped;
  }

  /** Removes and returns up to `count` items from the front. */
  take(count: number): T[] {
    const end = Math.min(this.items.length, this.head + count);
    const batch = this.items.slice(this.head, end);
    this.advance(end - this.head);
    return batch;
  }

  /**
   * Puts items back at the front, in order (a batch to retry); returns how many had to be dropped
   * because newer items filled the queue meanwhile — the oldest, which these are.
   */
  unshift(items: readonly T[]): number {
    const room = this.capacity - this.length;
    const kept = room >= items.length ? items : items.slice(items.length - Math.max(0, room));
    this.items = [...kept, ...this.items.slice(this.head)];
    this.head = 0;
    return items.length - kept.length;
  }

  /** Removes everything; returns how many items there were. */
  clear(): number {
    const count = this.length;
    this.items = [];
    this.head = 0;
    return count;
  }

  private advance(count: number): void {
    this.head += count;
    if (this.head >= this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
