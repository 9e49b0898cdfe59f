/**
 * Schema migrations: numbered SQL files in the package's `migrations/` folder
 * (`0001_init.sql`, `0002_<what>.sql`, ...), shipped with the package and found
 * relative to this module (src/ in tests, dist/ when built: both sit one level
 * below the package root). Applied versions are recorded in
 * `flowspec_migrations`; the highest recorded version is the schema version.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FlowspecError } from '@flowspec/engine';

/** One migration file. */
export interface Migration {
  /** The number in the file name (1-based, no gaps). */
  readonly version: number;
  /** The file name, e.g. `0001_init.sql`; recorded with the version. */
  readonly name: string;
  readonly sql: string;
}

const FILE_PATTERN = /^(\d{4})_[a-z0-9_-]+\.sql$/;

/** The folder holding the migration files of this package. */
export const MIGRATIONS_DIR: string = fileURLToPath(new URL('../migrations/', import.meta.url));

/**
 * Read the migration files of `dir`, ordered by version. Throws when the
 * numbering has a gap or a duplicate (a packaging mistake, never user data).
 */
export function loadMigrations(dir: string = MIGRATIONS_DIR): readonly Migration[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => FILE_PATTERN.test(n));
  } catch (err) {
    throw new FlowspecError(
      'FSP_ERR_STORE',
      `SQLite store: cannot read the migration files in ${dir} (${(err as Error).message}); ` +
        'the package was installed without its "migrations" folder.',
      { cause: err },
    );
  }
  names.sort();
  const out: Migration[] = [];
  for (const name of names) {
    const version = Number(FILE_PATTERN.exec(name)![1]);
    if (version !== out.length + 1) {
      throw new FlowspecError(
        'FSP_ERR_STORE',
        `SQLite store: migration ${name} in ${dir} breaks the numbering (expected version ${out.length + 1}).`,
      );
    }
    out.push({ version, name, sql: readFileSync(`${dir}/${name}`, 'utf8') });
  }
  if (out.length === 0) {
    throw new FlowspecError('FSP_ERR_STORE', `SQLite store: no migration files in ${dir}.`);
  }
  return out;
}

/** A migration a database says it has applied. */
export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
}

/**
 * Which of `known` still need to run on a database that recorded `applied`.
 * Throws (changing nothing) when the database is newer than this package or
 * was migrated by a build whose files differ.
 */
export function pendingMigrations(
  known: readonly Migration[],
  applied: readonly AppliedMigration[],
  path: string,
): readonly Migration[] {
  const latest = known.length;
  const current = applied.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > latest) {
    throw new FlowspecError(
      'FSP_ERR_STORE',
      `SQLite database ${path} has schema version ${current}, written by a newer @flowspec/store-sqlite; this ` +
        `version knows schema versions up to ${latest}. Upgrade @flowspec/store-sqlite (or point this engine at ` +
        'another file). The database was not changed.',
      { details: { path, schemaVersion: current, supportedVersion: latest } },
    );
  }
  for (const m of applied) {
    const mine = known[m.version - 1];
    if (mine === undefined || mine.name !== m.name) {
      throw new FlowspecError(
        'FSP_ERR_STORE',
        `SQLite database ${path} records migration ${m.version} as "${m.name}", but this @flowspec/store-sqlite ` +
          `has "${mine?.name ?? 'none'}" there: the file was written by a different build. The database was not changed.`,
        { details: { path, version: m.version, recorded: m.name, expected: mine?.name ?? null } },
      );
    }
  }
  return known.slice(current);
}
