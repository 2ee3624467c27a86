// ufw: every address form ufw rewrites, IPv6, comments, deletion, defaults already set. The image
// has no ufw: each case installs it first (through the lab's apt proxy), disabled, as Debian ships it.
import { task } from '../../../../engine/playbook/define.ts';
import { ufw } from '../../../../modules/ufw/ufw.ts';
import { table } from '../case.ts';

const INSTALL = 'apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ufw >/dev/null';
/** The rules ufw stored, as tuples, both families, in ufw's order. */
const TUPLES = "grep -h '^### tuple' /etc/ufw/user.rules /etc/ufw/user6.rules";

export const ufwCases = table(
  {
    name: 'ufw: addresses ufw rewrites (case, zero groups, IPv4 host bits) are added once (defect 5)',
    prepare: INSTALL,
    tasks: [
      task('upper case v6', ufw({ rule: 'allow', port: 5223, proto: 'tcp', from: '2001:DB8::1' })),
      task('zero groups v6', ufw({ rule: 'allow', port: 5223, proto: 'tcp', from: '2001:db8:0:0::5' })),
      task('host bits v4', ufw({ rule: 'allow', port: 5223, proto: 'tcp', from: '10.1.2.3/8' })),
      // ufw keeps an IPv6 network's host bits, but lowercases and compresses it.
      task('host bits v6', ufw({ rule: 'deny', port: 53, proto: 'udp', to: '2001:DB8:1:0:0:4:5:6/64' })),
      task('single host /32', ufw({ rule: 'allow', port: 22, proto: 'tcp', from: '10.77.0.1/32' })),
    ],
    changed: ['upper case v6', 'zero groups v6', 'host bits v4', 'host bits v6', 'single host /32'],
    readBack: TUPLES,
    want: [
      '### tuple ### allow tcp 5223 0.0.0.0/0 any 10.0.0.0/8 in',
      '### tuple ### allow tcp 22 0.0.0.0/0 any 10.77.0.1 in',
      '### tuple ### allow tcp 5223 ::/0 any 2001:db8::1 in',
      '### tuple ### allow tcp 5223 ::/0 any 2001:db8::5 in',
      '### tuple ### deny udp 53 2001:db8:1::4:5:6/64 any ::/0 in',
      '',
    ].join('\n'),
  },
  {
    name: 'ufw: defaults already set, a comment changed, a rule deleted, enabled',
    prepare: `${INSTALL} && ufw allow 22/tcp comment old >/dev/null && ufw allow 8080/tcp >/dev/null`,
    tasks: [
      task('firewall', ufw({
        default: { incoming: 'deny', outgoing: 'allow', routed: 'deny' },
        rules: [{ rule: 'allow', port: 22, proto: 'tcp', comment: 'ssh' }],
        state: 'enabled',
      })),
      task('no 8080', ufw({ rule: 'allow', port: 8080, proto: 'tcp', delete: true })),
    ],
    changed: ['firewall', 'no 8080'],
    readBack: `${TUPLES}; grep -E '^(ENABLED|DEFAULT_(INPUT|OUTPUT|FORWARD)_POLICY)=' /etc/ufw/ufw.conf /etc/default/ufw | sed 's/^.*://'`,
    want: [
      '### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=737368',
      '### tuple ### allow tcp 22 ::/0 any ::/0 in comment=737368',
      'ENABLED=yes',
      'DEFAULT_INPUT_POLICY="DROP"',
      'DEFAULT_OUTPUT_POLICY="ACCEPT"',
      'DEFAULT_FORWARD_POLICY="DROP"',
      '',
    ].join('\n'),
  },
);
