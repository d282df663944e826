// The organization domain against real Postgres: roles checked on every call, an id from another
// organization answers not found, the last owner stays, invitations work once and only for the
// invited email, deletion revokes keys, redemption credits once.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "@/lib/api/errors";
import { creditOrganization } from "@/lib/billing/credits";
import { generateRedemptionCode, hashRedemptionCode, redeemCode } from "@/lib/billing/redemption";
import { bigintTypes, closePool } from "@/lib/db/pool";
import { createFreshDatabase } from "@/test/database";
import { createOrganization } from "./create";
import {
  acceptInvitation,
  createInvitation,
  findInvitation,
  hashInvitationToken,
  listPendingInvitations,
  revokeInvitation,
} from "./invitations";
import { changeMemberRole, listMembers, removeMember, setMemberSpendLimit } from "./members";
import { deleteOrganization, getOrganizationSettings, renameOrganization, setLowBalanceThreshold } from "./settings";

let database: Awaited<ReturnType<typeof createFreshDatabase>>;
let db: pg.Pool;
let dataDir: string;
const BASE = "https://tokenflow.example";

beforeAll(async () => {
  database = await createFreshDatabase();
  db = new pg.Pool({ connectionString: database.url, max: 5, types: bigintTypes });
  // Dropping the database at the end terminates a connection still closing: not an error of a test.
  db.on("error", () => undefined);
  dataDir = mkdtempSync(path.join(tmpdir(), "tf-orgs-"));
  // The domain functions use the app's own pool and mailer: point them at this database and an outbox folder.
  process.env.DATABASE_URL = database.url;
  process.env.TOKENFLOW_DATA_DIR = dataDir;
  process.env.TOKENFLOW_ENCRYPTION_KEY = randomBytes(32).toString("base64");
  delete process.env.SMTP_URL;
});

afterAll(async () => {
  await closePool();
  await db?.end();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

let n = 0;
async function newUser(email = `user${++n}-${randomBytes(3).toString("hex")}@example.com`) {
  const id = `user_${randomBytes(6).toString("hex")}`;
  await db.query(`INSERT INTO "User" (id, email, role, "updatedAt") VALUES ($1, $2, 'USER', now())`, [id, email]);
  return { id, email };
}

async function addMember(organizationId: string, userId: string, role: "OWNER" | "ADMIN" | "MEMBER") {
  const id = `mem_${randomBytes(6).toString("hex")}`;
  await db.query(
    `INSERT INTO "Membership" (id, "userId", "organizationId", role, "createdAt") VALUES ($1, $2, $3, $4, now())`,
    [id, userId, organizationId, role],
  );
  return id;
}

/** An organization with an owner, an admin and a member. */
async function newTeam(name = `Team ${++n}`) {
  const owner = await newUser();
  const admin = await newUser();
  const member = await newUser();
  const { id } = await createOrganization(db, { name, ownerUserId: owner.id });
  const ownerMembership = (
    await db.query(`SELECT id FROM "Membership" WHERE "organizationId" = $1 AND "userId" = $2`, [id, owner.id])
  ).rows[0].id as string;
  const adminMembership = await addMember(id, admin.id, "ADMIN");
  const memberMembership = await addMember(id, member.id, "MEMBER");
  return {
    id,
    name,
    owner: { ...owner, membershipId: ownerMembership, actor: { organizationId: id, userId: owner.id } },
    admin: { ...admin, membershipId: adminMembership, actor: { organizationId: id, userId: admin.id } },
    member: { ...member, membershipId: memberMembership, actor: { organizationId: id, userId: member.id } },
  };
}

async function expectApiError(promise: Promise<unknown>, code: string) {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected ApiError ${code}`).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe(code);
}

async function roleOf(membershipId: string) {
  const { rows } = await db.query(`SELECT role FROM "Membership" WHERE id = $1`, [membershipId]);
  return rows[0]?.role as string | undefined;
}

function outboxMessages(): string[] {
  const dir = path.join(dataDir, "outbox");
  try {
    return readdirSync(dir)
      .sort()
      .map((f) => readFileSync(path.join(dir, f), "utf8"));
  } catch {
    return [];
  }
}

describe("members", () => {
  it("only admins and owners list members; another organization's user gets not found", async () => {
    const team = await newTeam();
    const other = await newTeam();
    const members = await listMembers(team.admin.actor);
    expect(members.map((m) => m.role)).toEqual(["OWNER", "ADMIN", "MEMBER"]);
    await expectApiError(listMembers(team.member.actor), "forbidden");
    await expectApiError(listMembers({ organizationId: team.id, userId: other.owner.id }), "not_found");
  });

  it("admins move members and admins; only an owner makes or unmakes an owner", async () => {
    const team = await newTeam();
    await expectApiError(changeMemberRole(team.member.actor, team.admin.membershipId, "MEMBER"), "forbidden");
    await changeMemberRole(team.admin.actor, team.member.membershipId, "ADMIN");
    expect(await roleOf(team.member.membershipId)).toBe("ADMIN");
    await expectApiError(changeMemberRole(team.admin.actor, team.member.membershipId, "OWNER"), "forbidden");
    await expectApiError(changeMemberRole(team.admin.actor, team.owner.membershipId, "MEMBER"), "forbidden");
    await expectApiError(changeMemberRole(team.admin.actor, team.admin.membershipId, "OWNER"), "forbidden");
    await changeMemberRole(team.owner.actor, team.admin.membershipId, "OWNER");
    expect(await roleOf(team.admin.membershipId)).toBe("OWNER");
  });

  it("a membership id of another organization is not found, and nothing changes", async () => {
    const team = await newTeam();
    const other = await newTeam();
    await expectApiError(changeMemberRole(team.owner.actor, other.member.membershipId, "ADMIN"), "not_found");
    await expectApiError(removeMember(team.owner.actor, other.member.membershipId), "not_found");
    await expectApiError(setMemberSpendLimit(team.owner.actor, other.member.membershipId, 5n), "not_found");
    expect(await roleOf(other.member.membershipId)).toBe("MEMBER");
    const { rows } = await db.query(`SELECT "monthlySpendLimitNanos" FROM "Membership" WHERE id = $1`, [
      other.member.membershipId,
    ]);
    expect(rows[0].monthlySpendLimitNanos).toBeNull();
  });

  it("the last owner can be neither demoted nor removed", async () => {
    const team = await newTeam();
    await expectApiError(changeMemberRole(team.owner.actor, team.owner.membershipId, "ADMIN"), "conflict");
    await expectApiError(removeMember(team.owner.actor, team.owner.membershipId), "conflict");
    expect(await roleOf(team.owner.membershipId)).toBe("OWNER");
  });

  it("two owners demoting each other at once leave exactly one owner", async () => {
    const team = await newTeam();
    await changeMemberRole(team.owner.actor, team.admin.membershipId, "OWNER");
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled([
        changeMemberRole(team.owner.actor, team.admin.membershipId, "ADMIN"),
        changeMemberRole(team.admin.actor, team.owner.membershipId, "ADMIN"),
      ]);
      expect(results.filter((r) => r.status === "fulfilled").length).toBe(1);
      const { rows } = await db.query(
        `SELECT count(*)::int AS owners FROM "Membership" WHERE "organizationId" = $1 AND role = 'OWNER'`,
        [team.id],
      );
      expect(rows[0].owners).toBe(1);
      // Restore two owners for the next round, from whichever is still owner.
      const ownerLeft = (await roleOf(team.owner.membershipId)) === "OWNER" ? team.owner : team.admin;
      const demoted = ownerLeft === team.owner ? team.admin : team.owner;
      await changeMemberRole(ownerLeft.actor, demoted.membershipId, "OWNER");
    }
  });

  it("removing a member revokes the keys they created here, not others'", async () => {
    const team = await newTeam();
    for (const [key, user] of [
      ["k_member", team.member.id],
      ["k_admin", team.admin.id],
    ] as const) {
      await db.query(
        `INSERT INTO "ApiKey" (id, "organizationId", "createdById", name, "keyHash", "partialKey", "createdAt")
         VALUES ($1, $2, $3, 'k', $1, 'tf-…', now())`,
        [`${key}_${team.id}`, team.id, user],
      );
    }
    await expectApiError(removeMember(team.member.actor, team.admin.membershipId), "forbidden");
    expect(await removeMember(team.admin.actor, team.member.membershipId)).toEqual({ revokedKeys: 1 });
    expect(await roleOf(team.member.membershipId)).toBeUndefined();
    const { rows } = await db.query(
      `SELECT id, "revokedAt" IS NOT NULL AS revoked FROM "ApiKey" WHERE "organizationId" = $1 ORDER BY id`,
      [team.id],
    );
    expect(rows).toEqual([
      { id: `k_admin_${team.id}`, revoked: false },
      { id: `k_member_${team.id}`, revoked: true },
    ]);
    await expectApiError(listMembers(team.member.actor), "not_found");
  });

  it("a monthly cap is stored in exact nanos and starts from this month's spend", async () => {
    const team = await newTeam();
    const keyId = `k_${team.id}`;
    await db.query(
      `INSERT INTO "ApiKey" (id, "organizationId", "createdById", name, "keyHash", "partialKey", "createdAt")
       VALUES ($1, $2, $3, 'k', $1, 'tf-…', now())`,
      [keyId, team.id, team.member.id],
    );
    await db.query(
      `INSERT INTO "UsageDaily" ("organizationId", day, "apiKeyId", model, requests, "costNanos")
       VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2, 'm', 3, 1234567), ($1, DATE '2000-01-01', $2, 'm', 1, 999)`,
      [team.id, keyId],
    );
    await setMemberSpendLimit(team.admin.actor, team.member.membershipId, 12_345_000_001n);
    const { rows } = await db.query(
      `SELECT "monthlySpendLimitNanos", "monthSpentNanos", "monthStartsAt" FROM "Membership" WHERE id = $1`,
      [team.member.membershipId],
    );
    expect(rows[0].monthlySpendLimitNanos).toBe(12_345_000_001n);
    expect(rows[0].monthSpentNanos).toBe(1_234_567n);
    const listed = (await listMembers(team.owner.actor)).find((m) => m.membershipId === team.member.membershipId)!;
    expect(listed.monthSpentNanos).toBe(1_234_567n);
    expect(listed.monthlySpendLimitNanos).toBe(12_345_000_001n);
    await expectApiError(setMemberSpendLimit(team.member.actor, team.member.membershipId, null), "forbidden");
    await setMemberSpendLimit(team.admin.actor, team.member.membershipId, null);
    const after = await db.query(`SELECT "monthlySpendLimitNanos" FROM "Membership" WHERE id = $1`, [
      team.member.membershipId,
    ]);
    expect(after.rows[0].monthlySpendLimitNanos).toBeNull();
  });
});

describe("invitations", () => {
  function tokenOf(link: string) {
    return link.split("/invite/")[1];
  }

  it("emails a link that works once, only for the invited email, with the invited role", async () => {
    const team = await newTeam("Invite Co");
    const invitee = await newUser();
    const stranger = await newUser();
    const before = outboxMessages().length;
    const { link, emailed } = await createInvitation(
      team.admin.actor,
      { email: ` ${invitee.email.toUpperCase()} `, role: "ADMIN" },
      BASE,
    );
    expect(emailed).toBe(true);
    expect(link).toMatch(/^https:\/\/tokenflow\.example\/invite\/[A-Za-z0-9_-]{43}$/);
    const mails = outboxMessages().slice(before);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toContain(`To: ${invitee.email}`);
    expect(mails[0]).toContain(link);
    expect(mails[0]).toContain("Invite Co");

    // Only the hash is stored.
    const token = tokenOf(link);
    const { rows } = await db.query(`SELECT "tokenHash" FROM "Invitation" WHERE "organizationId" = $1`, [team.id]);
    expect(rows).toEqual([{ tokenHash: hashInvitationToken(token) }]);
    expect(JSON.stringify(rows)).not.toContain(token);

    expect(await findInvitation(token)).toMatchObject({
      organizationName: "Invite Co",
      role: "ADMIN",
      email: invitee.email,
    });
    const pending = await listPendingInvitations(team.owner.actor, BASE);
    expect(pending.map((p) => p.link)).toEqual([link]);

    await expectApiError(acceptInvitation(token, stranger), "forbidden");
    expect(await acceptInvitation(token, invitee)).toEqual({ organizationId: team.id });
    const role = await db.query(`SELECT role FROM "Membership" WHERE "organizationId" = $1 AND "userId" = $2`, [
      team.id,
      invitee.id,
    ]);
    expect(role.rows).toEqual([{ role: "ADMIN" }]);
    await expectApiError(acceptInvitation(token, invitee), "not_found");
    expect(await findInvitation(token)).toBeNull();
    expect(await listPendingInvitations(team.owner.actor, BASE)).toEqual([]);
  });

  it("an admin removed or demoted to member takes their pending invitations with them", async () => {
    const team = await newTeam();
    const removed = await newUser();
    const removedMembership = await addMember(team.id, removed.id, "ADMIN");
    const removedActor = { organizationId: team.id, userId: removed.id };
    const kept = await createInvitation(team.owner.actor, { email: "kept@example.com", role: "MEMBER" }, BASE);
    const byRemoved = await createInvitation(removedActor, { email: "alt@example.com", role: "ADMIN" }, BASE);
    const byDemoted = await createInvitation(team.admin.actor, { email: "alt2@example.com", role: "ADMIN" }, BASE);
    expect(await findInvitation(tokenOf(byDemoted.link))).not.toBeNull();
    await changeMemberRole(team.owner.actor, team.admin.membershipId, "MEMBER");
    await removeMember(team.owner.actor, removedMembership);
    const alt = await newUser("alt@example.com");
    await expectApiError(acceptInvitation(tokenOf(byRemoved.link), alt), "not_found");
    expect(await findInvitation(tokenOf(byDemoted.link))).toBeNull();
    expect((await listPendingInvitations(team.owner.actor, BASE)).map((p) => p.link)).toEqual([kept.link]);
  });

  it("members cannot invite; owners cannot be invited; members are not invited twice", async () => {
    const team = await newTeam();
    await expectApiError(
      createInvitation(team.member.actor, { email: "x@example.com", role: "MEMBER" }, BASE),
      "forbidden",
    );
    await expectApiError(
      createInvitation(team.owner.actor, { email: "x@example.com", role: "OWNER" as never }, BASE),
      "validation_error",
    );
    await expectApiError(
      createInvitation(team.owner.actor, { email: team.member.email, role: "MEMBER" }, BASE),
      "conflict",
    );
  });

  it("revoked, replaced, expired and made-up links all answer the same", async () => {
    const team = await newTeam();
    const other = await newTeam();
    const invitee = await newUser();
    const first = await createInvitation(team.owner.actor, { email: invitee.email, role: "MEMBER" }, BASE);
    const second = await createInvitation(team.owner.actor, { email: invitee.email, role: "MEMBER" }, BASE);
    expect(await findInvitation(tokenOf(first.link))).toBeNull(); // replaced by the second
    await expectApiError(revokeInvitation(other.owner.actor, second.id), "not_found"); // another org's id
    expect(await findInvitation(tokenOf(second.link))).not.toBeNull();
    await expectApiError(revokeInvitation(team.member.actor, second.id), "forbidden");
    await revokeInvitation(team.admin.actor, second.id);
    await expectApiError(acceptInvitation(tokenOf(second.link), invitee), "not_found");

    const third = await createInvitation(team.owner.actor, { email: invitee.email, role: "MEMBER" }, BASE);
    await db.query(`UPDATE "Invitation" SET "expiresAt" = now() - interval '1 minute' WHERE id = $1`, [third.id]);
    await expectApiError(acceptInvitation(tokenOf(third.link), invitee), "not_found");
    await expectApiError(acceptInvitation("A".repeat(43), invitee), "not_found");
    await expectApiError(acceptInvitation("../../etc", invitee), "not_found");
    const messages = await Promise.all(
      [tokenOf(second.link), tokenOf(third.link), "A".repeat(43)].map((t) =>
        acceptInvitation(t, invitee).catch((e: ApiError) => e.message),
      ),
    );
    expect(new Set(messages).size).toBe(1);
  });
});

describe("settings", () => {
  it("members read, admins rename, owners set the alert", async () => {
    const team = await newTeam("Before");
    expect(await getOrganizationSettings(team.member.actor)).toMatchObject({
      name: "Before",
      role: "MEMBER",
      memberCount: 3,
    });
    await expectApiError(renameOrganization(team.member.actor, "Nope"), "forbidden");
    expect(await renameOrganization(team.admin.actor, "  After   Rename ")).toBe("After Rename");
    await expectApiError(renameOrganization(team.admin.actor, "   "), "validation_error");
    await expectApiError(renameOrganization(team.admin.actor, "evil\u202Eexe.txt"), "validation_error");
    await expectApiError(renameOrganization(team.admin.actor, "x".repeat(101)), "validation_error");
    await expectApiError(setLowBalanceThreshold(team.admin.actor, 5_000_000_000n), "forbidden");
    await setLowBalanceThreshold(team.owner.actor, 2_500_000_001n);
    expect((await getOrganizationSettings(team.member.actor)).lowBalanceThresholdNanos).toBe(2_500_000_001n);
    await setLowBalanceThreshold(team.owner.actor, null);
    expect((await getOrganizationSettings(team.member.actor)).lowBalanceThresholdNanos).toBeNull();
    const other = await newTeam();
    await expectApiError(getOrganizationSettings({ organizationId: team.id, userId: other.owner.id }), "not_found");
  });

  it("deleting needs the owner and the exact name, revokes every key, and hides the organization", async () => {
    const team = await newTeam("Doomed Ltd");
    await db.query(
      `INSERT INTO "ApiKey" (id, "organizationId", name, "keyHash", "partialKey", "createdAt") VALUES ($1, $2, 'k', $1, 'tf-…', now())`,
      [`k_${team.id}`, team.id],
    );
    await expectApiError(deleteOrganization(team.admin.actor, "Doomed Ltd"), "forbidden");
    await expectApiError(deleteOrganization(team.owner.actor, "doomed ltd"), "validation_error");
    expect(await deleteOrganization(team.owner.actor, "Doomed Ltd")).toEqual({ revokedKeys: 1 });
    const { rows } = await db.query(
      `SELECT o."deletedAt" IS NOT NULL AS deleted, k."revokedAt" IS NOT NULL AS revoked
         FROM "Organization" o JOIN "ApiKey" k ON k."organizationId" = o.id WHERE o.id = $1`,
      [team.id],
    );
    expect(rows).toEqual([{ deleted: true, revoked: true }]);
    await expectApiError(getOrganizationSettings(team.owner.actor), "not_found");
    await expectApiError(listMembers(team.owner.actor), "not_found");
  });

  it("a personal workspace cannot be deleted", async () => {
    const user = await newUser();
    const { id } = await createOrganization(db, { name: "Mine", ownerUserId: user.id, personal: true });
    await expectApiError(deleteOrganization({ organizationId: id, userId: user.id }, "Mine"), "conflict");
  });
});

describe("redemption", () => {
  it("credits a code once, through the ledger", async () => {
    const team = await newTeam();
    const code = generateRedemptionCode();
    await db.query(
      `INSERT INTO "RedemptionCode" (id, "batchId", "codeHash", "partialCode", "amountNanos", "createdAt")
       VALUES ($1, 'b', $2, 'TF-…', 1500000001, now())`,
      [`rc_${team.id}`, hashRedemptionCode(code)],
    );
    await creditOrganization(db, { organizationId: team.id, amountNanos: 1n, kind: "ADJUSTMENT" });
    const results = await Promise.allSettled([
      redeemCode(team.id, code.toLowerCase(), team.owner.id),
      redeemCode(team.id, code, team.owner.id),
    ]);
    expect(
      results.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<unknown>).value),
    ).toEqual([{ balanceUsd: "1.500000002", creditedUsd: "1.500000001" }]);
    const { rows } = await db.query(
      `SELECT "amountNanos", "actorUserId" FROM "LedgerEntry" WHERE "organizationId" = $1 AND kind = 'REDEMPTION'`,
      [team.id],
    );
    expect(rows).toEqual([{ amountNanos: 1_500_000_001n, actorUserId: team.owner.id }]);
  });
});
