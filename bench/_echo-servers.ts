/** TCP echo servers for the benchmarks' loopback floor: every byte received goes straight back (a meter's socket work, no DLMS). */
import net from 'node:net';

export async function echoServers(n: number): Promise<{ ports: number[]; close(): Promise<void> }> {
  const servers: net.Server[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('data', (b) => socket.write(b));
      socket.on('error', () => socket.destroy());
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
  }
  return {
    ports: servers.map((s) => (s.address() as net.AddressInfo).port),
    close: async () => {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}
