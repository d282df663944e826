// In the (log) group so its loading.tsx (a Suspense boundary) does not wrap the receipt page: a receipt
// of another organization must answer a real 404 status, which streaming would turn into a 200.
import { PageSkeleton } from "@/components/usage/page-skeleton";

export default function Loading() {
  return <PageSkeleton title="Request log" />;
}
