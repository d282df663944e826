import Link from "next/link";
import { AcceptInvitationForm } from "@/components/organizations/accept-invitation-form";
import { ButtonLink } from "@/components/ui/button";
import { getSessionUser } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format";
import { findInvitation, INVALID_INVITATION_MESSAGE, normalizeEmail } from "@/lib/organizations/invitations";

export const metadata = {
  title: "Invitation",
  description: "Accept an invitation to join an organization on TokenFlow.",
  referrer: "no-referrer",
};
export const dynamic = "force-dynamic";

const ROLE_TEXT = { OWNER: "an owner", ADMIN: "an admin", MEMBER: "a member" } as const;

// An invitation link. Anyone holding it sees which organization and role it is for; only a user
// signed in with the invited email can accept. Unknown, expired, revoked and used links look alike.
export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const [invitation, user] = await Promise.all([findInvitation(token), getSessionUser()]);
  const here = `/invite/${token}`;

  if (!invitation) {
    return (
      <main className="mx-auto max-w-md px-6 py-16">
        <h1 className="text-2xl font-semibold tracking-tight">Invitation not available</h1>
        <p className="mt-3 text-sm text-slate-600" data-testid="invite-invalid">
          {INVALID_INVITATION_MESSAGE} Ask the person who invited you to send a new one.
        </p>
        <div className="mt-8">
          <ButtonLink href={user ? "/dashboard" : "/login"} variant="secondary">
            {user ? "Go to the dashboard" : "Sign in"}
          </ButtonLink>
        </div>
      </main>
    );
  }

  const wrongUser = user && normalizeEmail(user.email) !== normalizeEmail(invitation.email);
  return (
    <main className="mx-auto max-w-md px-6 py-16">
      <p className="text-sm font-medium text-indigo-600">You are invited</p>
      <h1 className="mt-1 text-2xl font-semibold tracking-tight text-balance">Join {invitation.organizationName}</h1>
      <p className="mt-3 text-sm text-slate-600">
        You are invited to join <strong className="text-slate-900">{invitation.organizationName}</strong> on TokenFlow
        as {ROLE_TEXT[invitation.role]}. The invitation is for{" "}
        <strong className="text-slate-900">{invitation.email}</strong> and expires{" "}
        {formatDateTime(invitation.expiresAt)}.
      </p>
      <div className="mt-8 rounded-lg border border-slate-200 bg-white p-5 shadow-xs">
        {!user && (
          <div className="grid gap-3">
            <p className="text-sm text-slate-700">Create an account or sign in with {invitation.email} to accept.</p>
            <ButtonLink
              href={`/signup?callbackUrl=${encodeURIComponent(here)}&email=${encodeURIComponent(invitation.email)}`}
            >
              Create account
            </ButtonLink>
            <ButtonLink href={`/login?callbackUrl=${encodeURIComponent(here)}`} variant="secondary">
              Sign in
            </ButtonLink>
          </div>
        )}
        {user && wrongUser && (
          <div className="grid gap-3" role="alert">
            <p className="text-sm text-slate-700">
              You are signed in as <strong>{user.email}</strong>, but this invitation is for{" "}
              <strong>{invitation.email}</strong>. Sign out, then sign in or create an account with {invitation.email}.
            </p>
            <Link
              href={`/api/auth/signout?callbackUrl=${encodeURIComponent(here)}`}
              className="text-sm font-medium text-indigo-700 hover:text-indigo-600"
            >
              Sign out
            </Link>
          </div>
        )}
        {user && !wrongUser && (
          <div className="grid gap-3">
            <p className="text-sm text-slate-700">Signed in as {user.email}.</p>
            <AcceptInvitationForm token={token} />
          </div>
        )}
      </div>
    </main>
  );
}
