import { Badge } from "@/components/ui/card";
import type { ModelListItemJson } from "@/lib/admin/models";

/** Whether the gateway can serve a model now: enabled, priced, and served by an enabled channel. */
export function ModelStatus({ model }: { model: ModelListItemJson }) {
  return (
    <div className="flex flex-col items-start gap-1" data-testid="model-status">
      {model.availability === "available" && <Badge tone="green">Available</Badge>}
      {model.availability === "unavailable" && <Badge tone="amber">Unavailable</Badge>}
      {model.availability === "disabled" && <Badge>Disabled</Badge>}
      {!model.isPriced && <Badge tone="red">Unpriced</Badge>}
      <span className="text-xs text-slate-500">
        {model.enabledChannelCount === 1 ? "1 channel" : `${model.enabledChannelCount} channels`}
      </span>
    </div>
  );
}
