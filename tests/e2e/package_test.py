"""The Debian package end to end: scripts/package-deb builds it from the debug build, then its
control fields, conffiles, maintainer scripts, layout and modes are checked, it is extracted into
a scratch root, the binary there runs, and systemd accepts both units (verify, and an offline
security assessment under a fixed exposure ceiling).

Usage: package_test.py HEARTBASE_BINARY SOURCE_DIR BUILD_DIR"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile

BINARY, SOURCE, BUILD = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
# systemd-analyze security scores 0 (locked down) to 10 (exposed); the units score 1.2-1.4.
MAX_EXPOSURE = 2.0


def sh(*args, check=0, **kw):
    p = subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)
    assert p.returncode == check, (args, p.returncode, p.stdout[-2000:], p.stderr[-2000:])
    return p


def needed_packages(binary):
    """The Debian packages owning the libraries the binary names, found independently of the
    script: ELF NEEDED entries, ldd's resolution, dpkg -S."""
    needed = re.findall(r"\(NEEDED\).*\[(.+)\]", sh("readelf", "-d", binary).stdout)
    where = dict(re.findall(r"^\s*(\S+) => (/\S+)", sh("ldd", binary).stdout, re.M))
    owners = set()
    for soname in needed:
        path = where[soname]
        p = subprocess.run(["dpkg", "-S", path, os.path.realpath(path)], capture_output=True,
                           text=True)
        owner = p.stdout.split(":", 1)[0].strip()
        assert owner, (soname, path, p.stderr)
        owners.add(owner)
    return owners


def check_control(deb, version):
    fields = {}
    for line in sh("dpkg-deb", "-f", deb).stdout.splitlines():
        if line and not line[0].isspace():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    assert fields["Package"] == "heartbase", fields
    assert fields["Version"] == version, (fields["Version"], version)
    assert fields["Architecture"] == sh("dpkg", "--print-architecture").stdout.strip(), fields
    depends = {d.strip().split(" ", 1)[0] for d in fields["Depends"].split(",")}
    missing = needed_packages(BINARY) - depends
    assert not missing, ("libraries' packages missing from Depends", missing, fields["Depends"])
    assert "fonts-dejavu-core" in depends, fields["Depends"]
    conffiles = sh("dpkg-deb", "--info", deb, "conffiles").stdout.split()
    assert conffiles == ["/etc/heartbase/heartbase.toml"], conffiles
    info = sh("dpkg-deb", "--info", deb).stdout
    for script in ("postinst", "prerm", "postrm"):
        # dpkg-deb marks executable control members with '*'.
        assert re.search(rf"\*\s+{script}\s", info), (script, info)


def check_layout(deb):
    listing = {}
    for line in sh("dpkg", "--contents", deb).stdout.splitlines():
        mode, owner, _size, _day, _time, name = line.split(None, 5)
        listing[name.removeprefix("./").rstrip("/").split(" -> ")[0]] = (mode, owner)
    expected = {
        "usr/bin/heartbase": "-rwxr-xr-x",
        "etc/heartbase/heartbase.toml": "-rw-r--r--",
        "lib/systemd/system/heartbase.service": "-rw-r--r--",
        "lib/systemd/system/heartbase-notify.service": "-rw-r--r--",
        "usr/lib/tmpfiles.d/heartbase.conf": "-rw-r--r--",
        "usr/share/doc/heartbase/README.md": "-rw-r--r--",
        "usr/share/doc/heartbase/copyright": "-rw-r--r--",
        "usr/share/heartbase/web": "drwxr-xr-x",
    }
    expected.update({f"usr/share/doc/heartbase/docs/{d.name}": "-rw-r--r--"
                     for d in (SOURCE / "docs").glob("*.md")})
    expected.update({f"usr/share/heartbase/web/{f.relative_to(SOURCE / 'web/dist')}": "-rw-r--r--"
                     for f in (SOURCE / "web/dist").rglob("*") if f.is_file()})
    assert "usr/share/heartbase/web/index.html" in expected, "web/dist is not built"
    assert "usr/share/doc/heartbase/docs/operations.md" in expected
    for path, mode in expected.items():
        assert path in listing, ("missing from the package", path)
        assert listing[path][0] == mode, (path, listing[path][0], mode)
    for path, (mode, owner) in listing.items():
        assert owner == "root/root", (path, owner)
        assert mode[8] != "w" and "s" not in mode, ("writable by others or set-id", path, mode)
        assert not path.startswith("var/"), ("the package ships a data path", path)
        name = path.rsplit("/", 1)[-1]
        assert not re.search(r"keyring|key-check|\.key$|\.pem$|\.db$|\.hl7$|testdata|corpus|"
                             r"demo", path, re.I), ("key material or test data packaged", path)
        assert mode.startswith("d") or path in expected or name == "", ("unexpected file", path)
    print(f"package: {len(listing)} entries, layout and modes as expected")


def check_maintainer_scripts(deb, scratch):
    """Runs postinst configure and postrm purge with every command they call stubbed: they create
    the users and the data directory, never initialise, start or enable anything, never delete."""
    control = scratch / "control"
    sh("dpkg-deb", "--control", deb, str(control))
    stubs, log = scratch / "stubs", scratch / "calls.log"
    stubs.mkdir()
    for cmd in ("adduser", "useradd", "install", "systemctl", "systemd-tmpfiles", "rm", "heartbase",
                "deluser", "userdel"):
        (stubs / cmd).write_text(f'#!/bin/sh\necho "{cmd} $*" >> {log}\n')
        (stubs / cmd).chmod(0o755)
    (stubs / "getent").write_text("#!/bin/sh\nexit 2\n")  # no such user yet
    (stubs / "getent").chmod(0o755)
    env = {"PATH": f"{stubs}:/usr/bin:/bin"}
    sh("/bin/sh", str(control / "postinst"), "configure", env=env)
    calls = log.read_text()
    assert "adduser --system --group --home /var/lib/heartbase --no-create-home --quiet heartbase" \
        in calls, calls
    assert "adduser --system --group --home /nonexistent --no-create-home --quiet heartbase-notify" \
        in calls, calls
    if not os.path.exists("/var/lib/heartbase"):
        assert "install -d -m 0700 -o heartbase -g heartbase /var/lib/heartbase" in calls, calls
    assert not re.search(r"^heartbase |systemctl (start|enable|restart)", calls, re.M), calls
    log.unlink()
    for args in (["remove"], ["purge"]):
        sh("/bin/sh", str(control / "postrm"), *args, env=env)
        sh("/bin/sh", str(control / "prerm"), *args, env=env)
    calls = log.read_text() if log.exists() else ""
    assert not re.search(r"^(rm|deluser|userdel) ", calls, re.M), calls
    print("package: maintainer scripts create users and /var/lib/heartbase, start and delete nothing")


def check_extracted(deb, scratch, version):
    root = scratch / "root"
    sh("dpkg-deb", "-x", deb, str(root))
    binary = root / "usr/bin/heartbase"
    assert sh(str(binary), "--version").stdout.strip() == f"heartbase {version}"
    config = root / "etc/heartbase/heartbase.toml"
    help_text = sh(str(binary), "serve", "--help").stdout
    if "--print-default-config" in help_text:
        # The binary's defaults, but for the packaged web application's place.
        printed = sh(str(binary), "serve", "--print-default-config").stdout.splitlines()
        packaged = config.read_text().splitlines()
        changed = [(a, b) for a, b in zip(printed, packaged) if a != b]
        assert len(printed) == len(packaged) and changed == [
            ('web_root = ""', 'web_root = "/usr/share/heartbase/web"')], changed
    else:
        print("package: NOTE serve has no --print-default-config; packaged packaging/heartbase.toml")
    if "--check-config" in help_text:
        sh(str(binary), "serve", "--config", str(config), "--check-config")
        print("package: the packaged configuration passes serve --check-config")
    else:
        print("package: NOTE serve has no --check-config yet; configuration not parsed")
    units = scratch / "units"
    units.mkdir()
    for name in ("heartbase.service", "heartbase-notify.service"):
        text = (root / "lib/systemd/system" / name).read_text()
        assert "ExecStart=/usr/bin/heartbase " in text, name
        # verify checks that ExecStart exists: point it at the extracted binary.
        (units / name).write_text(text.replace("/usr/bin/heartbase", str(binary)))
        p = subprocess.run(["systemd-analyze", "verify", str(units / name)], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), \
            (name, p.returncode, p.stdout, p.stderr)
        p = sh("systemd-analyze", "security", "--offline=true", str(units / name))
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout)
        assert m, p.stdout[-500:]
        assert float(m.group(1)) <= MAX_EXPOSURE, (name, m.group(0))
        print(f"package: {name}: systemd-analyze verify clean, exposure {m.group(1)}")
    serve_unit = (root / "lib/systemd/system/heartbase.service").read_text()
    assert ("ExecStart=/usr/bin/heartbase serve --config /etc/heartbase/heartbase.toml "
            "--data /var/lib/heartbase") in serve_unit
    assert re.search(r"^User=heartbase$", serve_unit, re.M)
    assert re.findall(r"^ReadWritePaths=(.*)$", serve_unit, re.M) == ["/var/lib/heartbase"]
    notify_unit = (root / "lib/systemd/system/heartbase-notify.service").read_text()
    assert re.search(r"^User=heartbase-notify$", notify_unit, re.M)
    assert "ReadWritePaths" not in notify_unit


def main():
    with tempfile.TemporaryDirectory(prefix="hb-package-") as tmp:
        scratch = pathlib.Path(tmp)
        p = sh(str(SOURCE / "scripts/package-deb"), "--build-dir", str(BUILD), "--out",
               str(scratch / "out"), "--compression", "none")
        deb = p.stdout.strip().splitlines()[-1]
        assert os.path.isfile(deb) and deb.endswith(".deb"), p.stdout
        version = sh(BINARY, "--version").stdout.strip().removeprefix("heartbase ")
        check_control(deb, version)
        check_layout(deb)
        check_maintainer_scripts(deb, scratch)
        check_extracted(deb, scratch, version)
    print("package: ok")


if __name__ == "__main__":
    main()
