import Link from "next/link";
import { ForgotPasswordForm } from "@/components/accounts/forgot-password-form";

export const metadata = { title: "Forgot password", description: "Get a link to choose a new TokenFlow password." };

export default function ForgotPasswordPage() {
  return (
    <main className="mx-auto max-w-sm px-6 py-16">
      <h1 className="text-2xl font-semibold tracking-tight">Forgot your password?</h1>
      <p className="mt-2 text-sm text-slate-600">
        Enter the email address of your account and we will send you a link to choose a new password.
      </p>
      <ForgotPasswordForm />
      <p className="mt-6 text-center text-sm text-slate-600">
        Remembered it?{" "}
        <Link href="/login" className="font-medium text-indigo-600 hover:text-indigo-500">
          Sign in
        </Link>
      </p>
    </main>
  );
}
