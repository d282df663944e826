// What a dashboard form's server action answers (useActionState): a message for the aria-live
// region, and per-field errors for aria-invalid + aria-describedby.
export interface FormState {
  ok?: string;
  error?: string;
  fieldErrors?: Record<string, string>;
  /** An invitation link to show and copy once the invitation exists. */
  link?: string;
}

export const INITIAL_FORM_STATE: FormState = {};
