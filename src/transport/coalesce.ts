import type { Duplex } from 'node:stream';

/**
 * Makes every frame written to `socket` in one turn of the event loop leave in a single write (one
 * syscall). A relayed signal costs the gateway three frames — the mutation's `next` and `complete` to
 * the sender, the event to the recipient — and under load many signals meet in one turn; without this,
 * each frame is its own `writev`, which was the largest single cost in the profile. Corking holds the
 * frames until the `setImmediate` of this turn, so nothing waits for more than the turn itself.
 */
export function coalesceWrites(socket: Duplex): void {
  let corked = false;
  const flush = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = new Proxy(socket.write, {
    apply(write, self, args) {
      if (!corked && !socket.destroyed) {
        corked = true;
        socket.cork();
        setImmediate(flush);
      }
      return Reflect.apply(write, self, args);
    },
  });
}
