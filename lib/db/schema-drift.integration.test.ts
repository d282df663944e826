// Proves the hand-written SQL migrations build exactly the database schema.prisma describes, so the
// generated client and the real tables can never drift apart silently. schema.prisma is read
// through Prisma's own parser (get_dmmf); the database through the Postgres catalogs.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFreshDatabase, withClient, type FreshDatabase } from "@/test/database";

// --- what schema.prisma says (the DMMF subset we read) ---------------------------------------
interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "enum" | "object" | "unsupported";
  type: string;
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUpdatedAt: boolean;
  hasDefaultValue: boolean;
  default?: unknown;
  nativeType?: unknown;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { name: string | null; fields: string[] } | null;
}
interface DmmfDatamodel {
  models: DmmfModel[];
  enums: { name: string; dbName?: string | null; values: { name: string; dbName?: string | null }[] }[];
  indexes: {
    model: string;
    type: "id" | "unique" | "normal" | "fulltext";
    dbName?: string | null;
    fields: { name: string }[];
  }[];
}

export function readDatamodel(schemaPath = path.resolve("prisma/schema.prisma")): DmmfDatamodel {
  const wasm = createRequire(import.meta.url)("@prisma/prisma-schema-wasm") as { get_dmmf(params: string): string };
  const prismaSchema = readFileSync(schemaPath, "utf8");
  return JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema }))).datamodel;
}

// Canonical spellings, shared by "expected" and "found" so a diff reads like `text ≠ integer`.
const SCALAR_TYPES: Record<string, string> = {
  String: "text",
  Int: "integer",
  BigInt: "bigint",
  Boolean: "boolean",
  DateTime: "timestamp(3)",
  Json: "jsonb",
  Float: "double precision",
  Decimal: "numeric(65,30)",
  Bytes: "bytea",
};
const UDT_TYPES: Record<string, string> = {
  text: "text",
  int4: "integer",
  int8: "bigint",
  bool: "boolean",
  timestamp: "timestamp(3)",
  jsonb: "jsonb",
  float8: "double precision",
  numeric: "numeric(65,30)",
  bytea: "bytea",
  date: "date",
};
// Native types (@db.X) the schema uses, by their Prisma name.
const NATIVE_TYPES: Record<string, string> = { Date: "date" };
const FK_ACTIONS: Record<string, string> = {
  a: "NoAction",
  r: "Restrict",
  c: "Cascade",
  n: "SetNull",
  d: "SetDefault",
};

interface Expected {
  tables: Map<string, Map<string, { type: string; nullable: boolean; default: string | null }>>;
  enums: Map<string, string[]>;
  indexes: Map<string, { table: string; columns: string[]; kind: "primary" | "unique" | "index" }>;
  foreignKeys: Map<
    string,
    { table: string; columns: string[]; target: string; targetColumns: string[]; onDelete: string; onUpdate: string }
  >;
}

function expectedFromDatamodel(dm: DmmfDatamodel): Expected {
  const enumDbName = new Map(dm.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const modelByName = new Map(dm.models.map((m) => [m.name, m]));
  const tableOf = (model: string) => modelByName.get(model)!.dbName ?? model;
  const columnOf = (model: string, field: string) => {
    const f = modelByName.get(model)!.fields.find((x) => x.name === field)!;
    return f.dbName ?? f.name;
  };
  const out: Expected = { tables: new Map(), enums: new Map(), indexes: new Map(), foreignKeys: new Map() };

  for (const e of dm.enums)
    out.enums.set(
      e.dbName ?? e.name,
      e.values.map((v) => v.dbName ?? v.name),
    );

  for (const m of dm.models) {
    const table = tableOf(m.name);
    const columns = new Map<string, { type: string; nullable: boolean; default: string | null }>();
    for (const f of m.fields) {
      if (f.kind === "object") continue;
      const native = f.nativeType ? NATIVE_TYPES[(f.nativeType as [string, unknown])[0]] : undefined;
      if (f.nativeType && !native)
        throw new Error(`${m.name}.${f.name} uses a native type: teach the drift test about it`);
      const base =
        f.kind === "enum" ? `enum ${enumDbName.get(f.type)}` : (native ?? SCALAR_TYPES[f.type] ?? `unknown ${f.type}`);
      columns.set(f.dbName ?? f.name, {
        type: f.isList ? `${base}[]` : base,
        nullable: !f.isRequired || f.isList, // Prisma leaves list columns nullable (no NOT NULL)
        default: expectedDefault(f),
      });
    }
    out.tables.set(table, columns);

    const pk = m.fields.filter((f) => f.isId).map((f) => f.name);
    const pkFields = pk.length ? pk : (m.primaryKey?.fields ?? []);
    if (pkFields.length) {
      out.indexes.set(m.primaryKey?.name ?? `${table}_pkey`, {
        table,
        columns: pkFields.map((f) => columnOf(m.name, f)),
        kind: "primary",
      });
    }

    for (const f of m.fields) {
      if (f.kind !== "object" || !f.relationFromFields?.length) continue;
      const cols = f.relationFromFields.map((x) => columnOf(m.name, x));
      out.foreignKeys.set(`${table}_${cols.join("_")}_fkey`, {
        table,
        columns: cols,
        target: tableOf(f.type),
        targetColumns: (f.relationToFields ?? []).map((x) => columnOf(f.type, x)),
        // Prisma's defaults when the schema names no action.
        onDelete: f.relationOnDelete ?? (f.isRequired ? "Restrict" : "SetNull"),
        onUpdate: f.relationOnUpdate ?? "Cascade",
      });
    }
  }

  for (const ix of dm.indexes) {
    if (ix.type === "id") continue;
    const table = tableOf(ix.model);
    const columns = ix.fields.map((f) => columnOf(ix.model, f.name));
    const unique = ix.type === "unique";
    out.indexes.set(ix.dbName ?? `${table}_${columns.join("_")}_${unique ? "key" : "idx"}`, {
      table,
      columns,
      kind: unique ? "unique" : "index",
    });
  }
  return out;
}

/** The default as a canonical string: now(), [], a literal value, or null for none. */
function expectedDefault(f: DmmfField): string | null {
  if (!f.hasDefaultValue || f.isUpdatedAt) return null;
  const d = f.default;
  if (Array.isArray(d)) return JSON.stringify(d);
  if (d && typeof d === "object") {
    const fn = (d as { name: string }).name;
    if (fn === "now") return "now()";
    if (fn === "autoincrement") return "autoincrement()";
    return null; // cuid(), uuid(), nanoid(): generated by the Prisma client, not the database
  }
  return String(d);
}

function normalizeDbDefault(raw: string | null): string | null {
  if (raw === null) return null;
  if (raw === "CURRENT_TIMESTAMP" || raw === "now()") return "now()";
  if (raw.startsWith("nextval(")) return "autoincrement()";
  if (/^ARRAY\[\]::/.test(raw)) return "[]";
  const literal = /^'((?:[^']|'')*)'::[\w" ]+(\[\])?$/.exec(raw);
  if (literal) return literal[1].replace(/''/g, "'");
  const number = /^\(?(-?\d+(?:\.\d+)?)\)?(::[\w ]+)?$/.exec(raw);
  if (number) return number[1];
  return raw; // true / false, or something unexpected shown verbatim
}

// --- what the database has --------------------------------------------------------------------
const IGNORED_TABLES = new Set(["_tf_migrations"]); // the migration runner's own bookkeeping

/** Every difference between schema.prisma and the database at `url`, as readable lines; [] = none. */
export async function compareDatabaseToSchema(url: string, dm: DmmfDatamodel = readDatamodel()): Promise<string[]> {
  const want = expectedFromDatamodel(dm);
  const diffs: string[] = [];
  const show = (v: unknown) => (v === null ? "none" : JSON.stringify(v));

  await withClient(url, async (c) => {
    const tables = (
      await c.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
      )
    ).rows
      .map((r) => r.table_name)
      .filter((t) => !IGNORED_TABLES.has(t));
    for (const t of want.tables.keys()) if (!tables.includes(t)) diffs.push(`table "${t}": missing in the database`);
    for (const t of tables)
      if (!want.tables.has(t)) diffs.push(`table "${t}": exists in the database but not in schema.prisma`);

    const enumRows = (
      await c.query<{ name: string; labels: string[] }>(
        `SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' GROUP BY t.typname`,
      )
    ).rows;
    const enums = new Map(enumRows.map((r) => [r.name, r.labels]));
    for (const [name, values] of want.enums) {
      if (!enums.has(name)) diffs.push(`enum "${name}": missing in the database`);
      else if (show(enums.get(name)) !== show(values))
        diffs.push(`enum "${name}": values expected ${show(values)}, found ${show(enums.get(name))}`);
    }
    for (const name of enums.keys())
      if (!want.enums.has(name)) diffs.push(`enum "${name}": exists in the database but not in schema.prisma`);

    const columnRows = (
      await c.query<{
        table_name: string;
        column_name: string;
        data_type: string;
        udt_name: string;
        is_nullable: "YES" | "NO";
        column_default: string | null;
        datetime_precision: number | null;
      }>(
        `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, datetime_precision
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
      )
    ).rows;
    const dbType = (r: (typeof columnRows)[number]) => {
      if (r.data_type === "ARRAY") {
        const el = r.udt_name.slice(1);
        return `${UDT_TYPES[el] ?? (enums.has(el) ? `enum ${el}` : el)}[]`;
      }
      if (r.data_type === "USER-DEFINED")
        return enums.has(r.udt_name) ? `enum ${r.udt_name}` : `user-defined ${r.udt_name}`;
      if (r.data_type === "timestamp without time zone") return `timestamp(${r.datetime_precision})`;
      if (r.data_type === "numeric") return "numeric(65,30)"; // precision is checked by Prisma, not here
      return r.data_type;
    };
    for (const [table, columns] of want.tables) {
      if (!tables.includes(table)) continue;
      const found = new Map(columnRows.filter((r) => r.table_name === table).map((r) => [r.column_name, r]));
      for (const [name, col] of columns) {
        const r = found.get(name);
        if (!r) {
          diffs.push(`column "${table}"."${name}": missing in the database`);
          continue;
        }
        const where = `column "${table}"."${name}"`;
        if (dbType(r) !== col.type) diffs.push(`${where}: type expected ${col.type}, found ${dbType(r)}`);
        const nullable = r.is_nullable === "YES";
        if (nullable !== col.nullable)
          diffs.push(
            `${where}: expected ${col.nullable ? "NULL" : "NOT NULL"}, found ${nullable ? "NULL" : "NOT NULL"}`,
          );
        const def = normalizeDbDefault(r.column_default);
        if (def !== col.default)
          diffs.push(
            `${where}: default expected ${show(col.default)}, found ${show(def)} (${r.column_default ?? "no default"})`,
          );
      }
      for (const name of found.keys())
        if (!columns.has(name))
          diffs.push(`column "${table}"."${name}": exists in the database but not in schema.prisma`);
    }

    const indexRows = (
      await c.query<{ table: string; name: string; unique: boolean; primary: boolean; columns: string[] }>(
        `SELECT t.relname AS table, i.relname AS name, ix.indisunique AS unique, ix.indisprimary AS primary,
              array(SELECT a.attname FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        -- Partial indexes are raw SQL in migrations (schema.prisma cannot declare them), like CHECKs.
        WHERE n.nspname = 'public' AND ix.indpred IS NULL`,
      )
    ).rows.filter((r) => !IGNORED_TABLES.has(r.table));
    const indexes = new Map(indexRows.map((r) => [r.name, r]));
    for (const [name, ix] of want.indexes) {
      const r = indexes.get(name);
      const what = `${ix.kind} "${name}" on "${ix.table}"(${ix.columns.join(", ")})`;
      if (!r) {
        diffs.push(`${what}: missing in the database`);
        continue;
      }
      const kind = r.primary ? "primary" : r.unique ? "unique" : "index";
      if (r.table !== ix.table || show(r.columns) !== show(ix.columns) || kind !== ix.kind) {
        diffs.push(`${what}: found ${kind} on "${r.table}"(${r.columns.join(", ")})`);
      }
    }
    for (const r of indexRows) {
      if (!want.indexes.has(r.name))
        diffs.push(
          `index "${r.name}" on "${r.table}"(${r.columns.join(", ")}): exists in the database but not in schema.prisma`,
        );
    }

    const fkRows = (
      await c.query<{
        name: string;
        table: string;
        target: string;
        columns: string[];
        target_columns: string[];
        on_delete: string;
        on_update: string;
      }>(
        `SELECT con.conname AS name, t.relname AS table, ft.relname AS target,
              con.confdeltype AS on_delete, con.confupdtype AS on_update,
              array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
              array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS target_columns
         FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid JOIN pg_class ft ON ft.oid = con.confrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace WHERE con.contype = 'f' AND n.nspname = 'public'`,
      )
    ).rows;
    const fks = new Map(fkRows.map((r) => [r.name, r]));
    for (const [name, fk] of want.foreignKeys) {
      const r = fks.get(name);
      const what = `foreign key "${name}"`;
      if (!r) {
        diffs.push(`${what} ("${fk.table}"(${fk.columns.join(", ")}) → "${fk.target}"): missing in the database`);
        continue;
      }
      const want1 = `"${fk.table}"(${fk.columns.join(", ")}) → "${fk.target}"(${fk.targetColumns.join(", ")}) ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`;
      const found1 = `"${r.table}"(${r.columns.join(", ")}) → "${r.target}"(${r.target_columns.join(", ")}) ON DELETE ${FK_ACTIONS[r.on_delete]} ON UPDATE ${FK_ACTIONS[r.on_update]}`;
      if (want1 !== found1) diffs.push(`${what}: expected ${want1}, found ${found1}`);
    }
    for (const r of fkRows)
      if (!want.foreignKeys.has(r.name))
        diffs.push(`foreign key "${r.name}" on "${r.table}": exists in the database but not in schema.prisma`);
  });
  return diffs.sort();
}

// --- the tests ------------------------------------------------------------------------------------
describe("migrations ⇄ schema.prisma", () => {
  let db: FreshDatabase;
  beforeAll(async () => {
    db = await createFreshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("the migrated database matches schema.prisma exactly", async () => {
    const dm = readDatamodel();
    expect(dm.models.length).toBeGreaterThan(10); // the parser really read the schema
    expect(await compareDatabaseToSchema(db.url, dm)).toEqual([]);
  });

  it("reports drift: the comparison fails when the database differs", async () => {
    const drifted = await createFreshDatabase();
    try {
      await withClient(drifted.url, async (c) => {
        await c.query(`ALTER TABLE "Model" DROP COLUMN "sortOrder"`);
        await c.query(`ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL`);
        await c.query(`ALTER TABLE "Channel" ALTER COLUMN "weight" SET DEFAULT 2`);
        await c.query(`DROP INDEX "Hold_organizationId_idx"`);
        await c.query(`ALTER TYPE "HoldState" ADD VALUE 'LOST'`);
        await c.query(`ALTER TABLE "Session" DROP CONSTRAINT "Session_userId_fkey"`);
        await c.query(
          `ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE`,
        );
        await c.query(`CREATE TABLE "Stray" (id TEXT PRIMARY KEY)`);
      });
      const diffs = await compareDatabaseToSchema(drifted.url);
      expect(diffs).toEqual(
        [
          `column "Channel"."weight": default expected "1", found "2" (2)`,
          `column "Model"."sortOrder": missing in the database`,
          `column "User"."name": expected NULL, found NOT NULL`,
          `enum "HoldState": values expected ["HELD","SETTLED","RELEASED"], found ["HELD","SETTLED","RELEASED","LOST"]`,
          `foreign key "Session_userId_fkey": expected "Session"(userId) → "User"(id) ON DELETE Cascade ON UPDATE Cascade, ` +
            `found "Session"(userId) → "User"(id) ON DELETE Restrict ON UPDATE Cascade`,
          `index "Stray_pkey" on "Stray"(id): exists in the database but not in schema.prisma`,
          `index "Hold_organizationId_idx" on "Hold"(organizationId): missing in the database`,
          `table "Stray": exists in the database but not in schema.prisma`,
        ].sort(),
      );
    } finally {
      await drifted.drop();
    }
  });
});
