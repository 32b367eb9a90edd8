// Stopping a test HTTP server as a crash would (the port refuses connections, open ones are cut)
// and starting it again on the same port with its state kept: a backend killed and restarted.
import type { Server, Socket } from 'node:net';

export interface Restartable {
  /** Close the listener and destroy every open connection. */
  pause(): Promise<void>;
  /** Listen again on the same port. */
  resume(): Promise<void>;
}

export function restartable(server: Server, port: number): Restartable {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    async pause() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async resume() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
  };
}
