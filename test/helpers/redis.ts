// A real redis-server for a test: Debian's /usr/bin/redis-server on a free loopback port, in a temp
// folder, with nothing saved to disk; stop() ends it.
import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { parseRedisUrl, probeRedis } from '../../runtime/redis.js';
import { tempDir } from './cli.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

/** A loopback port nothing listens on (now). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = tempDir('divsyn-redis-');
  const child: ChildProcess = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  // ready once it answers a PING
  for (let tries = 0; ; tries++) {
    try {
      await probeRedis(parseRedisUrl(url), 1000);
      break;
    } catch (e) {
      if (tries > 100 || child.exitCode !== null) {
        await stop();
        throw new Error(`redis-server did not start on port ${port}: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { url, stop };
}
