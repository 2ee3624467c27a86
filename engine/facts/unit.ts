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
  /** The drop-ins in /etc or /run (NAME.d/*.conf) are not the ones systemd loaded: a reload is due too. */
  dropInsChanged?: boolean;
  /** systemd skipped the last start (ConditionResult=no) and these conditions still do not hold. */
  conditionsFail?: string[];
  fragmentPath: string | null;
}

const SUFFIXES = ['service', 'socket', 'timer', 'target', 'path', 'mount', 'automount', 'swap', 'slice', 'scope', 'device'];

/** 'nginx' -> 'nginx.service'; names with a unit suffix are kept. */
export function unitName(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 && SUFFIXES.includes(name.slice(dot + 1)) ? name : `${name}.service`;
}

/** The folders an admin puts a unit's drop-ins in (NAME.service.d/*.conf): the ones compared with what systemd loaded. */
export function dropInDirs(name: string): string[] {
  return ['/etc/systemd/system', '/run/systemd/system'].map((dir) => `${dir}/${unitName(name)}.d`);
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
  // The drop-ins on disk in the admin's folders, to compare with DropInPaths (what systemd loaded):
  // systemd 252 reports NeedDaemonReload=no for a drop-in that is new since the last reload.
  const onDisk = dropInDirs(full).map((d) => `${quote(d)}/*.conf`).join(' ');
  const script = [
    `LC_ALL=C systemctl show -p Id,LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload,FragmentPath,DropInPaths -- ${quote(full)}`,
    `for ss_f in ${onDisk}; do [ -f "$ss_f" ] && printf 'DropInOnDisk=%s\\n' "$ss_f"; done`,
    // A start that systemd skipped (a Condition*= did not hold): are its conditions still false?
    // Each line checked alone; a triggering one (=|) is taken as holding.
    `if [ "$(systemctl show -p ConditionResult --value -- ${quote(full)})" = no ]; then`,
    `  systemctl cat -- ${quote(full)} 2>/dev/null | sed -n 's/^[[:space:]]*\\(Condition[A-Za-z]*=[^|].*\\)$/\\1/p' | while IFS= read -r ss_c; do`,
    `    systemd-analyze condition "$ss_c" >/dev/null 2>&1 || printf 'ConditionFails=%s\\n' "$ss_c"`,
    '  done',
    'fi; true',
  ].join('\n');
  return defineFact<UnitFact>(`unit:${full}`, script, (out, code) => parseUnit(full, out, code));
}

export function parseUnit(name: string, out: string, code: number): UnitFact {
  const kv = new Map<string, string>();
  const onDisk: string[] = [];
  const failing: string[] = [];
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    if (line.startsWith('DropInOnDisk=')) onDisk.push(line.slice(eq + 1));
    else if (line.startsWith('ConditionFails=')) failing.push(line.slice(eq + 1));
    else kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  // Loaded drop-ins from the admin's folders, against the ones on disk: any difference is a reload due.
  const admin = (p: string) => p.startsWith('/etc/systemd/system/') || p.startsWith('/run/systemd/system/');
  const loaded = (kv.get('DropInPaths') ?? '').split(/\s+/).filter((p) => p && admin(p)).sort();
  const stale = kv.get('LoadState') === 'loaded' && loaded.join('\n') !== [...onDisk].sort().join('\n');
  if (!kv.has('LoadState')) throw new Error(`systemctl show ${name} printed no state (exit ${code}): is systemd running?`);
  return {
    name,
    loadState: kv.get('LoadState')!,
    activeState: kv.get('ActiveState') ?? 'inactive',
    subState: kv.get('SubState') ?? '',
    unitFileState: kv.get('UnitFileState') ?? '',
    needDaemonReload: kv.get('NeedDaemonReload') === 'yes',
    ...(stale ? { dropInsChanged: true } : {}),
    ...(failing.length > 0 ? { conditionsFail: failing } : {}),
    fragmentPath: kv.get('FragmentPath') || null,
  };
}
