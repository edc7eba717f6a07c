"""The Smart Data Models commands: ``mimcheck models list|add|remove`` and ``mimcheck validate``."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from conformance.runcontext import usage
from conformance.sdm_registry import ModelError, Models, load, user_folder
from conformance.verdicts import EXIT_FAIL, EXIT_OK


def _models(ns: argparse.Namespace) -> Models:
    """The registry: bundled, user folder, the profile's [mim2] models_path and --models-path."""
    extra: list[str] = []
    if getattr(ns, "target", None):
        from conformance.profiles import ProfileError, load_profile

        try:
            extra += load_profile(ns.target).models_paths
        except ProfileError as exc:
            raise usage(str(exc)) from None
    extra += getattr(ns, "models_path", None) or []
    try:
        return load(extra)
    except ModelError as exc:
        raise usage(str(exc)) from None


def cmd_models_list(ns: argparse.Namespace) -> int:
    models = _models(ns)
    try:
        rows = [models[name].to_json() for name in models.names()]
    except ModelError as exc:
        raise usage(str(exc)) from None
    if ns.format == "json":
        print(json.dumps({"user_folder": str(user_folder()), "models": rows}, indent=2))
        return EXIT_OK
    print(f"{'model':<22} {'subject':<16} {'version':<9} {'commit':<12} {'sha256':<16} source")
    for row in rows:
        origin = "" if row["origin"] == "bundled" else f" (in {row['origin']})"
        print(
            f"{row['name']:<22} {row['subject']:<16} {row['schemaVersion']:<9} {(row['commit'] or '-')[:12]:<12} "
            f"{row['sha256'][:16]:<16} {row['source']}{origin}"
        )
    return EXIT_OK


def cmd_models_add(ns: argparse.Namespace) -> int:
    from conformance.sdm_import import add

    into = Path(ns.into).expanduser() if ns.into else user_folder()
    try:
        added = add(Path(ns.path), into, only=ns.model, subject=ns.subject, replace=ns.replace)
    except ModelError as exc:
        raise usage(str(exc)) from None
    for path in added.schemas:
        print(f"mimcheck: added shared schema {path}")
    for entry in added.models:
        commit = f" at {entry.commit[:12]}" if entry.commit else ""
        print(
            f"mimcheck: added {entry.name} ($schemaVersion {entry.schema_version}, {entry.source}{commit}, "
            f"sha256 {entry.sha256[:16]}) to {into}; capability {entry.capability}"
        )
    for warning in added.warnings:
        print(f"mimcheck: warning: {warning}")
    return EXIT_OK


def cmd_models_remove(ns: argparse.Namespace) -> int:
    into = Path(ns.into).expanduser() if ns.into else user_folder()
    folder = into / ns.name
    if not (folder / "model.json").is_file():
        raise usage(f"no added model {ns.name!r} in {into} (bundled models cannot be removed)")
    shutil.rmtree(folder)
    print(f"mimcheck: removed {ns.name} from {into}")
    return EXIT_OK


def cmd_validate(ns: argparse.Namespace) -> int:
    from conformance import sdm_validate

    models = _models(ns)
    try:
        results = sdm_validate.validate_files(
            models, ns.files, model=ns.model, form=ns.form, skip_unknown=ns.skip_unknown
        )
    except (ModelError, sdm_validate.PayloadError) as exc:
        raise usage(str(exc)) from None
    if ns.format == "json":
        print(sdm_validate.render_json(results, models))
    elif ns.format == "junit":
        print(sdm_validate.render_junit(results))
    else:
        print(sdm_validate.render_text(results))
    return EXIT_FAIL if any(r.errors for r in results) else EXIT_OK


def _registry_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target", metavar="PROFILE", help="also the models of the profile's [mim2] models_path"
    )
    parser.add_argument(
        "--models-path", action="append", metavar="DIR", help="also the models of this folder (repeatable)"
    )


def add_sdm_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = sub.add_parser(
        "models",
        help="the Smart Data Models the suite knows: list them, add one from a local clone",
        description=f"Models are the bundled ones plus those added to the user models folder ({user_folder()}; "
        "$MIMCHECK_MODELS moves it) or named by a profile's [mim2] models_path. Nothing is fetched.",
    )
    msub = models.add_subparsers(dest="models_command", required=True)
    listing = msub.add_parser("list", help="each model with its $schemaVersion, source, commit and sha256")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    _registry_options(listing)
    listing.set_defaults(func=cmd_models_list)

    add = msub.add_parser(
        "add",
        help="copy a model into the user models folder",
        description="PATH: a local clone of a dataModel.* repository (every model in it, or --model), a model "
        "folder (schema.json, examples/, the subject's context.jsonld in it or its parent) or a shared schema "
        "file with an $id. Every $ref must resolve offline.",
    )
    add.add_argument("path", metavar="PATH")
    add.add_argument(
        "--model", action="append", metavar="NAME", help="only this model of a clone (repeatable)"
    )
    add.add_argument("--subject", metavar="NAME", help="the subject, when PATH is not a dataModel.* folder")
    add.add_argument("--replace", action="store_true", help="replace an added model of the same name")
    add.add_argument(
        "--into", metavar="DIR", help="models folder to copy into (default: the user models folder)"
    )
    add.set_defaults(func=cmd_models_add)

    remove = msub.add_parser("remove", help="remove an added model from the user models folder")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--into", metavar="DIR", help="models folder (default: the user models folder)")
    remove.set_defaults(func=cmd_models_remove)

    validate = sub.add_parser(
        "validate",
        help="validate Smart Data Models payload files offline (exit 0 all valid, 1 some invalid, 2 usage)",
        description="Each FILE holds an entity, an array of entities, a GeoJSON FeatureCollection or one "
        "entity a line (NDJSON); '-' reads standard input. Any form (normalized, concise, keyValues) is "
        "converted to keyValues and validated against the schema of the model its type names.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--model", metavar="NAME", help="validate every entity against this model")
    validate.add_argument(
        "--form",
        choices=("auto", "normalized", "concise", "keyValues"),
        default="auto",
        help="how the entities are written (default: read from each attribute's shape)",
    )
    validate.add_argument(
        "--skip-unknown", action="store_true", help="report entities of a type without a model as skipped"
    )
    validate.add_argument("--format", choices=("text", "json", "junit"), default="text")
    _registry_options(validate)
    validate.set_defaults(func=cmd_validate)
