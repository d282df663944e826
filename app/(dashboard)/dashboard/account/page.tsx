import Link from "next/link";
import { notFound } from "next/navigation";
import { ChangePasswordForm } from "@/components/accounts/change-password-form";
import { ProfileForm } from "@/components/accounts/profile-form";
import { SignOutButton } from "@/components/accounts/sign-out-button";
import { buttonClass } from "@/components/ui/button";
import { Badge, Card, CardHeader, PageHeader } from "@/components/ui/card";
import { getAccountProfile } from "@/lib/accounts/profile";
import { formatDate } from "@/lib/format";
import { requireTenant } from "@/lib/tenancy/context";

export const metadata = { title: "Account", description: "Your name, email address and password." };

// The signed-in person's own account (not the organization's): name, email, password, sign out.
export default async function AccountPage() {
  const { user } = await requireTenant("MEMBER", "/dashboard/account");
  const profile = await getAccountProfile(user.id);
  if (!profile) notFound();
  return (
    <>
      <PageHeader title="Account" description="Your own sign-in details. They are the same in every organization." />
      <div className="grid items-start gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader title="Profile" />
          <div className="grid gap-5 px-5 py-5">
            <dl className="grid gap-1 text-sm">
              <dt className="font-medium text-slate-800">Email</dt>
              <dd className="flex flex-wrap items-center gap-2 text-slate-700" data-testid="account-email">
                <span className="break-all">{profile.email}</span>
                {profile.emailVerified && <Badge tone="green">Verified</Badge>}
              </dd>
              <dt className="mt-3 font-medium text-slate-800">Member since</dt>
              <dd className="text-slate-700">{formatDate(profile.createdAt)}</dd>
            </dl>
            <ProfileForm name={profile.name ?? ""} />
          </div>
        </Card>
        <Card>
          <CardHeader
            title="Password"
            description={
              profile.hasPassword
                ? "Changing it signs you out on every other device."
                : "You sign in with GitHub or Google. To sign in with email too, set a password through “Forgot password”."
            }
          />
          <div className="px-5 py-5">
            {profile.hasPassword ? (
              <ChangePasswordForm />
            ) : (
              <Link href="/forgot-password" className={buttonClass("secondary")}>
                Set a password
              </Link>
            )}
          </div>
        </Card>
        <Card className="lg:col-span-2">
          <CardHeader
            title="Sign out"
            description="Ends your session in this browser."
            action={<SignOutButton className={buttonClass("secondary")} />}
          />
        </Card>
      </div>
    </>
  );
}
