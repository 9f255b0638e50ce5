// The panel's views (DESIGN §6). Loop, Registry, Promotions, Rollout, Drift, Monitor, Alerts, Audit and Learn exist; Settings is listed,
// disabled, so the navigation already has its final shape.
export type ViewId =
  | 'loop'
  | 'registry'
  | 'promotions'
  | 'rollout'
  | 'drift'
  | 'monitor'
  | 'alerts'
  | 'audit'
  | 'learn'
  | 'settings';

export type NavItem = { id: ViewId; label: string; enabled: boolean; hint: string };

export const NAV_ITEMS: readonly NavItem[] = [
  { id: 'loop', label: 'Loop', enabled: true, hint: 'Stages and gates of the lifecycle loop' },
  { id: 'registry', label: 'Registry', enabled: true, hint: 'Models, versions and pointers' },
  { id: 'promotions', label: 'Promotions', enabled: true, hint: 'Requests and approvals' },
  { id: 'rollout', label: 'Rollout', enabled: true, hint: 'Canary analysis, rollback, override and abort' },
  { id: 'drift', label: 'Drift', enabled: true, hint: 'Live drift per feature' },
  { id: 'monitor', label: 'Monitor', enabled: true, hint: 'System, data and model signals per version' },
  { id: 'alerts', label: 'Alerts', enabled: true, hint: 'Alerts grouped by owner' },
  { id: 'audit', label: 'Audit', enabled: true, hint: 'The audit trail' },
  { id: 'learn', label: 'Learn', enabled: true, hint: 'Guided tour and incident drills' },
  { id: 'settings', label: 'Settings', enabled: false, hint: 'Connections, credentials, roles' },
];

/** The enabled view a location hash names (`#registry`), or null. */
export function viewFromHash(hash: string): ViewId | null {
  const id = hash.replace(/^#/, '');
  const item = NAV_ITEMS.find((i) => i.id === id);
  return item?.enabled ? item.id : null;
}
