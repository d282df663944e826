import { PageSkeleton } from "@/components/usage/page-skeleton";

export default function Loading() {
  return <PageSkeleton title="Payments" />;
}
