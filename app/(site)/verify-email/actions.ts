"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { verifyEmail } from "@/lib/accounts/email-verification";

export async function verifyEmailAction(formData: FormData): Promise<void> {
  const token = z.string().min(1).max(200).safeParse(formData.get("token"));
  const isVerified = token.success && (await verifyEmail(token.data));
  redirect(isVerified ? "/login?note=email-verified" : "/verify-email?expired=1");
}
