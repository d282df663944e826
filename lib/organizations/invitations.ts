import { createHash, createHmac, randomBytes } from "node:crypto";
import { ApiError } from "@/lib/api/errors";
import { appEncryptionKey } from "@/lib/crypto/app-key";
import { getPool, withTransaction } from "@/lib/db/pool";
import { sendEmail } from "@/lib/email/send";
import type { MembershipRole } from "@/lib/tenancy/context";
import { requireRole, type OrgActor } from "./access";
import { logger } from "@/lib/log";

const log = logger("invitations");

// Invitations by email (ADMIN+). An invitation is a link /invite/<token>, valid 7 days, usable once,
// only by a user signed in with the invited email. Admins may invite members and admins (they can
// promote a member to admin anyway); owners are made from members, never invited.
//
// The token is 32 bytes: HMAC-SHA256 of the invitation's random id under a key derived from
// TOKENFLOW_ENCRYPTION_KEY. Only its sha256 is stored (tokenHash), yet the server can show the
// link again ("Copy link" on the pending list) without keeping it: a database leak alone gives no
// usable link, and rotating the encryption key voids every pending one.

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const INVITABLE_ROLES = ["MEMBER", "ADMIN"] as const satisfies readonly MembershipRole[];
export type InvitableRole = (typeof INVITABLE_ROLES)[number];

export interface PendingInvitation {
  id: string;
  email: string;
  role: MembershipRole;
  expiresAt: Date;
  createdAt: Date;
  link: string;
}

/** What the invite page may show to whoever holds the link. */
export interface InvitationPreview {
  organizationName: string;
  role: MembershipRole;
  email: string;
  expiresAt: Date;
}

/** One answer for unknown, expired, revoked and used links: which one it was is nobody's business. */
export const INVALID_INVITATION_MESSAGE = "This invitation link is invalid or has expired.";

function linkKey(): Buffer {
  return createHmac("sha256", appEncryptionKey()).update("tokenflow invitation links").digest();
}

export function invitationToken(invitationId: string): string {
  return createHmac("sha256", linkKey()).update(invitationId).digest("base64url");
}

export function hashInvitationToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function invitationLink(baseUrl: string, invitationId: string): string {
  return `${baseUrl}/invite/${invitationToken(invitationId)}`;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Creates an invitation and emails its link. A pending invitation to the same address is replaced
 * (its link stops working). The link is returned for the inviter to share if the email is lost;
 * `emailed` is false when sending failed (the invitation stands).
 */
export async function createInvitation(
  actor: OrgActor,
  input: { email: string; role: InvitableRole },
  baseUrl: string,
): Promise<{ id: string; link: string; emailed: boolean }> {
  const email = normalizeEmail(input.email);
  if (!INVITABLE_ROLES.includes(input.role)) throw new ApiError("validation_error", "Choose Member or Admin.");
  const id = `inv_${randomBytes(16).toString("hex")}`;
  const { organizationName, inviterEmail } = await withTransaction(async (client) => {
    await requireRole(actor, "ADMIN", client);
    const member = await client.query(
      `SELECT 1 FROM "Membership" m JOIN "User" u ON u.id = m."userId"
        WHERE m."organizationId" = $1 AND lower(u.email) = $2`,
      [actor.organizationId, email],
    );
    if (member.rowCount) throw new ApiError("conflict", `${email} is already a member of this organization.`);
    await client.query(
      `UPDATE "Invitation" SET "revokedAt" = (now() AT TIME ZONE 'UTC')
        WHERE "organizationId" = $1 AND lower(email) = $2 AND "acceptedAt" IS NULL AND "revokedAt" IS NULL`,
      [actor.organizationId, email],
    );
    await client.query(
      `INSERT INTO "Invitation" (id, "organizationId", email, role, "tokenHash", "invitedById", "expiresAt", "createdAt")
       VALUES ($1, $2, $3, $4, $5, $6, (now() AT TIME ZONE 'UTC') + make_interval(secs => $7 / 1000.0),
               (now() AT TIME ZONE 'UTC'))`,
      [
        id,
        actor.organizationId,
        email,
        input.role,
        hashInvitationToken(invitationToken(id)),
        actor.userId,
        INVITATION_TTL_MS,
      ],
    );
    const { rows } = await client.query<{ organizationName: string; inviterEmail: string }>(
      `SELECT o.name AS "organizationName", u.email AS "inviterEmail"
         FROM "Organization" o, "User" u WHERE o.id = $1 AND u.id = $2`,
      [actor.organizationId, actor.userId],
    );
    return rows[0];
  });
  const link = invitationLink(baseUrl, id);
  let emailed = true;
  try {
    await sendEmail({
      to: email,
      subject: `You are invited to ${organizationName} on TokenFlow`,
      text: [
        `${inviterEmail} invited you to join "${organizationName}" on TokenFlow as ${input.role.toLowerCase()}.`,
        "",
        `Accept the invitation: ${link}`,
        "",
        "The link works once and expires in 7 days. If you did not expect this email, ignore it.",
      ].join("\n"),
    });
  } catch (err) {
    emailed = false;
    log.error({ err }, "could not send the invitation email");
  }
  return { id, link, emailed };
}

/** Invitations not yet accepted, revoked or expired, newest first, with their links. */
export async function listPendingInvitations(actor: OrgActor, baseUrl: string): Promise<PendingInvitation[]> {
  await requireRole(actor, "ADMIN");
  const { rows } = await getPool().query<Omit<PendingInvitation, "link">>(
    `SELECT id, email, role, "expiresAt", "createdAt" FROM "Invitation"
      WHERE "organizationId" = $1 AND "acceptedAt" IS NULL AND "revokedAt" IS NULL
        AND "expiresAt" > (now() AT TIME ZONE 'UTC')
      ORDER BY "createdAt" DESC, id`,
    [actor.organizationId],
  );
  return rows.map((row) => ({ ...row, link: invitationLink(baseUrl, row.id) }));
}

export async function revokeInvitation(actor: OrgActor, invitationId: string): Promise<void> {
  await requireRole(actor, "ADMIN");
  const { rowCount } = await getPool().query(
    `UPDATE "Invitation" SET "revokedAt" = (now() AT TIME ZONE 'UTC')
      WHERE id = $2 AND "organizationId" = $1 AND "acceptedAt" IS NULL AND "revokedAt" IS NULL`,
    [actor.organizationId, invitationId],
  );
  if (!rowCount) throw new ApiError("not_found", "Invitation not found.");
}

const PENDING_BY_TOKEN = `
  SELECT i.id, i."organizationId", i.email, i.role, i."expiresAt", o.name AS "organizationName"
    FROM "Invitation" i JOIN "Organization" o ON o.id = i."organizationId"
   WHERE i."tokenHash" = $1 AND i."acceptedAt" IS NULL AND i."revokedAt" IS NULL
     AND i."expiresAt" > (now() AT TIME ZONE 'UTC') AND o."deletedAt" IS NULL`;

/** The invitation a link stands for, or null when it cannot be accepted (for whatever reason). */
export async function findInvitation(token: string): Promise<InvitationPreview | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const { rows } = await getPool().query<InvitationPreview>(PENDING_BY_TOKEN, [hashInvitationToken(token)]);
  const row = rows[0];
  return row
    ? { organizationName: row.organizationName, role: row.role, email: row.email, expiresAt: row.expiresAt }
    : null;
}

/**
 * Accepts an invitation for the signed-in user: the membership (a user already in the organization
 * keeps their role) and the invitation marked used, in one transaction; the row lock makes a link
 * clicked twice at once count once. Refused when the user's email is not the invited one.
 */
export async function acceptInvitation(
  token: string,
  user: { id: string; email: string },
): Promise<{ organizationId: string }> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw new ApiError("not_found", INVALID_INVITATION_MESSAGE);
  return withTransaction(async (client) => {
    const { rows } = await client.query<{ id: string; organizationId: string; email: string; role: MembershipRole }>(
      `${PENDING_BY_TOKEN} FOR UPDATE OF i`,
      [hashInvitationToken(token)],
    );
    const invitation = rows[0];
    if (!invitation) throw new ApiError("not_found", INVALID_INVITATION_MESSAGE);
    if (normalizeEmail(user.email) !== normalizeEmail(invitation.email)) {
      throw new ApiError(
        "forbidden",
        `This invitation is for ${invitation.email}, but you are signed in as ${user.email}. Sign out and sign in (or create an account) with ${invitation.email}.`,
      );
    }
    await client.query(
      `INSERT INTO "Membership" (id, "userId", "organizationId", role, "createdAt")
       VALUES ($1, $2, $3, $4, (now() AT TIME ZONE 'UTC'))
       ON CONFLICT ("organizationId", "userId") DO NOTHING`,
      [`mem_${randomBytes(12).toString("hex")}`, user.id, invitation.organizationId, invitation.role],
    );
    await client.query(`UPDATE "Invitation" SET "acceptedAt" = (now() AT TIME ZONE 'UTC') WHERE id = $1`, [
      invitation.id,
    ]);
    return { organizationId: invitation.organizationId };
  });
}
