// A minimal Redis connection (RESP2 over TCP) for BullMQ. BullMQ 6 talks to Redis through a driver it
// does not ship (ioredis, node-redis or Bun's built-in client); this is the small raw client its Bun
// adapter wraps (send, connect, close, onconnect/onclose), so the queue needs no further package.
// Connecting gives up after one timeout and never retries by itself: a bad address is one clear error.
import net from 'node:net';
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

/** An error reply of the server (a failed command, not a failed connection). */
export class RedisReplyError extends Error {}

type Reply = string | number | null | Reply[] | RedisReplyError;

/** One complete reply at `at` in buf, or undefined when more bytes are needed. */
function parseReply(buf: Buffer, at: number): { value: Reply; end: number } | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const line = buf.toString('utf8', at + 1, eol);
  switch (String.fromCharCode(buf[at])) {
    case '+':
      return { value: line, end: eol + 2 };
    case '-':
      return { value: new RedisReplyError(line), end: eol + 2 };
    case ':':
      return { value: Number(line), end: eol + 2 };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, end: eol + 2 };
      if (buf.length < eol + 2 + n + 2) return undefined;
      return { value: buf.toString('utf8', eol + 2, eol + 2 + n), end: eol + 2 + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: eol + 2 };
      const items: Reply[] = [];
      let end = eol + 2;
      for (let i = 0; i < n; i++) {
        const item = parseReply(buf, end);
        if (!item) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`unexpected byte ${buf[at]} in a Redis reply`);
  }
}

function encodeCommand(command: string, args: readonly unknown[]): Buffer {
  const parts = [command, ...args].map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(String(a))));
  const chunks: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const p of parts) chunks.push(Buffer.from(`$${p.length}\r\n`), p, Buffer.from('\r\n'));
  return Buffer.concat(chunks);
}

interface Waiting {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** The raw client BullMQ's Bun adapter drives (createBunRedisClient). */
export class RedisConnection {
  connected = false;
  onconnect?: () => void;
  onclose?: (error?: Error) => void;
  onerror?: (error: Error) => void;
  private socket?: net.Socket;
  private connecting?: Promise<void>;
  private waiting: Waiting[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private closedOnPurpose = false;

  constructor(
    readonly address: RedisAddress,
    private readonly connectTimeoutMs = 5000,
  ) {}

  get url(): string {
    return this.address.url;
  }

  /** Connects once (no retry): rejects with why, naming the address, within the connect timeout. */
  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private open(): Promise<void> {
    const { host, port } = this.address;
    this.closedOnPurpose = false;
    return new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host, port });
      this.socket = socket;
      socket.setNoDelay(true);
      const fail = (why: string) => {
        socket.destroy();
        reject(new Error(`cannot reach Redis at ${this.url}: ${why}`));
      };
      socket.setTimeout(this.connectTimeoutMs, () => fail(`no answer within ${this.connectTimeoutMs / 1000} s`));
      socket.once('error', (e) => fail(e.message));
      socket.on('data', (d: Buffer) => this.receive(d));
      socket.once('connect', () => {
        socket.setTimeout(0);
        socket.removeAllListeners('error');
        socket.on('error', (e) => this.lost(e));
        socket.on('close', () => this.lost(new Error('Connection closed by the server')));
        const hello: Promise<unknown>[] = [];
        if (this.address.password) hello.push(this.write('AUTH', this.address.username ? [this.address.username, this.address.password] : [this.address.password]));
        if (this.address.db) hello.push(this.write('SELECT', [this.address.db]));
        Promise.all(hello).then(
          () => {
            this.connected = true;
            this.onconnect?.();
            resolve();
          },
          (e: Error) => fail(`${this.address.password ? 'AUTH/SELECT' : 'SELECT'} failed: ${e.message}`),
        );
      });
    });
  }

  private receive(data: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, data]) : data;
    let at = 0;
    for (;;) {
      let r: ReturnType<typeof parseReply>;
      try {
        r = at < this.buffered.length ? parseReply(this.buffered, at) : undefined;
      } catch {
        const answer = this.buffered.toString('latin1', at, at + 40).split(/\r?\n/)[0];
        return this.lost(new Error(`the server at ${this.url} is not Redis: it answered '${answer}'`));
      }
      if (!r) break;
      at = r.end;
      const w = this.waiting.shift();
      if (r.value instanceof RedisReplyError) w?.reject(r.value);
      else w?.resolve(r.value);
    }
    this.buffered = this.buffered.subarray(at);
  }

  /** The socket ended: every command waiting fails with a connection-closed error (which BullMQ recognises). */
  private lost(e: Error): void {
    if (!this.socket) return;
    this.socket.destroy();
    this.socket = undefined;
    const was = this.connected;
    this.connected = false;
    this.buffered = Buffer.alloc(0);
    for (const w of this.waiting.splice(0)) w.reject(new Error(`Connection closed: ${e.message}`));
    if (was) this.onclose?.(this.closedOnPurpose ? undefined : e);
  }

  private write(command: string, args: readonly unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket!.write(encodeCommand(command, args));
    });
  }

  /** One command; replies in order. Fails at once when not connected (BullMQ's adapter reconnects). */
  async send<T = unknown>(command: string, args: readonly unknown[]): Promise<T> {
    if (this.connecting) await this.connecting;
    if (!this.connected || !this.socket) throw new Error('Connection closed');
    return (await this.write(command, args)) as T;
  }

  // the few commands the adapter's type asks for by name
  get = (key: string) => this.send<string | null>('GET', [key]);
  smembers = (key: string) => this.send<unknown[]>('SMEMBERS', [key]);
  incr = (key: string) => this.send<number>('INCR', [key]);

  close(): void {
    this.closedOnPurpose = true;
    this.lost(new Error('closed'));
  }

  /** A new, unconnected connection to the same server (BullMQ opens one per blocking reader). */
  duplicate(): Promise<RedisConnection> {
    return Promise.resolve(new RedisConnection(this.address, this.connectTimeoutMs));
  }
}
