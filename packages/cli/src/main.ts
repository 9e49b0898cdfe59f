#!/usr/bin/env node
/**
 * `flowspec serve`: run the REST server in the foreground with the
 * configuration from the environment (PORT, HOST, DATABASE_URL,
 * FLOWSPEC_API_KEY/FLOWSPEC_APP_KEY, FLOWSPEC_KEYS_FILE,
 * FLOWSPEC_HTTP_ALLOWED_HOSTS, FLOWSPEC_BODY_LIMIT, LOG_LEVEL). The root
 * `npm start` runs this file.
 */
import { FlowspecError } from '@flowspec/engine';
import { ConfigError } from './config.js';
import { closeOnSignals, serve } from './serve.js';

const USAGE = `Usage: flowspec [serve]

Runs the Flowspec REST server in the foreground; SIGTERM or SIGINT stops it cleanly.

Environment:
  PORT                          port to listen on (default 8080)
  HOST                          address to listen on (default 127.0.0.1)
  DATABASE_URL                  SQLite file path or sqlite:PATH (default ./data/flowspec.db), or :memory:
  FLOWSPEC_API_KEY, FLOWSPEC_APP_KEY
                                one admin key pair with every scope
  FLOWSPEC_KEYS_FILE            JSON list of { apiKey, appKey, user, scopes[] }
  FLOWSPEC_HTTP_ALLOWED_HOSTS   comma-separated hosts (or host:port) the HTTP action may reach
  FLOWSPEC_BODY_LIMIT           largest request body (default 5mb)
  FLOWSPEC_SQLITE_SYNCHRONOUS   FULL (default: fsync per group commit) or NORMAL (no fsync)
  LOG_LEVEL                     fatal, error, warn, info (default), debug, trace, silent

With no keys configured, an admin pair is generated at the first start, stored beside the
database and printed once.
`;

async function main(argv: readonly string[]): Promise<void> {
  const command = argv[0] ?? 'serve';
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command !== 'serve' || argv.length > 1) {
    process.stderr.write(`flowspec: unknown command "${argv.join(' ')}"\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  try {
    const server = await serve(process.env);
    closeOnSignals(server);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`flowspec: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    // Store, keys-file and listen problems carry a message that says what to fix; anything else
    // is a bug, shown with its stack.
    const known =
      err instanceof FlowspecError ||
      (err instanceof Error && (!('code' in err) || /^E[A-Z]+$/.test(String(err.code))));
    process.stderr.write(`flowspec: ${known ? (err as Error).message : String((err as Error).stack ?? err)}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv.slice(2));
