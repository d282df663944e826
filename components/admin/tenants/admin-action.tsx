"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent, type ReactNode } from "react";
import { Notice } from "@/components/ui/card";
import { ConfirmButton } from "@/components/ui/confirm-button";
import { apiRequest } from "@/components/api-request";

/**
 * One confirmed write through the management API (disable, enable, make admin…): a button, a
 * confirmation dialog saying what happens, then the page re-reads its data.
 */
export function AdminAction({
  method = "PATCH",
  url,
  body,
  label,
  accessibleLabel,
  title,
  children,
  variant = "danger",
}: {
  method?: "POST" | "PATCH";
  url: string;
  body: unknown;
  label: string;
  accessibleLabel?: string;
  title: string;
  children?: ReactNode;
  variant?: "danger" | "secondary";
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [isPending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (isPending) return;
    setPending(true);
    setError(null);
    try {
      await apiRequest(method, url, body);
      router.refresh();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-2" aria-busy={isPending}>
      <div>
        <ConfirmButton label={label} accessibleLabel={accessibleLabel} title={title} variant={variant}>
          {children}
        </ConfirmButton>
      </div>
      {error && <Notice tone="error">{error}</Notice>}
    </form>
  );
}
