/**
 * The composition root: environment -> store -> engine -> REST server.
 * Nothing imports this package; it is what `flowspec serve` and `npm start` run.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createEngine, FlowspecError } from '@flowspec/engine';
import type { Engine, Store } from '@flowspec/engine';
import { createKeyring, createLogger, createServer } from '@flowspec/rest';
import { createSqliteStore } from '@flowspec/store-sqlite';
import type { Logger } from 'pino';
import { readConfig } from './config.js';
import type { DatabaseTarget, ServeConfig } from './config.js';
import { deferCommits } from './group-commit.js';
import { generatedKeysNotice, loadKeys } from './keys.js';

/** How long shutdown may take before the process gives up waiting. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Open the store DATABASE_URL names. */
export function openStore(
  target: DatabaseTarget,
  synchronous: 'FULL' | 'NORMAL' = 'FULL',
): Store & { readonly maxValueBytes?: number } {
  switch (target.kind) {
    case 'memory':
      return deferCommits(createSqliteStore({ path: ':memory:' }));
    case 'sqlite':
      mkdirSync(dirname(target.path), { recursive: true });
      return deferCommits(createSqliteStore({ path: target.path, synchronous }));
    case 'postgres':
      throw new FlowspecError(
        'FSP_ERR_STORE',
        'DATABASE_URL names PostgreSQL, but the PostgreSQL store is not available yet in this version of Flowspec. Use a SQLite file (DATABASE_URL=./data/flowspec.db, the default) or :memory:.',
      );
    default: {
      const never: never = target;
      throw new Error(`unknown database ${String(never)}`);
    }
  }
}

/** A running server. */
export interface RunningServer {
  /** `http://host:port` it listens on. */
  readonly url: string;
  readonly config: ServeConfig;
  readonly app: Awaited<ReturnType<typeof createServer>>;
  readonly engine: Engine;
  readonly store: Store;
  readonly logger: Logger;
  /** Stop accepting requests, let running ones finish (bounded), stop the engine, close the store. Idempotent. */
  close(): Promise<void>;
}

/** What `serve` writes the one-time key notice to. @default process.stdout */
export interface ServeIo {
  readonly stdout?: { write(text: string): unknown };
}

/**
 * Start the server from the environment. Throws ConfigError for bad
 * variables, FlowspecError `FSP_ERR_STORE` when the store cannot be opened.
 */
export async function serve(
  env: Readonly<Record<string, string | undefined>> = process.env,
  io: ServeIo = {},
): Promise<RunningServer> {
  const config = readConfig(env);
  const logger = createLogger(config.logLevel);
  const store = openStore(config.database, config.sqliteSynchronous);
  let engine: Engine | undefined;
  try {
    const loaded = loadKeys(config);
    const keyring = createKeyring(loaded.keys);
    engine = createEngine({
      store,
      strictActions: true,
      logger: logger.child({ component: 'engine' }),
      stopTimeoutMs: SHUTDOWN_GRACE_MS,
      ...(store.maxValueBytes !== undefined ? { maxOutputBytes: store.maxValueBytes } : {}),
      ...(config.httpAllowedHosts !== null ? { builtins: { http: { allowedHosts: config.httpAllowedHosts } } } : {}),
    });
    await engine.start();
    const app = await createServer({ engine, keys: keyring, logger, bodyLimit: config.bodyLimit });
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
    if (loaded.generated) (io.stdout ?? process.stdout).write(generatedKeysNotice(loaded.generated));
    logger.info(
      { url, store: store.kind, keyPairs: keyring.size },
      `Flowspec listening on ${url} (store ${store.kind}); OpenAPI at ${url}/api/v2/openapi.json`,
    );
    let closing: Promise<void> | null = null;
    const running: RunningServer = {
      url,
      config,
      app,
      engine,
      store,
      logger,
      close() {
        closing ??= (async () => {
          await app.close();
          await engine!.stop();
          await store.close();
        })();
        return closing;
      },
    };
    return running;
  } catch (err) {
    await engine?.stop().catch(() => {});
    await Promise.resolve(store.close()).catch(() => {});
    throw err;
  }
}

/**
 * Stop cleanly on SIGTERM or SIGINT: no new requests, running ones and
 * running action handlers finish (bounded), unfinished instances stay in the
 * store for recovery at the next start. A second signal exits at once.
 */
export function closeOnSignals(server: RunningServer, exit: (code: number) => void = process.exit): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      server.logger.warn({ signal }, 'second signal: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    server.logger.info({ signal }, 'shutting down: no new requests, running ones finish');
    const force = setTimeout(() => {
      server.logger.error({ graceMs: SHUTDOWN_GRACE_MS * 2 }, 'shutdown took too long; exiting');
      exit(1);
    }, SHUTDOWN_GRACE_MS * 2);
    force.unref();
    server.close().then(
      () => {
        server.logger.info('stopped');
        exit(0);
      },
      (err: unknown) => {
        server.logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
