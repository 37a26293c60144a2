"""`mlflow-platform` entry point: argument parsing, dispatch and exit codes.

`main(argv)` returns the exit code; tests call it with injected clients, streams,
sleep and confirmation so nothing touches AWS or a terminal.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
)

from mlflow_platform.catalog import PORTFOLIO_NAME

from .aws import Clients, error_code, error_message, is_throttling
from .catalog_service import ACCESS_LEVELS
from .commands import COMMANDS, Context
from .errors import CliError, ExitCode, Interrupted, NotFoundError, ValidationError
from .output import FORMATS, Renderer
from .polling import Poller

PROG = "mlflow-platform"
EPILOG = """\
exit codes: 0 ok, 1 AWS or unexpected error, 2 usage or invalid parameters,
3 not found, 4 provisioning failed, 5 not confirmed, 6 timed out waiting, 130 interrupted.
`up` names the provisioned products NAME-core, NAME-api and NAME-notebook.
"""


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Options valid before or after the command (after: defaults suppressed)."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument("--profile", default=default(None), help="AWS profile")
    parser.add_argument("--region", default=default(None), help="AWS region")
    parser.add_argument("--output", "-o", choices=FORMATS, default=default("table"),
                        help="result format on stdout (default: table)")
    parser.add_argument("--wait-timeout", type=float, default=default(180.0), metavar="MIN",
                        help="minutes to wait for a change before giving up (default 180)")
    parser.add_argument("--portfolio", default=default(PORTFOLIO_NAME), metavar="NAME",
                        help="portfolio (name or launch path ID) whose launch path to use when "
                             f"a product is in several (default: {PORTFOLIO_NAME})")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    parser = argparse.ArgumentParser(
        prog=PROG, description="Launch and use the MLflow Platform from Service Catalog.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, parents=[common])

    command("products", "list the products, their versions and launch paths")
    p = command("describe", "show a product's launch parameters, constraints and outputs")
    p.add_argument("product", help="mlflow-core, private-api, notebook, a name or a prod- ID")
    p.add_argument("--version", help="version name (default: the newest not deprecated)")
    _launch_command(command)
    _deployment_commands(command)
    p = command("status", "list your provisioned products (of one deployment with NAME)")
    p.add_argument("name", nargs="?")
    p.add_argument("--access-level", choices=tuple(ACCESS_LEVELS), default="user",
                   help="whose products: yours (user, default), your role's or the account's")
    p = command("outputs", "outputs of a provisioned product, or of every product of a deployment")
    p.add_argument("name")
    p = command("update", "update a provisioned product to a version, after a plan preview")
    p.add_argument("name", help="provisioned product name, e.g. demo-core")
    p.add_argument("--version", required=True)
    _param_options(p)
    _yes(p)
    p = command("terminate", "terminate one provisioned product")
    p.add_argument("name")
    _yes(p)
    p = command("env", "print MLflow client exports: eval \"$(mlflow-platform env NAME)\"")
    p.add_argument("name", help="deployment name")
    return parser


def _launch_command(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("launch", "validate parameters, provision a product and wait for it")
    p.add_argument("product", help="mlflow-core, private-api, notebook, a name or a prod- ID")
    p.add_argument("name", help="provisioned product name")
    p.add_argument("--version", help="version name (default: the newest not deprecated)")
    _param_options(p)
    p.add_argument("--tag", action="append", default=[], metavar="K=V")


def _deployment_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("up", "provision core, private API and notebook as NAME-core, NAME-api, "
                      "NAME-notebook (resumable)")
    p.add_argument("name", help="deployment name")
    p.add_argument("--param", action="append", default=[], metavar="COMPONENT.K=V",
                   help="e.g. core.Profile=prod or notebook.InstanceType=ml.t3.large")
    p.add_argument("--tag", action="append", default=[], metavar="K=V")
    p.add_argument("--skip", action="append", default=[], choices=("api", "notebook"),
                   help="leave out a component")
    p = command("down", "terminate a deployment's products in reverse order")
    p.add_argument("name", help="deployment name")
    _yes(p)


def _param_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--param", action="append", default=[], metavar="K=V")
    p.add_argument("--params-file", metavar="FILE", help='JSON: {"Key": "value"} or '
                   '[{"ParameterKey": ..., "ParameterValue": ...}]; --param wins')


def _yes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")


def tty_confirm(stdin: TextIO, stderr: TextIO) -> Callable[[str], bool]:
    def ask(question: str) -> bool:
        if not stdin.isatty():
            return False
        stderr.write(f"{question} [y/N] ")
        stderr.flush()
        return stdin.readline().strip().lower() in ("y", "yes")

    return ask


def main(
    argv: Sequence[str] | None = None,
    *,
    clients: Clients | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
    confirm: Callable[[str], bool] | None = None,
) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse: --help is 0, a usage error 2
        return int(exit_.code or 0)
    renderer = Renderer(args.output, out, err)
    try:
        ctx = Context(
            clients=clients or Clients.from_session(profile=args.profile, region=args.region),
            renderer=renderer,
            poller=Poller(renderer.progress, sleep=sleep, timeout=args.wait_timeout * 60),
            confirm=confirm or tty_confirm(sys.stdin, err),
            portfolio=args.portfolio,
        )
        renderer.show(COMMANDS[args.command](args, ctx))
        return ExitCode.OK
    except KeyboardInterrupt:
        return _fail(renderer, Interrupted(
            "interrupted", hint="a request already sent continues in AWS: "
                                "check with mlflow-platform status"))
    except CliError as error:
        return _fail(renderer, error)
    except ClientError as error:
        return _fail(renderer, from_client_error(error))
    except (NoCredentialsError, ProfileNotFound, NoRegionError) as error:
        return _fail(renderer, ValidationError(
            f"AWS configuration: {error}",
            hint="pass --profile/--region, set AWS_PROFILE/AWS_REGION, or run aws sso login"))
    except BotoCoreError as error:
        return _fail(renderer, CliError(f"AWS: {error}"))


def _fail(renderer: Renderer, error: CliError) -> int:
    renderer.error(error)
    return int(error.exit_code)


def from_client_error(error: ClientError) -> CliError:
    code, message = error_code(error), error_message(error)
    operation = getattr(error, "operation_name", "AWS call")
    if code == "ResourceNotFoundException":
        return NotFoundError(f"{operation}: {message}")
    if code in ("InvalidParametersException", "ValidationException"):
        return ValidationError(f"{operation}: {message}")
    if is_throttling(error):
        return CliError(f"{operation}: AWS kept throttling the requests ({code})",
                        hint="try again in a minute")
    if "AccessDenied" in code or code == "UnauthorizedOperation":
        return CliError(f"{operation}: access denied ({message})",
                        hint="your role needs Service Catalog end-user access to the portfolio")
    return CliError(f"{operation}: {code}: {message}")
