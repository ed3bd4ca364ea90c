"""Pinning a server process to one CPU.

A `tiepdon serve` process runs Python on one core at a time (the interpreter lock), yet the kernel
moves its threads between cores, and every hand-over of the lock to a thread on the other core costs
a cross-core wake-up and cold caches. On the 2-core bench machine, pinning the process (and keeping
the load generator on the other core) took a payment callback from about 1.9 to 1.3 ms of server
CPU. Off by default: on a host where something else busy shares that core, a pinned process cannot
move away from it.
"""
import os


class BadCpu(ValueError):
    pass


def allowed_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def cpus_for_processes(first: int, count: int, allowed: list[int]) -> list[int]:
    """The CPU for each of `count` processes: `first`, then the next allowed ones, wrapping round."""
    if first not in allowed:
        raise BadCpu(first)
    start = allowed.index(first)
    return [allowed[(start + i) % len(allowed)] for i in range(count)]


def pin_this_process(cpu: int) -> None:
    """Threads and worker processes started afterwards inherit the pin."""
    if cpu not in allowed_cpus():
        raise BadCpu(cpu)
    os.sched_setaffinity(0, {cpu})
