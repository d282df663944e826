import type { Metadata } from "next";
import { headers } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { ApiError } from "@/lib/api/errors";
import { getSessionUser, type SessionUser } from "@/lib/auth/session";
import { clientIpForThrottling } from "@/lib/gateway/client-ip";
import type { AdminActor } from "./auth";

// The admin console's gate, on the server for every page and action: signed out → the sign-in page;
// signed in without the platform ADMIN role → the 404 page (a tenant cannot tell the console from a
// missing page). Actions re-check: a role removed a second ago is already in force.

export interface AdminPageContext {
  user: SessionUser;
  actor: AdminActor;
}

export async function requirePlatformAdmin(from = "/admin"): Promise<AdminPageContext> {
  const user = await getSessionUser();
  if (!user) redirect(`/login?callbackUrl=${encodeURIComponent(from)}`);
  if (user.role !== "ADMIN") notFound();
  return { user, actor: await sessionActor(user) };
}

/** For server actions: the admin actor, or an ApiError (never a redirect in the middle of a form). */
export async function requirePlatformAdminAction(): Promise<AdminPageContext> {
  const user = await getSessionUser();
  if (!user) throw new ApiError("unauthorized", "Your session has ended. Sign in again.");
  if (user.role !== "ADMIN") throw new ApiError("forbidden", "This account is not a platform admin.");
  return { user, actor: await sessionActor(user) };
}

async function sessionActor(user: SessionUser): Promise<AdminActor> {
  const ip = clientIpForThrottling(await headers());
  return { kind: "session", userId: user.id, ip: ip === "unknown" ? null : ip };
}

/**
 * A console page's title and description, given to platform admins only. Next resolves a page's
 * metadata even when its layout answers 404, so a static `metadata` would name the page ("Audit
 * log — …") in the 404 a tenant gets. Use as `export const generateMetadata = adminPageMetadata("Audit log");`.
 */
export function adminPageMetadata(title: string): () => Promise<Metadata> {
  return async () => {
    const user = await getSessionUser();
    return user?.role === "ADMIN"
      ? {
          title: { absolute: `${title} — TokenFlow admin` },
          description: `${title} in the TokenFlow operator console.`,
        }
      : {};
  };
}
