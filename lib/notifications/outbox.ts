import type pg from "pg";
import { getPool, withTransaction } from "@/lib/db/pool";
import { sendEmail, type Email } from "@/lib/email/send";
import { formatUsd } from "@/lib/format";
import { logger } from "@/lib/log";

const log = logger("notifications");

// The notification outbox: settlement (tf_settle) inserts a Notification row in the same
// transaction as the charge that crossed the owner's low-balance threshold, and a declined auto
// top-up inserts one in the transaction that turns auto top-up off; this loop emails them.
// Every instance runs the loop; FOR UPDATE SKIP LOCKED lets each claim different rows, and a row
// is marked sent in the transaction that claimed it, so no two instances send the same alert.
// A failed send counts an attempt and is retried on later rounds, up to MAX_ATTEMPTS.

export const MAX_ATTEMPTS = 5;
const BATCH = 20;

interface NotificationRow {
  id: string;
  kind: "LOW_BALANCE" | "AUTO_TOP_UP_FAILED";
  organizationId: string;
  data: { fundsNanos?: string; thresholdNanos?: string; amountNanos?: string; reason?: string };
}

export interface DeliveryResult {
  sent: number;
  failed: number;
  skipped: number;
}

type Send = (email: Email) => Promise<void>;

function siteUrl(path: string): string {
  const base = (process.env.TOKENFLOW_PUBLIC_URL ?? process.env.NEXTAUTH_URL ?? "http://localhost:3000").replace(
    /\/+$/,
    "",
  );
  return `${base}${path}`;
}

export function autoTopUpFailedEmail(to: string[], organizationName: string, data: NotificationRow["data"]): Email {
  const amount = formatUsd(BigInt(data.amountNanos ?? "0"));
  return {
    to: to.join(", "),
    subject: `Auto top-up of ${amount} failed for ${organizationName}`,
    text: [
      `We tried to add ${amount} to "${organizationName}" with the saved card, and the payment did not go through:`,
      `${data.reason ?? "the card was declined."}`,
      "",
      "Auto top-up is now turned off, so we do not try the card again. When the balance runs out, requests with",
      "this organization's keys are refused (HTTP 402).",
      "",
      `Top up, save another card and turn auto top-up back on: ${siteUrl("/billing")}`,
    ].join("\n"),
  };
}

export function lowBalanceEmail(to: string[], organizationName: string, data: NotificationRow["data"]): Email {
  const threshold = formatUsd(BigInt(data.thresholdNanos ?? "0"));
  const funds = formatUsd(BigInt(data.fundsNanos ?? "0"));
  return {
    to: to.join(", "),
    subject: `Your TokenFlow balance is below ${threshold}`,
    text: [
      `The balance of "${organizationName}" fell below your alert threshold of ${threshold}.`,
      `It is now ${funds}. When it runs out, requests with this organization's keys are refused (HTTP 402).`,
      "",
      `Top up or redeem a credit code: ${siteUrl("/dashboard/settings")}`,
      "",
      "You get this email once each time the balance crosses the threshold. Change it in the organization settings.",
    ].join("\n"),
  };
}

/** One round: claims up to BATCH unsent notifications and emails each organization's owners. */
export async function deliverPendingNotifications(
  pool: pg.Pool = getPool(),
  send: Send = sendEmail,
): Promise<DeliveryResult> {
  const result: DeliveryResult = { sent: 0, failed: 0, skipped: 0 };
  await withTransaction(async (client) => {
    const { rows } = await client.query<NotificationRow>(
      `SELECT id, kind, "organizationId", data FROM "Notification"
        WHERE "sentAt" IS NULL AND attempts < $1
        ORDER BY "createdAt", id LIMIT $2
        FOR UPDATE SKIP LOCKED`,
      [MAX_ATTEMPTS, BATCH],
    );
    for (const row of rows) {
      const { rows: owners } = await client.query<{ email: string; name: string }>(
        `SELECT u.email, o.name FROM "Organization" o
           JOIN "Membership" m ON m."organizationId" = o.id AND m.role = 'OWNER'
           JOIN "User" u ON u.id = m."userId" AND u."disabledAt" IS NULL
          WHERE o.id = $1 AND o."deletedAt" IS NULL
          ORDER BY u.email`,
        [row.organizationId],
      );
      if (owners.length === 0) {
        // A deleted organization, or one with nobody to tell: nothing will ever be sent.
        await client.query(`UPDATE "Notification" SET "sentAt" = (now() AT TIME ZONE 'UTC') WHERE id = $1`, [row.id]);
        result.skipped++;
        continue;
      }
      try {
        const compose = row.kind === "AUTO_TOP_UP_FAILED" ? autoTopUpFailedEmail : lowBalanceEmail;
        await send(
          compose(
            owners.map((o) => o.email),
            owners[0].name,
            row.data,
          ),
        );
        await client.query(
          `UPDATE "Notification" SET "sentAt" = (now() AT TIME ZONE 'UTC'), attempts = attempts + 1 WHERE id = $1`,
          [row.id],
        );
        result.sent++;
      } catch (err) {
        await client.query(`UPDATE "Notification" SET attempts = attempts + 1 WHERE id = $1`, [row.id]);
        log.error({ err, kind: row.kind, notificationId: row.id }, "could not send a notification");
        result.failed++;
      }
    }
  }, pool);
  return result;
}

/** Starts the loop (every instance); returns a function that stops it and waits for a round in flight. */
export function startNotificationOutbox(
  intervalMs = Number(process.env.TOKENFLOW_OUTBOX_INTERVAL_MS ?? 5_000),
): () => Promise<void> {
  let running: Promise<void> | null = null;
  let stopped = false;
  const round = () => {
    if (running || stopped) return;
    running = deliverPendingNotifications()
      .then(() => undefined)
      .catch((err: Error) => log.error({ err }, "outbox round failed"))
      .finally(() => {
        running = null;
      });
  };
  const every = setInterval(round, intervalMs);
  every.unref();
  return async () => {
    stopped = true;
    clearInterval(every);
    await running;
  };
}
