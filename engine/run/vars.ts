// The variables a task sees on a host. Precedence, lowest first: inventory (all < groups < host,
// see engine/inventory/vars.ts), then the play's vars, then extra vars from -e (highest).
import type { InventoryHost } from '../inventory/types.ts';
import type { Play } from '../playbook/define.ts';

export function hostVars(host: InventoryHost, play: Play, extraVars: Record<string, unknown>): Record<string, unknown> {
  return { ...host.vars, ...(play.vars ?? {}), ...extraVars };
}
