// Are the database's migrations the ones this build ships? Compared by name and checksum with the
// "_tf_migrations" table that lib/db/migrate.ts keeps.

export interface MigrationRecord {
  name: string;
  checksum: string;
}

export interface MigrationStatus {
  /** Every migration of this build is applied, unchanged. */
  current: boolean;
  expected: number;
  applied: number;
  /** In this build, not applied to the database yet. */
  pending: string[];
  /** Applied with another checksum than this build's file (an edited migration). */
  changed: string[];
  /**
   * Applied but unknown to this build: a newer version migrated the database. Reported, yet still
   * current: a rolling upgrade migrates first and the old instances must keep serving until they
   * are replaced, rather than all turning unready at once.
   */
  unknown: string[];
}

export function compareMigrations(onDisk: MigrationRecord[], inDatabase: MigrationRecord[]): MigrationStatus {
  const applied = new Map(inDatabase.map((m) => [m.name, m.checksum]));
  const known = new Set(onDisk.map((m) => m.name));
  const pending: string[] = [];
  const changed: string[] = [];
  for (const m of onDisk) {
    const checksum = applied.get(m.name);
    if (checksum === undefined) pending.push(m.name);
    else if (checksum !== m.checksum) changed.push(m.name);
  }
  const unknown = inDatabase.filter((m) => !known.has(m.name)).map((m) => m.name);
  return {
    current: pending.length === 0 && changed.length === 0,
    expected: onDisk.length,
    applied: inDatabase.length,
    pending,
    changed,
    unknown,
  };
}
