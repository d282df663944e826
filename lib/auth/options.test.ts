import { describe, expect, it } from "vitest";
import { authOptions } from "./options";

describe("next-auth redirect callback", () => {
  const redirect = (url: string) => authOptions.callbacks!.redirect!({ url, baseUrl: "https://tokenflow.example" });

  it("follows same-origin paths and URLs", async () => {
    expect(await redirect("/dashboard/keys")).toBe("https://tokenflow.example/dashboard/keys");
    expect(await redirect("https://tokenflow.example/usage?x=1")).toBe("https://tokenflow.example/usage?x=1");
    expect(await redirect("https://tokenflow.example")).toBe("https://tokenflow.example/");
  });

  it.each([
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "/%2f%2fevil.example",
    "https://tokenflow.example.evil.example/",
    "https://tokenflow.example@evil.example/",
    "javascript:alert(1)",
  ])("sends %s home instead", async (url) => {
    expect(await redirect(url)).toBe("https://tokenflow.example/");
  });
});
