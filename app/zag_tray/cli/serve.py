"""``--host https://…``: list, show, kill, stop and watch through a zag serve
(remote/serve.py), and ``zag-tray host pin|token|forget|list``, which keep its certificate
and token (remote/serve_hosts.py).

The pin is taken once, by the user: ``host pin URL`` shows the SHA-256 of the certificate
the server shows (unverified) and keeps it when the user says yes on a terminal, or when
``--accept FINGERPRINT`` names exactly that one (for scripts: a fingerprint read on the
server with openssl). A host already pinned to another certificate is an error naming both;
``host forget URL`` first is the only way to pin anew. A token is read from stdin (hidden on
a terminal), never taken from the command line.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from zag_tray.cli import PROG, CliError


def add_host_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The ``host`` command and its subcommands (the parser's ``sub``)."""
    p = sub.add_parser("host", parents=[common], help="zag serve hosts: pin a certificate, keep a token")
    actions = p.add_subparsers(title="actions", metavar="ACTION", dest="action", required=True)
    a = actions.add_parser("pin", help="show the certificate's SHA-256 and keep it once you accept it")
    a.add_argument("url", metavar="URL", help="https://HOST[:PORT] (port 2100 unless given)")
    a.add_argument("--accept", metavar="SHA256", help="keep it without asking if its fingerprint is this one")
    a = actions.add_parser("token", help="keep the host's bearer token, read from stdin (0600 file)")
    a.add_argument("url", metavar="URL")
    a = actions.add_parser("forget", help="drop the host's pinned certificate and token")
    a.add_argument("url", metavar="URL")
    a = actions.add_parser("list", help="the zag serve hosts kept, their fingerprints and tokens' origin")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=host_command)


def _address(text: str) -> Any:
    from zag_tray.remote.serve_hosts import ServeConfigError, serve_url

    try:
        return serve_url(text)
    except ServeConfigError as exc:
        raise CliError(str(exc)) from None


def host_command(args: argparse.Namespace) -> int:
    from zag_tray.remote import serve_hosts
    from zag_tray.remote.serve_hosts import ServeConfigError

    try:
        if args.action == "list":
            return _list_kept(args.json)
        address = _address(args.url)
        if args.action == "pin":
            return _pin(address, args.accept)
        if args.action == "token":
            serve_hosts.keep_token(address, _read_token(address.url))
            print(f"token kept for {address.url} in {serve_hosts.hosts_file()} (readable by you alone)")
            return 0
        gone = serve_hosts.forget(address)
        print(f"{address.url}: " + ("certificate and token forgotten" if gone else "nothing kept for it"))
        return 0
    except ServeConfigError as exc:
        raise CliError(str(exc)) from None


def _pin(address: Any, accept: str | None) -> int:
    from zag_tray.remote import pinning, serve_hosts

    got = serve_hosts.fetch(address)
    if isinstance(got, str):
        raise CliError(got)
    der, kept = got.certificate, got.pinned
    seen = pinning.fingerprint(der)
    if kept is not None:
        if kept == der:
            print(f"{address.url}: pinned already, SHA-256 {seen}")
            return 0
        raise CliError(str(pinning.CertificateChanged(pinning.fingerprint(kept), seen)))
    hint = pinning.OPENSSL_HINT
    print(f"{address.url} shows a certificate with SHA-256 fingerprint\n  {seen}\nCompare it, {hint}")
    if accept is not None:
        try:
            wanted = pinning.parsed_fingerprint(accept)
        except ValueError as exc:
            raise CliError(f"--accept: {exc}") from None
        if wanted != seen:
            raise CliError(f"not pinned: the server shows {seen}, not {wanted}")
    elif not sys.stdin.isatty():
        raise CliError("not pinned: run this on a terminal to answer, or give --accept SHA256")
    elif input("Trust this certificate for this host? [y/N] ").strip().lower() not in ("y", "yes"):
        raise CliError("not pinned")
    serve_hosts.pin(address, der, seen)
    print(f"pinned: {address.url} must show this certificate from now on")
    return 0


def _read_token(url: str) -> str:
    """The token from stdin: hidden on a terminal, else its first line (``< file``, a pipe)."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"Token for {url} (not shown): ")
    return sys.stdin.readline()


def _list_kept(as_json: bool) -> int:
    from zag_tray.agents.jsontext import json_text
    from zag_tray.remote import serve_hosts

    hosts = [serve_hosts.load(serve_hosts.serve_url(url)) for url in serve_hosts.kept_urls()]
    shown = [serve_hosts.as_json(host) for host in hosts]
    if as_json:
        sys.stdout.write(json_text(shown) + "\n")
    for host in [] if as_json else shown:
        print(f"{host['url']}  {host['fingerprint'] or 'not pinned'}  token: {host['token'] or 'none'}")
    return 0


# --- list / show / kill / stop / watch through a zag serve ------------------------------------


def on_serve(args: argparse.Namespace) -> int:
    """``args.command`` on the zag serve at ``args.host``; one line and exit 1 when it fails."""
    from zag_tray.remote import serve, serve_hosts

    try:
        host = serve_hosts.load(_address(args.host))
    except serve_hosts.ServeConfigError as exc:
        raise CliError(str(exc)) from None
    client = serve.ServeClient(host)
    if args.command == "watch":
        return _watch(args, client)
    try:
        if args.command == "list":
            return _list(args, client.processes(running=not args.all), host.address.url)
        if args.command == "show":
            return _show(args, client.process(args.id), host.address.url)
        return _act(args, client)
    except serve.ServeFailure as exc:
        raise CliError(f"{host.address.url}: {exc}") from None


def _act(args: argparse.Namespace, client: Any) -> int:
    from zag_tray.agents.text import visible
    from zag_tray.remote.serve import NO_TREE

    url = client.host.address.url
    if args.command == "kill" and (args.tree or args.force):
        raise CliError(f"{url}: {NO_TREE}")
    if args.command == "kill":
        said = client.kill(args.id)
        print(f"{url}: zag recorded {visible(args.id)} killed and sent SIGTERM ({visible(said)})")
    else:
        said = client.stop(args.id)
        print(f"{url}: zag sent SIGHUP to {visible(args.id)} ({visible(said)})")
    return 0


def _agents(raw: list[Any], url: str) -> tuple[list[Any], dict[str, Any]]:
    from zag_tray.remote.serve import agents_of

    agents, rejected = agents_of(raw)
    if rejected:
        print(f"{PROG}: warning: {url}: {rejected} invalid entries skipped", file=sys.stderr)
    return [a.entry for a in agents], {a.entry.id: a.live_status for a in agents}


def _list(args: argparse.Namespace, raw: list[Any], url: str) -> int:
    from zag_tray.agents.tree import build_forest
    from zag_tray.cli.hosts import tag_nodes

    entries, checked = _agents(raw, url)
    roots, now = build_forest(entries), time.time()
    if args.json:
        from zag_tray.cli.views import flat_json, node_json

        flat = flat_json(roots, checked, {}, now) if args.flat else None
        tag_nodes([node_json(r, checked, {}, now) for r in roots] if flat is None else flat, url)
    elif not roots:
        print(f"No {'agents' if args.all else 'running agents'} on {url}")
    else:
        from zag_tray.cli.listing import forest_rows, print_table

        print_table(forest_rows(roots, checked), now, {}, args.color)
    return 0


def _show(args: argparse.Namespace, raw: dict[str, Any], url: str) -> int:
    from zag_tray.agents.tree import build_forest
    from zag_tray.cli.hosts import tag_nodes
    from zag_tray.cli.views import node_json, show_lines

    entries, checked = _agents([raw], url)
    if not entries:
        raise CliError(f"{url}: zag serve sent an entry zag's reader would reject")
    node, now = build_forest(entries)[0], time.time()
    if args.json:
        tag_nodes(node_json(node, checked, {}, now), url)
        return 0
    status = checked[node.entry.id]
    for line in show_lines(node.entry, node, status, "zag serve's kill(pid, 0): the pid alone", now):
        print(line)
    return 0


def _watch(args: argparse.Namespace, client: Any) -> int:
    import threading

    from zag_tray.cli.hosts import report_to
    from zag_tray.cli.watch import on_signals, watch_input
    from zag_tray.remote.serve import ServePoller

    stop = threading.Event()
    restore = on_signals(stop)
    watch_input(getattr(sys.stdin, "buffer", None), stop)
    try:
        ServePoller(client, report_to(args.json, client.host.address.url)).run(stop)
    finally:
        restore()
    return 0
