// `npm run db:seed`: seeds DATABASE_URL (models, demo channel, first admin); safe to run again.
import { seedDatabase } from "../lib/db/seed";

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set. Example: postgres://postgres@127.0.0.1:5432/tokenflow");
  const result = await seedDatabase(url);
  console.log(`Models inserted: ${result.insertedModels} (existing ones are never changed)`);
  console.log(result.createdDemoChannel ? "Created the built-in demo channel." : "A demo channel already exists.");
  if (result.createdAdmin) {
    const { email, password, apiKey } = result.createdAdmin;
    console.log(`Created admin ${email}${password ? ` with password ${password}` : ""} (shown once).`);
    if (apiKey) console.log(`Quick start API key (shown once): ${apiKey}`);
  } else if (!result.warning) {
    console.log("An admin already exists.");
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
