"""The ``ejia`` command line.

    ejia accounts create --username U --role R [--org ID] [--member ID]
                         [--display-name NAME] [--data-dir DIR]

creates an account straight in the identity database, through the kernel
(event store, outbox, read model and credentials in one transaction), with
no running service: the platform's outbox relay publishes the events once
the identity service runs. The database is EJIA_IDENTITY_DB_URL, else the
SQLite file ``<data-dir>/identity.db`` (data-dir: EJIA_DATA_DIR, else
``data``).

The password is asked twice when stdin is a terminal, else read as one line
from stdin (``printf '%s\\n' "$PW" | ejia accounts create ...``). It is
never taken from an argument: it would stay in shell history and ``ps``.
Exit codes: 0 created, 2 bad input or a taken username.

    ejia rebuild SERVICE READ_MODEL [--data-dir DIR]

drops a declared read model's tables (shared/readmodel.py), creates them
as the code declares them and replays the service's event store into them,
in one transaction (readers see the old tables until it commits), with a
progress bar. The database is EJIA_<SERVICE>_DB_URL, else
``<data-dir>/<service>.db``. Prints the number of events replayed.
"""
import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from shared.access import MEMBER, ROLES
from shared.codec import to_jsonable
from shared.errors import DomainError

USAGE_ERROR = 2
NO_PASSWORD_ARGUMENT = ("the password is never taken from an argument (it would stay in shell history and "
                        "in ps); type it when asked, or pipe it on stdin")


class CliError(Exception):
    """Bad input: printed, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CliError(message)


class _RefusePassword(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        raise CliError(NO_PASSWORD_ARGUMENT)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ejia", description="eJia administration", allow_abbrev=False)
    groups = parser.add_subparsers(dest="group", required=True, parser_class=_Parser)
    accounts = groups.add_parser("accounts", help="identity accounts", allow_abbrev=False)
    actions = accounts.add_subparsers(dest="action", required=True, parser_class=_Parser)
    create = actions.add_parser("create", help="create an account (the password is read from stdin or asked)",
                                allow_abbrev=False)
    create.add_argument("--username", required=True, help="3 to 64 characters of a-z 0-9 . _ -")
    create.add_argument("--role", required=True, choices=ROLES, help="the account's role")
    create.add_argument("--org", default=None, help="the organisation of the role (required for org_admin)")
    create.add_argument("--member", default=None,
                        help="the member record: makes a member's account (it gets the member role)")
    create.add_argument("--display-name", default=None, help="the name shown to people (default: the username)")
    create.add_argument("--data-dir", default=os.environ.get("EJIA_DATA_DIR", "data"),
                        help="where identity.db is when EJIA_IDENTITY_DB_URL is not set")
    create.add_argument("--password", nargs="?", action=_RefusePassword, help=argparse.SUPPRESS)
    rebuild = groups.add_parser("rebuild", help="rebuild a read model from the service's events",
                                allow_abbrev=False)
    rebuild.add_argument("service", choices=sorted(SERVICE_CLASSES), help="the service")
    rebuild.add_argument("read_model", help="the read model's declared name")
    rebuild.add_argument("--data-dir", default=os.environ.get("EJIA_DATA_DIR", "data"),
                         help="where <service>.db is when EJIA_<SERVICE>_DB_URL is not set")
    return parser


def read_password(stdin=None, prompt=getpass.getpass) -> str:
    """Asked twice on a terminal, else the first line of stdin."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = prompt("Password: ")
        if first != prompt("Password again: "):
            raise CliError("the two passwords differ")
        return first
    line = stdin.readline()
    if not line:
        raise CliError("no password on stdin (pipe it as one line, or run in a terminal to be asked)")
    return line.rstrip("\r\n")


def database_url(data_dir: str, service: str = "identity") -> str:
    url = os.environ.get(f"EJIA_{service.upper()}_DB_URL")
    if url:
        return url
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / f'{service}.db').resolve()}"


# Where each service's kernel declaration is (its EventSourcing provider):
# the read models it feeds, the projectors beside them, its other tables.
SERVICE_CLASSES = {"identity": "services.identity.service:IdentityService",
                   "orgs": "services.orgs.service:OrgsService",
                   "members": "services.members.service:MembersService",
                   "dues": "services.dues.service:DuesService"}


def rebuild_read_model(args, stderr=None) -> dict:
    import importlib

    from shared.catalog import catalog
    from shared.database import Database
    from shared.readmodel import ProgressBar, rebuild
    from shared.store import EventStore

    module, name = SERVICE_CLASSES[args.service].split(":")
    kernel = getattr(importlib.import_module(module), name).kernel
    models = {model.name: model for model in kernel.read_models}
    if args.read_model not in models:
        known = ", ".join(sorted(models)) or "none"
        raise CliError(f"{args.service} declares no read model {args.read_model!r} (it declares: {known})")
    model = models[args.read_model]
    db = Database(database_url(args.data_dir, args.service), *kernel.metadatas)
    try:
        store = EventStore(args.service, catalog, kernel.projectors)
        replayed = rebuild(db, store, model, progress=ProgressBar(f"rebuilding {args.service} {model.name}", 0,
                                                                    stream=stderr or sys.stderr))
    finally:
        db.dispose()
    return {"service": args.service, "read_model": model.name, "version": model.version,
            "events_replayed": replayed}


def create_account(args, stdin=None, prompt=getpass.getpass) -> dict:
    from services.identity import commands, projections, queries, tables  # the kernel, without nameko
    from shared.catalog import catalog
    from shared.database import Database
    from shared.envelope import CommandContext
    from shared.store import EventStore, UnitOfWork

    if args.role == MEMBER and not args.member:
        raise CliError("a member's account needs --member (the member record it belongs to)")
    password = read_password(stdin, prompt)
    db = Database(database_url(args.data_dir), tables.metadata)
    try:
        store = EventStore("identity", catalog, [projections.project])
        actor = f"cli:{getpass.getuser()}"[:100]
        with UnitOfWork(db, store, CommandContext(actor=actor)) as uow:
            commands.create_account(
                uow, username=args.username, display_name=args.display_name or args.username, password=password,
                kind="member" if args.member else "staff", member_id=args.member,
                roles=[{"role": args.role, "org_id": args.org}])
            return queries.get_account(uow.conn, args.username)
    finally:
        db.dispose()


def _fields(fields: dict) -> str:
    return "; ".join(f"{name}: {value}" for name, value in fields.items())


def main(argv=None, stdin=None, stdout=None, stderr=None, prompt=getpass.getpass) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        result = (rebuild_read_model(args, stderr) if args.group == "rebuild"
                  else create_account(args, stdin, prompt))
    except CliError as exc:
        print(f"ejia: {exc}", file=stderr)
        return USAGE_ERROR
    except DomainError as exc:
        detail = f" ({_fields(exc.fields)})" if exc.fields else ""
        print(f"ejia: {exc.message}{detail}", file=stderr)
        return USAGE_ERROR
    json.dump(to_jsonable(result), stdout, indent=2, ensure_ascii=False)
    stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
