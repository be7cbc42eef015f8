/** The `peer` npm package's server (PeerJS), as its users run it, with the connection cap raised for the 10k test. */
import { PeerServer } from 'peer';

const port = Number(process.argv[2] ?? 0);
PeerServer({ host: '127.0.0.1', port, concurrent_limit: 50_000, alive_timeout: 10 * 60_000 }, (server) => {
  console.log(JSON.stringify({ listening: (server.address() as { port: number }).port }));
});
