/**
 * Requests of one key that arrive while a run for that key is under way wait for it to end and then
 * go together, in arrival order, up to `maxPerRun` per run: one run at a time per key. A request
 * alone goes at once, so nothing waits when there is no crowd; a crowd (a room's join storm) costs
 * one run per round trip instead of one per request, which is what keeps a shared read (a room's
 * roster) from being paid once per request.
 *
 * Runs of one key start at least `spacingMs` apart: in a crowd that arrives over seconds (each
 * request on its own socket) rather than at once, requests would otherwise go one or two per run.
 *
 * A run's results are handed out `settledPerTurn` at a time, one turn of the event loop each
 * (setImmediate): what each requester does next with its result (a subscriber's Welcome of the whole
 * roster, executed and written) then runs in slices, and I/O that came in meanwhile is served in between.
 */
export class SharedRuns<Request, Result> {
  private readonly waiting = new Map<string, Array<Pending<Request, Result>>>();
  private readonly running = new Set<string>();

  constructor(
    private readonly limits: { maxPerRun: number; settledPerTurn: number; spacingMs: number },
    /** Serves `requests` (all of `key`) in one run: one result per request, in their order. */
    private readonly serve: (key: string, requests: Request[]) => Promise<Result[]>,
  ) {}

  run(key: string, request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const queue = this.waiting.get(key) ?? [];
      queue.push({ request, resolve, reject });
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
    const taken = queue.splice(0, this.limits.maxPerRun);
    this.running.add(key);
    const startedAt = Date.now();
    let served: Promise<Result[]>;
    try {
      served = this.serve(
        key,
        taken.map((t) => t.request),
      );
    } catch (error) {
      served = Promise.reject(error);
    }
    served.then(
      (results) => {
        if (results.length !== taken.length) {
          const error = new Error(`a shared run answered ${results.length} of ${taken.length} requests`);
          for (const { reject } of taken) reject(error);
        } else {
          this.handOut(taken, results, 0);
        }
        this.after(key, startedAt);
      },
      (error: unknown) => {
        for (const { reject } of taken) reject(error);
        this.after(key, startedAt);
      },
    );
  }

  /** The next run of `key` once `spacingMs` have passed since the last one started (the key counts as running until then). */
  private after(key: string, startedAt: number): void {
    const waitMs = startedAt + this.limits.spacingMs - Date.now();
    if (waitMs > 0) setTimeout(() => this.next(key), waitMs);
    else this.next(key);
  }

  private handOut(taken: Array<Pending<Request, Result>>, results: Result[], from: number): void {
    const end = Math.min(taken.length, from + this.limits.settledPerTurn);
    for (let i = from; i < end; i++) taken[i]?.resolve(results[i] as Result);
    if (end < taken.length) setImmediate(() => this.handOut(taken, results, end));
  }
}

interface Pending<Request, Result> {
  request: Request;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}
