"""vt.py -- a pseudo-terminal for cutover's benchmarks.

Term runs a program on a pty of a given size and reads everything it
writes, timestamped, into a small terminal emulator (Screen), so that a
benchmark can ask "what does the screen show now?" and "when did it
first show that?" without polling a real terminal.  It also counts the
bytes written to the terminal (what an ssh session would carry) and, when
the program ends, returns its rusage (CPU time and peak RSS, the figures
/usr/bin/time -v prints).

Screen understands what ncurses sends for TERM=xterm-256color: cursor
addressing (CUP, VPA, CHA, relative moves), erasing (EL, ED, ECH),
insert/delete of characters and lines, scrolling regions, REP, the DEC
line-drawing charset, UTF-8 text.  Attributes and colours are parsed
and ignored: the benchmarks look at text only.  Anything else is parsed
and ignored, so an unexpected sequence can cost accuracy but never hang.

Python 3 standard library only.
"""
import codecs
import fcntl
import os
import pty
import select
import struct
import termios
import time

ACS = {
    "q": "\u2500", "x": "\u2502", "l": "\u250c", "k": "\u2510",
    "m": "\u2514", "j": "\u2518", "t": "\u251c", "u": "\u2524",
    "v": "\u2534", "w": "\u252c", "n": "\u253c", "a": "\u2592",
    "~": "\u00b7", "o": "\u23ba", "s": "\u23bd", "`": "\u25c6",
    "0": "\u2588", "f": "\u00b0", "g": "\u00b1", "h": "\u2591",
    ",": "\u2190", "+": "\u2192", ".": "\u2193", "-": "\u2191",
}


class Screen:
    """A rows x cols grid fed with a byte stream."""

    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.dec = codecs.getincrementaldecoder("utf-8")("replace")
        self.reset()

    def reset(self):
        self.grid = [[" "] * self.cols for _ in range(self.rows)]
        self.r = self.c = 0
        self.wrap = False
        self.top, self.bot = 0, self.rows - 1
        self.g0 = "B"
        self.saved = (0, 0)
        self.state = "ground"
        self.buf = ""
        self.last = " "

    # --- the text ---------------------------------------------------------
    def lines(self):
        return ["".join(row).rstrip() for row in self.grid]

    def text(self):
        return "\n".join(self.lines())

    # --- primitives -------------------------------------------------------
    def _clip(self):
        self.r = max(0, min(self.rows - 1, self.r))
        self.c = max(0, min(self.cols - 1, self.c))

    def _scroll_up(self, n=1, top=None, bot=None):
        top = self.top if top is None else top
        bot = self.bot if bot is None else bot
        for _ in range(n):
            del self.grid[top]
            self.grid.insert(bot, [" "] * self.cols)

    def _scroll_down(self, n=1, top=None, bot=None):
        top = self.top if top is None else top
        bot = self.bot if bot is None else bot
        for _ in range(n):
            del self.grid[bot]
            self.grid.insert(top, [" "] * self.cols)

    def _index(self):
        if self.r == self.bot:
            self._scroll_up()
        elif self.r < self.rows - 1:
            self.r += 1

    def _put(self, ch):
        if self.g0 == "0":
            ch = ACS.get(ch, ch)
        if self.wrap:
            self.c = 0
            self._index()
            self.wrap = False
        self.grid[self.r][self.c] = ch
        self.last = ch
        if self.c == self.cols - 1:
            self.wrap = True
        else:
            self.c += 1

    # --- the parser ---------------------------------------------------------
    def feed(self, data):
        for ch in self.dec.decode(data):
            self._char(ch)

    def _char(self, ch):
        st = self.state
        if st == "ground":
            o = ord(ch)
            if o >= 0x20 and o != 0x7f:
                self._put(ch)
            elif ch == "\x1b":
                self.state = "esc"
            elif ch == "\r":
                self.c = 0
                self.wrap = False
            elif ch in "\n\x0b\x0c":
                self._index()
                self.wrap = False
            elif ch == "\b":
                self.c = max(0, self.c - 1)
                self.wrap = False
            elif ch == "\t":
                self.c = min(self.cols - 1, (self.c // 8 + 1) * 8)
            # BEL, SO, SI and other controls: nothing to draw
        elif st == "esc":
            self.state = "ground"
            if ch == "[":
                self.state, self.buf = "csi", ""
            elif ch == "]":
                self.state, self.buf = "osc", ""
            elif ch in "()*+":
                self.state = "charset" if ch == "(" else "charset1"
            elif ch == "7":
                self.saved = (self.r, self.c)
            elif ch == "8":
                self.r, self.c = self.saved
                self.wrap = False
            elif ch == "M":
                if self.r == self.top:
                    self._scroll_down()
                elif self.r > 0:
                    self.r -= 1
            elif ch == "D":
                self._index()
            elif ch == "E":
                self.c = 0
                self._index()
            elif ch == "c":
                self.reset()
        elif st == "charset":
            self.g0 = ch
            self.state = "ground"
        elif st == "charset1":
            self.state = "ground"
        elif st == "osc":
            if ch == "\x07":
                self.state = "ground"
            elif ch == "\x1b":
                self.state = "osc_esc"
        elif st == "osc_esc":
            self.state = "ground" if ch == "\\" else "osc"
        elif st == "csi":
            if "\x40" <= ch <= "\x7e":
                self.state = "ground"
                self._csi(self.buf, ch)
            elif ch == "\x1b":
                self.state = "esc"
            else:
                self.buf += ch
                if len(self.buf) > 64:
                    self.state = "ground"

    def _csi(self, p, final):
        private = p[:1] in ("?", ">", "=", "<")
        if private:
            return
        nums = []
        for x in p.split(";"):
            x = "".join(ch for ch in x if ch.isdigit())
            nums.append(int(x) if x else 0)

        def n(i=0, default=1):
            v = nums[i] if i < len(nums) else 0
            return v if v else default

        self.wrap = False if final not in "mb" else self.wrap
        if final in "Hf":
            self.r, self.c = n(0) - 1, n(1) - 1
        elif final == "A":
            self.r = max(self.top if self.r >= self.top else 0, self.r - n())
        elif final == "B":
            self.r = min(self.bot if self.r <= self.bot else self.rows - 1,
                         self.r + n())
        elif final == "C":
            self.c += n()
        elif final == "D":
            self.c -= n()
        elif final == "E":
            self.r, self.c = self.r + n(), 0
        elif final == "F":
            self.r, self.c = self.r - n(), 0
        elif final in "G`":
            self.c = n() - 1
        elif final == "d":
            self.r = n() - 1
        elif final == "J":
            mode = n(0, 0)
            if mode == 0:
                self.grid[self.r][self.c:] = [" "] * (self.cols - self.c)
                for r in range(self.r + 1, self.rows):
                    self.grid[r] = [" "] * self.cols
            elif mode == 1:
                self.grid[self.r][:self.c + 1] = [" "] * (self.c + 1)
                for r in range(0, self.r):
                    self.grid[r] = [" "] * self.cols
            else:
                self.grid = [[" "] * self.cols for _ in range(self.rows)]
        elif final == "K":
            mode = n(0, 0)
            row = self.grid[self.r]
            if mode == 0:
                row[self.c:] = [" "] * (self.cols - self.c)
            elif mode == 1:
                row[:self.c + 1] = [" "] * (self.c + 1)
            else:
                self.grid[self.r] = [" "] * self.cols
        elif final == "X":
            k = min(n(), self.cols - self.c)
            self.grid[self.r][self.c:self.c + k] = [" "] * k
        elif final == "P":
            row = self.grid[self.r]
            k = min(n(), self.cols - self.c)
            del row[self.c:self.c + k]
            row.extend([" "] * k)
        elif final == "@":
            row = self.grid[self.r]
            k = min(n(), self.cols - self.c)
            for _ in range(k):
                row.insert(self.c, " ")
            del row[self.cols:]
        elif final == "L":
            if self.top <= self.r <= self.bot:
                self._scroll_down(n(), top=self.r)
        elif final == "M":
            if self.top <= self.r <= self.bot:
                self._scroll_up(n(), top=self.r)
        elif final == "S":
            self._scroll_up(n())
        elif final == "T":
            self._scroll_down(n())
        elif final == "r":
            top, bot = n(0) - 1, n(1, self.rows) - 1
            if 0 <= top < bot < self.rows:
                self.top, self.bot = top, bot
            else:
                self.top, self.bot = 0, self.rows - 1
            self.r = self.c = 0
        elif final == "b":
            for _ in range(n()):
                self._put(self.last)
        elif final == "s":
            self.saved = (self.r, self.c)
        elif final == "u":
            self.r, self.c = self.saved
        # m (SGR), h/l (modes), t (window ops), n (reports): ignored
        self._clip()


class Term:
    """A program on a pty: its screen, its bytes, its end."""

    def __init__(self, argv, rows=24, cols=80, env=None, cwd=None):
        self.rows, self.cols = rows, cols
        self.screen = Screen(rows, cols)
        self.nbytes = 0
        self.chunks = []            # (monotonic time, nbytes) of each read
        self.keep_chunks = False
        self.rusage = None
        self.status = None
        self.t_exec = time.monotonic()
        self.t_first = None         # first byte from the program
        pid, fd = pty.fork()
        if pid == 0:
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ,
                            struct.pack("HHHH", rows, cols, 0, 0))
                if cwd:
                    os.chdir(cwd)
                os.execve(argv[0], argv, env if env is not None
                          else os.environ)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        os.set_blocking(fd, False)

    def pump(self, timeout):
        """Read what is there (waiting at most timeout s); False at EOF."""
        if self.fd is None:
            return False
        r, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not r:
            return True
        try:
            data = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        if not data:
            os.close(self.fd)
            self.fd = None
            return False
        now = time.monotonic()
        if self.t_first is None:
            self.t_first = now
        self.nbytes += len(data)
        if self.keep_chunks:
            self.chunks.append((now, len(data)))
        self.screen.feed(data)
        self.t_last = now
        return True

    def run_for(self, seconds):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0 or not self.pump(left):
                return

    def wait(self, pred, timeout):
        """Pump until pred(screen) holds; the time of the read that made
        it hold, or None on timeout/EOF."""
        end = time.monotonic() + timeout
        if pred(self.screen):
            return time.monotonic()
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            if not self.pump(min(left, 0.5)):
                return None
            if pred(self.screen) and self.t_first is not None:
                return self.t_last

    def send(self, data):
        t = time.monotonic()
        os.write(self.fd, data)
        return t

    def text(self):
        return self.screen.text()

    def finish(self, key=b"q", timeout=10.0):
        """Send key (quit), drain the output, reap: (exit status, rusage)."""
        if self.fd is not None and key:
            try:
                os.write(self.fd, key)
            except OSError:
                pass
        end = time.monotonic() + timeout
        killed = False
        while self.rusage is None:
            self.pump(0.02)
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status, self.rusage = status, ru
                # what it wrote before it ended is still in the pty
                while self.fd is not None:
                    r, _, _ = select.select([self.fd], [], [], 0)
                    if not r or not self.pump(0):
                        break
                break
            if time.monotonic() > end and not killed:
                os.kill(self.pid, 9)
                killed = True
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        return self.status, self.rusage


def cpu_seconds(ru):
    return ru.ru_utime + ru.ru_stime


def selftest():
    s = Screen(5, 10)
    s.feed(b"\x1b[2;3Hab\x1b(0qx\x1b(Bc\x1b[1;1Hz\x1b[3bX")
    assert s.lines()[0] == "zzzzX", s.lines()
    assert s.lines()[1] == "  ab\u2500\u2502c", s.lines()
    s.feed(b"\x1b[2;5H\x1b[2P")
    assert s.lines()[1] == "  abc", s.lines()
    s.feed(b"\x1b[5;1Hbottom\n\rnext")
    assert s.lines()[3] == "bottom" and s.lines()[4] == "next", s.lines()
    s.feed(b"\x1b[H\x1b[2J\xe2\x94\x80ok\x1b[1;2H\x1b[K")
    assert s.lines()[0] == "\u2500", s.lines()
    print("vt selftest ok")


if __name__ == "__main__":
    selftest()
