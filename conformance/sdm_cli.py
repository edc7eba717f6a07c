"""The Smart Data Models commands: ``mimcheck models list|add|remove`` and ``mimcheck validate``."""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import requests

from conformance.runcontext import usage
from conformance.sdm_audit_report import INVALID_FILE, AuditReport, render_junit, render_text
from conformance.sdm_registry import ModelError, Models, load, user_folder
from conformance.verdicts import EXIT_FAIL, EXIT_OK


def _models(ns: argparse.Namespace) -> Models:
    """The registry: bundled, user folder, the profile's [mim2] models_path and --models-path;
    "format" judged as --format-checks, else the profile's [mim2] format_checks, else strict."""
    extra: list[str] = []
    format_checks = "strict"
    if getattr(ns, "target", None):
        from conformance.profiles import ProfileError, load_profile

        try:
            profile = load_profile(ns.target)
        except ProfileError as exc:
            raise usage(str(exc)) from None
        extra += profile.models_paths
        format_checks = profile.format_checks
    extra += getattr(ns, "models_path", None) or []
    try:
        return load(extra, getattr(ns, "format_checks", None) or format_checks)
    except ModelError as exc:
        raise usage(str(exc)) from None


def cmd_models_list(ns: argparse.Namespace) -> int:
    models = _models(ns)
    try:
        rows = [models[name].to_json() for name in models.names()]
    except ModelError as exc:
        raise usage(str(exc)) from None
    if ns.check_examples:
        return _check_examples(ns, models)
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


def _check_examples(ns: argparse.Namespace, models: Models) -> int:
    """Each model's official examples against its schema; those that break it, with JSON paths.
    A listing: exit 0 whatever it finds (some official examples are known to break, notes/mim2.md)."""
    from conformance import sdm_examples

    names = models.names()
    try:
        results = [r for name in names for r in sdm_examples.check_model(models, name)]
    except ModelError as exc:
        raise usage(str(exc)) from None
    if ns.format == "json":
        print(json.dumps({"examples": [r.to_json() for r in results]}, indent=2))
    else:
        print(sdm_examples.render_text(results, names))
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
    if not added.models and not added.schemas:
        print("mimcheck: nothing added")
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


def cmd_audit(ns: argparse.Namespace) -> int:
    from conformance import sdm_audit, sdm_provenance
    from conformance.outcomes import Inconclusive
    from conformance.profiles import ProfileError, from_url, load_profile
    from conformance.runcontext import normalise_target_url, unavailable

    try:
        profile = load_profile(ns.target) if ns.target else from_url(normalise_target_url(ns.target_url)[0])
    except ProfileError as exc:
        raise usage(str(exc)) from None
    models = _models(ns)
    names = ns.model or [n for n in models.names() if profile.declares(models[n].capability)]
    unknown = [name for name in names if name not in models]
    if unknown:
        raise usage(models.unknown(unknown[0]))
    if not names:
        raise usage(
            "no model to audit: declare the subjects' sdm-* capabilities in the profile, or give --model NAME"
        )
    base = profile.base_url("mim2")
    if base is None:
        raise usage("the profile declares no base_url for mim1 or mim2")
    if ns.page_size < 1 or (ns.limit is not None and ns.limit < 1):
        raise usage("--page-size and --limit take a positive number")
    forms = [f.strip() for f in ns.forms.split(",") if f.strip()]
    if not forms or set(forms) - set(sdm_audit.FORMS):
        raise usage(f"--forms {ns.forms!r}: give normalized, keyValues or both (comma-separated)")
    folder = (
        Path(ns.out) if ns.out else Path("reports") / time.strftime("audit-%Y%m%dT%H%M%SZ", time.gmtime())
    )
    try:
        report = AuditReport(folder, base, forms)
    except OSError as exc:
        raise usage(f"--out {folder}: {exc.strerror or exc}") from None
    try:
        with sdm_audit.Progress(sdm_audit.show_progress(ns.progress)) as bar:
            for model, ident, checked in sdm_audit.audit(
                sdm_audit.make_client(profile),
                base,
                models,
                names,
                tenant=profile.tenant,
                page_size=ns.page_size,
                limit=ns.limit,
                forms=tuple(forms),
                progress=bar.update,
            ):
                if not report.add(model, ident, checked) and ns.format == "text":
                    for result, _ in checked:
                        if result.errors:
                            print(f"INVALID {ident} ({model} {result.schema_version or ''}, {result.form})")
                            print("\n".join(f"    {error}" for error in result.errors))
    except ModelError as exc:
        raise usage(str(exc)) from None
    except (sdm_audit.AuditError, Inconclusive, requests.RequestException) as exc:
        report.close(sdm_provenance.provenance(models, sorted(report.models)))
        raise unavailable(f"{base}: {exc} (what was checked until then: {folder / 'audit.json'})") from None
    except KeyboardInterrupt:
        report.close(sdm_provenance.provenance(models, sorted(report.models)))
        raise
    data = report.close(sdm_provenance.provenance(models, sorted(report.models)))
    if ns.format == "json":
        print(json.dumps(data, indent=2))
    elif ns.format == "junit":
        print(render_junit(data))
    else:
        print(render_text(data))
        print(
            f"mimcheck: audit report {folder / 'audit.html'}, every invalid entity in {folder / INVALID_FILE}"
        )
    return EXIT_FAIL if report.invalid else EXIT_OK


def _format_checks_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format-checks",
        choices=("strict", "lenient", "off"),
        default=None,
        help='how the schemas\' "format" is judged: strict (every format jsonschema has a checker for; the '
        "default, as for certification), lenient (date-time, date, time only) or off (none); default: the "
        "profile's [mim2] format_checks, else strict. ipv4/ipv6 stay checked (oneOf discriminators)",
    )


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
    listing.add_argument(
        "--check-examples",
        action="store_true",
        help="validate each model's official examples against its schema and list those that break it, "
        "with the JSON path of each error (exit 0: a listing)",
    )
    _registry_options(listing)
    listing.set_defaults(func=cmd_models_list)
    check = msub.add_parser(
        "check", help="validate each model's official examples (the same as `models list --check-examples`)"
    )
    check.add_argument("--format", choices=("text", "json"), default="text")
    _registry_options(check)
    check.set_defaults(func=cmd_models_list, check_examples=True)

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
    _format_checks_option(validate)
    _registry_options(validate)
    validate.set_defaults(func=cmd_validate)

    audit = sub.add_parser(
        "audit",
        help="validate the Smart Data Models entities already on a platform, read-only (GET only)",
        description="Lists the entities of each model (the declared subjects' models, or --model) page by page "
        "and validates each against its schema; sends nothing but GET. Exit 0 all valid, 1 some invalid, "
        "2 bad usage, 3 the platform did not answer.",
    )
    target = audit.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--target", metavar="PROFILE", help="target profile TOML (its [mim2] models_path too)"
    )
    target.add_argument("--target-url", metavar="URL", help="NGSI-LD base URL of the platform")
    audit.add_argument("--model", action="append", metavar="NAME", help="only this model (repeatable)")
    audit.add_argument(
        "--page-size", type=int, default=100, metavar="N", help="entities per request (default 100)"
    )
    audit.add_argument("--limit", type=int, metavar="N", help="at most N entities per model")
    audit.add_argument(
        "--format",
        choices=("text", "json", "junit"),
        default="text",
        help="what is printed: text (each invalid entity, then the summary), json (audit.json) or junit",
    )
    audit.add_argument(
        "--forms",
        default="normalized,keyValues",
        metavar="FORMS",
        help="the representations read and validated (default normalized,keyValues: the second read by id)",
    )
    audit.add_argument(
        "--out",
        metavar="DIR",
        help="where audit.json, audit.html and audit-invalid.ndjson go (default reports/audit-<UTC time>)",
    )
    _format_checks_option(audit)
    audit.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar on standard error (default: when it is a terminal)",
    )
    audit.add_argument("--models-path", action="append", metavar="DIR", help="also the models of this folder")
    audit.set_defaults(func=cmd_audit)
