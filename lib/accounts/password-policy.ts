import { readFileSync } from "node:fs";
import path from "node:path";

// What a new password must be (sign-up, reset, change): 8 to 200 characters and not one of the
// 10,000 most common passwords of that length. Length beats composition rules (NIST SP 800-63B
// §5.1.1.2): no "one digit, one symbol" demands, but a check against passwords attackers try first.
// The list (common-passwords.txt, lower case, one per line) is the most frequent entries of at least
// 8 characters from the Xato password corpus as shipped in zxcvbn 4.4.2's frequency lists (MIT), then a
// few dozen that list leaves out because zxcvbn files them under names or words (michelle, jennifer…).

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 200;

let commonPasswords: Set<string> | undefined;

function loadCommonPasswords(): Set<string> {
  // Read from the checkout (the server runs from the repository root); once per process.
  commonPasswords ??= new Set(
    readFileSync(path.join(process.cwd(), "lib", "accounts", "common-passwords.txt"), "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean),
  );
  return commonPasswords;
}

export function isCommonPassword(password: string): boolean {
  return loadCommonPasswords().has(password.toLowerCase());
}

/** Why `password` is refused, in words for the form, or null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  // Count characters as people see them (code points), not UTF-16 units.
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  if (isCommonPassword(password)) {
    return "This password is one of the most common ones and easy to guess: choose another.";
  }
  return null;
}
