import type { Duplex } from 'node:stream';

/**
 * Makes the frames one burst of work writes to `socket` leave in a single write (one syscall). A
 * relayed signal costs the gateway three frames — the mutation's `next` and `complete` to the sender,
 * the event to the recipient — and graphql-ws writes the first two from one chain of promise callbacks.
 * The socket is corked at the first frame and uncorked on `process.nextTick`, which runs once the
 * current chain of microtasks has drained: frames of one burst merge, nothing waits for a later turn of
 * the event loop. (Uncorking on `setImmediate` instead was measured slower: 14.6k vs 16.2k msg/s.)
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
        process.nextTick(flush);
      }
      return Reflect.apply(write, self, args);
    },
  });
}
