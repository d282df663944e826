import { AuthPageLoading } from "@/components/accounts/auth-page-loading";

export default function Loading() {
  return <AuthPageLoading label="Loading…" />;
}
