// The state a server-action form of the account pages renders: a status, field errors (shown under
// their fields, announced), one form-level message, and the non-secret values to fill back in.
export interface AccountFormState<Field extends string = string> {
  status: "idle" | "error" | "done";
  message?: string;
  fieldErrors?: Partial<Record<Field, string>>;
  values?: Partial<Record<Field, string>>;
}

/** Field errors from a failed zod parse: the first message per field. */
export function fieldErrorsFrom<Field extends string>(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): Partial<Record<Field, string>> {
  const errors: Partial<Record<Field, string>> = {};
  for (const issue of issues) {
    const field = String(issue.path[0] ?? "") as Field;
    errors[field] ??= issue.message;
  }
  return errors;
}
