// A systemd unit as `systemctl show` reports it, keyed `unit:NAME` (the name with its suffix,
// `.service` added when none is given, as systemctl does).
import { quote } from '../quote.ts';
import { defineFact, type Fact } from './types.ts';

export interface UnitFact {
  name: string;
  /** loaded, not-found, masked, bad-setting, error. */
  loadState: string;
  /** active, inactive, failed, activating, deactivating, reloading. */
  activeState: string;
  subState: string;
  /** enabled, disabled, static, masked, indirect, generated, alias, linked, enabled-runtime...; '' when not found. */
  unitFileState: string;
  /** The unit file changed on disk since systemd last loaded it. */
  needDaemonReload: boolean;
  fragmentPath: string | null;
}

const SUFFIXES = ['service', 'socket', 'timer', 'target', 'path', 'mount', 'automount', 'swap', 'slice', 'scope', 'device'];

/** 'nginx' -> 'nginx.service'; names with a unit suffix are kept. */
export function unitName(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 && SUFFIXES.includes(name.slice(dot + 1)) ? name : `${name}.service`;
}

export function unitKey(name: string): string {
  return `unit:${unitName(name)}`;
}

/** Where a unit file for this name may be: the admin's folder first, then the packages' folders (the template's file for an instance). */
export function unitFilePaths(name: string): string[] {
  const full = unitName(name);
  const files = [full];
  const at = /^([^@]+@)[^.]*(\..+)$/.exec(full);
  if (at && !full.includes('@.')) files.push(`${at[1]}${at[2]}`);
  return ['/etc/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'].flatMap((dir) => files.map((f) => `${dir}/${f}`));
}

export function unitFact(name: string): Fact<UnitFact> {
  const full = unitName(name);
  // `--` before the name: a unit named -Hhost would be systemctl's --host, and show would go over ssh.
  const script = `LC_ALL=C systemctl show -p Id,LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload,FragmentPath -- ${quote(full)}`;
  return defineFact<UnitFact>(`unit:${full}`, script, (out, code) => parseUnit(full, out, code));
}

export function parseUnit(name: string, out: string, code: number): UnitFact {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  if (!kv.has('LoadState')) throw new Error(`systemctl show ${name} printed no state (exit ${code}): is systemd running?`);
  return {
    name,
    loadState: kv.get('LoadState')!,
    activeState: kv.get('ActiveState') ?? 'inactive',
    subState: kv.get('SubState') ?? '',
    unitFileState: kv.get('UnitFileState') ?? '',
    needDaemonReload: kv.get('NeedDaemonReload') === 'yes',
    fragmentPath: kv.get('FragmentPath') || null,
  };
}
