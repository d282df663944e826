import { expect, test } from "@playwright/test";

const base = () => process.env.E2E_BASE_URL!;

// The public price list, exactly as published (USD per 1M tokens, input / output).
const PUBLIC_PRICES: Array<[model: string, provider: string, input: string, output: string]> = [
  ["deepseek-v3", "DeepSeek", "$0.14", "$0.28"],
  ["deepseek-r1", "DeepSeek", "$0.55", "$2.19"],
  ["kimi-k2", "Moonshot", "$0.20", "$0.60"],
  ["glm-4-plus", "Zhipu", "$0.15", "$0.50"],
  ["qwen-max", "Alibaba", "$0.16", "$0.64"],
  ["gpt-4o", "OpenAI", "$2.50", "$10.00"],
  ["claude-sonnet", "Anthropic", "$3.00", "$15.00"],
];

test("the pricing page lists every seeded model with its exact prices", async ({ page }) => {
  await page.goto(`${base()}/pricing`);
  await expect(page.getByRole("heading", { name: "Pricing" })).toBeVisible();
  const rows = page.locator("[data-testid=price-table] tbody tr");
  await expect(rows).toHaveCount(PUBLIC_PRICES.length);
  for (const [model, provider, input, output] of PUBLIC_PRICES) {
    const row = page.locator(`tr[data-model="${model}"]`);
    await expect(row).toContainText(provider);
    await expect(row.locator("[data-col=input]")).toHaveText(input);
    await expect(row.locator("[data-col=output]")).toHaveText(output);
  }
});

test("the landing page shows the quick start with this server's base URL", async ({ page }) => {
  await page.goto(base());
  await expect(page.getByRole("heading", { level: 1 })).toContainText("OpenAI-compatible");
  const v1 = `${base()}/v1`;
  await expect(page.getByTestId("base-url")).toHaveText(v1);
  await expect(page.getByTestId("snippet-python")).toContainText(`base_url="${v1}"`);
  await expect(page.getByTestId("snippet-node")).toContainText(`baseURL: "${v1}"`);
  await expect(page.getByTestId("snippet-curl")).toContainText(`curl ${v1}/chat/completions`);
});

test("the pricing page follows a price an admin changed", async ({ page, request }) => {
  const res = await request.patch(`${base()}/api/admin/models/qwen-max`, {
    headers: { authorization: `Bearer ${process.env.E2E_ADMIN_KEY}` },
    data: { inputPriceUsd: "0.17" },
  });
  expect(res.status()).toBe(200);
  await page.goto(`${base()}/pricing`);
  await expect(page.locator('tr[data-model="qwen-max"] [data-col=input]')).toHaveText("$0.17");
  // put it back for the other tests
  await request.patch(`${base()}/api/admin/models/qwen-max`, {
    headers: { authorization: `Bearer ${process.env.E2E_ADMIN_KEY}` },
    data: { inputPriceUsd: "0.16" },
  });
});

test("the pricing page names auto and each variant with how it chooses, and each model's tier", async ({ page }) => {
  for (const [width, height, name] of [
    [1280, 900, "desktop"],
    [390, 844, "phone"],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.goto(`${base()}/pricing`);
    const variants = page.getByTestId("auto-variants");
    await expect(page.getByRole("heading", { name: "Automatic routing" })).toBeVisible();
    for (const id of ["auto", "auto:cheap", "auto:best", "auto:fast"]) {
      await expect(variants.locator(`[data-variant="${id}"]`)).toContainText(id);
    }
    await expect(variants.locator('[data-variant="auto:cheap"]')).toContainText("one quality tier lower");
    await expect(page.locator('tr[data-model="gpt-4o"] [data-col=tier]')).toHaveText("5");
    await expect(page.locator('tr[data-model="deepseek-v3"] [data-col=tier]')).toHaveText("3");
    await page.screenshot({ path: `test-results/screenshots/pricing-${name}.png`, fullPage: true });
  }
});
