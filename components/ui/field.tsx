import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes, TextareaHTMLAttributes } from "react";

// Every control has a visible label tied to it (htmlFor/id), a hint when useful, and its error
// announced to screen readers (aria-invalid + aria-describedby).

export const INPUT_CLASS =
  "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-xs placeholder:text-slate-400 focus:border-indigo-500 focus:outline-2 focus:outline-indigo-500/30 aria-[invalid=true]:border-red-500 disabled:bg-slate-50";

interface FieldProps {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string | null;
  children: ReactNode;
}

export function Field({ id, label, hint, error, children }: FieldProps) {
  return (
    <div className="grid gap-1.5">
      <label htmlFor={id} className="text-sm font-medium text-slate-800">
        {label}
      </label>
      {children}
      {hint && !error && (
        <p id={`${id}-hint`} className="text-xs text-slate-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} role="alert" className="text-xs text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

function described(id: string, hint?: ReactNode, error?: string | null): string | undefined {
  return error ? `${id}-error` : hint ? `${id}-hint` : undefined;
}

export function TextField({
  id,
  label,
  hint,
  error,
  ...input
}: Omit<FieldProps, "children"> & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <Field id={id} label={label} hint={hint} error={error}>
      <input
        id={id}
        name={input.name ?? id}
        aria-invalid={error ? true : undefined}
        aria-describedby={described(id, hint, error)}
        className={INPUT_CLASS}
        {...input}
      />
    </Field>
  );
}

export function SelectField({
  id,
  label,
  hint,
  error,
  children,
  ...select
}: Omit<FieldProps, "children"> & SelectHTMLAttributes<HTMLSelectElement> & { children: ReactNode }) {
  return (
    <Field id={id} label={label} hint={hint} error={error}>
      <select
        id={id}
        name={select.name ?? id}
        aria-invalid={error ? true : undefined}
        aria-describedby={described(id, hint, error)}
        className={INPUT_CLASS}
        {...select}
      >
        {children}
      </select>
    </Field>
  );
}

export function TextAreaField({
  id,
  label,
  hint,
  error,
  ...area
}: Omit<FieldProps, "children"> & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return (
    <Field id={id} label={label} hint={hint} error={error}>
      <textarea
        id={id}
        name={area.name ?? id}
        aria-invalid={error ? true : undefined}
        aria-describedby={described(id, hint, error)}
        className={INPUT_CLASS}
        {...area}
      />
    </Field>
  );
}
