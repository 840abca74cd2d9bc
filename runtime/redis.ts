// Redis for the queue, through ioredis (the client BullMQ drives). ioredis retries a connection forever by
// default; here the first contact is one bounded probe (a bad address is one clear error), and a server
// lost mid-run is noticed by a watchdog of its own, which gives up after a bounded silence.
import { Redis, RedisOptions } from 'ioredis';
import { usageError } from '../common/errors.js';

export interface RedisAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  /** The URL as given, for messages. */
  url: string;
}

/** redis://[user:password@]host[:port][/db]; other schemes (rediss, unix sockets) are usage errors. */
export function parseRedisUrl(url: string): RedisAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usageError(`option --redis: '${url}' is not a URL such as redis://127.0.0.1:6379`);
  }
  if (u.protocol !== 'redis:') throw usageError(`option --redis: '${url}' is not a redis:// URL (TLS and unix sockets are not supported)`);
  const db = u.pathname.replace(/^\//, '');
  if (db && !/^\d+$/.test(db)) throw usageError(`option --redis: '${url}': the path must be a database number`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: db ? Number(db) : undefined,
    url,
  };
}

const addressOptions = (a: RedisAddress): RedisOptions => ({ host: a.host, port: a.port, username: a.username, password: a.password, db: a.db ?? 0 });

/**
 * A client for BullMQ (which requires maxRetriesPerRequest null: its blocking reads wait as long as they
 * must). It reconnects every second while the server is away; how long that may last is the watchdog's call.
 */
export function bullConnection(a: RedisAddress): Redis {
  const client = new Redis({ ...addressOptions(a), maxRetriesPerRequest: null, connectTimeout: 3000, retryStrategy: () => 1000 });
  client.on('error', () => undefined); // a lost connection is retried; a lasting loss is the watchdog's to report
  return client;
}

/** Rejects within `ms` unless the promise settles first. */
function within<T>(ms: number, p: Promise<T>, why: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(why)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Connects and PINGs once, within `ms` in all (no reconnection, no queued commands); rejects with why, naming the address. */
export async function probeRedis(a: RedisAddress, ms: number): Promise<void> {
  const client = new Redis({ ...addressOptions(a), lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: ms, commandTimeout: ms });
  // the socket's error says why (ECONNREFUSED, ENOTFOUND); connect() itself only rejects with "Connection is closed."
  let socketError: Error | undefined;
  client.on('error', (e: Error) => (socketError ??= e));
  try {
    await within(
      ms,
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      `no answer within ${ms / 1000} s`,
    );
  } catch (e) {
    throw new Error(`cannot reach Redis at ${a.url}: ${(socketError ?? (e as Error)).message}`);
  } finally {
    client.disconnect();
  }
}

/** Pings Redis every 2 s on a connection of its own; calls onLost once after `lostAfterMs` without an answer. */
export function watchRedis(a: RedisAddress, lostAfterMs: number, onLost: (e: Error) => void): () => void {
  const client = new Redis({ ...addressOptions(a), enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2000, commandTimeout: 2000, retryStrategy: () => 1000 });
  client.on('error', () => undefined); // each PING's rejection counts
  let answered = Date.now();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    client
      .ping()
      .then(
        () => (answered = Date.now()),
        (e: Error) => {
          if (Date.now() - answered <= lostAfterMs) return;
          clearInterval(timer);
          onLost(new Error(`lost Redis at ${a.url}: no answer for ${lostAfterMs / 1000} s (${e.message})`));
        },
      )
      .finally(() => (busy = false));
  }, 2000);
  return () => {
    clearInterval(timer);
    client.disconnect();
  };
}
