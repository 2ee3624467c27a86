// Every module, for playbooks (`import { copy, file } from '../modules/index.ts'`) and for the
// `engine modules` reference. Export module functions only: the reference lists every export.
export { command, shell } from './command/command.ts';
export { file } from './file/file.ts';
export { copy } from './copy/copy.ts';
export { template } from './template/template.ts';
export { lineinfile } from './lineinfile/lineinfile.ts';
export { user } from './user/user.ts';
export { group } from './group/group.ts';
export { gitModule as git } from './git/git.ts';
export { certbot } from './certbot/certbot.ts';
export { getUrl } from './get-url/get-url.ts';
export { apt } from './apt/apt.ts';
export { systemd } from './systemd/systemd.ts';
export { ufw } from './ufw/ufw.ts';
export { cron } from './cron/cron.ts';
export { blockinfile } from './blockinfile/blockinfile.ts';
export { authorizedKey } from './authorized-key/authorized-key.ts';
export { transfer } from './transfer/transfer.ts';
export { fetch } from './fetch/fetch.ts';
export { waitFor } from './wait-for/wait-for.ts';
export { reboot } from './reboot/reboot.ts';
export { assert } from './assert/assert.ts';
export { debug } from './debug/debug.ts';
export { readFile } from './read-file/read-file.ts';
export { swapBinaries } from './swap-binaries/swap-binaries.ts';
