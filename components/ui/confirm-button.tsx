"use client";

import { useId, useRef, type ReactNode } from "react";
import { buttonClass } from "./button";

/**
 * A destructive action behind a confirmation dialog (a native <dialog>: focus is trapped and Escape
 * cancels). The confirm button submits the form it sits in, so the action is a plain server action.
 */
export function ConfirmButton({
  label,
  accessibleLabel,
  title,
  children,
  confirmLabel,
  variant = "danger",
}: {
  label: string;
  /** What a screen reader hears when the visible label is ambiguous in a list ("Revoke “CI key”"). */
  accessibleLabel?: string;
  title: string;
  children?: ReactNode;
  confirmLabel?: string;
  variant?: "danger" | "secondary";
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  // An id of its own: the title may hold spaces and quotes, which aria-labelledby cannot reference.
  const titleId = useId();
  return (
    <>
      <button
        type="button"
        aria-label={accessibleLabel}
        className={buttonClass(variant)}
        onClick={() => dialog.current?.showModal()}
      >
        {label}
      </button>
      <dialog
        ref={dialog}
        aria-labelledby={titleId}
        className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-lg p-0 shadow-xl backdrop:bg-slate-900/40"
      >
        <div className="p-5">
          <h2 id={titleId} className="text-base font-semibold text-slate-900">
            {title}
          </h2>
          {children && <div className="mt-2 text-sm text-slate-600">{children}</div>}
          <div className="mt-5 flex justify-end gap-2">
            <button type="button" className={buttonClass("secondary")} onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" className={buttonClass(variant)} onClick={() => dialog.current?.close()}>
              {confirmLabel ?? label}
            </button>
          </div>
        </div>
      </dialog>
    </>
  );
}
