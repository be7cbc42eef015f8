/**
 * The practical limit: a minimal WebSocket relay with nothing but a map from peer id to socket.
 * `ws://host:port/?id=<peer>`; a message `{"to","type","payload"}` goes to `to` as `{"from","type","payload"}`.
 * No auth, no validation, no rooms: what any relay must at least do.
 */
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.argv[2] ?? 0);
const sockets = new Map<string, WebSocket>();
const server = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: 128 * 1024 });

server.on('connection', (socket, request) => {
  const id = new URL(request.url ?? '/', 'http://relay').searchParams.get('id');
  if (!id) return socket.close(4400, 'id required');
  sockets.set(id, socket);
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { to: string; type: string; payload: unknown };
    sockets.get(message.to)?.send(JSON.stringify({ from: id, type: message.type, payload: message.payload }));
  });
  socket.on('close', () => {
    if (sockets.get(id) === socket) sockets.delete(id);
  });
});
server.on('listening', () => console.log(JSON.stringify({ listening: (server.address() as { port: number }).port })));
