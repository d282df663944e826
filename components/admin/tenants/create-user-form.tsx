"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { Field, INPUT_CLASS, TextField } from "@/components/ui/field";
import { apiRequest } from "@/components/api-request";

/** Creates an account (with its personal organization); without a password the user is emailed a link. */
export function CreateUserForm() {
  const router = useRouter();
  const [result, setResult] = useState<{ tone: "success" | "error"; message: string; id?: string } | null>(null);
  const [isPending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (isPending) return;
    const form = event.currentTarget;
    const data = new FormData(form);
    const password = String(data.get("password") ?? "");
    const name = String(data.get("name") ?? "").trim();
    setPending(true);
    setResult(null);
    try {
      const user = await apiRequest<{ id: string; email: string; invitationSent: boolean }>(
        "POST",
        "/api/admin/users",
        {
          email: String(data.get("email") ?? ""),
          ...(name ? { name } : {}),
          ...(password ? { password } : {}),
          platformRole: String(data.get("platformRole") ?? "USER"),
        },
      );
      form.reset();
      setResult({
        tone: "success",
        id: user.id,
        message: user.invitationSent
          ? `Created ${user.email}; we emailed a link to choose a password.`
          : password
            ? `Created ${user.email}; they can sign in with the password you set.`
            : `Created ${user.email}, but the email did not go out: they can use "Forgot password".`,
      });
      router.refresh();
    } catch (err) {
      setResult({ tone: "error", message: (err as Error).message });
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-4" aria-busy={isPending}>
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField id="new-user-email" name="email" label="Email" type="email" required autoComplete="off" />
        <TextField id="new-user-name" name="name" label="Name (optional)" autoComplete="off" maxLength={100} />
        <TextField
          id="new-user-password"
          name="password"
          label="Password (optional)"
          type="password"
          autoComplete="new-password"
          hint="Leave empty to email them a link to choose one."
        />
        <Field id="new-user-role" label="Platform role">
          <select id="new-user-role" name="platformRole" className={INPUT_CLASS} defaultValue="USER">
            <option value="USER">User</option>
            <option value="ADMIN">Platform admin</option>
          </select>
        </Field>
      </div>
      {result && (
        <Notice tone={result.tone}>
          {result.message}{" "}
          {result.id && (
            <a className="font-medium underline" href={`/admin/tenants/users/${result.id}`}>
              Open the user
            </a>
          )}
        </Notice>
      )}
      <div>
        <Button type="submit" disabled={isPending}>
          {isPending ? "Creating…" : "Create user"}
        </Button>
      </div>
    </form>
  );
}
