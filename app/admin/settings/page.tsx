import { SettingsForm } from "@/components/admin/settings/settings-form";
import { Card, CardHeader, PageHeader } from "@/components/ui/card";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";
import { readPlatformSettings } from "@/lib/admin/settings";

export const generateMetadata = adminPageMetadata("Settings");
export const dynamic = "force-dynamic";

export default async function AdminSettingsPage() {
  await requirePlatformAdmin("/admin/settings");
  const settings = await readPlatformSettings();
  return (
    <>
      <PageHeader
        title="Settings"
        description="How people join, what they start with and how they top up. Changes apply at once, on every instance."
      />
      <Card>
        <CardHeader title="Platform settings" description="Every change is recorded in the audit log." />
        <div className="p-5">
          <SettingsForm initial={settings} />
        </div>
      </Card>
    </>
  );
}
