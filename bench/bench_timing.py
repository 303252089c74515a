"""Timing for the Python baselines: wall and CPU time of one call, and how busy the rest of the machine was."""
import time


def machine_busy_seconds():
    """CPU seconds all processes have been busy since boot, or None off Linux."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / 100.0  # USER_HZ is 100 on Linux


def timed(fn):
    """Runs fn once; returns its result and the timing record."""
    busy0, w0, c0 = machine_busy_seconds(), time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu, busy1 = time.perf_counter() - w0, time.process_time() - c0, machine_busy_seconds()
    other = None if busy0 is None or busy1 is None else max(0.0, busy1 - busy0 - cpu)
    return result, {"wall": wall, "cpu": cpu, "other_cpu": other}
