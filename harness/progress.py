"""What a run says on the terminal while it measures: a header, then a progress line.

  header()   one line on the machine and the run before anything is measured: CPU,
             cores, load, the clock of ns/op, the suite and its options
  Progress   where the run is: "[ 215/596] 1:23 elapsed, about 2:10 left  NAME WHAT  NOTE".
             On a terminal the line is redrawn in place and cleared at the end; elsewhere
             (a log, a pipe) it is printed sparsely: the first and last steps, every
             failure, and about every STRIDE-th of the run or INTERVAL seconds, whichever
             comes first.

The time left is the caller's estimate (runner.py: what the same measurements took
before); None prints none. A leaf: formats and writes, measures nothing.
"""
import shutil
import sys
import time

STRIDE = 40       # a non-terminal run prints about this many progress lines
INTERVAL = 30.0   # ... and one at least this often (seconds)


def clock_text(seconds):
    """1:23, or 1:02:03 past an hour."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def header(environment, config_line, clock):
    """The machine header: CPU, cores, load, clock, then the run's options."""
    load = environment.get("load_average")
    parts = [environment.get("cpu") or "unknown CPU", f"{environment.get('cores') or '?'} cores"]
    if load:
        parts.append("load " + " ".join(f"{v:.1f}" for v in load))
    parts.append(f"clock {clock}")
    return "mmbench: " + ", ".join(parts) + "\nmmbench: " + config_line


class Progress:
    def __init__(self, stream=sys.stderr, tty=None):
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.started = time.monotonic()
        self.printed = None  # when a sparse line was last printed
        self.drawn = False

    def elapsed(self):
        return time.monotonic() - self.started

    def show(self, step, total, name, what, note="", left=None, failed=False):
        """Step `step` of `total` (measuring `name`, `what`) just gave `note`; `left` is
        the estimated seconds to go."""
        width = len(str(total))
        eta = f", about {clock_text(left)} left" if left is not None and step < total else ""
        line = f"[{step:>{width}}/{total}] {clock_text(self.elapsed())} elapsed{eta}  {name} {what}  {note}".rstrip()
        if self.tty:
            columns = shutil.get_terminal_size((100, 24)).columns
            # a line redrawn in place must fit; a failure stays, so it is written whole (why it failed)
            self.stream.write("\r" + (line if failed else line[:columns - 1]) + "\x1b[K")
            self.drawn = True
            if failed:  # a failure stays on the screen
                self.stream.write("\n")
                self.drawn = False
            self.stream.flush()
            return
        now = time.monotonic()
        every = max(1, total // STRIDE)
        if failed or step in (1, total) or step % every == 0 or self.printed is None or now - self.printed >= INTERVAL:
            self.stream.write(line + "\n")
            self.stream.flush()
            self.printed = now

    def say(self, text):
        """A line of its own (a phase beginning), below the progress line."""
        self.clear()
        self.stream.write(text + "\n")
        self.stream.flush()

    def clear(self):
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


def terminal_width():
    """The columns of the terminal the tables go to ($COLUMNS first); 120 when standard
    output is not a terminal."""
    return shutil.get_terminal_size((120, 24)).columns
