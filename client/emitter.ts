/**
 * A small typed event emitter: the event map fixes each event's payload, so a listener can neither
 * misspell an event nor mistake its payload. Works the same in browsers and Node.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  /**
   * Calls `listener` for every `event` from now on.
   * @returns a function that removes the listener
   */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  /**
   * Calls `listener` for the next `event` only.
   * @returns a function that removes the listener before it ran
   */
  once<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  /** Removes a listener added with {@link TypedEmitter.on}. */
  off<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): void {
    this.listeners.get(event)?.delete(listener);
  }

  /** Removes every listener of every event. */
  removeAllListeners(): void {
    this.listeners.clear();
  }

  /**
   * Calls the listeners of `event` in the order they were added. A listener that throws does not stop
   * the others; its error goes to `onListenerError`.
   */
  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set] as Array<(payload: Events[K]) => void>) {
      try {
        listener(payload);
      } catch (error) {
        this.onListenerError(error, String(event));
      }
    }
  }

  /** Where a throwing listener's error goes; by default it is rethrown outside the emitting call stack. */
  protected onListenerError(error: unknown, _event: string): void {
    queueMicrotask(() => {
      throw error;
    });
  }
}
