// A TCP proxy the test can put in front of RabbitMQ or SMTP and break on purpose:
//   cut()        closes the listener and every connection: new connects get ECONNREFUSED;
//   stall()      keeps connections open but drops every byte both ways (a confirm never comes);
//   smtpReply(c) answers new connections as an SMTP server that replies `c` to MAIL FROM;
//   delay(ms)    forwards every chunk late (a slow server: work stays in flight);
//   restore()    forwards again (existing broken connections stay closed; clients reconnect).
import { createServer, connect, type Server, type Socket } from 'node:net';

type Mode =
  | { kind: 'forward' }
  | { kind: 'delay'; ms: number }
  | { kind: 'stall' }
  | { kind: 'cut' }
  | { kind: 'smtp'; reply: string };

export interface TcpProxy {
  port: number;
  url(scheme: string, auth?: string): string;
  cut(): Promise<void>;
  stall(): void;
  delay(ms: number): void;
  smtpReply(reply: string): void;
  restore(): Promise<void>;
  /** Closes every open connection (clients see a reset) without changing the mode. */
  dropConnections(): void;
  /** Connections accepted so far: a test waits for a client's next one instead of sleeping. */
  accepted(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(
  targetHost: string,
  targetPort: number,
  port = 0,
): Promise<TcpProxy> {
  let mode: Mode = { kind: 'forward' };
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let boundPort = port;

  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };

  const fakeSmtp = (client: Socket, reply: string) => {
    client.write('220 fake.smtp ESMTP test\r\n');
    let buf = '';
    client.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const cmd = line.slice(0, 4).toUpperCase();
        if (cmd === 'EHLO' || cmd === 'HELO') {
          client.write('250 fake.smtp\r\n');
        } else if (cmd === 'MAIL') {
          client.write(`${reply}\r\n`);
        } else if (cmd === 'QUIT') {
          client.end('221 bye\r\n');
        } else if (cmd === 'RSET' || cmd === 'NOOP') {
          client.write('250 ok\r\n');
        } else {
          client.write('503 bad sequence\r\n');
        }
      }
    });
  };

  let accepted = 0;
  const onConnection = (client: Socket) => {
    accepted += 1;
    track(client);
    const m = mode;
    if (m.kind === 'smtp') {
      fakeSmtp(client, m.reply);
      return;
    }
    if (m.kind === 'stall' || m.kind === 'cut') {
      client.on('data', () => {});
      return;
    }
    const upstream = connect(targetPort, targetHost);
    track(upstream);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    const pass = (to: Socket) => (d: Buffer) => {
      const m = mode;
      if (m.kind === 'forward') {
        to.write(d);
      } else if (m.kind === 'delay') {
        setTimeout(() => to.destroyed || to.write(d), m.ms);
      }
    };
    client.on('data', pass(upstream));
    upstream.on('data', pass(client));
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(onConnection);
      s.once('error', reject);
      s.listen(boundPort, '127.0.0.1', () => {
        const a = s.address();
        boundPort = typeof a === 'object' && a !== null ? a.port : boundPort;
        server = s;
        resolve();
      });
    });

  const stopListening = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = null;
      if (s === null) {
        resolve();
        return;
      }
      s.close(() => resolve());
    });

  const dropConnections = () => {
    for (const s of sockets) {
      s.destroy();
    }
    sockets.clear();
  };

  await listen();
  return {
    get port() {
      return boundPort;
    },
    url: (scheme, auth) =>
      `${scheme}://${auth !== undefined ? `${auth}@` : ''}127.0.0.1:${boundPort}`,
    async cut() {
      mode = { kind: 'cut' };
      const closed = stopListening();
      dropConnections();
      await closed;
    },
    stall() {
      mode = { kind: 'stall' };
    },
    delay(ms) {
      mode = { kind: 'delay', ms };
    },
    smtpReply(reply) {
      mode = { kind: 'smtp', reply };
      dropConnections();
    },
    async restore() {
      const wasCut = mode.kind === 'cut';
      if (mode.kind === 'smtp' || mode.kind === 'stall') {
        dropConnections();
      }
      mode = { kind: 'forward' };
      if (wasCut || server === null) {
        await listen();
      }
    },
    dropConnections,
    accepted: () => accepted,
    async close() {
      mode = { kind: 'cut' };
      const closed = stopListening();
      dropConnections();
      await closed;
    },
  };
}
