import type { FormState } from "@/lib/organizations/action-state";

/** A form's result, in a live region that is always present so screen readers announce changes. */
export function FormStatus({ state, testId }: { state: FormState; testId?: string }) {
  return (
    <div aria-live="polite" data-testid={testId}>
      {state.ok && <p className="text-sm text-emerald-700">{state.ok}</p>}
      {state.error && !state.fieldErrors && (
        <p role="alert" className="text-sm text-red-700">
          {state.error}
        </p>
      )}
    </div>
  );
}
