import { getPool } from "@/lib/db/pool";
import { modelsForKey } from "@/lib/gateway/models-endpoint";

// The keys a member may chat through in the playground: the active organization's active gateway
// keys (not revoked, not expired), each with the models it may use (what its /v1/models lists).

export interface PlaygroundKey {
  id: string;
  name: string;
  partialKey: string;
  models: Array<{ id: string; description?: string }>;
}

export async function listPlaygroundKeys(organizationId: string, now: Date = new Date()): Promise<PlaygroundKey[]> {
  const { rows } = await getPool().query<{ id: string; name: string; partialKey: string; allowedModels: string[] }>(
    `SELECT id, name, "partialKey", "allowedModels"
       FROM "ApiKey"
      WHERE "organizationId" = $1 AND scope = 'GATEWAY' AND "revokedAt" IS NULL
        AND ("expiresAt" IS NULL OR "expiresAt" > $2::TIMESTAMP)
      ORDER BY "createdAt" DESC, id
      LIMIT 200`,
    [organizationId, now.toISOString()],
  );
  return Promise.all(
    rows.map(async (k) => ({
      id: k.id,
      name: k.name,
      partialKey: k.partialKey,
      models: (await modelsForKey({ allowedModels: k.allowedModels ?? [] })).map((m) => ({
        id: m.id,
        ...(m.description ? { description: m.description } : {}),
      })),
    })),
  );
}
