"""Typed, validated view of one study of ``config.yaml``.

The Snakefile is the only caller that sees the raw configuration; it hands this module the merged
dictionary (config file plus ``--config`` overrides) and gets back a :class:`Study`, or a
:class:`ConfigError` naming every bad key before any job is planned. Package code below the
workflow layer receives plain values and paths, never the configuration itself.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema
import yaml


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


@dataclass(frozen=True)
class ArchitectureSpec:
    """An architecture of the study: its objective and that objective's hyperparameters."""

    name: str
    objective: str
    hyperparameters: dict[str, Any]


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
    partial: bool = False  # aggregate only the runs that have finished

    @property
    def study_dir(self) -> str:
        return f"{self.results_dir}/{self.name}"


def _without_required(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_required(v) for k, v in schema.items() if k != "required"}
    if isinstance(schema, list):
        return [_without_required(v) for v in schema]
    return schema


def load_schema() -> dict[str, Any]:
    """The JSON schema shipped inside the package (so validation works wherever it is installed).

    A study's ``overrides`` may give any subset of the settings, so their schema
    (``partial_settings``) is the settings schema with every ``required`` list removed.
    """
    text = resources.files("vaecausal").joinpath("config.schema.yaml").read_text()
    schema = yaml.safe_load(text)
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


def _reference_messages(config: Mapping[str, Any]) -> list[str]:
    messages = []
    architectures = config.get("architectures", {})
    datasets = config.get("datasets", {})
    for study_name, study in config.get("studies", {}).items():
        for field, known in (("architectures", architectures), ("datasets", datasets)):
            for name in study.get(field, []):
                if name not in known:
                    messages.append(
                        f"config key 'studies.{study_name}.{field}': unknown {field[:-1]} "
                        f"'{name}' (defined: {', '.join(sorted(known))})"
                    )
    for name, dataset in datasets.items():
        for key in ("subsample", "categorical"):
            for factor in dataset.get(key, ()):
                if factor not in dataset.get("factors", {}):
                    messages.append(
                        f"config key 'datasets.{name}.{key}.{factor}': not a factor of this "
                        f"dataset (factors: {', '.join(dataset.get('factors', {}))})"
                    )
        if not dataset.get("procedural", False) and "files" not in dataset:
            messages.append(f"config key 'datasets.{name}.files': required for a real dataset")
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


def _dataset(name: str, raw: Mapping[str, Any]) -> DatasetSpec:
    files = tuple(
        FileSpec(
            name=f["name"],
            urls=tuple(f["urls"]),
            md5=f.get("md5"),
            sha256=f.get("sha256"),
            bytes=f.get("bytes"),
            gdrive_id=f.get("gdrive_id"),
        )
        for f in raw.get("files", [])
    )
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
                k: v for k, v in config["architectures"][arch].items() if k != "objective"
            },
        )
        for arch in raw["architectures"]
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
    )
