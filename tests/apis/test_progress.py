"""Progress line: counts, frames/s and ETA from a controlled clock."""
import io

from vsrkit.apis import progress as progress_mod
from vsrkit.apis.progress import Progress


def test_progress_lines(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(progress_mod.time, 'perf_counter', lambda: now[0])
    out = io.StringIO()  # not a terminal: one plain line every log_every seconds
    bar = Progress(250, stream=out, log_every=5.0)
    now[0] = 110.0
    bar.update(40)  # 40 frames in 10 s: 4 frames/s, 210 left: 52.5 s
    now[0] = 111.0
    bar.update(4)  # within 5 s of the last line: not printed
    now[0] = 120.0
    bar.close()
    lines = out.getvalue().splitlines()
    assert lines == [' 40/250 frames  4.00 frames/s  ETA 0:00:52',
                     '44 frames in 0:00:20  (2.20 frames/s)']
    unknown = Progress(None, stream=io.StringIO())
    unknown.update()
    assert unknown.line().startswith('1 frames')
