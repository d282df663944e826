import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import nodemailer, { type Transporter } from "nodemailer";

// Outgoing email (password resets, invitations, low-balance alerts). With SMTP_URL
// (smtp://user:pass@host:587, smtps:// for TLS) messages go through nodemailer; without it, in any
// mode, each message is written as an .eml file to the outbox folder ($TOKENFLOW_DATA_DIR/outbox),
// and the server says so once at start (describeMailer()).

export interface Email {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

const globalForMail = globalThis as unknown as { tokenflowMailer?: Transporter | null };

function transporter(): Transporter | null {
  if (globalForMail.tokenflowMailer === undefined) {
    const url = process.env.SMTP_URL;
    globalForMail.tokenflowMailer = url ? nodemailer.createTransport(url) : null;
  }
  return globalForMail.tokenflowMailer;
}

export function outboxDir(): string {
  // A run-time folder, not a source file: keeps Turbopack from tracing the whole project into the build.
  return path.join(path.resolve(/*turbopackIgnore: true*/ process.env.TOKENFLOW_DATA_DIR ?? ".data"), "outbox");
}

export function emailFrom(): string {
  return process.env.EMAIL_FROM ?? "TokenFlow <no-reply@tokenflow.local>";
}

/** One line for the start-up log: where email goes. Never includes SMTP credentials. */
export function describeMailer(): string {
  const url = process.env.SMTP_URL;
  if (!url) return `no SMTP_URL: emails are written to ${outboxDir()}`;
  try {
    const u = new URL(url);
    return `emails go through ${u.protocol}//${u.hostname}:${u.port || "default port"}`;
  } catch {
    return "SMTP_URL is not a URL: emails will fail";
  }
}

export async function sendEmail(email: Email): Promise<void> {
  const mailer = transporter();
  if (mailer) {
    await mailer.sendMail({
      from: emailFrom(),
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
    });
    return;
  }
  const dir = outboxDir();
  mkdirSync(dir, { recursive: true });
  const name = `${new Date().toISOString().replace(/[:.]/g, "-")}-${randomBytes(3).toString("hex")}.eml`;
  const headers = [
    `From: ${emailFrom()}`,
    `To: ${email.to}`,
    `Subject: ${email.subject}`,
    `Date: ${new Date().toUTCString()}`,
    "Content-Type: text/plain; charset=utf-8",
  ];
  writeFileSync(path.join(dir, name), `${headers.join("\r\n")}\r\n\r\n${email.text}\r\n`, { mode: 0o600 });
}

/** Tests only: forget the transporter so the next send reads SMTP_URL again. */
export function resetMailerForTests() {
  globalForMail.tokenflowMailer = undefined;
}
