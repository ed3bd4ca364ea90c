"""Real small or failing filesystems for storage tests (root only: mount, losetup)."""
import os
import subprocess
from contextlib import contextmanager


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


@contextmanager
def small_tmpfs(path, size: str = "4m"):
    """A tmpfs of `size` at `path`: fill it to get ENOSPC / SQLITE_FULL for real."""
    os.makedirs(path, exist_ok=True)
    _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path))
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path, name: str = "filler") -> str:
    """Takes every free byte of the filesystem holding `path`; returns the filler file to delete."""
    filler = os.path.join(str(path), name)
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 65536, 4096, 512, 1):  # down to the last partial block
            block = b"\0" * size
            try:
                while True:
                    os.write(fd, block)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def remount_read_only(path) -> None:
    """Read-only with nothing open for writing (the kernel refuses otherwise): a start-up test."""
    _run("mount", "-o", "remount,ro", str(path))


def remount_read_write(path) -> None:
    _run("mount", "-o", "remount,rw", str(path))


@contextmanager
def ext4_loop(path, image, size_mb: int = 64):
    """An ext4 filesystem on a loop device at `path`. `fail_read_only(path)` then makes it read-only
    under open files, as the kernel does after a disk error (errors=remount-ro)."""
    _run("truncate", "-s", f"{size_mb}M", str(image))
    _run("mkfs.ext4", "-q", "-F", str(image))
    device = _run("losetup", "-f", "--show", str(image))
    os.makedirs(path, exist_ok=True)
    try:
        _run("mount", device, str(path))
        try:
            yield path
        finally:
            subprocess.run(["umount", "-l", str(path)], check=False)
    finally:
        subprocess.run(["losetup", "-d", device], check=False)


def fail_read_only(path) -> None:
    """ext4's own emergency read-only switch (what a failing disk triggers), open files or not."""
    _run("mount", "-o", "remount,abort", str(path))
