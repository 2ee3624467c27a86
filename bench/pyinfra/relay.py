# W2 for pyinfra 3: the SimpleX relay guide, the twin of bench/ansible/relay.yml (and so of
# playbooks/relay.ts): the same plays and tasks in the same order, the same files byte for byte
# (the Ansible twin's Jinja2 templates, rendered by pyinfra's Jinja2), the same settings
# (relay-vars.yml, its per-host values rendered here). Where pyinfra has no operation of the kind,
# the idiomatic pyinfra form is used, said next to it:
# - ufw has no operation: its state is read with one fact (`ufw status verbose`, `ufw show added`)
#   and only the commands that differ run, in one server.shell;
# - handlers are operations at the end with `_if=` the operations that would notify them;
# - commands guarded by Ansible's `creates:` are guarded by a File fact read while planning;
# - lineinfile has no `validate` (files.line has none): the copy of the hardening drop-in is not
#   validated either;
# - the cron job is a cron.d file written whole (server.crontab manages users' crontabs only);
# - the binaries go build -> controller -> relay with files.get + files.put, as Ansible's
#   fetch + copy; the controller's copy is kept between runs, as Ansible's is.
# pyinfra runs every operation's commands for every host in order, one operation at a time.
import os
from io import StringIO

import jinja2
import yaml
from pyinfra import host
from pyinfra.facts.hardware import Memory
from pyinfra.facts.server import Command, LinuxDistribution
from pyinfra.operations import apt, files, git, server, systemd

HERE = os.path.dirname(os.path.abspath(__file__))
ANSIBLE = os.path.join(HERE, "..", "ansible")
TEMPLATES = os.path.join(ANSIBLE, "templates")


def settings():
    """relay-vars.yml with its per-host values rendered (as Ansible renders them lazily)."""
    with open(os.path.join(ANSIBLE, "relay-vars.yml")) as f:
        raw = yaml.safe_load(f)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    v = {"inventory_hostname": host.name}
    for key, value in raw.items():
        if key in ("cert_domain_args", "cert_domains", "deploy_hook", "firewall_rules"):
            continue  # Ansible-only filters: built in Python below
        if isinstance(value, str) and "{{" in value:
            value = env.from_string(value).render(**v)
        v[key] = value
    v["turn"] = v["turn"] == "True"
    v["firewall_rules"] = [
        {**r, "port": env.from_string(str(r["port"])).render(**v)}
        for r in raw["firewall_rules"]
        if v["turn"] or not r.get("turn_only")
    ]
    v["cert_domains"] = [v["smpFqdn"], v["xfpFqdn"]] + ([v["turnFqdn"]] if v["turn"] else [])
    live = f"/etc/letsencrypt/live/{host.name}"
    v["deploy_hook"] = (
        f"install -D -m 0640 -o root -g turnserver {live}/fullchain.pem {v['turnCertDir']}/fullchain.pem"
        f" && install -D -m 0640 -o root -g turnserver {live}/privkey.pem {v['turnCertDir']}/privkey.pem"
    )
    return v


V = settings()
ARTIFACTS = host.data.get("artifact_dir")


def template(name, dest, **kwargs):
    return files.template(name=name, src=os.path.join(TEMPLATES, name.split(" ")[0]), dest=dest, **kwargs, **V)


def quote(s):
    return "'" + str(s).replace("'", "'\\''") + "'"


# --- prerequisites (build_hosts:relays) -------------------------------------------------------
distro = host.get_fact(LinuxDistribution)
memory_mb = host.get_fact(Memory)  # vmstat -s: total memory in MB
if distro["name"] != "Debian" or distro["major"] != 12 or memory_mb < V["minMemoryMb"] * 0.95:
    raise Exception("the SimpleX relay guide needs Debian 12 and at least 1 GiB of memory")

# --- build the SimpleX servers (build_hosts) -------------------------------------------------
if "build_hosts" in host.groups and V["binarySource"] == "build":
    apt.packages(name="build dependencies", packages=V["buildPackages"], update=True, cache_time=3600)
    git.repo(name="simplexmq source", src=V["simplexRepo"], dest=V["buildDir"], pull=False)
    build = " ".join(quote(a) for a in V["buildCommand"])
    marker = "target/.shipshape-built-$(git rev-parse HEAD)"
    server.shell(
        name="build smp-server and xfp-server",
        commands=[f"cd {quote(V['buildDir'])} && m={marker} && {{ test -e \"$m\" || {{ {build} && touch \"$m\"; }}; }}"],
    )


def binary(kind):
    """NAME-server from the build machine, through the controller (files.get + files.put)."""
    local = os.path.join(ARTIFACTS, f"{kind}-server")
    if "build_hosts" in host.groups:
        files.get(name=f"{kind}-server from the build machine (to the controller)", src=f"{V['buildDir']}/{V[kind + 'Artifact']}", dest=local, create_local_dir=True)
    if "relays" in host.groups:
        return files.put(name=f"{kind}-server from the build machine", src=local, dest=f"/usr/local/bin/{kind}-server", mode="755", user="root", group="root", assume_exists=True)


# --- SimpleX relays (relays) -------------------------------------------------------------------
relay = "relays" in host.groups
if relay:
    files.directory(name="fail2ban jail folder", path="/etc/fail2ban/jail.d", mode="755")
    jail = template("fail2ban-sshd.local.j2", "/etc/fail2ban/jail.d/sshd.local", mode="644")
    apt.packages(name="packages", packages=["ufw", "fail2ban", "certbot"] + (["coturn"] if V["turn"] else []), update=True, cache_time=3600)

    ssh_root = files.line(name="no root login over SSH", path="/etc/ssh/sshd_config", line=r"^#?\s*PermitRootLogin\b.*", replace="PermitRootLogin no")
    ssh_password = files.line(name="no password login over SSH", path="/etc/ssh/sshd_config", line=r"^#?\s*PasswordAuthentication\b.*", replace="PasswordAuthentication no")
    hardening = files.put(
        name="SSH hardening read first",
        src=StringIO("# Managed by shipshape (playbooks/relay.ts): read before any other drop-in.\nPermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"),
        dest="/etc/ssh/sshd_config.d/00-hardening.conf",
        mode="644",
    )

    # ufw: one fact, then only what differs (policy incoming, policy outgoing, rules, enabled).
    ufw = host.get_fact(Command, command="ufw status verbose; echo ==; ufw show added") or ""
    status, _, added = ufw.partition("==")
    wanted = []
    if "deny (incoming)" not in status:
        wanted.append("ufw default deny incoming")
    if "allow (outgoing)" not in status:
        wanted.append("ufw default allow outgoing")
    for r in V["firewall_rules"]:
        port = r["port"] if r["proto"] == "any" else f"{r['port']}/{r['proto']}"
        rule = f"ufw allow {port} comment {quote(r['comment'])}"
        if rule not in added:
            wanted.append(rule)
    if "Status: active" not in status:
        wanted.append("ufw --force enable")
    if wanted:
        server.shell(name="firewall", commands=wanted)

    systemd.service(name="fail2ban running", service="fail2ban", running=True, enabled=True)


def server_unit(kind):
    """The system user, folders, binary and unit of smp or xfp: the operations that restart it."""
    user, data, log = V[kind + "User"], V[kind + "DataDir"], V[kind + "LogDir"]
    server.user(name=f"{kind} system user", user=user, system=True, shell="/usr/sbin/nologin", home=data, create_home=False, ensure_home=False)
    files.directory(name=f"{kind} data folder", path=data, user=user, group=user, mode="750")
    files.directory(name=f"{kind} log folder", path=log, user=user, group=user, mode="750")
    return [binary(kind), template(f"{kind}.service.j2", f"/etc/systemd/system/{kind}.service", mode="644")]


# The build host takes part in the binaries' first leg, in the same order as the relays' tasks.
if relay:
    smp = server_unit("smp")
    systemd.daemon_reload(name="smp daemon-reload", _if=lambda: smp[1].did_change())
    systemd.service(name="smp service", service="smp", running=True, enabled=True)
    xfp = server_unit("xfp")
    systemd.daemon_reload(name="xfp daemon-reload", _if=lambda: xfp[1].did_change())
    systemd.service(name="xfp service", service="xfp", running=True, enabled=True)
elif "build_hosts" in host.groups and V["binarySource"] == "build":
    binary("smp")
    binary("xfp")

if relay:
    live = f"/etc/letsencrypt/live/{host.name}"
    # A lineage's fullchain.pem is a link (the File fact is false for links): test -e follows it.
    if not host.get_fact(Command, command=f"test -e {live}/fullchain.pem && echo yes || true"):
        argv = ["certbot", "certonly", "--non-interactive", "--agree-tos", "--email", V["acmeEmail"], "--no-eff-email", "--server", V["acmeServer"], "--cert-name", host.name, "--key-type", "ecdsa", "--standalone"]
        for d in V["cert_domains"]:
            argv += ["-d", d]
        if V["turn"]:
            argv += ["--deploy-hook", V["deploy_hook"]]
        server.shell(name="certificates", commands=[" ".join(quote(a) for a in argv)])
    job = "certbot renew --quiet && systemctl restart coturn" if V["turn"] else "certbot renew --quiet"
    files.put(name="renew certificates nightly", src=StringIO(f"#pyinfra: certbot renew\n0 3 * * * root {job}\n"), dest="/etc/cron.d/pyinfra-certbot-renew", mode="644")

    coturn = []
    if V["turn"]:
        coturn.append(template("turnserver.conf.j2", "/etc/turnserver.conf", user="root", group="turnserver", mode="640"))
        coturn.append(files.directory(name="coturn log folder", path="/var/log/turnserver", user="turnserver", group="turnserver", mode="750"))
        systemd.service(name="coturn running", service="coturn", running=True, enabled=True)

    # server.wait polls netstat, which a minimal Debian 12 lacks: the same wait as Ansible's wait_for
    # (a connection to the port on 127.0.0.1, for up to 60 s) in bash.
    for kind in ("smp", "xfp"):
        port = int(V[kind + "Port"])
        server.shell(name=f"{kind} answers", commands=[f"timeout 60 bash -c 'until : </dev/tcp/127.0.0.1/{port}; do sleep 0.5; done' 2>/dev/null"])
    fingerprints = {k: host.get_fact(Command, command=f"cat {V[k + 'DataDir']}/fingerprint 2>/dev/null || true") for k in ("smp", "xfp")}
    unknown = "(fingerprint known once the server has started)"
    print(f"[{host.name}] paste into SimpleX: smp://{fingerprints['smp'] or unknown}@{V['smpFqdn']}:{V['smpPort']}  xftp://{fingerprints['xfp'] or unknown}@{V['xfpFqdn']}:{V['xfpPort']}")

    # Handlers: after every task, each when a task that notifies it changed something.
    changed = lambda *ops: lambda: any(op.did_change() for op in ops if op is not None)  # noqa: E731
    systemd.service(name="restart ssh", service="ssh", restarted=True, _if=changed(ssh_root, ssh_password, hardening))
    systemd.service(name="restart fail2ban", service="fail2ban", restarted=True, _if=changed(jail))
    systemd.service(name="restart smp", service="smp", restarted=True, _if=changed(*smp))
    systemd.service(name="restart xfp", service="xfp", restarted=True, _if=changed(*xfp))
    if V["turn"]:
        systemd.service(name="restart coturn", service="coturn", restarted=True, _if=changed(*coturn))
