import type { Pool, PoolClient } from "pg";
import { z } from "zod";
import { ApiError, notFound } from "@/lib/api/errors";
import { issueAccountToken } from "@/lib/accounts/account-tokens";
import { siteBaseUrl } from "@/lib/accounts/links";
import { passwordProblem } from "@/lib/accounts/password-policy";
import { createAccount, displayNameSchema, emailSchema } from "@/lib/accounts/sign-up";
import { hashPassword } from "@/lib/auth/password";
import { getPool } from "@/lib/db/pool";
import { sendEmail } from "@/lib/email/send";
import { forgetAllKeys } from "@/lib/gateway/auth";
import { getPlatformSettings } from "@/lib/settings/platform";
import { recordAudit } from "./audit";
import type { AdminActor } from "./auth";
import { freeText, pageQuery } from "./fields";
import { logger } from "@/lib/log";

const log = logger("admin");

// Users across tenants (admin only): create (with a password, or with an emailed link to choose
// one), search, disable, and grant or remove the platform ADMIN role. Password hashes never leave
// this file. The platform always keeps one active admin: the guard locks every active admin row in
// the same transaction as the change (see updateUser), so two concurrent demotions cannot both pass.

export const PLATFORM_ROLES = ["USER", "ADMIN"] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

/** An emailed "choose your password" link works for a week (a reset link for an hour). */
export const INVITATION_TTL_SECONDS = 7 * 24 * 3600;

const platformRole = z.enum(PLATFORM_ROLES, { error: 'must be "USER" or "ADMIN"' });

export const createUserSchema = z.strictObject({
  email: emailSchema,
  password: z
    .string()
    .max(1024)
    .superRefine((password, ctx) => {
      const problem = passwordProblem(password);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
  name: displayNameSchema.optional(),
  platformRole: platformRole.default("USER"),
});

export const listUsersQuery = z.object({
  q: freeText(320).optional(),
  ...pageQuery,
});

export const updateUserSchema = z
  .strictObject({ disabled: z.boolean().optional(), platformRole: platformRole.optional() })
  .refine((patch) => patch.disabled !== undefined || patch.platformRole !== undefined, {
    message: "send disabled and/or platformRole",
  });

// A type (not an interface) so it passes as an audit record.
export type UserJson = {
  id: string;
  email: string;
  name: string | null;
  platformRole: PlatformRole;
  disabled: boolean;
  disabledAt: string | null;
  emailVerified: boolean;
  hasPassword: boolean;
  organizationCount: number;
  createdAt: string;
};

interface UserRow {
  id: string;
  email: string;
  name: string | null;
  role: PlatformRole;
  disabledAt: Date | null;
  emailVerified: Date | null;
  hasPassword: boolean;
  organizationCount: number;
  createdAt: Date;
}

// Never the hash itself: only whether there is one.
const USER_COLUMNS = `u.id, u.email, u.name, u.role, u."disabledAt", u."emailVerified",
  (u."passwordHash" IS NOT NULL) AS "hasPassword", u."createdAt",
  (SELECT count(*)::int FROM "Membership" m JOIN "Organization" o ON o.id = m."organizationId"
    WHERE m."userId" = u.id AND o."deletedAt" IS NULL) AS "organizationCount"`;

function toUserJson(row: UserRow): UserJson {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    platformRole: row.role,
    disabled: row.disabledAt !== null,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    emailVerified: row.emailVerified !== null,
    hasPassword: row.hasPassword,
    organizationCount: row.organizationCount,
    createdAt: row.createdAt.toISOString(),
  };
}

async function readUser(db: Pool | PoolClient, id: string): Promise<UserJson | null> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM "User" u WHERE u.id = $1`, [id]);
  return rows[0] ? toUserJson(rows[0]) : null;
}

/**
 * Newest first. `q` matches the email or name (case-insensitive substring) or the exact id. The
 * cursor is the last id of the previous page (keyset on createdAt, id).
 */
export async function listUsers(
  query: z.output<typeof listUsersQuery>,
): Promise<{ data: UserJson[]; nextCursor: string | null }> {
  const values: unknown[] = [];
  const where: string[] = [];
  if (query.q) {
    values.push(`%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, query.q);
    where.push(`(u.email ILIKE $1 OR u.name ILIKE $1 OR u.id = $2)`);
  }
  if (query.cursor) {
    values.push(query.cursor);
    const at = `$${values.length}`;
    where.push(`(u."createdAt", u.id) < (SELECT c."createdAt", c.id FROM "User" c WHERE c.id = ${at})`);
  }
  values.push(query.limit + 1);
  const { rows } = await getPool().query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM "User" u
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY u."createdAt" DESC, u.id DESC
      LIMIT $${values.length}`,
    values,
  );
  const page = rows.slice(0, query.limit);
  return {
    data: page.map(toUserJson),
    nextCursor: rows.length > query.limit ? page[page.length - 1].id : null,
  };
}

/**
 * A new account as at sign-up: the user, their personal organization (they own it) and the
 * platform's starting credit, in one transaction. Without a password the user gets an email with a
 * link to choose one (a password-reset token that lives a week, used on /reset-password).
 */
export async function createUser(
  input: z.output<typeof createUserSchema>,
  actor: AdminActor,
): Promise<UserJson & { organizationId: string; invitationSent: boolean }> {
  const settings = await getPlatformSettings();
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  const client = await getPool().connect();
  let created: { userId: string; organizationId: string } | null;
  let invitationToken: string | null = null;
  let user: UserJson | null = null;
  try {
    await client.query("BEGIN");
    created = await createAccount(client, {
      email: input.email,
      name: input.name ?? null,
      passwordHash,
      // The operator vouches for the address; a set-password link proves it anyway.
      isEmailVerified: true,
      signupCreditNanos: settings.signupCreditNanos,
    });
    if (created) {
      if (input.platformRole !== "USER") {
        await client.query(`UPDATE "User" SET role = $2 WHERE id = $1`, [created.userId, input.platformRole]);
      }
      if (passwordHash === null) {
        invitationToken = await issueAccountToken(client, "reset-password", created.userId, INVITATION_TTL_SECONDS);
      }
      user = await readUser(client, created.userId);
    }
    await client.query(created ? "COMMIT" : "ROLLBACK");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  if (!created || !user)
    throw new ApiError("conflict", "A user with this email address already exists.", { field: "email" });

  let invitationSent = false;
  if (invitationToken) {
    try {
      await sendInvitationEmail(user.email, invitationToken);
      invitationSent = true;
    } catch (err) {
      // The account exists; "Forgot password" on /login sends a new link.
      log.error({ err }, "invitation email not sent");
    }
  }
  await recordAudit(actor, {
    action: "user.create",
    targetType: "User",
    targetId: user.id,
    after: { ...user, organizationId: created.organizationId },
    data: { invitationSent },
  });
  return { ...user, organizationId: created.organizationId, invitationSent };
}

function sendInvitationEmail(email: string, token: string): Promise<void> {
  const link = `${siteBaseUrl()}/reset-password?token=${encodeURIComponent(token)}`;
  return sendEmail({
    to: email,
    subject: "Your TokenFlow account is ready: choose a password",
    text: [
      "An administrator created a TokenFlow account for this address.",
      "",
      "Choose your password here:",
      link,
      "",
      "The link works once, for seven days. Then sign in with this email address and your new password.",
    ].join("\n"),
  });
}

/**
 * Disables or enables a user, or sets their platform role. A disabled user cannot sign in, their
 * sessions end at their next request (every session read re-checks disabledAt) and the keys they
 * created stop at once on every instance (the gateway's key check joins the creator; the key cache
 * is dropped everywhere). Refuses (409) to leave the platform without an active admin.
 */
export async function updateUser(
  id: string,
  patch: z.output<typeof updateUserSchema>,
  actor: AdminActor,
): Promise<UserJson> {
  const client = await getPool().connect();
  let before: UserJson | null;
  let after: UserJson | null;
  try {
    await client.query("BEGIN");
    // Lock every active admin (in id order, so concurrent changes queue rather than deadlock) and
    // the target. A concurrent demotion that committed first has already left this set when the
    // lock is granted (READ COMMITTED re-checks the row), so the count below is the truth.
    const { rows: admins } = await client.query<{ id: string }>(
      `SELECT id FROM "User" WHERE role = 'ADMIN' AND "disabledAt" IS NULL ORDER BY id FOR UPDATE`,
    );
    await client.query(`SELECT id FROM "User" WHERE id = $1 FOR UPDATE`, [id]);
    before = await readUser(client, id);
    if (!before) throw notFound("User");
    const isActiveAdminNow = admins.some((admin) => admin.id === id);
    const willBeActiveAdmin =
      (patch.platformRole ?? before.platformRole) === "ADMIN" && !(patch.disabled ?? before.disabled);
    if (isActiveAdminNow && !willBeActiveAdmin && admins.length <= 1) {
      throw new ApiError(
        "conflict",
        "This is the last active platform admin: make another user an admin before removing or disabling this one.",
      );
    }
    await client.query(
      `UPDATE "User"
          SET role = COALESCE($2::"PlatformRole", role),
              "disabledAt" = CASE WHEN $3::boolean IS NULL THEN "disabledAt"
                                  WHEN $3 THEN COALESCE("disabledAt", (now() AT TIME ZONE 'UTC'))
                                  ELSE NULL END,
              "updatedAt" = (now() AT TIME ZONE 'UTC')
        WHERE id = $1`,
      [id, patch.platformRole ?? null, patch.disabled ?? null],
    );
    // Database sessions (if any provider uses them) end too; JWT sessions end at the next read.
    if (patch.disabled) await client.query(`DELETE FROM "Session" WHERE "userId" = $1`, [id]);
    after = await readUser(client, id);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  if (patch.disabled !== undefined && before.disabled !== after!.disabled) forgetAllKeys();
  await recordAudit(actor, { action: "user.update", targetType: "User", targetId: id, before, after, data: patch });
  return after!;
}

export interface UserDetail {
  user: UserJson;
  memberships: {
    organizationId: string;
    organizationName: string;
    role: "OWNER" | "ADMIN" | "MEMBER";
    personal: boolean;
    organizationDisabled: boolean;
    joinedAt: string;
  }[];
  keys: {
    id: string;
    name: string;
    partialKey: string;
    scope: "GATEWAY" | "ADMIN";
    organizationId: string;
    organizationName: string;
    revoked: boolean;
    lastUsedAt: string | null;
    createdAt: string;
  }[];
}

/** A user with the organizations they belong to and the keys they created (newest 100). */
export async function getUserDetail(id: string): Promise<UserDetail> {
  const pool = getPool();
  const user = await readUser(pool, id);
  if (!user) throw notFound("User");
  const [memberships, keys] = await Promise.all([
    pool.query(
      `SELECT o.id AS "organizationId", o.name AS "organizationName", m.role, o.personal,
              (o."disabledAt" IS NOT NULL) AS "organizationDisabled", m."createdAt"
         FROM "Membership" m JOIN "Organization" o ON o.id = m."organizationId"
        WHERE m."userId" = $1 AND o."deletedAt" IS NULL
        ORDER BY o.personal DESC, m."createdAt"`,
      [id],
    ),
    pool.query(
      `SELECT k.id, k.name, k."partialKey", k.scope, k."organizationId", o.name AS "organizationName",
              (k."revokedAt" IS NOT NULL) AS revoked, k."lastUsedAt", k."createdAt"
         FROM "ApiKey" k JOIN "Organization" o ON o.id = k."organizationId"
        WHERE k."createdById" = $1
        ORDER BY k."createdAt" DESC
        LIMIT 100`,
      [id],
    ),
  ]);
  return {
    user,
    memberships: memberships.rows.map((r) => ({
      organizationId: r.organizationId,
      organizationName: r.organizationName,
      role: r.role,
      personal: r.personal,
      organizationDisabled: r.organizationDisabled,
      joinedAt: (r.createdAt as Date).toISOString(),
    })),
    keys: keys.rows.map((r) => ({
      id: r.id,
      name: r.name,
      partialKey: r.partialKey,
      scope: r.scope,
      organizationId: r.organizationId,
      organizationName: r.organizationName,
      revoked: r.revoked,
      lastUsedAt: r.lastUsedAt ? (r.lastUsedAt as Date).toISOString() : null,
      createdAt: (r.createdAt as Date).toISOString(),
    })),
  };
}
