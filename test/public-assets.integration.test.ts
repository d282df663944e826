// public/ on the production server: the favicon, app icons, web manifest, robots.txt and Open Graph
// card are served (proxy.ts and the security headers do not get in their way), and pages carry a
// title, a description and the links to them.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./stack";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function get(pathname: string): Promise<{ res: Response; bytes: Buffer }> {
  const res = await fetch(`${stack.app.url}${pathname}`);
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

function meta(html: string, attr: "name" | "property", key: string): string | undefined {
  const tag = html.match(new RegExp(`<meta ${attr}="${key}" content="([^"]*)"`));
  return tag?.[1];
}

describe("files from public/", () => {
  it("robots.txt lets the public site be indexed and keeps the API, dashboard and admin out", async () => {
    const { res, bytes } = await get("/robots.txt");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const rules = bytes.toString("utf8");
    expect(rules).toMatch(/^User-agent: \*$/m);
    expect(rules).toMatch(/^Allow: \/$/m);
    for (const path of ["/admin", "/api/", "/v1/", "/dashboard", "/billing"]) {
      expect(rules).toContain(`\nDisallow: ${path}\n`);
    }
  });

  it("favicon.ico is an icon with 16, 32 and 48 pixel images", async () => {
    const { res, bytes } = await get("/favicon.ico");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^image\/(x-icon|vnd\.microsoft\.icon)/);
    expect(bytes.readUInt16LE(2)).toBe(1); // an icon resource
    const sizes = Array.from({ length: bytes.readUInt16LE(4) }, (_, i) => bytes.readUInt8(6 + 16 * i));
    expect(sizes).toEqual([16, 32, 48]);
  });

  it.each([
    ["/apple-touch-icon.png", 180, 180],
    ["/icon-192.png", 192, 192],
    ["/icon-512.png", 512, 512],
    ["/icon-maskable-512.png", 512, 512],
    ["/og-image.png", 1200, 630],
  ])("%s is a %ix%i PNG with the security headers and no page policy", async (pathname, width, height) => {
    const { res, bytes } = await get(pathname);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(pngSize(bytes)).toEqual({ width, height });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    // Not matched by proxy.ts: a static file needs no per-request nonce.
    expect(res.headers.get("content-security-policy")).toBeNull();
  });

  it("the web manifest names icons that are served", async () => {
    const { res, bytes } = await get("/manifest.webmanifest");
    expect(res.status).toBe(200);
    const manifest = JSON.parse(bytes.toString("utf8")) as { name: string; icons: { src: string; type: string }[] };
    expect(manifest.name).toBe("TokenFlow");
    expect(manifest.icons.length).toBeGreaterThanOrEqual(3);
    for (const icon of manifest.icons) {
      const served = await fetch(`${stack.app.url}${icon.src}`);
      expect(served.status, icon.src).toBe(200);
      expect(served.headers.get("content-type"), icon.src).toBe(icon.type);
    }
  });
});

describe("page metadata", () => {
  it("the home page links the icons, the manifest and an absolute Open Graph card", async () => {
    const html = await (await fetch(`${stack.app.url}/`)).text();
    expect(html).toContain("<title>TokenFlow — one API for every LLM</title>");
    expect(meta(html, "name", "description")).toMatch(/OpenAI-compatible LLM gateway/);
    expect(html).toMatch(/<link rel="icon" href="\/favicon.ico"/);
    expect(html).toMatch(/<link rel="icon" href="\/icon.svg" type="image\/svg\+xml"/);
    expect(html).toMatch(/<link rel="apple-touch-icon" href="\/apple-touch-icon.png"/);
    expect(html).toMatch(/<link rel="manifest" href="\/manifest.webmanifest"/);
    // Absolute, on the configured public URL (NEXTAUTH_URL here), and served there.
    const image = meta(html, "property", "og:image");
    expect(image).toBe(`${stack.app.url}/og-image.png`);
    expect((await fetch(image!)).status).toBe(200);
    expect(meta(html, "property", "og:title")).toBe("TokenFlow — one API for every LLM");
    expect(meta(html, "name", "twitter:card")).toBe("summary_large_image");
  });

  it.each([
    ["/pricing", "Pricing — TokenFlow", /Prices per million/],
    ["/login", "Sign in — TokenFlow", /Sign in/],
    ["/signup", "Create account — TokenFlow", /Create a TokenFlow account/],
    ["/forgot-password", "Forgot password — TokenFlow", /new TokenFlow password/],
  ])("%s has its own title and description", async (pathname, title, description) => {
    const html = await (await fetch(`${stack.app.url}${pathname}`)).text();
    expect(html).toContain(`<title>${title}</title>`);
    expect(meta(html, "name", "description")).toMatch(description);
  });

  it("every page declares a title and a description", () => {
    const app = path.join(process.cwd(), "app");
    const pages = (readdirSync(app, { recursive: true }) as string[]).filter((f) => f.endsWith("page.tsx"));
    expect(pages.length).toBeGreaterThan(30);
    const missing = pages.filter((file) => {
      const source = readFileSync(path.join(app, file), "utf8");
      // Console pages get both from adminPageMetadata (admins only; see lib/admin/page-auth.ts).
      if (/generateMetadata = adminPageMetadata\("[^"]+"\)/.test(source)) return false;
      const metadata = source.match(/export const metadata[^=]*= \{([\s\S]*?)\n?\};/)?.[1] ?? "";
      // The home page keeps the site's default title.
      const hasTitle = /title: "[^"]+"/.test(metadata) || file === path.join("(site)", "page.tsx");
      return !hasTitle || !/description:\s*"[^"]{20,}"/.test(metadata);
    });
    expect(missing).toEqual([]);
  });
});
