import { describe, expect, it, vi } from "vitest";
import { autoTopUpFailedEmail, lowBalanceEmail } from "./outbox";

describe("lowBalanceEmail", () => {
  it("names the threshold and the funds exactly, never a sub-cent amount as $0.00", () => {
    vi.stubEnv("TOKENFLOW_PUBLIC_URL", "https://tf.example/");
    const email = lowBalanceEmail(["a@example.com", "b@example.com"], "Acme", {
      thresholdNanos: "500000",
      fundsNanos: "1",
    });
    expect(email.to).toBe("a@example.com, b@example.com");
    expect(email.subject).toBe("Your TokenFlow balance is below $0.0005");
    expect(email.text).toContain(`The balance of "Acme" fell below your alert threshold of $0.0005.`);
    expect(email.text).toContain("It is now $0.000000001.");
    expect(email.text).toContain("https://tf.example/dashboard/settings");
    vi.unstubAllEnvs();
  });

  it("reads thousands and negative funds (an overage) correctly", () => {
    const email = lowBalanceEmail(["o@example.com"], "Big", {
      thresholdNanos: "1234500000000",
      fundsNanos: "-2000000000",
    });
    expect(email.subject).toBe("Your TokenFlow balance is below $1,234.50");
    expect(email.text).toContain("It is now -$2.00.");
  });
});

describe("autoTopUpFailedEmail", () => {
  it("names the amount and the bank's reason, says auto top-up is off and links to billing", () => {
    vi.stubEnv("TOKENFLOW_PUBLIC_URL", "https://tf.example");
    const email = autoTopUpFailedEmail(["o@example.com"], "Acme", {
      amountNanos: "25000000000",
      reason: "Your card has insufficient funds.",
    });
    expect(email.subject).toBe("Auto top-up of $25.00 failed for Acme");
    expect(email.text).toContain("Your card has insufficient funds.");
    expect(email.text).toContain("Auto top-up is now turned off");
    expect(email.text).toContain("https://tf.example/billing");
    vi.unstubAllEnvs();
  });
});
