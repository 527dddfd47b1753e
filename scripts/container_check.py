"""Run the built image against a real Dovecot and SMTP server on loopback (``make container-check``).

Called by scripts/container-check.sh after the build with the buildah command line to use
(storage options included). A host directory is mounted as /data and the IMAP password is
given as a secret file, as in production; the checks read what landed on the host side.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers.dovecot import DovecotServer  # noqa: E402
from tests.servers.smtp import SmtpServer  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "ops" / "preservation_request.eml"
CONTAINER_UID = 10001


def step(msg: str) -> None:
    print(f"[container_check] {msg}", flush=True)


class Container:
    """One buildah working container of the image; each ``run`` is a fresh process in it."""

    def __init__(self, buildah: list[str], image: str, data: Path, secrets: Path, env: dict[str, str]) -> None:
        self.buildah = buildah
        self.env = env
        self.mounts = ["-v", f"{data}:/data:rw", "-v", f"{secrets}:/run/secrets:ro"]
        self.id = subprocess.run([*buildah, "from", image], check=True, capture_output=True, text=True).stdout.strip()

    def run(self, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        envs = [x for k, v in self.env.items() for x in ("--env", f"{k}={v}")]
        cmd = [
            *self.buildah,
            "run",
            "--isolation",
            "chroot",
            "--network",
            "host",
            "--user",
            "triage",
            *self.mounts,
            *envs,
            self.id,
            "--",
            *argv,
        ]
        started = time.monotonic()
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        step(f"$ {' '.join(argv)} -> exit {done.returncode} in {time.monotonic() - started:.1f}s")
        for line in (done.stdout + done.stderr).strip().splitlines()[-8:]:
            print(f"    {line}", flush=True)
        return done

    def holds_copy_of(self, secret: Path) -> bool:
        """Is a byte-identical copy of ``secret`` anywhere in the container's file system?

        The base image's own system bundle is skipped: on a host without extra CAs it is
        legitimately identical to the host's.
        """
        want = secret.read_bytes()
        root = Path(
            subprocess.run([*self.buildah, "mount", self.id], check=True, capture_output=True, text=True).stdout.strip()
        )
        try:
            own = root / "etc" / "ssl" / "certs" / "ca-certificates.crt"
            for path in root.rglob("*"):
                if path == own:
                    continue
                same_size = path.is_file() and not path.is_symlink() and path.stat().st_size == len(want)
                if same_size and path.read_bytes() == want:
                    step(f"found a copy at /{path.relative_to(root)}")
                    return True
        finally:
            subprocess.run([*self.buildah, "umount", self.id], capture_output=True, check=False)
        return False

    def config_env(self) -> str:
        return subprocess.run(
            [*self.buildah, "inspect", "--format", "{{.OCIv1.Config.Env}}", self.id],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def remove(self) -> None:
        subprocess.run([*self.buildah, "rm", self.id], capture_output=True, check=False)


def image_config(buildah: list[str], image: str) -> dict[str, Any]:
    """The image's Docker-format config (HEALTHCHECK lives only there)."""
    out = subprocess.run([*buildah, "inspect", "--type", "image", image], check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout)["Docker"]["config"])


def fresh_copy(raw: bytes) -> bytes:
    """The fixture dated now, so the acknowledgment age limit never suppresses it."""
    now = email.utils.format_datetime(datetime.now(UTC)).encode()
    return re.sub(rb"(?m)^Date: .*$", b"Date: " + now, raw, count=1)


def expect(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"container-check FAILED: {what}")
    step(f"ok: {what}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--image", required=True)
    parser.add_argument("--ca", type=Path, required=True, help="the CA bundle given to the build as a secret")
    parser.add_argument("buildah", nargs=argparse.REMAINDER, help="buildah command line after --")
    args = parser.parse_args()
    buildah = [a for a in args.buildah if a != "--"] or ["buildah"]

    data, secrets = args.work / "data", args.work / "secrets"
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(secrets, ignore_errors=True)
    data.mkdir(parents=True)
    secrets.mkdir(parents=True)
    os.chown(data, CONTAINER_UID, CONTAINER_UID)

    imap, smtp = DovecotServer(), SmtpServer()
    imap.start()
    smtp.start()
    container: Container | None = None
    try:
        imap.append(fresh_copy(FIXTURE.read_bytes()))
        (secrets / "imap_password").write_text(imap.password)
        secrets.chmod(0o755)
        (secrets / "imap_password").chmod(0o644)
        env = {k: v for k, v in imap.env().items() if k != "TRIAGE_IMAP_PASSWORD"}
        env |= {
            "TRIAGE_IMAP_PASSWORD_FILE": "/run/secrets/imap_password",
            "TRIAGE_SMTP_HOST": smtp.host,
            "TRIAGE_SMTP_PORT": str(smtp.port),
            "TRIAGE_ACK_UNVERIFIED": "true",
            "TRIAGE_POLL_SECONDS": "60",
        }
        container = Container(buildah, args.image, data, secrets, env)

        cfg = image_config(buildah, args.image)
        expect(cfg.get("Entrypoint") == ["triage"] and cfg.get("Cmd") == ["run"], "ENTRYPOINT triage, CMD run")
        expect(cfg.get("User") == "triage" and "/data" in (cfg.get("Volumes") or {}), "user triage, volume /data")
        health = (cfg.get("Healthcheck") or {}).get("Test")
        expect(health == ["CMD", "triage", "healthcheck"], "HEALTHCHECK runs triage healthcheck")
        expect("PYTHONUNBUFFERED=1" in (cfg.get("Env") or []), "PYTHONUNBUFFERED set")

        version = container.run("triage", "--version")
        expect(version.returncode == 0 and version.stdout.startswith("triage "), "triage --version")
        before = container.run("triage", "healthcheck")
        expect(before.returncode != 0 and "unhealthy:" in before.stderr, "healthcheck fails before any poll")
        run = container.run("triage", "run", "--once")
        expect(run.returncode == 0, "triage run --once against Dovecot and SMTP on loopback")
        after = container.run("triage", "healthcheck")
        expect(after.returncode == 0 and "healthy" in after.stdout, "healthcheck passes after the poll")
        whoami = container.run("python3", "-c", "import os; print(os.getuid())")
        expect(whoami.stdout.strip() == str(CONTAINER_UID), "runs as the unprivileged triage user")
        expect(not container.holds_copy_of(args.ca), "the build secret (host CA bundle) is in no file of the image")
        expect("PIP_CERT" not in container.config_env(), "no PIP_CERT in the image's environment")

        files = sorted(p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file())
        step(f"files in /data: {files}")
        expect("triage.db" in files, "the SQLite database is in /data")
        archived = [f for f in files if f.startswith("archive/")]
        expect(len(archived) >= 1, "the raw message is archived under /data/archive")
        with sqlite3.connect(data / "triage.db") as db:
            tickets = db.execute("SELECT reference, request_type, country FROM ticket").fetchall()
            polled = db.execute("SELECT mailbox, folder, last_poll_at FROM mailbox_state").fetchall()
        step(f"tickets: {tickets}; mailbox state: {polled}")
        expect(len(tickets) == 1, "exactly one ticket filed")
        received = smtp.wait_for(1, timeout=10)
        step(f"SMTP received {len(received)} message(s): {[m.message['Subject'] for m in received]}")
        expect(len(received) == 1 and received[0].rcpt_tos == ["a.whitfield@met.police.uk"], "one acknowledgment")
        expect(imap.count("INBOX") == 0, "the message left the INBOX")
    finally:
        if container is not None:
            container.remove()
        imap.cleanup()
        smtp.stop()
    step("all container checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
