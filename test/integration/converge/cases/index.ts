// Every table of the harness. A new module's table is one import and one spread here.
import type { ConvergeCase } from '../case.ts';
import { aptCases } from './apt.ts';
import { editCases } from './edit.ts';
import { emptyCases } from './empty.ts';
import { fileCases } from './file.ts';
import { getUrlCases } from './get-url.ts';
import { gitCases } from './git.ts';
import { systemdCases } from './systemd.ts';
import { transferCases } from './transfer.ts';
import { ufwCases } from './ufw.ts';
import { userCases } from './user.ts';

export const ALL_CASES: ConvergeCase[] = [...fileCases, ...systemdCases, ...ufwCases, ...userCases, ...editCases, ...gitCases, ...getUrlCases, ...aptCases, ...transferCases, ...emptyCases];

export function findCase(name: string): ConvergeCase {
  const c = ALL_CASES.find((x) => x.name === name);
  if (!c) throw new Error(`no convergence case named '${name}'`);
  return c;
}
