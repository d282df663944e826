import { describe, expect, it } from "vitest";
import { configuredOAuthProviders, oauthProviders } from "./oauth-providers";

describe("OAuth providers", () => {
  it("are off without their env variables, and need both the id and the secret", () => {
    expect(oauthProviders({})).toEqual([]);
    expect(configuredOAuthProviders({ GITHUB_ID: "x" })).toEqual([]);
    expect(configuredOAuthProviders({ GOOGLE_SECRET: "y" })).toEqual([]);
  });

  it("appear one by one as they are configured", () => {
    expect(oauthProviders({ GITHUB_ID: "gh", GITHUB_SECRET: "s" }).map((p) => p.id)).toEqual(["github"]);
    expect(oauthProviders({ GOOGLE_ID: "g", GOOGLE_SECRET: "s" }).map((p) => p.id)).toEqual(["google"]);
    const both = { GITHUB_ID: "gh", GITHUB_SECRET: "s1", GOOGLE_ID: "g", GOOGLE_SECRET: "s2" };
    expect(oauthProviders(both).map((p) => p.id)).toEqual(["github", "google"]);
    expect(configuredOAuthProviders(both)).toEqual([
      { id: "github", name: "GitHub" },
      { id: "google", name: "Google" },
    ]);
  });

  it("GitHub asks for the user's email addresses (to find the verified primary one)", () => {
    const [github] = oauthProviders({ GITHUB_ID: "gh", GITHUB_SECRET: "s" }) as Array<{
      authorization: { params: { scope: string } };
      options: { clientId: string };
    }>;
    expect(github.authorization.params.scope).toContain("user:email");
    expect(github.options.clientId).toBe("gh");
  });
});
