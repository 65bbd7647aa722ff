// Where port-forward and the service proxy connect: a TCP target chosen by
// the test, or by default a built-in echo server (so bytes sent through a
// port-forward come back).

import { createServer, type Server, type Socket } from 'node:net';

export interface TcpTarget {
  host: string;
  port: number;
}

export class ProxyTargets {
  private readonly pods = new Map<string, TcpTarget>();
  private readonly services = new Map<string, TcpTarget>();
  private echo: Server | undefined;
  private readonly sockets = new Set<Socket>();
  echoTarget: TcpTarget = { host: '127.0.0.1', port: 0 };

  async start(): Promise<void> {
    const echo = createServer(function echoConnection(socket) {
      socket.on('error', () => socket.destroy());
      socket.pipe(socket);
    });
    echo.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    this.echo = echo;
    const addr = echo.address();
    if (addr && typeof addr === 'object') this.echoTarget = { host: '127.0.0.1', port: addr.port };
  }

  setPodPort(namespace: string, pod: string, port: number, target: TcpTarget): void {
    this.pods.set(`${namespace}/${pod}/${port}`, target);
  }

  podPort(namespace: string, pod: string, port: number): TcpTarget {
    return this.pods.get(`${namespace}/${pod}/${port}`) ?? this.echoTarget;
  }

  /** port undefined = any port of the service. */
  setService(namespace: string, service: string, target: TcpTarget, port?: string | number): void {
    this.services.set(`${namespace}/${service}/${port ?? ''}`, target);
  }

  service(namespace: string, service: string, port?: string): TcpTarget | undefined {
    return this.services.get(`${namespace}/${service}/${port ?? ''}`) ?? this.services.get(`${namespace}/${service}/`);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.echo ? this.echo.close(() => resolve()) : resolve()));
  }
}
