import type { ReactNode } from "react";
import { requireTenant } from "@/lib/tenancy/context";

// The role check sits here, outside loading.tsx's Suspense boundary, so a member gets a real 404
// status (inside the boundary the response has already started streaming with 200). The page and
// every action check again.
export default async function MembersLayout({ children }: { children: ReactNode }) {
  await requireTenant("ADMIN", "/dashboard/members");
  return children;
}
