/**
 * A socket's sends, run one after another in the order they arrived — as the operations of one
 * GraphQL WebSocket reach the broker — with a bound on how many may wait: past it a send is refused
 * at once instead of queueing without limit behind a slow rate-limit store or broker.
 */
export class OrderedSends {
  private chain: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly max: number) {}

  /** Runs `send` after the sends before it; false (and nothing run) when `max` are already waiting. */
  enqueue(send: () => Promise<void>): boolean {
    if (this.waiting >= this.max) return false;
    this.waiting++;
    this.chain = this.chain.then(send).finally(() => {
      this.waiting--;
    });
    return true;
  }
}
