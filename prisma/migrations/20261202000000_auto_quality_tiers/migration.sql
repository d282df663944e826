-- `model: "auto"` routes by quality tier: the cheapest seeded model no longer shares tier 4 with the
-- stronger ones (DeepSeek V3 → 3). Only a tier still at its old seeded value changes: an admin's own
-- choice stays.
UPDATE "Model" SET "qualityTier" = 3, "updatedAt" = (now() AT TIME ZONE 'UTC') WHERE id = 'deepseek-v3' AND "qualityTier" = 4;
