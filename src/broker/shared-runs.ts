/**
 * Requests of one key that arrive while a run for that key is under way wait for it to end and then
 * go together, in arrival order, up to `maxPerRun` per run: one run at a time per key. A request
 * alone goes at once, so nothing waits when there is no crowd; a crowd (a room's join storm) costs
 * one run per round trip instead of one per request, which is what keeps a shared read (a room's
 * roster) from being paid once per request.
 */
export class SharedRuns<Request, Result> {
  private readonly waiting = new Map<string, Array<{ request: Request; settle: (result: Promise<Result>) => void }>>();
  private readonly running = new Set<string>();

  constructor(
    private readonly maxPerRun: number,
    /** Serves `requests` (all of `key`) in one run: one result per request, in their order. */
    private readonly serve: (key: string, requests: Request[]) => Promise<Result[]>,
  ) {}

  run(key: string, request: Request): Promise<Result> {
    return new Promise<Result>((resolve) => {
      const queue = this.waiting.get(key) ?? [];
      queue.push({ request, settle: resolve });
      this.waiting.set(key, queue);
      if (!this.running.has(key)) this.next(key);
    });
  }

  private next(key: string): void {
    const queue = this.waiting.get(key);
    if (!queue || queue.length === 0) {
      this.waiting.delete(key);
      this.running.delete(key);
      return;
    }
    const taken = queue.splice(0, this.maxPerRun);
    this.running.add(key);
    const served = this.serve(
      key,
      taken.map((t) => t.request),
    );
    taken.forEach(({ settle }, i) =>
      settle(
        served.then((results) => {
          const result = results[i];
          if (result === undefined) throw new Error(`a shared run answered ${results.length} of ${taken.length} requests`);
          return result;
        }),
      ),
    );
    const done = (): void => this.next(key);
    served.then(done, done);
  }
}
