"""A throwaway PostgreSQL server in a folder, for tests and demos of the postgres target.

    with LocalPostgres(folder) as server:
        env = {**os.environ, **server.environment()}   # PGHOST, PGPORT, ... for dbt and psycopg2

or from a shell:

    eval "$(python -m lifecycle_dev.local_postgres start --dir /tmp/lifecycle-pg)"
    ...
    python -m lifecycle_dev.local_postgres stop --dir /tmp/lifecycle-pg

The server runs the PostgreSQL binaries of the machine (initdb and pg_ctl on PATH, or the newest
/usr/lib/postgresql/<version>/bin of Debian's postgresql package), with its data, log and socket
in the folder, listening on 127.0.0.1 only, on a free port, with trust authentication (no
password) and a database `lifecycle`. It is for data that may be lost: durability is switched off.

initdb refuses to run as root. As root, the folder is given to the `postgres` user (which the
Debian package creates) and the binaries run as that user (runuser). That user must be able to
reach the folder: a folder under a private directory (pytest's /tmp/pytest-of-root is 0700) is
not reachable; LocalPostgres() without a folder makes one with tempfile.mkdtemp.
"""

from __future__ import annotations

import argparse
import glob
import logging
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from lifecycle import cli_checks

LOGGER = logging.getLogger(__name__)

DATABASE = "lifecycle"
SUPERUSER = "postgres"
SERVER_USER = "postgres"  # the system user that runs the server when we are root
HOST = "127.0.0.1"
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
# Another process may take the free port between the probe and the server's bind: try again.
START_ATTEMPTS = 3
# Seconds pg_ctl waits for the server to start or stop.
PG_CTL_WAIT_SECONDS = 60


class LocalPostgresError(Exception):
    """The server cannot be set up, started or stopped; the message says why in one line."""


def find_bin_dir() -> Path:
    """The folder with initdb and pg_ctl: from PATH, else the newest Debian postgresql version."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    candidates = [
        Path(folder)
        for folder in glob.glob(DEBIAN_BIN_GLOB)
        if Path(folder, "initdb").is_file() and Path(folder, "pg_ctl").is_file()
    ]
    if not candidates:
        raise LocalPostgresError(
            "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in "
            f"{DEBIAN_BIN_GLOB}: install Debian's postgresql package (apt-get install postgresql)"
        )

    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in folder.parent.name.split(".") if part.isdigit())

    return max(candidates, key=version)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class LocalPostgres:
    """A PostgreSQL server whose data, log and socket live in `folder` (see the module doc)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="lifecycle-pg-"))
        self.data_dir = self.folder / "data"
        self.log_file = self.folder / "server.log"
        self.port: int | None = None
        self._as_root = os.geteuid() == 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LocalPostgres:
        """Creates the cluster if the folder has none, starts it and creates the database."""
        bin_dir = find_bin_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            self._give_folder_to_server_user()
        if not (self.data_dir / "PG_VERSION").is_file():
            self._run([
                str(bin_dir / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER,
                "--auth=trust", "-E", "UTF8", "--no-instructions",
            ], as_server_user=True)
        running = self._run(
            [str(bin_dir / "pg_ctl"), "-D", str(self.data_dir), "status"], as_server_user=True, check=False
        )
        if running.returncode == 0:
            # started earlier (e.g. by the CLI): use it as it is
            self.port = int((self.data_dir / "postmaster.pid").read_text().splitlines()[3])
            self._create_database(bin_dir)
            LOGGER.info("PostgreSQL already running in %s on %s:%s", self.folder, HOST, self.port)
            return self
        for attempt in range(1, START_ATTEMPTS + 1):
            port = free_port()
            options = " ".join([
                f"-p {port}",
                f"-k {shlex.quote(str(self.folder))}",
                f"-c listen_addresses={HOST}",
                # a throwaway server: speed over durability
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                # definitions §6: times are UTC; the models do not depend on it, psql output does
                "-c timezone=UTC",
            ])
            started = self._run([
                str(bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
                "-o", options, "-w", "-t", str(PG_CTL_WAIT_SECONDS), "start",
            ], as_server_user=True, check=False)
            if started.returncode == 0:
                self.port = port
                break
            LOGGER.warning(
                "PostgreSQL did not start on port %s (attempt %s): %s", port, attempt, self._log_tail()
            )
        else:
            raise LocalPostgresError(
                f"PostgreSQL did not start in {self.data_dir}: {self._log_tail()} (log: {self.log_file})"
            )
        self._create_database(bin_dir)
        LOGGER.info("PostgreSQL running in %s on %s:%s", self.folder, HOST, self.port)
        return self

    def stop(self) -> None:
        """Stops the server (fast shutdown: open sessions are ended); nothing if it is not running."""
        if not (self.data_dir / "postmaster.pid").is_file():
            return
        self._run([
            str(find_bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast",
            "-w", "-t", str(PG_CTL_WAIT_SECONDS), "stop",
        ], as_server_user=True)
        LOGGER.info("PostgreSQL in %s stopped", self.folder)
        self.port = None

    def environment(self) -> dict[str, str]:
        """The libpq variables that dbt's postgres profile and psycopg2 read."""
        if self.port is None:
            raise LocalPostgresError(f"the PostgreSQL server in {self.folder} is not started")
        return {
            "PGHOST": HOST,
            "PGPORT": str(self.port),
            "PGUSER": SUPERUSER,
            "PGDATABASE": DATABASE,
            "PGPASSWORD": "",
        }

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- helpers -----------------------------------------------------------------------------

    def _give_folder_to_server_user(self) -> None:
        try:
            user = pwd.getpwnam(SERVER_USER)
        except KeyError as error:
            raise LocalPostgresError(
                f"no system user {SERVER_USER!r} to run PostgreSQL as (initdb refuses root): "
                "install Debian's postgresql package, which creates it"
            ) from error
        for path in [self.folder, *self.folder.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
        reachable = subprocess.run(
            ["runuser", "-u", SERVER_USER, "--", "test", "-w", str(self.folder)], check=False
        )
        if reachable.returncode != 0:
            raise LocalPostgresError(
                f"{self.folder} is not reachable by the user {SERVER_USER!r} (is a parent folder "
                "private, like pytest's /tmp/pytest-of-root?): use a folder made by tempfile.mkdtemp"
            )

    def _create_database(self, bin_dir: Path) -> None:
        exists = self._run([
            str(bin_dir / "psql"), "-h", HOST, "-p", str(self.port), "-U", SUPERUSER, "-d", "postgres",
            "-tAc", f"select 1 from pg_database where datname = '{DATABASE}'",
        ])
        if exists.stdout.strip() != "1":
            self._run([
                str(bin_dir / "createdb"), "-h", HOST, "-p", str(self.port), "-U", SUPERUSER, DATABASE,
            ])

    def _run(
        self, command: list[str], as_server_user: bool = False, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        if as_server_user and self._as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        # the server user may not be allowed into our working directory
        completed = subprocess.run(command, cwd=self.folder, capture_output=True, text=True, check=False)
        if check and completed.returncode != 0:
            detail = (completed.stderr or completed.stdout).strip().splitlines()
            raise LocalPostgresError(
                f"{Path(command[4 if command[0] == 'runuser' else 0]).name} failed: "
                f"{detail[-1] if detail else f'exit status {completed.returncode}'}"
            )
        return completed

    def _log_tail(self) -> str:
        try:
            lines = [line for line in self.log_file.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            return "no server log"
        return lines[-1] if lines else "empty server log"


def main(argv: list[str] | None = None) -> int:
    parser = cli_checks.ArgumentParser(
        description="A throwaway PostgreSQL server in a folder (for tests and demos of the postgres target).",
        epilog='Example: eval "$(python -m lifecycle_dev.local_postgres start --dir /tmp/lifecycle-pg)"',
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser(
        "start",
        help="create (if needed) and start the server; print `export PG...=...` lines for a shell",
    )
    start.add_argument("--dir", type=Path, required=True, help="folder for the data, log and socket")
    stop = commands.add_parser("stop", help="stop the server of a folder")
    stop.add_argument("--dir", type=Path, required=True, help="the folder given to start")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        if args.command == "start":
            cli_checks.writable_folder(args.dir, "--dir")
        elif args.dir.exists() and not args.dir.is_dir():
            raise cli_checks.InputError(f"--dir {args.dir} is a file, not a folder")
    except cli_checks.InputError as error:
        parser.error(str(error))

    server = LocalPostgres(args.dir.resolve())
    try:
        if args.command == "start":
            server.start()
            for name, value in server.environment().items():
                print(f"export {name}={shlex.quote(value)}")
        else:
            server.stop()
    except LocalPostgresError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
