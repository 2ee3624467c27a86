// Inventories: load (TypeScript, YAML, Ansible INI), select hosts by pattern, describe.
export type { HostConnection, Inventory, InventoryGroup, InventoryHost } from './types.ts';
export { loadInventory, inventoryFormat, type LoadOptions, type InventoryFormat } from './load.ts';
export { defineInventory, type NativeInventory, type NativeHost, type NativeGroup, type NativeConnection, type BecomePassword } from './define.ts';
export { InventoryError, type InventoryProblem } from './errors.ts';
export { selectHosts, splitPattern, PatternError, type SelectOptions } from './pattern.ts';
export { describeInventory, listInventory, graphInventory, type InventoryListing } from './describe.ts';
export { expandHostRange } from './range.ts';
