import { redirect } from "next/navigation";
import { getSessionUser } from "@/lib/auth/session";
import { getTenantContext } from "@/lib/tenancy/context";
import { createFirstOrganization } from "./actions";

export const metadata = {
  title: "Create an organization",
  description: "Create an organization to get API keys and a balance.",
};

// A signed-in user who belongs to no organization (theirs was deleted, or they left every one).
export default async function OnboardingPage() {
  const user = await getSessionUser();
  if (!user) redirect("/login?callbackUrl=/onboarding");
  if (await getTenantContext()) redirect("/dashboard");
  return (
    <main className="mx-auto max-w-md px-6 py-16">
      <h1 className="text-2xl font-semibold tracking-tight">Create an organization</h1>
      <p className="mt-2 text-sm text-slate-600">
        You are not a member of any organization. Create one to get API keys, or ask an admin of an existing one to
        invite you.
      </p>
      <form action={createFirstOrganization} className="mt-8 grid gap-4">
        <label className="grid gap-1 text-sm">
          <span className="font-medium text-slate-700">Organization name</span>
          <input
            name="name"
            required
            maxLength={200}
            className="rounded-md border border-slate-300 px-3 py-2 focus:border-indigo-500 focus:outline-none"
          />
        </label>
        <button type="submit" className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-500">
          Create organization
        </button>
      </form>
    </main>
  );
}
