import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/generated/prisma/client";
import { databaseUrl, SESSION_OPTIONS } from "./pool";

// Secret columns are omitted by default: reading them takes an explicit `omit: { x: false }`.
const SECRET_OMIT = {
  channel: { apiKeyEncrypted: true },
  user: { passwordHash: true },
  apiKey: { keyHash: true },
  redemptionCode: { codeHash: true },
} as const;

function createClient() {
  const adapter = new PrismaPg({
    connectionString: databaseUrl(),
    options: SESSION_OPTIONS,
    max: Number(process.env.DATABASE_PRISMA_POOL_SIZE ?? 5),
  });
  return new PrismaClient({ adapter, omit: SECRET_OMIT });
}

type TokenflowPrisma = ReturnType<typeof createClient>;
const globalForPrisma = globalThis as unknown as { tokenflowPrisma?: TokenflowPrisma };

/** Disconnects Prisma if it was used (shutdown). */
export async function closePrisma(): Promise<void> {
  const prisma = globalForPrisma.tokenflowPrisma;
  globalForPrisma.tokenflowPrisma = undefined;
  await prisma?.$disconnect();
}

export function getPrisma(): TokenflowPrisma {
  globalForPrisma.tokenflowPrisma ??= createClient();
  return globalForPrisma.tokenflowPrisma;
}
