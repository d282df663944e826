"use server";

import { redirect } from "next/navigation";
import { getSessionUser } from "@/lib/auth/session";
import { getPool } from "@/lib/db/pool";
import { createOrganization } from "@/lib/organizations/create";

export async function createFirstOrganization(formData: FormData): Promise<void> {
  const user = await getSessionUser();
  if (!user) redirect("/login");
  const name =
    String(formData.get("name") ?? "")
      .trim()
      .slice(0, 200) || "My organization";
  await createOrganization(getPool(), { name, ownerUserId: user.id });
  redirect("/dashboard");
}
