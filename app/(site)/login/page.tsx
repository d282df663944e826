import { Suspense } from "react";
import { LoginForm } from "@/components/login-form";

export const metadata = { title: "Sign in — TokenFlow" };

export default function LoginPage() {
  return (
    <main className="mx-auto max-w-sm px-6 py-16">
      <h1 className="text-2xl font-semibold tracking-tight">Sign in to TokenFlow</h1>
      <Suspense>
        <LoginForm />
      </Suspense>
    </main>
  );
}
