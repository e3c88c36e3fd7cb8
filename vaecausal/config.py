"""Typed, validated view of one study of ``config.yaml``.

The Snakefile is the only caller that sees the raw configuration; it hands this module the merged
dictionary (config file plus ``--config`` overrides) and gets back a :class:`Study`, or a
:class:`ConfigError` naming every bad key before any job is planned. Package code below the
workflow layer receives plain values and paths, never the configuration itself.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jsonschema
import yaml

from vaecausal.catalog import OBJECTIVES


class ConfigError(ValueError):
    """A configuration problem; the message names each offending key."""


@dataclass(frozen=True)
class FileSpec:
    """One file of a real dataset: where to get it and how to verify it."""

    name: str
    urls: tuple[str, ...]
    md5: str | None = None
    sha256: str | None = None
    bytes: int | None = None
    gdrive_id: str | None = None

    @property
    def digest_algorithm(self) -> str:
        """The digest a copy is identified by in messages and in ``accepted_digests``: sha256
        where the file has one (the stronger), else md5."""
        return "sha256" if self.sha256 is not None or self.md5 is None else "md5"


@dataclass(frozen=True)
class AcceptedCopies:
    """Digests of copies of one file that a user has checked and accepts although they are not
    the configured copy (a source re-uploaded the file), from their own config file's
    ``accepted_digests``. Messages name ``key`` so that accepting is always a deliberate act."""

    dataset: str
    file: str
    digests: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"accepted_digests.{self.dataset}.{self.file}"


@dataclass(frozen=True)
class DatasetSpec:
    """A benchmark: its source format, factor grid (C order) and files to download."""

    name: str
    label: str
    source: str
    procedural: bool
    channels: int
    factors: dict[str, int]
    subsample: dict[str, int]
    # Factors whose values have no order (a shape, a colour): mediation contrasts their values.
    categorical: tuple[str, ...]
    files: tuple[FileSpec, ...]
    # Values that look alike, {factor: {given, period_steps}}: the oracle is scored modulo them.
    symmetries: dict[str, Any] = field(default_factory=dict)


# Keys of an architecture entry that are not its objective's hyperparameters: the objective, and
# what a size variant of another architecture may set.
VARIANT_KEYS = ("family", "n_latents")
ARCHITECTURE_KEYS = ("objective", "strength_of", *VARIANT_KEYS)


@dataclass(frozen=True)
class ArchitectureSpec:
    """An architecture of the study: its objective and that objective's hyperparameters.

    ``family`` names the architecture this one is a size variant of (itself unless the entry says
    otherwise) and ``n_latents`` its own latent size (None: the study's ``model.n_latents``), so
    that a study can train one family at several latent sizes (a latent-size sweep).
    ``strength_of`` names the architecture whose regularisation strength this one varies (same
    objective, other hyperparameters): it widens the model population of finding (i) and enters
    no other finding, which compare architectures at their reference settings.
    """

    name: str
    objective: str
    hyperparameters: dict[str, Any]
    family: str
    n_latents: int | None = None
    strength_of: str | None = None


@dataclass(frozen=True)
class ExternalModelSpec:
    """A model trained outside the project: built by ``factory`` (``module:function``), with
    ``weights`` (a state_dict file) when given, analysed on ``dataset``."""

    name: str
    factory: str
    dataset: str
    weights: str | None = None


@dataclass(frozen=True)
class Study:
    """Everything the workflow needs to plan one named study."""

    name: str
    description: str
    results_dir: str
    download_dir: str
    datasets: dict[str, DatasetSpec]
    architectures: dict[str, ArchitectureSpec]
    seeds: tuple[int, ...]
    settings: dict[str, Any]
    # {dataset: {file name: digests}} a user accepts for re-hosted files (see AcceptedCopies)
    accepted_digests: Mapping[str, Mapping[str, list[str]]]
    partial: bool = False  # aggregate only the runs that have finished
    # Architectures that run on only some of the study's datasets (e.g. a latent-size sweep kept
    # to one dataset); every other architecture runs on every dataset.
    only_on: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Architectures trained on their own seeds instead of ``seeds`` (a population's variants).
    seeds_of: dict[str, tuple[int, ...]] = field(default_factory=dict)
    external: dict[str, ExternalModelSpec] = field(default_factory=dict)

    @property
    def study_dir(self) -> str:
        return f"{self.results_dir}/{self.name}"

    @property
    def runs(self) -> list[tuple[str, str, int]]:
        """Every planned (dataset, architecture, seed): the datasets x architectures x seeds
        grid, less the datasets an architecture's ``only_on`` leaves out, with an architecture's
        own ``seeds_of`` where given."""
        return [
            (dataset, arch, seed)
            for dataset in self.datasets
            for arch in self.architectures
            if dataset in self.only_on.get(arch, self.datasets)
            for seed in self.seeds_of.get(arch, self.seeds)
        ]

    def accepted_copies(self, dataset: str, file: str) -> AcceptedCopies:
        """The copies of ``dataset``'s ``file`` the user accepts besides the configured one."""
        digests = self.accepted_digests.get(dataset, {}).get(file, [])
        return AcceptedCopies(dataset, file, tuple(digests))

    def model_settings(self, architecture: str) -> dict[str, Any]:
        """The model settings ``architecture`` trains with: the study's, with its own latent size
        where it sets one."""
        n_latents = self.architectures[architecture].n_latents
        model = self.settings["model"]
        return model if n_latents is None else {**model, "n_latents": n_latents}


def _without_required(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_required(v) for k, v in schema.items() if k != "required"}
    if isinstance(schema, list):
        return [_without_required(v) for v in schema]
    return schema


def load_schema() -> dict[str, Any]:
    """The JSON schema shipped inside the package (so validation works wherever it is installed).

    A study's ``overrides`` may give any subset of the settings, so their schema
    (``partial_settings``) is the settings schema with every ``required`` list removed. The
    objectives an architecture may name are the catalog's (``vaecausal/catalog.py``).
    """
    text = resources.files("vaecausal").joinpath("config.schema.yaml").read_text()
    schema = yaml.safe_load(text)
    schema["$defs"]["architecture"]["properties"]["objective"] = {"enum": list(OBJECTIVES)}
    schema["$defs"]["partial_settings"] = _without_required(schema["$defs"]["settings"])
    return schema


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated key by key with ``override``; nested mappings are merged, not replaced."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _key(path: list[Any]) -> str:
    return ".".join(str(part) for part in path) or "<top level>"


def _schema_messages(config: Mapping[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(load_schema())
    messages = []
    for error in validator.iter_errors(config):
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = set(error.schema.get("properties", {}))
            for extra in sorted(set(error.instance) - known):
                allowed = ", ".join(sorted(known)) or "none"
                messages.append(
                    f"config key '{_key([*path, extra])}': unknown key (allowed here: {allowed})"
                )
        else:
            messages.append(f"config key '{_key(path)}': {error.message}")
    return sorted(set(messages))


def _settings_of(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An architecture entry without the keys a size variant may change."""
    return {k: v for k, v in entry.items() if k not in VARIANT_KEYS}


def _family_messages(architectures: Mapping[str, Any]) -> list[str]:
    """A family names a defined architecture (not itself a variant) whose objective and
    hyperparameters the variant repeats: its runs may differ from the family's only in size."""
    messages = []
    for name, entry in architectures.items():
        family = entry.get("family", name)
        key = f"config key 'architectures.{name}.family'"
        if family == name:
            continue
        if family not in architectures:
            messages.append(f"{key}: unknown architecture '{family}'")
        elif architectures[family].get("family", family) != family:
            messages.append(f"{key}: '{family}' is itself a variant of another family")
        elif _settings_of(entry) != _settings_of(architectures[family]):
            messages.append(
                f"{key}: the settings differ from those of '{family}' (a variant may change "
                "only n_latents)"
            )
    return messages


def _strength_messages(architectures: Mapping[str, Any]) -> list[str]:
    """A strength variant names a defined reference architecture (neither a variant of another
    nor a size variant) with the same objective, and is not itself a size variant."""
    messages = []
    for name, entry in architectures.items():
        if "strength_of" not in entry:
            continue
        of, key = entry["strength_of"], f"config key 'architectures.{name}.strength_of'"
        reference = architectures.get(of)
        if reference is None:
            messages.append(f"{key}: unknown architecture '{of}'")
        elif "strength_of" in reference or reference.get("family", of) != of:
            messages.append(f"{key}: '{of}' is not a reference architecture")
        elif reference["objective"] != entry["objective"]:
            messages.append(
                f"{key}: objective '{entry['objective']}' differs from '{of}''s "
                f"'{reference['objective']}' (a strength variant changes only hyperparameters)"
            )
        if entry.get("family", name) != name:
            messages.append(f"{key}: a strength variant cannot also be a size variant (family)")
    return messages


def _latent_size_messages(config: Mapping[str, Any], study_name: str) -> list[str]:
    """Two architectures of one family at one latent size in a study would train the same model
    twice (same seeds, same settings) and pass duplicates off as independent runs."""
    study = config["studies"][study_name]
    default = deep_merge(config["defaults"], study.get("overrides", {}))["model"]["n_latents"]
    seen: dict[tuple[str, int], str] = {}
    messages = []
    for name in study.get("architectures", []):
        entry = config["architectures"][name]
        size = (entry.get("family", name), entry.get("n_latents", default))
        if size in seen:
            messages.append(
                f"config key 'studies.{study_name}.architectures': '{seen[size]}' and '{name}' "
                f"are family '{size[0]}' at the same n_latents {size[1]} (the same model twice)"
            )
        seen.setdefault(size, name)
    return messages


def _only_on_messages(study_name: str, study: Mapping[str, Any]) -> list[str]:
    """``only_on`` may restrict only the study's own architectures to its own datasets, and
    ``seeds_of`` set seeds only for the study's own architectures."""
    messages = [
        f"config key 'studies.{study_name}.seeds_of.{arch}': '{arch}' is not one of this "
        "study's architectures"
        for arch in study.get("seeds_of", {})
        if arch not in study.get("architectures", [])
    ]
    for arch, names in study.get("only_on", {}).items():
        key = f"config key 'studies.{study_name}.only_on.{arch}'"
        if arch not in study.get("architectures", []):
            messages.append(f"{key}: '{arch}' is not one of this study's architectures")
        for name in names:
            if name not in study.get("datasets", []):
                messages.append(f"{key}: '{name}' is not one of this study's datasets")
    return messages


# (how messages name a digest, its length in hex digits) per algorithm
_DIGESTS = {"md5": ("an md5", 32), "sha256": ("a sha256", 64)}


def _accepted_digest_messages(
    accepted: Mapping[str, Mapping[str, list[str]]], datasets: Mapping[str, Any]
) -> list[str]:
    """Each accepted digest names a file of a real dataset and is of the algorithm that file is
    checked by: a digest that can never match would leave the user believing a copy accepted."""
    messages = []
    for dataset, files in accepted.items():
        specs = {f["name"]: f for f in datasets.get(dataset, {}).get("files", [])}
        if not specs:
            real = ", ".join(sorted(n for n, d in datasets.items() if d.get("files")))
            messages.append(
                f"config key 'accepted_digests.{dataset}': not a dataset with files to download "
                f"(datasets with files: {real})"
            )
            continue
        for name, digests in files.items():
            key = f"config key 'accepted_digests.{dataset}.{name}'"
            if name not in specs:
                messages.append(
                    f"{key}: not a file of dataset '{dataset}' (files: {', '.join(specs)})"
                )
                continue
            algorithm = _file_spec(specs[name]).digest_algorithm
            kind, length = _DIGESTS[algorithm]
            for digest in digests:
                if len(digest) != length:
                    messages.append(
                        f"{key}: '{digest}' is not {kind} digest ({length} hex digits); this "
                        f"file is checked by {algorithm}"
                    )
    return messages


def _symmetry_messages(name: str, dataset: Mapping[str, Any]) -> list[str]:
    """A symmetry names two factors of the dataset and gives one period per class of ``given``."""
    factors = dataset.get("factors", {})
    messages = []
    for factor, entry in dataset.get("symmetries", {}).items():
        key = f"config key 'datasets.{name}.symmetries.{factor}"
        for named, where in ((factor, "'"), (entry["given"], ".given'")):
            if named not in factors:
                messages.append(
                    f"{key}{where}: '{named}' is not a factor of this dataset "
                    f"(factors: {', '.join(factors)})"
                )
        if entry["given"] == factor:
            messages.append(f"{key}.given': a factor's look-alike values cannot depend on itself")
        size = factors.get(entry["given"])
        if size is not None and len(entry["period_steps"]) != size:
            messages.append(
                f"{key}.period_steps': {len(entry['period_steps'])} periods, one per value of "
                f"'{entry['given']}' needs {size}"
            )
    return messages


def _reference_messages(config: Mapping[str, Any]) -> list[str]:
    architectures = config.get("architectures", {})
    messages = _family_messages(architectures) + _strength_messages(architectures)
    datasets = config.get("datasets", {})
    for study_name, study in config.get("studies", {}).items():
        for listed, known in (("architectures", architectures), ("datasets", datasets)):
            for name in study.get(listed, []):
                if name not in known:
                    messages.append(
                        f"config key 'studies.{study_name}.{listed}': unknown {listed[:-1]} "
                        f"'{name}' (defined: {', '.join(sorted(known))})"
                    )
        messages.extend(_only_on_messages(study_name, study))
        if not study.get("architectures") and not study.get("external_models"):
            messages.append(
                f"config key 'studies.{study_name}': no architectures and no external_models, "
                "so nothing to run (list one or the other)"
            )
        for name, external in study.get("external_models", {}).items():
            key = f"config key 'studies.{study_name}.external_models.{name}"
            if external["dataset"] not in study.get("datasets", []):
                messages.append(
                    f"{key}.dataset': '{external['dataset']}' is not one of the study's datasets"
                )
            if name in study.get("architectures", []):
                messages.append(f"{key}': the name of one of the study's architectures")
    for name, dataset in datasets.items():
        for key in ("subsample", "categorical"):
            for factor in dataset.get(key, ()):
                if factor not in dataset.get("factors", {}):
                    messages.append(
                        f"config key 'datasets.{name}.{key}.{factor}': not a factor of this "
                        f"dataset (factors: {', '.join(dataset.get('factors', {}))})"
                    )
        messages.extend(_symmetry_messages(name, dataset))
        if not dataset.get("procedural", False) and "files" not in dataset:
            messages.append(f"config key 'datasets.{name}.files': required for a real dataset")
    messages.extend(_accepted_digest_messages(config.get("accepted_digests", {}), datasets))
    if not messages:
        for study_name in config.get("studies", {}):
            messages.extend(_latent_size_messages(config, study_name))
    study = config.get("study")
    if study not in config.get("studies", {}):
        known = ", ".join(sorted(config.get("studies", {})))
        messages.append(f"config key 'study': unknown study '{study}' (defined: {known})")
    return messages


def validate(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` listing every problem of ``config``, each naming its key."""
    messages = _schema_messages(config)
    if not messages:
        messages = _reference_messages(config)
    if messages:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(messages))


def _file_spec(raw: Mapping[str, Any]) -> FileSpec:
    return FileSpec(
        name=raw["name"],
        urls=tuple(raw["urls"]),
        md5=raw.get("md5"),
        sha256=raw.get("sha256"),
        bytes=raw.get("bytes"),
        gdrive_id=raw.get("gdrive_id"),
    )


def _dataset(name: str, raw: Mapping[str, Any]) -> DatasetSpec:
    files = tuple(_file_spec(f) for f in raw.get("files", []))
    return DatasetSpec(
        name=name,
        label=raw["label"],
        source=raw["source"],
        procedural=bool(raw.get("procedural", False)),
        channels=int(raw["channels"]),
        factors=dict(raw["factors"]),
        subsample=dict(raw.get("subsample", {})),
        categorical=tuple(raw.get("categorical", ())),
        files=files,
        symmetries=dict(raw.get("symmetries", {})),
    )


def load_study(config: Mapping[str, Any], study: str | None = None) -> Study:
    """Validate ``config`` and resolve the study it selects (or ``study`` when given)."""
    if study is not None:
        config = {**config, "study": study}
    validate(config)
    name = config["study"]
    raw = config["studies"][name]
    architectures = {
        arch: ArchitectureSpec(
            name=arch,
            objective=config["architectures"][arch]["objective"],
            hyperparameters={
                k: v for k, v in config["architectures"][arch].items() if k not in ARCHITECTURE_KEYS
            },
            family=config["architectures"][arch].get("family", arch),
            n_latents=config["architectures"][arch].get("n_latents"),
            strength_of=config["architectures"][arch].get("strength_of"),
        )
        for arch in raw.get("architectures", [])
    }
    return Study(
        name=name,
        description=raw.get("description", ""),
        results_dir=config["results_dir"].rstrip("/"),
        download_dir=config["download_dir"].rstrip("/"),
        datasets={d: _dataset(d, config["datasets"][d]) for d in raw["datasets"]},
        architectures=architectures,
        seeds=tuple(raw["seeds"]),
        settings=deep_merge(config["defaults"], raw.get("overrides", {})),
        # `--config partial=true` arrives as a string, the config file's value as a boolean
        partial=str(config["partial"]).lower() == "true",
        only_on={arch: tuple(names) for arch, names in raw.get("only_on", {}).items()},
        seeds_of={arch: tuple(seeds) for arch, seeds in raw.get("seeds_of", {}).items()},
        accepted_digests=copy.deepcopy(config.get("accepted_digests", {})),
        external={
            name: ExternalModelSpec(name, entry["factory"], entry["dataset"], entry.get("weights"))
            for name, entry in raw.get("external_models", {}).items()
        },
    )
