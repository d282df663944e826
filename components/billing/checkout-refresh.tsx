"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

/** While a payment is processing, re-renders the page every 2 s (for up to 3 minutes). */
export function CheckoutRefresh() {
  const router = useRouter();
  useEffect(() => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - started > 180_000) clearInterval(timer);
      else router.refresh();
    }, 2_000);
    return () => clearInterval(timer);
  }, [router]);
  return null;
}
