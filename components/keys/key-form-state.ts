import type { ApiKeyFormErrors, SpendPeriod } from "@/lib/keys/input";

// What the key forms show: their fields' values (from the key, or as the user last typed them) and
// the answer of the server action (field errors, "saved", or the new key, shown once).

export interface KeyFormValues {
  name: string;
  allowedModels: string[];
  expiresOn: string;
  rpmLimit: string;
  tpmLimit: string;
  maxConcurrency: string;
  spendLimitUsd: string;
  spendLimitPeriod: SpendPeriod;
}

export const EMPTY_KEY_FORM: KeyFormValues = {
  name: "",
  allowedModels: [],
  expiresOn: "",
  rpmLimit: "",
  tpmLimit: "",
  maxConcurrency: "",
  spendLimitUsd: "",
  spendLimitPeriod: "TOTAL",
};

export type KeyFormState =
  | { status: "idle" }
  | { status: "error"; message: string; errors: ApiKeyFormErrors; values: KeyFormValues; attempt: number }
  | { status: "saved"; message: string; attempt: number }
  | { status: "created"; key: string; name: string; partialKey: string };
