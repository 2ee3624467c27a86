// Every module, for playbooks (`import { copy, file } from '../modules/index.ts'`) and for the
// `engine modules` reference. Export module functions only: the reference lists every export.
export { command, shell } from './command.ts';
export { file } from './file.ts';
export { copy } from './copy.ts';
export { template } from './template.ts';
export { lineinfile } from './lineinfile.ts';
export { user } from './user.ts';
export { group } from './group.ts';
export { gitModule as git } from './git.ts';
export { certbot } from './certbot.ts';
export { getUrl } from './get-url.ts';
export { apt } from './apt.ts';
export { systemd } from './systemd.ts';
export { ufw } from './ufw.ts';
export { cron } from './cron.ts';
export { blockinfile } from './blockinfile.ts';
export { authorizedKey } from './authorizedKey.ts';
export { transfer } from './transfer.ts';
export { fetch } from './fetch.ts';
export { waitFor } from './wait-for.ts';
export { reboot } from './reboot.ts';
export { assert } from './assert.ts';
export { debug } from './debug.ts';
export { readFile } from './read-file.ts';
export { swapBinaries } from './swap-binaries.ts';
