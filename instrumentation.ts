// Runs once when a Next.js server instance starts.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { checkStartupConfig } = await import("./lib/startup-config");
  checkStartupConfig();
  const { startHoldSweeper } = await import("./lib/billing/sweeper-loop");
  startHoldSweeper();
}
