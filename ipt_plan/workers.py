"""Worker processes for batches: how many, and a bounded, ordered map over them.

    for result in ordered_map(check_chunk, chunks_of(files, 16), workers=default_jobs()):
        ...

The workers start once a batch and are handed chunks of plans, never the whole batch at
once: at most a few chunks per worker are queued, and each chunk's results are handed
back, in order, as soon as it is done. So the memory of a batch does not grow with the
number of plans, and a worker's start (about 0.2 s where workers import everything anew)
is paid once, not once per plan.

How many workers by default (`default_jobs`): the cores this process may use (its CPU
affinity and a container's CPU quota, not the machine's count), less the processes of
other programs that are running when the batch starts, at least one. A worker
competing for a busy core only adds the cost of handing plans back and forth: measured
on a 2-core machine with another program busy, two workers made a check 1.18 times as
slow as one (bench/RESULTS.md).
"""

from __future__ import annotations

import os
import sys
from collections import deque
from itertools import islice
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

Item = TypeVar("Item")
Out = TypeVar("Out")

# Chunks queued per worker: enough that no worker waits for the next, few enough that
# the queue stays small whatever the batch's size.
QUEUED_PER_WORKER = 3


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity, and a cgroup's CPU quota
    (a container given 2 CPUs of a 64-core host sees 64 in os.cpu_count)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(cores, quota) if quota else cores)


def _cgroup_quota() -> int | None:
    return cpu_quota(_read("/sys/fs/cgroup/cpu.max"))


def cpu_quota(cpu_max: str) -> int | None:
    """The CPUs a cgroup v2 quota allows (`cpu.max`: "200000 100000" is 2), at least 1;
    None for no quota."""
    try:
        limit, period = cpu_max.split()[:2]
        return None if limit == "max" else max(1, int(limit) // int(period))
    except (ValueError, ZeroDivisionError):
        return None


def others_running() -> int:
    return running_others(_read("/proc/loadavg"))


def running_others(loadavg: str) -> int:
    """Processes of other programs running or ready to run now, from Linux's
    /proc/loadavg, whose fourth field counts them, this process included; 0 where it
    cannot be read."""
    try:
        running = int(loadavg.split()[3].split("/")[0])
    except (ValueError, IndexError):
        return 0
    return max(0, running - 1)


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read()
    except (OSError, ValueError):
        return ""


def default_jobs(cores: int | None = None, busy: int | None = None) -> int:
    """Workers for a batch when the user names none: the usable cores less those busy with
    other programs, at least 1 (see the module's docstring)."""
    cores = usable_cores() if cores is None else cores
    busy = others_running() if busy is None else busy
    return max(1, cores - busy)


def chunks_of(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _die_with_parent(parent: int) -> None:
    """In each worker: ended by the kernel when the batch that started it dies (killed,
    out of memory), instead of waiting for work for ever. Linux only; elsewhere a no-op."""
    if sys.platform != "linux":
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the request was made
            os._exit(1)
    except (OSError, AttributeError):
        pass


def _context():
    import multiprocessing

    # A forked worker starts with everything this process has imported and built (the
    # parser's tables, the catalogue, compiled templates): no import of its own.
    if sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return None


def ordered_map(func: Callable[[Item], Out], items: Iterable[Item], workers: int,
                on_crash: Callable[[Item, BaseException], Out]) -> Iterator[Out]:
    """func(item) for each item, in `workers` processes, yielded in the items' order.
    At most QUEUED_PER_WORKER items a worker are queued at a time; `items` is read only as
    far as that. An item whose worker died (out of memory, killed) gives on_crash(item,
    error) instead, and the batch goes on. On an early stop (Ctrl-C, the caller stops
    reading), the queued items are dropped and the workers stopped."""
    pool = _pool(workers)
    queued: deque[tuple[Item, Future]] = deque()
    try:
        iterator = iter(items)
        for item in islice(iterator, workers * QUEUED_PER_WORKER):
            queued.append((item, _submit(pool, func, item)))
        while queued:
            item, future = queued.popleft()
            try:
                out = future.result()
            except Exception as err:  # noqa: BLE001 - a worker died, or func failed
                if not _broken(pool):
                    out = on_crash(item, err)
                else:
                    # A dead worker fails every item queued with it, and which one killed
                    # it is unknown: this one runs again alone in new workers; the others
                    # are queued again after it.
                    pool.shutdown(wait=True, cancel_futures=True)
                    pool = _pool(workers)
                    try:
                        out = _submit(pool, func, item).result()
                    except Exception as again:  # noqa: BLE001 - it was this one
                        out = on_crash(item, again)
                        if _broken(pool):
                            pool.shutdown(wait=True, cancel_futures=True)
                            pool = _pool(workers)
                    queued = deque((other, done if _succeeded(done) else _submit(pool, func, other))
                                   for other, done in queued)
            following = next(iterator, _END)
            if following is not _END:
                queued.append((following, _submit(pool, func, following)))
            yield out
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _pool(workers: int) -> ProcessPoolExecutor:
    # Imported here, not above: `check` of a few plans never starts a worker, and these
    # imports would be a tenth of its start-up.
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                               initializer=_die_with_parent, initargs=(os.getpid(),))


def _submit(pool: ProcessPoolExecutor, func: Callable[[Item], Out], item: Item) -> Future:
    """pool.submit, or a future that failed when the pool is broken already (it is
    started again when this item's turn comes)."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    try:
        return pool.submit(func, item)
    except BrokenProcessPool as err:
        failed: Future = Future()
        failed.set_exception(err)
        return failed


_END = object()


def _succeeded(future: Future) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


def _broken(pool: ProcessPoolExecutor) -> bool:
    return bool(getattr(pool, "_broken", False))
