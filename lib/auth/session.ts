import { getServerSession } from "next-auth";
import { getPool } from "@/lib/db/pool";
import { authOptions } from "./options";

export interface SessionUser {
  id: string;
  email: string;
  role: "USER" | "ADMIN";
}

/** The signed-in user, re-read from the database (a disabled user has no session). */
export async function getSessionUser(): Promise<SessionUser | null> {
  const session = await getServerSession(authOptions);
  const id = (session?.user as { id?: string } | undefined)?.id;
  if (!id) return null;
  const { rows } = await getPool().query<SessionUser>(
    `SELECT id, email, role FROM "User" WHERE id = $1 AND "disabledAt" IS NULL`,
    [id],
  );
  return rows[0] ?? null;
}

export { isSameOriginMutation } from "./same-origin";
